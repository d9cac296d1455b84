"""cams-reconciler: Terraform-style GitOps for WhatsApp business numbers on Alibaba Cloud CAMS."""

__version__ = "0.1.0"
