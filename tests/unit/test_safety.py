"""The apply guards (pure): frozen account, error findings, webhook-update threshold and --force."""

from __future__ import annotations

import pytest

from reconciler.core.model import DesiredState, Number, Safety, Space
from reconciler.core.plan import Action, Change, Plan, PlannedSpace, Preflight, Severity
from reconciler.core.source import Source
from reconciler.engine.apply_errors import BlockingFindingsError, FrozenAccountError, SafetyThresholdError
from reconciler.engine.safety import check_apply_allowed, threshold_breaches
from reconciler.kinds.webhooks import Webhooks

FP = "sha256:" + "0" * 64


def _space(n: int, *, safety: Safety = Safety(), name: str = "big") -> Space:
    src = Source("spaces/big.yaml", 1)
    numbers = tuple(Number.of(f"861380000{i:04d}", f"+861380000{i:04d}", Source("spaces/big.yaml", 10 + i),
                           webhooks=Webhooks("https://h.example/s", "https://h.example/u")) for i in range(n))
    return Space(name, "1001", src, numbers, safety=safety)


def _plan(space: Space, webhook_updates: int, *, preflight: Preflight = Preflight("ok"),
          extra: tuple[Change, ...] = ()) -> Plan:
    changes = tuple(Change(Action.UPDATE, space.name, space.cust_space_id, n.phone_number,
                           field="webhooks.status_callback_url", kind="webhooks", label="update-webhook")
                    for n in space.numbers[:webhook_updates])
    return Plan(changes + extra, (PlannedSpace(space.name, space.cust_space_id, space.file, FP),), FP, preflight)


def test_under_threshold_passes_without_force() -> None:
    space = _space(10)
    assert check_apply_allowed(_plan(space, 3), DesiredState((space,), ()), force=False) == []


def test_over_threshold_refused_and_names_space_and_figures() -> None:
    space = _space(10)
    with pytest.raises(SafetyThresholdError) as exc:
        check_apply_allowed(_plan(space, 4), DesiredState((space,), ()), force=False)
    message = str(exc.value)
    assert "space big" in message and "4 of the 10 declared numbers in the space" in message and "--force" in message


def test_force_lets_threshold_through_with_a_warning() -> None:
    space = _space(10)
    warnings = check_apply_allowed(_plan(space, 10), DesiredState((space,), ()), force=True)
    assert len(warnings) == 1 and "10 of the 10" in warnings[0]


def test_small_space_is_not_guarded() -> None:
    space = _space(9)  # below min_numbers (10)
    assert threshold_breaches(_plan(space, 9), DesiredState((space,), ())) == []


def test_threshold_is_configurable_per_space() -> None:
    space = _space(4, safety=Safety(max_webhook_update_fraction=0.5, min_numbers=2))
    desired = DesiredState((space,), ())
    assert threshold_breaches(_plan(space, 2), desired) == []
    assert [b.updated for b in threshold_breaches(_plan(space, 3), desired)] == [3]


def test_one_number_with_both_urls_counts_once() -> None:
    space = _space(10)
    extra = tuple(Change(Action.UPDATE, "big", "1001", space.numbers[0].phone_number, field=f, kind="webhooks", label="update-webhook")
                  for f in ("webhooks.up_callback_url",))
    assert threshold_breaches(_plan(space, 3, extra=extra), DesiredState((space,), ())) == []


def test_frozen_account_refused_even_with_force() -> None:
    space = _space(1)
    plan = _plan(space, 1, preflight=Preflight("frozen", "account business is frozen (HostingStatus is FREEZE)"))
    with pytest.raises(FrozenAccountError, match="--force does not override"):
        check_apply_allowed(plan, DesiredState((space,), ()), force=True)


def test_error_findings_block_even_with_force() -> None:
    space = _space(1)
    finding = Change(Action.UNMANAGED, "big", "1001", "8613899999999", severity=Severity.ERROR,
                     source=Source("spaces/big.yaml", 3))
    with pytest.raises(BlockingFindingsError) as exc:
        check_apply_allowed(_plan(space, 0, extra=(finding,)), DesiredState((space,), ()), force=True)
    assert "8613899999999 in big (spaces/big.yaml:3:1)" in str(exc.value)


def test_notice_findings_do_not_block() -> None:
    space = _space(1)
    finding = Change(Action.UNMANAGED, "big", "1001", "8613899999999", severity=Severity.NOTICE)
    assert check_apply_allowed(_plan(space, 1, extra=(finding,)), DesiredState((space,), ()), force=False) == []
