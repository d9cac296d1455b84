"""Which onboarding step is next (reconciler/kinds/onboarding.py): every state of the number, the journal
and the environment."""

from __future__ import annotations

import pytest

from reconciler.core.model import Onboarding
from reconciler.kinds.onboarding import Records, Step, code_digest, digest_in, next_step

PHONE, VAR = "6581110042", "CAMS_SECRET_ACME_SG_CODE"
DECLARED = Onboarding(display_name="Acme Singapore", verify_code_env=VAR)
ADDED = {"Status": "PENDING", "CodeVerificationStatus": "NOT_VERIFIED"}
SENT = ("2026-12-06T10:02:00Z", "by SMS (en_US)")


def spent(code: str) -> tuple[str, str]:
    return ("2026-12-06T10:05:00Z", f"verification sent; outcome not confirmed (code {code_digest(PHONE, code)})")


@pytest.mark.parametrize(("item", "records", "env", "step", "ready"), [
    (None, Records(), {}, Step.ADD, True),
    (ADDED, Records(), {}, Step.REQUEST_CODE, True),
    (ADDED, Records(requested=SENT), {}, Step.VERIFY, False),            # waits for the operator
    (ADDED, Records(requested=SENT), {VAR: "394817"}, Step.VERIFY, True),
    (ADDED, Records(), {VAR: "394817"}, Step.VERIFY, True),                # a code asked for elsewhere
    (ADDED, Records(verifying=spent("394817")), {VAR: "394817"}, Step.REQUEST_CODE, True),
    (ADDED, Records(spent=spent("394817")), {VAR: "394817"}, Step.REQUEST_CODE, True),
    (ADDED, Records(spent=spent("394817")), {VAR: "555123"}, Step.VERIFY, True),
    (ADDED, Records(requested=SENT, spent=spent("394817")), {VAR: "394817"}, Step.VERIFY, False),  # stale var
    ({"Status": "PENDING", "CodeVerificationStatus": "EXPIRED"}, Records(requested=SENT), {}, Step.REQUEST_CODE, True),
    ({"Status": "PENDING", "CodeVerificationStatus": "VERIFIED"}, Records(), {}, Step.REGISTER, True),
    ({"Status": "DISCONNECTED", "CodeVerificationStatus": "VERIFIED"}, Records(), {}, Step.REGISTER, True),
])
def test_the_next_step(item: dict[str, str] | None, records: Records, env: dict[str, str], step: Step,
                       ready: bool) -> None:
    found = next_step(PHONE, DECLARED, item, records, env)
    assert found is not None and (found.step, found.ready) == (step, ready)
    assert "394817" not in found.reason and "555123" not in found.reason


def test_an_onboarded_number_needs_nothing_and_the_waiting_step_says_what_to_do() -> None:
    assert next_step(PHONE, DECLARED, {"Status": "CONNECTED", "CodeVerificationStatus": "VERIFIED"}, Records(),
                     {}) is None
    waiting = next_step(PHONE, DECLARED, ADDED, Records(requested=SENT), {})
    assert waiting is not None and f"set ${VAR}" in waiting.reason and "by SMS (en_US) at 2026-12-06T10:02:00Z" \
        in waiting.reason


def test_a_digest_names_the_code_without_holding_it() -> None:
    digest = code_digest(PHONE, "394817")
    assert digest_in(f"sent (code {digest})") == digest and "394817" not in digest
    assert digest != code_digest("6581110043", "394817") and digest_in("no code here") is None
