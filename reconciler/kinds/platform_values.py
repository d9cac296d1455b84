"""The platform's enumerations as this version knows them, and what changed upstream (October 2025).

Since October 2025 WhatsApp sets messaging limits per business portfolio: the per-number tier is deprecated
(a number may report ``TIER_NOT_SET``), ``TIER_2K`` exists, and the ``FLAGGED`` number state was removed.
The known values are the JSON Schema's (one list, in ``schemas/cams-desired-state.schema.json``); a value
the platform sends that is not among them is reported as a finding that says so, never an error.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "cams-desired-state.schema.json"
NOT_SET_TIER = "TIER_NOT_SET"
REMOVED = {("Status", "FLAGGED"): "WhatsApp removed the FLAGGED number state in October 2025"}
#: the tiers from lowest to highest (TIER_NOT_SET is no tier)
TIER_ORDER = ("TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED")
PORTFOLIO_HINT = ("since October 2025 WhatsApp sets the messaging limit per business portfolio, so the number's "
                  "own tier may no longer be set: this per-number expectation can no longer fire as meant; state "
                  "the limit on the space instead (portfolio: {messaging_limit: [...]})")


@cache
def known(name: str) -> frozenset[str]:
    """The values of the ``expect`` field ``name`` (as the YAML writes it) the schema lists (empty for a field it
    has no list for)."""
    schema = json.loads(_SCHEMA.read_text(encoding="utf-8"))
    prop = schema["$defs"]["expect"]["properties"].get(name, {})
    return frozenset(prop.get("items", {}).get("enum", ()))


def note(name: str, api_field: str, value: str | None) -> str:
    """What to add to a finding about ``value`` of the field ``name`` (``api_field`` in the API): why it
    cannot fire, or that this version does not know the value ("" when there is nothing to say)."""
    if not value:
        return ""
    if value == NOT_SET_TIER:
        return f"; {PORTFOLIO_HINT}"
    if (api_field, value) in REMOVED:
        return f"; {REMOVED[(api_field, value)]}"
    if known(name) and value not in known(name):
        return f"; {value} is a value this version does not know (the platform added it): check what it means"
    return ""
