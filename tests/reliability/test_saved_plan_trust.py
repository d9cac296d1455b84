"""A saved plan is data that can be hostile: no edit of it widens what ``apply --plan`` does.

The scenario is the one an adversarial pass used: a space of 12 numbers whose plan repoints all 12 webhooks
against the default 30% threshold, so ``plan`` says apply would refuse. Each case edits the saved file (or
runs apply with a flag the plan did not record) and must be refused before any write: the emulator's audit
log holds 0 write calls. The counter-cases (an override recorded and re-asserted, a signed plan applied with
its key) write all 12, so the refusals are not a broken apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from tests.helpers.reliability import AuditReader, emulator_state, number_entry

SPACE_ID = "293400000000777"
PHONES = [f"861380000{i:04d}" for i in range(12)]
KEY = "reliability-plan-key"

YAML = f"""\
version: 1
spaces:
  - name: bulk
    cust_space_id: "{SPACE_ID}"
    defaults:
      webhooks:
        status_callback_url: https://new.example/status
        up_callback_url: https://new.example/inbound
    numbers:
""" + "".join(f'      - phone_number: "+{p}"\n' for p in PHONES) + f"""\
  - name: quiet
    cust_space_id: "{SPACE_ID[:-1]}8"
    numbers: []
"""


def _state() -> dict[str, Any]:
    numbers = [number_entry(p, "https://old.example/status", "https://old.example/inbound") for p in PHONES]
    return emulator_state({SPACE_ID: {"phone_numbers": numbers}, SPACE_ID[:-1] + "8": {"phone_numbers": []}})


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, demo_credentials: None) -> None:
    for name in ("CAMS_RECONCILER_PLAN_KEY", "CAMS_RECONCILER_FINGERPRINT_KEY", "ALIBABA_CLOUD_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)


class Loop:
    """One repository, one emulator with an audit log, and the CLI run in-process."""

    def __init__(self, tmp_path: Path, emulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
        self.spaces = tmp_path / "spaces"
        self.spaces.mkdir()
        (self.spaces / "bulk.yaml").write_text(YAML, encoding="utf-8")
        self.audit = tmp_path / "audit.jsonl"
        self.emu = emulator(_state(), qps=0, audit_log=self.audit)
        self.plan_file = tmp_path / "plan.json"
        self.capsys = capsys

    def run(self, *argv: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([*argv, "--endpoint", self.emu.url])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out + err

    def plan(self, *extra: str) -> dict[str, Any]:
        self.run("plan", str(self.spaces), "--out", str(self.plan_file), *extra)
        data: dict[str, Any] = json.loads(self.plan_file.read_text())
        return data

    def save(self, data: dict[str, Any] | str) -> None:
        self.plan_file.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))

    def apply(self, *extra: str) -> tuple[int, str]:
        return self.run("apply", "--plan", str(self.plan_file), str(self.spaces), *extra)

    def writes(self) -> int:
        return sum(1 for e in AuditReader(self.audit).all() if e.is_write)


@pytest.fixture
def loop(tmp_path: Path, emulator: Any, capsys: pytest.CaptureFixture[str]) -> Loop:
    return Loop(tmp_path, emulator, capsys)


def _targets(d: dict[str, Any]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = d["provenance"]["targets"]
    return targets


def _duplicate_force(d: dict[str, Any]) -> str:
    return json.dumps(d, indent=2).replace('"force": false', '"force": false, "force": true', 1)


#: (plan flags, edit of the saved JSON (returns the text, or edits in place), apply flags, plan key at apply,
#: a phrase of the refusal). Every one must end with exit 1 and 0 write calls.
TAMPERINGS: list[tuple[tuple[str, ...], Callable[[dict[str, Any]], Any], tuple[str, ...], str | None, str]] = [
    ((), lambda d: d.update(force=True), (), None, "records an override (plan --force"),
    ((), _duplicate_force, (), None, "appears twice"),
    ((), lambda d: d.update(force=True, blockers=[]), (), None, "records an override (plan --force"),
    ((), lambda d: None, ("--force",), None, "--force re-asserts an override the plan does not record"),
    (("--force",), lambda d: None, (), None, "records an override (plan --force"),
    ((), lambda d: d.update(retry_sync=True), (), None, "records an override (plan --retry-sync"),
    ((), lambda d: None, ("--retry-sync",), None, "--retry-sync re-asserts an override"),
    ((), lambda d: _targets(d)[0].update(account_id=None), (), None, "does not name the account id"),
    ((), lambda d: d["provenance"].update(targets=[]), (), None, "does not name account default"),
    ((), lambda d: _targets(d)[0].update(account="renamed"), (), None, "does not name account default"),
    ((), lambda d: d.update(provenance=None), (), None, "no provenance"),
    ((), lambda d: d.update(spaces=[]), (), None, "which its list of planned spaces leaves out"),
    ((), lambda d: d.update(spaces=[s for s in d["spaces"] if s["name"] == "bulk"]), (), None,
     "a scoped plan runs only when re-asserted"),
    ((), lambda d: None, ("--target", "bulk"), None, "is not the plan's spaces"),
    ((), lambda d: None, (), KEY, "the plan is not signed"),
    ((), lambda d: d.update(changes=d["changes"][:2]), (), None, "more than the 30% allowed"),
]
#: Edits of a signed plan (made without --force; apply re-asserts --force, as a label would): without the key
#: the first one would pass every other check, since the flag and the (edited) record agree.
SIGNED_TAMPERINGS: list[tuple[Callable[[dict[str, Any]], Any], str]] = [
    (lambda d: d.update(force=True, blockers=[]), "does not verify"),
    (lambda d: d["signature"].update(mac="0" * 64), "does not verify"),
    (lambda d: d["changes"].pop(), "does not verify"),
    (lambda d: d["changes"][0].update(kind="account_webhook", label="update"), "does not verify"),  # format 2
]


@pytest.mark.parametrize("plan_flags, edit, apply_flags, key, reason", TAMPERINGS,
                         ids=["force-edited", "force-duplicate-key", "force-and-blockers-edited",
                              "force-flag-not-recorded", "force-recorded-not-reasserted", "retry-sync-edited",
                              "retry-sync-flag-not-recorded", "account-id-nulled", "targets-emptied",
                              "account-renamed", "provenance-nulled", "spaces-emptied", "space-dropped",
                              "target-narrower-than-the-plan", "unsigned-with-key", "writes-dropped-under-threshold"])
def test_a_tampered_plan_or_an_unrecorded_override_writes_nothing(
        loop: Loop, monkeypatch: pytest.MonkeyPatch, plan_flags: tuple[str, ...], edit: Any,
        apply_flags: tuple[str, ...], key: str | None, reason: str) -> None:
    data = loop.plan(*plan_flags)
    edited = edit(data)
    loop.save(edited if isinstance(edited, str) else data)
    if key:
        monkeypatch.setenv("CAMS_RECONCILER_PLAN_KEY", key)
    code, err = loop.apply(*apply_flags)
    assert code == 1 and reason in err, err
    assert loop.writes() == 0


@pytest.mark.parametrize("edit, reason", SIGNED_TAMPERINGS, ids=["force", "mac", "change-dropped",
                                                                  "change-kind-edited"])
def test_an_edited_signed_plan_writes_nothing(loop: Loop, monkeypatch: pytest.MonkeyPatch, edit: Any,
                                              reason: str) -> None:
    monkeypatch.setenv("CAMS_RECONCILER_PLAN_KEY", KEY)
    data = loop.plan()
    assert data["signature"]["algorithm"] == "hmac-sha256"
    edit(data)
    loop.save(data)
    code, err = loop.apply("--force")
    assert code == 1 and reason in err, err
    assert loop.writes() == 0


def test_a_plan_signed_with_another_key_writes_nothing(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMS_RECONCILER_PLAN_KEY", "another-key")
    loop.plan("--force")
    monkeypatch.setenv("CAMS_RECONCILER_PLAN_KEY", KEY)
    code, err = loop.apply("--force")
    assert code == 1 and "does not verify" in err, err
    assert loop.writes() == 0


def test_an_override_recorded_and_reasserted_runs_all_twelve(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMS_RECONCILER_PLAN_KEY", KEY)
    data = loop.plan("--force")
    assert data["force"] is True
    code, out = loop.apply("--force")
    assert code == 0, out
    assert loop.writes() == 12


def test_without_the_override_the_threshold_still_refuses(loop: Loop) -> None:
    """The guard itself, judged on the fresh plan: the saved plan's blockers cannot hide it."""
    data = loop.plan()
    assert [b["kind"] for b in data["blockers"]] == ["threshold"]
    code, err = loop.apply()
    assert code == 1 and "refusing to apply" in err and "30%" in err, err
    assert loop.writes() == 0


