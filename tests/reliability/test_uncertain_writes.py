"""Writes whose outcome is uncertain are settled by reading, never guessed and never sent twice.

The emulator lands a write and then loses its answer (the connection closes with no response), answers it
HTTP 503, or answers HTTP 200 with an HTML page (``faults.py``: answer faults); or it holds a request at an
exact point (before it runs, after it landed) while the test SIGKILLs the real ``python -m reconciler``
process — no sleep race. For every case the run ends converged: the next plan shows no change, each write
was sent once (the emulator's audit log), a one-time verify code was sent at most once, and the journal holds
nothing once its entries are settled.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.client import CamsClient, Credentials
from reconciler.config import load_desired_state
from reconciler.engine import Journal, apply_plan, make_plan
from tests.helpers.cli import run_cli
from tests.helpers.reliability import (
    AuditReader,
    break_the_killed_runs_lock,
    emulator_state,
    journal_entries,
    number_entry,
    sigkill_at_hold,
)

REPO = Path(__file__).resolve().parents[2]
SPACE = "293483938800901"
MIGRATING = "8613800901001"
PRESENT = "8613800901002"
CODE, NEW_CODE = "551234", "662345"
HOOKS = "https://hooks.uncertain.example"
MIGRATION_YAML = f"""      - phone_number: "+{MIGRATING}"
        migration: {{verify_code_env: CAMS_SECRET_UNCERTAIN_CODE}}
"""
# the migrating number's webhook, set once it is in (a pending update): after a lost answer too
MIGRATED_HOOK_YAML = f"""        webhooks: {{status_callback_url: {HOOKS}/migrated}}
"""
QR_YAML = """        qr_codes:
          codes:
            - {message: "Hi, I saw your poster", image: PNG}
"""
TEMPLATE_YAML = """    templates:
      items:
        - name: order_update
          language: en_US
          category: UTILITY
          components:
            - {Type: BODY, Text: "Hello {{1}}, your order has shipped."}
          example: {"{{1}}": Alice}
