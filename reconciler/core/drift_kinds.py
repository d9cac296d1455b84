"""The drift categories: the unit ``drift`` counts in, one per kind of finding (``reconciler.engine.drift``
counts; each kind of the catalogue names its category)."""

from __future__ import annotations

from enum import Enum


class DriftKind(str, Enum):
    """The kinds, in the order summaries and table columns list them."""

    MISSING = "missing"  # declared numbers not in their space (a sync would bring them in)
    MIGRATION = "migration"  # migrations still to verify and register
    WEBHOOK = "webhook"  # numbers whose callback URLs differ
    PROFILE = "profile"  # numbers whose business profile differs
    QUEUE = "queue"  # queue names that differ
    HEALTH = "health"  # numbers outside their ``expect``
    TEMPLATE = "template"  # message templates that differ, or whose review or quality is off
    QR_CODE = "qr_code"  # message QR codes that differ (missing, changed, undeclared)
    FLOW = "flow"  # WhatsApp Flows that differ from their YAML and JSON file, or cannot change
    SETTINGS = "settings"  # a number's commerce settings, conversational automation or Flows key
    OTHER = "other"  # a finding of no kind above (none in this version: every kind names its own)
    MISPLACED = "misplaced"  # declared numbers found in another managed space
    UNMANAGED = "unmanaged"  # numbers in a space that no YAML declares
    ENDPOINT = "endpoint"  # declared callback URLs whose endpoint fails a check (``endpoint_checks:``)
