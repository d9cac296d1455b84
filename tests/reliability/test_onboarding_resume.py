"""Onboarding a brand-new number, interrupted at every step, resumes without a second code.

A real ``python -m reconciler apply`` process is SIGKILLed at an exact point (the emulator holds the request
before it runs, or after it landed: ``faults.hold``), then the next plan and apply finish the job. The
witnesses: the emulator's hook of the codes it "sent" (a code is asked for at most once per need), its audit
log (each write sent once), the journal (a record while something is unsettled, empty once done), and the
final plan (empty).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
SPACE = "293483938800951"
PRESENT, NEW = "6581110040", "6581110042"
VAR = "CAMS_SECRET_ONBOARD_CODE"
HOOK = "https://hooks.onboard.example/status"


def _yaml(tmp_path: Path) -> Path:
    path = tmp_path / "spaces.yaml"
    path.write_text(f"""version: 1
spaces:
  - name: onboard
    cust_space_id: "{SPACE}"
    numbers:
      - phone_number: "+{PRESENT}"
      - phone_number: "+{NEW}"
        onboarding: {{display_name: Acme Singapore, verify_code_env: {VAR}}}
        webhooks: {{status_callback_url: {HOOK}}}
        username: acme.sg
""")
    return path


def _audit(path: Path) -> list[str | None]:
    """The write actions the emulator logged, refused attempts included."""
    return [e.action for e in AuditReader(path).all() if e.is_write]


class World:
    def __init__(self, emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.audit = tmp_path / "audit.jsonl"
        state = emulator_state({SPACE: {"subscribed": True, "phone_numbers": [number_entry(PRESENT, None, None)]}})
        self.handle = emulator(state, qps=0, audit_log=self.audit)
        self.journal = tmp_path / "journal.json"
        self.results = tmp_path / "results.json"
        self.tmp_path, self.capsys, self.monkeypatch = tmp_path, capsys, monkeypatch
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
        monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
        monkeypatch.delenv(VAR, raising=False)
        self.yaml = _yaml(tmp_path)

    def cli(self, *argv: str) -> tuple[int, str]:
        code, out, err = run_cli(self.capsys, *argv, "--endpoint", self.handle.url, "--journal", str(self.journal))
        return code, out + err

    def plan(self) -> tuple[int, str]:
        return self.cli("plan", str(self.yaml), "--detailed-exitcode")

    def apply(self) -> tuple[int, str]:
        return self.cli("apply", str(self.yaml), "--auto-approve", "--results", str(self.results))

    def codes(self) -> list[str]:
        return [s["Code"] for s in self.handle.backend.sent_verify_codes(SPACE, NEW)]

    def number(self) -> dict[str, Any] | None:
        return next((n for n in self.handle.backend.snapshot()["spaces"][SPACE]["phone_numbers"]
                     if n["PhoneNumber"] == NEW), None)

    def entries(self) -> list[tuple[str, str]]:
        return journal_entries(self.journal)

    def finish(self) -> None:
        """Set the variable to the last code sent, apply, and prove the number is in and nothing is left."""
        self.monkeypatch.setenv(VAR, self.codes()[-1])
        code, shown = self.apply()
        assert code == 0, shown
        number = self.number()
        assert number is not None and (number["Status"], number["CodeVerificationStatus"]) == ("CONNECTED",
                                                                                              "VERIFIED")
        assert number.get("StatusCallbackUrl") == HOOK
        snap = self.handle.backend.snapshot()["spaces"][SPACE]
        assert snap["usernames"][NEW]["Username"] == "acme.sg"
        code, shown = self.plan()
        assert code == 0, shown
        assert self.entries() == [], "a settled entry stays in the journal"


@pytest.fixture
def world(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> World:
    return World(emulator, tmp_path, monkeypatch, capsys)


def test_the_whole_loop_one_reviewed_step_at_a_time(world: World) -> None:
    code, shown = world.plan()
    assert code == 2 and "+ add-number" in shown and "+ request-code" not in shown, shown
    assert world.apply()[0] == 0
    assert (world.number() or {}).get("Status") == "PENDING" and world.codes() == []
    code, shown = world.plan()
    assert code == 2 and "request-code" in shown, shown
    assert world.apply()[0] == 0
    assert len(world.codes()) == 1 and world.entries() == [("code-requested", NEW)]
    # the plan says what the operator must do; apply sends nothing until the variable is set
    code, shown = world.plan()
    assert code == 2 and f"set ${VAR}: the code was sent by SMS (en_US)" in shown, shown
    code, shown = world.apply()
    assert len(world.codes()) == 1 and "ChatappVerifyAndRegister" not in _audit(world.audit), shown
    world.finish()
    assert len(world.codes()) == 1 and _audit(world.audit).count("ChatappVerifyAndRegister") == 1


def _drive(world: World) -> None:
    """Apply step after step, as an operator would (the variable set to the last code that arrived)."""
    for _ in range(5):
        number = world.number()
        if number is not None and number["Status"] == "CONNECTED":
            return
        if world.codes():
            world.monkeypatch.setenv(VAR, world.codes()[-1])
        world.handle.backend.advance_template_clock(61)
        world.apply()


def test_a_wrong_code_is_never_sent_again_and_the_plan_asks_for_a_new_one(world: World) -> None:
    world.apply()
    world.apply()
    world.monkeypatch.setenv(VAR, "000000" if world.codes()[0] != "000000" else "111111")
    code, shown = world.apply()
    assert code == 1 and "VerifyCodeError" in shown, shown
    code, shown = world.plan()
    assert code == 2 and "request-code" in shown and "was used" in shown, shown
    world.handle.backend.advance_template_clock(61)  # the platform takes another code request after a minute
    code, shown = world.apply()  # the new code is asked for; the used one is not sent again
    assert code == 0 and len(world.codes()) == 2, shown
    assert _audit(world.audit).count("ChatappVerifyAndRegister") == 1
    world.finish()


def _spawn(world: World, env_code: str | None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ALIBABA_CLOUD_ACCESS_KEY_ID": "demo",
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret"}
    env.pop("ALIBABA_CLOUD_SECURITY_TOKEN", None)
    env.pop(VAR, None)
    if env_code is not None:
        env[VAR] = env_code
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(world.yaml), "--auto-approve",
                             "--endpoint", world.handle.url, "--journal", str(world.journal)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


#: (case id, the request held, where, the journal the kill leaves, the codes sent by then, the codes sent
#: once finished)
KILL_CASES = [
    ("before-add", "AddChatappPhoneNumber", "before", [], 0, 1),
    ("after-add", "AddChatappPhoneNumber", "after", [], 0, 1),
    ("before-code-request", "GetChatappVerifyCode", "before", [("code-requested", NEW)], 0, 1),
    ("after-code-request", "GetChatappVerifyCode", "after", [("code-requested", NEW)], 1, 1),
    ("before-verification", "ChatappVerifyAndRegister", "before", [("onboard-verifying", NEW)], 1, 2),
    ("after-verification", "ChatappVerifyAndRegister", "after", [("onboard-verifying", NEW)], 1, 1),
]


@pytest.mark.parametrize("action, point, left, sent_then, sent_at_end", [pytest.param(*c[1:], id=c[0])
                                                                          for c in KILL_CASES])
def test_sigkill_at_every_step_resumes_without_a_second_code(
        world: World, action: str, point: str, left: list[tuple[str, str]], sent_then: int,
        sent_at_end: int) -> None:
    env_code: str | None = None
    if action != "AddChatappPhoneNumber":  # get to the step first
        assert world.apply()[0] == 0
    if action == "ChatappVerifyAndRegister":
        assert world.apply()[0] == 0
        env_code = world.codes()[-1]
    held = world.handle.faults.hold(action, point)
    proc = _spawn(world, env_code)
    sigkill_at_hold(proc, held)
    break_the_killed_runs_lock(world.journal)
    assert world.entries() == left
    assert len(world.codes()) == sent_then
    if action == "GetChatappVerifyCode" and point == "before":
        # the request never ran, but the record says a code may be on its way: never a second one unasked;
        # the operator asks for one (onboarding send-code), as the plan says
        code, shown = world.plan()
        assert code == 2 and f"set ${VAR}" in shown, shown
        world.handle.backend.advance_template_clock(61)
        code, shown = world.cli("onboarding", "send-code", str(world.yaml), "--space", "onboard",
                                "--number", f"+{NEW}")
        assert code == 0, shown
    _drive(world)
    world.finish()
    assert len(world.codes()) == sent_at_end
    assert _audit(world.audit).count("ChatappVerifyAndRegister") <= 2
    code, shown = world.plan()
    assert code == 0, shown