"""


def _state() -> dict[str, Any]:
    pending = {**number_entry(MIGRATING, f"{HOOKS}/status", f"{HOOKS}/inbound"), "VerifyCode": CODE}
    return emulator_state({SPACE: {"subscribed": True,
                                   "phone_numbers": [number_entry(PRESENT, f"{HOOKS}/old", f"{HOOKS}/inbound")],
                                   "pending_migrations": [pending]}})


def _yaml(tmp_path: Path, *, migration: bool = False, webhook: bool = False, profile: bool = False,
          qr: bool = False, template: bool = False, migrated_hook: bool = False) -> Path:
    present = f'      - phone_number: "+{PRESENT}"\n'
    if webhook:
        present += f"        webhooks: {{status_callback_url: {HOOKS}/status}}\n"
    if profile:
        present += "        business_profile: {about: Settled by reading}\n"
    if qr:
        present += QR_YAML
    path = tmp_path / "spaces.yaml"
    path.write_text("version: 1\nspaces:\n  - name: uncertain\n"
                    f'    cust_space_id: "{SPACE}"\n'
                    + (TEMPLATE_YAML if template else "")
                    + "    numbers:\n" + present + (MIGRATION_YAML if migration else "")
                    + (MIGRATED_HOOK_YAML if migrated_hook else ""))
    return path


def _audit(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _writes(path: Path) -> list[str | None]:
    return [e.action for e in AuditReader(path).all() if e.is_write]


class World:
    """One emulator (audit log on), the YAML, the journal, and the CLI run in-process against it."""

    def __init__(self, emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.audit = tmp_path / "audit.jsonl"
        self.handle = emulator(_state(), qps=0, audit_log=self.audit)
        self.journal = tmp_path / "journal.json"
        self.results = tmp_path / "results.json"
        self.tmp_path, self.capsys = tmp_path, capsys
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
        monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
        monkeypatch.setenv("CAMS_SECRET_UNCERTAIN_CODE", CODE)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        return run_cli(self.capsys, *argv, "--endpoint", self.handle.url, "--journal", str(self.journal))

    def apply(self, yaml_path: Path) -> tuple[int, dict[str, dict[str, Any]], str]:
        code, out, err = self.cli("apply", str(yaml_path), "--auto-approve", "--results", str(self.results))
        results = json.loads(self.results.read_text())["results"]
        return code, {r["address"]: r for r in results}, out + err

    def plan(self, yaml_path: Path) -> tuple[int, str]:
        code, out, err = self.cli("plan", str(yaml_path), "--detailed-exitcode")
        return code, out + err

    def space(self) -> dict[str, Any]:
        return self.handle.backend.snapshot()["spaces"][SPACE]

    def number(self, phone: str) -> dict[str, Any] | None:
        return next((n for n in self.space()["phone_numbers"] if n["PhoneNumber"] == phone), None)

    def journal_entries(self) -> list[tuple[str, str]]:
        return journal_entries(self.journal)

    def assert_converged(self, yaml_path: Path) -> None:
        code, shown = self.plan(yaml_path)
        assert code == 0, shown
        assert self.journal_entries() == [], "a settled entry stays in the journal"


@pytest.fixture
def world(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> World:
    return World(emulator, tmp_path, monkeypatch, capsys)


# -- answers lost or unreadable after the write landed ---------------------------------------------------------

#: (case id, the YAML's parts, the write whose answer is lost, the fault, the result's address, what it must
#: have done once)
ANSWER_CASES: list[tuple[str, dict[str, bool], str, str, str]] = [
    ("register-lost", {"migration": True, "migrated_hook": True}, "ChatappMigrationRegister", "lost",
     f"uncertain/{MIGRATING}/verify-migration/migration"),
    ("register-5xx", {"migration": True, "migrated_hook": True}, "ChatappMigrationRegister", "5xx",
     f"uncertain/{MIGRATING}/verify-migration/migration"),
    ("verify-lost", {"migration": True, "migrated_hook": True}, "ChatappMigrationVerified", "lost",
     f"uncertain/{MIGRATING}/verify-migration/migration"),
    ("verify-html", {"migration": True, "migrated_hook": True}, "ChatappMigrationVerified", "html",
     f"uncertain/{MIGRATING}/verify-migration/migration"),
    ("qr-create-lost", {"qr": True}, "CreatePhoneMessageQrdl", "lost", ""),
    ("qr-create-html", {"qr": True}, "CreatePhoneMessageQrdl", "html", ""),
    ("template-create-lost", {"template": True}, "CreateChatappTemplate", "lost", ""),
    ("template-create-5xx", {"template": True}, "CreateChatappTemplate", "5xx", ""),
    ("webhook-update-html", {"webhook": True}, "UpdatePhoneWebhook", "html",
     f"uncertain/{PRESENT}/update-webhook/webhooks"),
    ("profile-update-html", {"profile": True}, "ModifyPhoneBusinessProfile", "html",
     f"uncertain/{PRESENT}/update-profile/business_profile"),
]


@pytest.mark.parametrize("parts, action, mode, address", [pytest.param(*c[1:], id=c[0]) for c in ANSWER_CASES])
def test_a_write_whose_answer_was_lost_is_done_when_the_re_read_shows_it(
        world: World, parts: dict[str, bool], action: str, mode: str, address: str) -> None:
    yaml_path = _yaml(world.tmp_path, **parts)
    world.handle.faults.arm_answer_fault(action, mode)

    code, results, shown = world.apply(yaml_path)

    assert code == 0, shown
    assert all(r["status"] == "done" for r in results.values()), results
    # the one whose answer was lost says so, and that the re-read proved it
    lost = [r for r in results.values() if "answer was lost" in r["message"]]
    assert len(lost) == 1, results
    if address:
        assert lost[0]["address"].startswith(address), lost[0]["address"]
    # exactly one call of the write whose answer was lost: settled by reading, never sent again
    assert _writes(world.audit).count(action) == 1, _writes(world.audit)
    assert [e.get("answer") for e in _audit(world.audit) if e["action"] == action] == [mode]
    settings = world.space().get("number_settings", {}).get(PRESENT, {})
    if parts.get("qr"):
        assert len(settings["qrdls"]) == 1  # no second code for the same message
    if parts.get("template"):
        assert [t["Name"] for t in world.space()["templates"]] == ["order_update"]
    if parts.get("migration"):
        assert world.number(MIGRATING)["Status"] == "CONNECTED"  # verified and registered
        assert world.number(MIGRATING)["StatusCallbackUrl"] == f"{HOOKS}/migrated"  # its pending update too
        assert _writes(world.audit).count("ChatappMigrationVerified") == 1
    world.assert_converged(yaml_path)


def test_a_create_whose_answer_was_lost_and_that_did_not_land_fails_and_is_made_once_next_time(world: World) -> None:
    yaml_path = _yaml(world.tmp_path, qr=True)
    world.handle.faults.hold("CreatePhoneMessageQrdl", "before").release(drop=True)  # never runs, no answer

    code, results, shown = world.apply(yaml_path)

    [result] = results.values()
    assert code == 1 and result["status"] == "failed", shown
    assert "answer was lost" in result["message"] and "did not take effect" in result["message"]
    assert world.space().get("number_settings", {}).get(PRESENT, {}).get("qrdls", []) == []
    code, results, shown = world.apply(yaml_path)
    assert code == 0, shown
    assert len(world.space()["number_settings"][PRESENT]["qrdls"]) == 1
    world.assert_converged(yaml_path)


def test_a_registration_that_landed_is_not_planned_again_whatever_the_journal_says(world: World) -> None:
    """The loop issue 24 found: a journal entry left by a lost registration answer made every later apply
    plan register-migration and fail Migration.NotVerified, forever. The number's status settles it."""
    yaml_path = _yaml(world.tmp_path, migration=True)
    world.handle.faults.arm_answer_fault("ChatappMigrationRegister", "lost")
    world.apply(yaml_path)
    # as an older version's apply left it, in today's journal file (a fresh store adopts it): the entry says
    # "verified, registration not confirmed"
    world.journal = world.tmp_path / "older" / "journal.json"
    world.journal.parent.mkdir()
    world.journal.write_text(json.dumps({"format_version": 1, "entries": [
        {"kind": "unregistered", "space": "uncertain", "cust_space_id": SPACE, "phone_number": MIGRATING,
         "at": "2026-01-01T00:00:00Z", "detail": "verified; registration not confirmed"}]}))

    code, shown = world.plan(yaml_path)
    assert code == 0 and "register-migration" not in shown, shown
    code, results, shown = world.apply(yaml_path)  # nothing to do, and the settled entry is removed
    assert code == 0 and results == {}, shown
    assert world.journal_entries() == []
    assert _writes(world.audit).count("ChatappMigrationRegister") == 1


