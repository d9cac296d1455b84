"""The Flows part of a space in the emulator's state file: ``flows``, a list of Flows, checked strictly.

An entry holds the API's field names (``FlowId``, ``FlowName``, ``Categories``, ``EndpointUri``, ``Status``)
and ``JSON``, the Flow JSON the platform holds (a mapping or its text). ``validate_space_flows`` checks and
normalises them; a problem is a ``StateInvalid`` with a path relative to the space, which ``state.py``
turns into its file:line message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.emulator.state_invalid import StateInvalid

DRAFT, PUBLISHED, DEPRECATED = "DRAFT", "PUBLISHED", "DEPRECATED"
STATUSES = (DRAFT, PUBLISHED, DEPRECATED)
#: WhatsApp's Flow categories
CATEGORIES = ("SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US", "CUSTOMER_SUPPORT",
              "SURVEY", "OTHER")
FLOW_FIELDS = frozenset({"FlowId", "FlowName", "Categories", "EndpointUri", "Status", "JSON",
                         "PreviewToken", "PreviewExpires"})  # the last two: the preview link the platform keeps


def validate_space_flows(space: Mapping[str, Any], space_id: str) -> dict[str, Any]:
    """``{"flows": [...]}`` normalised (ids derived where missing, ``JSON`` as text)."""
    raw = space.get("flows") or []
    if not isinstance(raw, list):
        raise StateInvalid(("flows",), "'flows' must be a list of flows")
    flows: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        path = ("flows", i)
        if not isinstance(item, dict):
            raise StateInvalid(path, "a flow must be a mapping")
        unknown = sorted(set(item) - FLOW_FIELDS)
        if unknown:
            raise StateInvalid(path + (unknown[0],), f"unknown field {unknown[0]!r} (expected one of: "
                                                         f"{', '.join(sorted(FLOW_FIELDS))})")
        name = item.get("FlowName")
        if not isinstance(name, str) or not name:
            raise StateInvalid(path + ("FlowName",), "a flow needs a 'FlowName'")
        if name in names:
            raise StateInvalid(path + ("FlowName",), f"flow name {name!r} is used twice in this space")
        names.add(name)
        categories = item.get("Categories", ["OTHER"])
        if not isinstance(categories, list) or not all(c in CATEGORIES for c in categories):
            raise StateInvalid(path + ("Categories",), f"'Categories' must be a list of: {', '.join(CATEGORIES)}")
        status = item.get("Status", DRAFT)
        if status not in STATUSES:
            raise StateInvalid(path + ("Status",), f"'Status' must be one of: {', '.join(STATUSES)}")
        doc = item.get("JSON")
        if doc is not None and not isinstance(doc, (str, dict)):
            raise StateInvalid(path + ("JSON",), "'JSON' must be the Flow JSON (a mapping or its text)")
        flow_id = item.get("FlowId") or str(int(hashlib.sha256(f"{space_id}:flow:{name}".encode()).hexdigest()[:13], 16))
        flows.append({"FlowId": str(flow_id), "FlowName": name, "Categories": list(categories),
                      "EndpointUri": str(item.get("EndpointUri") or ""), "Status": status,
                      "JSON": json.dumps(doc, indent=2) if isinstance(doc, dict) else doc,
                      "PreviewToken": str(item.get("PreviewToken") or ""),
                      "PreviewExpires": int(item.get("PreviewExpires") or 0)})
    return {"flows": flows}
