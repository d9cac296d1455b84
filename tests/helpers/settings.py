"""The number-settings tests' common ground: the example state with every setting of the retail space at the
platform's default, the number they configure, and the RSA keys of tests/fixtures/keys."""

from __future__ import annotations

from typing import Any

from reconciler.emulator import load_state
from tests.helpers.paths import EXAMPLE_STATE_PATH, REPO_ROOT

RETAIL = "293483938849001"
NUMBER = "8613800001234"
KEYS = REPO_ROOT / "tests" / "fixtures" / "keys"


def default_settings_state() -> dict[str, Any]:
    """The example state without the retail space's ``number_settings``: every setting at its default."""
    state = load_state(EXAMPLE_STATE_PATH)
    state["spaces"][RETAIL].pop("number_settings", None)
    return state