def test_a_verification_that_did_not_land_is_planned_again_and_its_code_is_never_sent_twice(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    yaml_path = _yaml(world.tmp_path, migration=True)
    held = world.handle.faults.hold("ChatappMigrationVerified", "before")
    held.release(drop=True)  # the connection closes before the request runs: the client cannot tell

    code, results, shown = world.apply(yaml_path)

    [result] = results.values()
    assert code == 1 and result["status"] == "failed", shown
    assert "did not land" in result["message"] and "NOT_VERIFIED" in result["message"]
    assert result["code"] == "VerifyCodeSpent" and "running apply again alone will not fix it" in shown
    assert world.journal_entries() == [("verifying", MIGRATING)]
    # the next plan reads the number's state and says what is left: the verification, with a new code
    code, shown = world.plan(yaml_path)
    assert code == 2 and "> verify-migration" in shown and "new code" in shown, shown
    code, results, shown = world.apply(yaml_path)
    [result] = results.values()
    assert code == 1 and result["status"] == "skipped" and "never sent twice" in result["message"], shown
    assert _writes(world.audit).count("ChatappMigrationVerified") == 1  # the spent code was not sent again
    # a new code is asked for (which clears the record); the owner reads it out; apply verifies with it
    code, _, err = world.cli("migration", "send-code", str(yaml_path), "--space", "uncertain", "--number",
                             f"+{MIGRATING}")
    assert code == 0 and "cleared" in err, err
    _new_code(world)
    # the operator has not replaced the variable yet: the spent code is recognised and not sent again
    code, results, shown = world.apply(yaml_path)
    [result] = results.values()
    assert code == 1 and result["status"] == "skipped" and "still holds the spent code" in result["message"], shown
    assert _writes(world.audit).count("ChatappMigrationVerified") == 1
    assert world.journal_entries() == [("spent", MIGRATING)]
    monkeypatch.setenv("CAMS_SECRET_UNCERTAIN_CODE", NEW_CODE)
    code, results, shown = world.apply(yaml_path)
    assert code == 0, shown
    assert world.number(MIGRATING)["Status"] == "CONNECTED"
    world.assert_converged(yaml_path)


def _new_code(world: World) -> None:
    """What the owner receives after send-code: a new code replaces the spent one (set behind the API)."""
    snap = world.handle.backend.snapshot()
    for entry in snap["spaces"][SPACE]["pending_migrations"]:
        entry["VerifyCode"] = NEW_CODE
    world.handle.reset(snap)


def test_no_code_is_sent_when_the_journal_cannot_record_it_first(
        world: World, emulator: Callable[..., Any], tmp_path: Path) -> None:
    yaml_path = _yaml(tmp_path, migration=True)
    desired = load_desired_state([str(yaml_path)])
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    journal = Journal(blocker / "journal.json")  # cannot be written: its parent is a file

    async def go() -> Any:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=world.handle.url, qps=100) as client:
            plan = await make_plan(client, desired, env={"CAMS_SECRET_UNCERTAIN_CODE": CODE})
            return await apply_plan(client, plan, desired, env={"CAMS_SECRET_UNCERTAIN_CODE": CODE}, journal=journal)

    report = asyncio.run(go())
    [result] = report.results
    assert result.outcome.value == "failed" and result.code == "JournalNotWritable", result.message
    assert "ChatappMigrationVerified" not in _writes(world.audit)
    assert CODE not in result.message


