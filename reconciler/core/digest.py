"""The digest every fingerprint and change basis is made of: canonical JSON, hashed."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_digest(value: Any) -> str:
    """``sha256:<hex>`` of ``value`` as canonical JSON (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
