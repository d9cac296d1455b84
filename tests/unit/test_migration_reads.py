"""What the diff plans for a declared migration, from what was read (pure): the number's status decides a
registration, never the journal alone; a verification whose outcome was lost asks for a new code."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.model import Migration, Number, Space
from reconciler.core.plan import Action
from reconciler.core.source import Source
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import Context, diff_space

F = "spaces.yaml"
PHONE = "8613800009999"


def _plan(listed: list[dict[str, Any]], context: Context) -> list[tuple[Action, str]]:
    number = Number.of(PHONE, "+" + PHONE, Source(F, 3, 5), migration=Migration("CODE_ENV"))
    space = Space("travel", "900", Source(F, 1), (number,), unmanaged_numbers="ignore")
    changes = diff_space(space, ActualSpace("900", index_numbers(listed), {}), context=context)
    return [(c.action, c.reason) for c in changes if c.action.writes]


@pytest.mark.parametrize("status, planned", [
    ("PENDING", Action.REGISTER_MIGRATION),          # verified, not registered: read, not recorded
    ("pending", Action.REGISTER_MIGRATION),          # the API's case may vary
    ("CONNECTED", None),                             # whatever the journal says: the read decides
    ("FLAGGED", None),
])
def test_a_listed_migration_is_registered_only_while_its_status_says_pending(
        status: str, planned: Action | None) -> None:
    found = _plan([{"PhoneNumber": PHONE, "Status": status}], Context())
    assert [a for a, _ in found] == ([planned] if planned else [])


def test_a_missing_migration_verified_by_the_status_read_is_registered() -> None:
    found = _plan([], Context(verifying={PHONE: "2026-12-06T05:00:00Z"}, verification={PHONE: "VERIFIED"}))
    assert [a for a, _ in found] == [Action.REGISTER_MIGRATION]


@pytest.mark.parametrize("read, says", [("NOT_VERIFIED", "did not land (GetPhoneNumberVerificationStatus: "
                                                         "NOT_VERIFIED)"),
                                        (None, "unknown outcome")])
def test_a_lost_verification_that_did_not_land_asks_for_a_new_code(read: str | None, says: str) -> None:
    found = _plan([], Context(env={"CODE_ENV": "x"}, verifying={PHONE: "2026-12-06T05:00:00Z"},
                              verification={PHONE: read}))
    [(action, reason)] = found
    assert action is Action.VERIFY_MIGRATION
    assert "2026-12-06T05:00:00Z" in reason and says in reason and "new code" in reason


def test_a_first_verification_reads_as_before() -> None:
    [(action, reason)] = _plan([], Context(env={"CODE_ENV": "x"}))
    assert action is Action.VERIFY_MIGRATION and "new code" not in reason and "$CODE_ENV (set)" in reason