# -- a real apply process SIGKILLed at an exact point of verify → register --------------------------------------

#: (case id, the request held, where, what the next plan must show (None: no change), what the next apply
#: sends)
KILL_CASES: list[tuple[str, str, str, str | None, list[str]]] = [
    # the verification landed, its answer never arrived: verified, not registered
    ("after-verification", "ChatappMigrationVerified", "after", "> register-migration", ["ChatappMigrationRegister"]),
    # killed with the registration on the wire, before it ran
    ("before-registration", "ChatappMigrationRegister", "before", "> register-migration",
     ["ChatappMigrationRegister"]),
    # the registration landed, its answer never arrived: nothing left but the journal entry, settled by reading
    ("after-registration", "ChatappMigrationRegister", "after", None, []),
    # killed with the code on the wire, before it ran: the code may have been used; a new one is needed
    ("before-verification", "ChatappMigrationVerified", "before", "new code", []),
]


def _spawn(world: World, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CAMS_SECRET_UNCERTAIN_CODE": CODE,
           "ALIBABA_CLOUD_ACCESS_KEY_ID": "demo", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret"}
    env.pop("ALIBABA_CLOUD_SECURITY_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "reconciler", *argv, "--endpoint", world.handle.url,
                             "--journal", str(world.journal)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


@pytest.mark.parametrize("action, point, shows, then", [pytest.param(*c[1:], id=c[0]) for c in KILL_CASES])
def test_sigkill_anywhere_in_verify_then_register_leaves_a_record_the_next_plan_settles(
        world: World, action: str, point: str, shows: str | None, then: list[str]) -> None:
    yaml_path = _yaml(world.tmp_path, migration=True)
    held = world.handle.faults.hold(action, point)
    proc = _spawn(world, "apply", str(yaml_path), "--auto-approve")
    sigkill_at_hold(proc, held)
    break_the_killed_runs_lock(world.journal)
    # the intent was on disk before the code left
    assert world.journal_entries() == [("verifying", MIGRATING)]
    sent = _writes(world.audit)

    code, shown = world.plan(yaml_path)
    if shows is None:
        assert code == 0, shown
    else:
        assert code == 2 and shows in shown, shown
    code, results, out = world.apply(yaml_path)
    assert _writes(world.audit)[len(sent):] == then, out
    assert _writes(world.audit).count("ChatappMigrationVerified") == 1  # the code went out once, at most
    if action == "ChatappMigrationVerified" and point == "before":
        assert code == 1 and "never sent twice" in out, out
        assert world.journal_entries() == [("verifying", MIGRATING)]
        return
    assert code == 0, out
    assert world.number(MIGRATING)["Status"] == "CONNECTED"
    world.assert_converged(yaml_path)
