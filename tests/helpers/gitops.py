"""The example state as a team's world after adoption: without the example's three report-only findings (a
YELLOW quality rating, a platform-assigned queue, an undeclared number), which no apply can fix, so that "drift
is clean" after an apply is a meaningful assertion."""

from __future__ import annotations

from typing import Any

RETAIL, TRAVEL = "293483938849001", "293483938849002"
MIGRATION_CODE = "828712"  # the example state's VerifyCode for 8613800009999


def drift_free(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` (the example state, as a dict) without its three report-only findings, changed in place."""
    retail = state["spaces"][RETAIL]
    retail["phone_numbers"] = [n for n in retail["phone_numbers"] if n["PhoneNumber"] != "8613800001299"]
    retail["business_profiles"].pop("8613800001299", None)
    for n in retail["phone_numbers"]:
        if n["PhoneNumber"] == "8613800001237":
            n["QualityRating"] = "GREEN"
    for n in state["spaces"][TRAVEL]["phone_numbers"]:
        if n["PhoneNumber"] == "6591234568":
            n["StatusQueue"] = "Alicom-Queue-2-ChatAppStatus"
    return state