def test_a_scoped_plan_runs_when_its_scope_is_reasserted(loop: Loop) -> None:
    loop.plan("--target", "bulk", "--force")
    code, err = loop.apply("--force")
    assert code == 1 and "covers 1 of the 2 declared spaces" in err, err
    code, err = loop.apply("--force", "--target", "quiet")
    assert code == 1 and "is not the plan's spaces" in err, err
    assert loop.writes() == 0
    code, out = loop.apply("--force", "--target", "bulk")
    assert code == 0, out
    assert loop.writes() == 12


def test_the_refusal_names_the_dropped_writes_space(loop: Loop) -> None:
    data = loop.plan("--force")
    data["spaces"] = []
    loop.save(data)
    code, err = loop.apply("--force")
    assert code == 1 and re.search(r"writes for bulk", err), err
    assert loop.writes() == 0


ROTATED_YAML = f"""\
version: 1
spaces:
  - name: bulk
    cust_space_id: "{SPACE_ID}"
    numbers:
      - phone_number: "+{PHONES[0]}"
        webhooks:
          status_callback_url: https://new.example/status?t=${{env:CAMS_SECRET_STATUS_TOKEN}}
"""
FINGERPRINT, PLAN = "CAMS_RECONCILER_FINGERPRINT_KEY", "CAMS_RECONCILER_PLAN_KEY"
#: Which keys are set (at plan and at apply) when the token is rotated between the review and the apply.
ROTATIONS: list[tuple[str, ...]] = [(FINGERPRINT,), (PLAN,), (FINGERPRINT, PLAN)]


