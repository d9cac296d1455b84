"""Saved plans: every bad file is a clear PlanFileError; a stale plan names the space and what changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.config.model import DesiredState, Source, Space
from reconciler.engine.apply_errors import PlanFileError, StalePlanError
from reconciler.engine.plan import Action, Change, Plan, PlannedSpace, Preflight
from reconciler.engine.staleness import (check_not_stale, check_still_declared, load_saved_plan,
                                         staleness_reasons)

A, B, C = ("sha256:" + c * 64 for c in "abc")


def _plan(*, desired: str = A, actual: str = B, phones: tuple[str, ...] = ("8613800001235",)) -> Plan:
    changes = tuple(Change(Action.UPDATE_WEBHOOK, "acme", "1001", p, field="webhooks.status_callback_url",
                           before={"status_callback_url": "https://old.example/s"},
                           after={"status_callback_url": "https://new.example/s"},
                           source=Source("spaces/acme.yaml", 7)) for p in phones)
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
    ('{"format_version": 2}', "format_version 2 is not supported"),
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


def test_actual_change_names_space_fingerprints_and_address_diff() -> None:
    fresh = _plan(actual=C, phones=("8613800001235", "8613800001236"))
    with pytest.raises(StalePlanError) as exc:
        check_not_stale("plan.json", _plan(), fresh)
    message = str(exc.value)
    assert "actual state of space acme changed" in message
    assert f"{B[7:19]}→{C[7:19]}" in message
    assert "acme/8613800001236/update-webhook/webhooks.status_callback_url" in message


def test_desired_change_is_reported() -> None:
    reasons = staleness_reasons(_plan(), _plan(desired=C, phones=()))
    assert reasons[0].startswith("the desired state (YAML) of the planned spaces changed")
    assert any("no longer has acme/8613800001235" in r for r in reasons)


def test_same_fingerprints_but_other_changes_is_refused() -> None:
    reasons = staleness_reasons(_plan(), _plan(phones=()))
    assert "another version" in reasons[0]


def test_space_removed_from_yaml_is_refused() -> None:
    with pytest.raises(StalePlanError, match="space acme was planned but is no longer declared"):
        check_still_declared("plan.json", _plan(), DesiredState((), ()))
    other = Space("other", "2002", Source("x.yaml", 1))
    with pytest.raises(StalePlanError):
        check_still_declared("plan.json", _plan(), DesiredState((other,), ("x.yaml",)))
