"""Saved plans: every bad file is a clear PlanFileError; a stale plan names the space and what changed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.model import DesiredState, Space
from reconciler.core.plan import Action, Change, Plan, PlannedSpace, Preflight, Severity
from reconciler.core.source import Source
from reconciler.engine.apply_errors import PlanFileError, StalePlanError
from reconciler.engine.staleness import check_not_stale, check_still_declared, load_saved_plan, staleness_reasons

A, B, C = ("sha256:" + c * 64 for c in "abc")


def _plan(*, desired: str = A, actual: str = B, phones: tuple[str, ...] = ("8613800001235",)) -> Plan:
    changes = tuple(Change(Action.UPDATE, "acme", "1001", p, field="webhooks.status_callback_url",
                           before={"status_callback_url": "https://old.example/s"},
                           after={"status_callback_url": "https://new.example/s"},
                           source=Source("spaces/acme.yaml", 7), kind="webhooks", label="update-webhook") for p in phones)
    return Plan(changes, (PlannedSpace("acme", "1001", "spaces/acme.yaml", actual),), desired, Preflight("ok"))


def _saved(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_round_trip(tmp_path: Path) -> None:
    plan = _plan()
    assert load_saved_plan(_saved(tmp_path, plan.to_dict())) == plan


@pytest.mark.parametrize("content, expected", [
    ("", "invalid JSON"),
    ('{"format_version": 1, "summary": "Pl', "truncated"),
    ("[]", "expected a JSON object"),
    ('{"format_version": 3}', "format_version 3 is not supported"),
])
def test_bad_files(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(PlanFileError, match=expected) as exc:
        load_saved_plan(_saved(tmp_path, content))
    assert str(tmp_path / "plan.json") in str(exc.value)


def test_edited_file_fails_the_schema(tmp_path: Path) -> None:
    data = _plan().to_dict()
    data["changes"][0]["action"] = "delete-everything"
    with pytest.raises(PlanFileError, match="was it edited"):
        load_saved_plan(_saved(tmp_path, data))


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="no such plan file"):
        load_saved_plan(tmp_path / "nope.json")
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PlanFileError, match="not UTF-8"):
        load_saved_plan(path)


def test_same_world_is_not_stale() -> None:
    assert staleness_reasons(_plan(), _plan()) == []


def test_organic_changes_elsewhere_do_not_refuse_and_unreviewed_writes_do_not_run() -> None:
    # The space's fingerprint moved (a quality rating, another number) and the fresh plan has one more
    # write: the reviewed one is unchanged, so the plan runs — without the write nobody reviewed.
    fresh = _plan(actual=C, phones=("8613800001235", "8613800001236"))
    extra = replace(fresh.changes[1], reason="someone repointed it in the console")
    fresh = replace(fresh, changes=(fresh.changes[0], extra,
                                    Change(Action.DRIFT, "acme", "1001", "8613800001235", field="expect.quality_rating",
                                           before="YELLOW", after=["GREEN"])))
    reviewed = check_not_stale("plan.json", _plan(), fresh)
    assert [c.address for c in reviewed.plan.writes] == [_plan().changes[0].address]
    assert [c.address for c in reviewed.not_reviewed] == [extra.address]
    assert any(c.action is Action.DRIFT for c in reviewed.plan.changes)  # findings shown as they are now


def test_moved_basis_of_a_planned_field_refuses_naming_the_address() -> None:
    saved = _plan()
    fresh = replace(saved, changes=(replace(saved.changes[0], basis=C),))
    saved = replace(saved, changes=(replace(saved.changes[0], basis=B),))
    with pytest.raises(StalePlanError) as exc:
        check_not_stale("plan.json", saved, fresh)
    message = str(exc.value)
    assert "acme/8613800001235/update-webhook/webhooks.status_callback_url: the actual value it was planned " \
           "from changed" in message


@pytest.mark.parametrize("edit, named", [
    (lambda c: replace(c, before={"status_callback_url": "https://other.example/s"}), "before.status_callback_url"),
    (lambda c: replace(c, after={"status_callback_url": "https://evil.example/s"}), "after.status_callback_url"),
    (lambda c: replace(c, severity=Severity.NOTICE), "severity"),
    (lambda c: replace(c, pending=True), "pending"),
    (lambda c: replace(c, reason="edited"), "reason"),
    (lambda c: replace(c, cust_space_id="9999"), "cust_space_id"),
], ids=["before", "after", "severity", "pending", "reason", "cust_space_id"])
def test_any_field_of_a_saved_write_that_differs_is_refused(edit: Any, named: str) -> None:
    saved = _plan()
    edited = replace(saved, changes=(edit(saved.changes[0]),))
    with pytest.raises(StalePlanError) as exc:
        check_not_stale("plan.json", edited, saved)
    assert f"{saved.changes[0].ref}: {named} was" in str(exc.value)


def test_a_reviewed_write_gone_from_the_fresh_plan_is_refused() -> None:
    reasons = staleness_reasons(_plan(), _plan(phones=()))
    assert any("no longer has acme/8613800001235" in r for r in reasons)


def test_frozen_state_that_moved_is_refused() -> None:
    frozen = replace(_plan(), preflight=Preflight("frozen", "account business is frozen"))
    assert any("frozen state changed" in r for r in staleness_reasons(_plan(), frozen))
    assert any("frozen state changed" in r for r in staleness_reasons(frozen, _plan()))


def test_desired_change_is_reported() -> None:
    reasons = staleness_reasons(_plan(), _plan(desired=C, phones=()))
    assert reasons[0].startswith("the desired state (YAML) of the planned spaces changed")
    assert any("no longer has acme/8613800001235" in r for r in reasons)


def test_space_removed_from_yaml_is_refused() -> None:
    with pytest.raises(StalePlanError, match="space acme was planned but is no longer declared"):
        check_still_declared("plan.json", _plan(), DesiredState((), ()))
    other = Space("other", "2002", Source("x.yaml", 1))
    with pytest.raises(StalePlanError):
        check_still_declared("plan.json", _plan(), DesiredState((other,), ("x.yaml",)))