def _rotation(loop: Loop, monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...]) -> tuple[int, str, str]:
    (loop.spaces / "bulk.yaml").write_text(ROTATED_YAML, encoding="utf-8")
    for name in keys:
        monkeypatch.setenv(name, "key-" + name)
    monkeypatch.setenv("CAMS_SECRET_STATUS_TOKEN", "reviewed-token")
    code, planned = loop.run("plan", str(loop.spaces), "--out", str(loop.plan_file))
    assert code == 0, planned
    monkeypatch.setenv("CAMS_SECRET_STATUS_TOKEN", "rotated-token")
    code, applied = loop.apply()
    return code, planned, applied


@pytest.mark.parametrize("keys", ROTATIONS, ids=["fingerprint-key", "plan-key", "both-keys"])
def test_a_token_rotated_since_the_review_is_refused_with_either_key(
        loop: Loop, monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...]) -> None:
    code, _, err = _rotation(loop, monkeypatch, keys)
    assert code == 1 and "stale" in err, err
    assert loop.writes() == 0
    assert "rotated-token" not in err and "reviewed-token" not in err


def test_without_a_key_a_rotated_token_is_said_to_be_undetectable(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    code, planned, applied = _rotation(loop, monkeypatch, ())
    assert "a token rotated between this plan and its apply cannot be detected" in planned
    assert "a token rotated since the review cannot be detected" in applied
    assert code == 0 and loop.writes() == 1  # said plainly, not pretended otherwise


def test_a_scope_check_on_a_whole_plan_is_no_refusal(loop: Loop) -> None:
    """The apply workflow always passes --changed-since for a PR's plan: on a repository of one space, or a
    PR that changed every space, the plan covers every declared space and the check simply holds."""
    from reconciler.config import load_desired_state
    from reconciler.core.plan import Plan
    from reconciler.engine.staleness import Reasserted, override_problems

    saved = Plan.from_dict(loop.plan("--force"))
    desired = load_desired_state([str(loop.spaces)])
    both = frozenset({"bulk", "quiet"})
    assert override_problems(saved, desired, Reasserted(force=True, changed_since="x", changed=both)) == []
    assert override_problems(saved, desired, Reasserted(force=True, targets=("quiet", "bulk"))) == []
    narrowed = Plan.from_dict({**loop.plan("--force", "--target", "bulk")})
    [problem] = override_problems(narrowed, desired, Reasserted(force=True, changed_since="x", changed=both))
    assert "quiet changed since x" in problem
