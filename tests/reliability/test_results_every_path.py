"""``apply --results FILE`` is written on every way out, complete and parseable, and says which writes the
API acknowledged. Real ``python -m reconciler`` processes against the emulator over loopback HTTP, real
signals, real pipes:

- a refusal and a desired state that does not load (status ``error``);
- SIGTERM and SIGINT before the writing phase (while the plan is still being read, and while printing it
  blocks on a full pipe): status ``interrupted``, nothing written, every write ``skipped``;
- a second SIGTERM with some writes acknowledged and others in flight: the acknowledged ones ``done``, the
  unanswered ones "may or may not have landed";
- SIGTERM while the final report is being printed, and a reader that closed its pipe: the file holds the
  final report.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers.reliability import emulator_state, number_entry

REPO = Path(__file__).resolve().parents[2]
SPACE = "293483938800777"
HOOKS = "https://hooks.paths.example"
RESULTS_SCHEMA = json.loads((REPO / "reconciler" / "schemas" / "results.schema.json").read_text())


def _phones(n: int) -> list[str]:
    return [f"86138005{i:05d}" for i in range(n)]


def _setup(emulator: Callable[..., Any], tmp_path: Path, n: int, profile: bool = False,
           **options: Any) -> tuple[Any, Path, Path]:
    phones = _phones(n)
    st = emulator_state({SPACE: {"subscribed": True, "phone_numbers": [
        number_entry(p, "https://old.paths.example/s", f"{HOOKS}/inbound") for p in phones]}})
    audit = tmp_path / "audit.jsonl"
    emu = emulator(st, qps=0, audit_log=audit, **options)
    extra = "        business_profile:\n          about: paths\n" if profile else ""
    numbers = "".join(f'      - phone_number: "+{p}"\n{extra}' for p in phones)
    yaml_path = tmp_path / "spaces.yaml"
    yaml_path.write_text(f"""version: 1
spaces:
  - name: paths
    cust_space_id: "{SPACE}"
    defaults:
      webhooks:
        status_callback_url: {HOOKS}/status
        up_callback_url: {HOOKS}/inbound
    numbers:
{numbers}""")
    return emu, yaml_path, audit


def _audit(audit: Path) -> list[dict[str, Any]]:
    if not audit.exists():
        return []
    return [json.loads(x) for x in audit.read_text().splitlines() if x.strip()]


def _spawn(emu: Any, *argv: str, stdout: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {**os.environ, "CAMS_RECONCILER_ENDPOINT": emu.url, "PYTHONUNBUFFERED": "1",
           "ALIBABA_CLOUD_ACCESS_KEY_ID": "demo", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret"}
    env.pop("ALIBABA_CLOUD_SECURITY_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "reconciler", *argv], cwd=REPO, env=env, stdout=stdout,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def _wait(proc: subprocess.Popen[str], what: str, cond: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert proc.poll() is None, f"exited before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


def _stdout_full(proc: subprocess.Popen[str]) -> bool:
    """The run is blocked printing: its stdout pipe, which nobody reads, is full (Linux: the bytes queued in
    it reach its capacity)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    queued = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    return bool(queued >= fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ))


def _landed(emu: Any) -> int:
    """How many numbers have the new status webhook in the emulator's state (a write lands on arrival)."""
    numbers = emu.backend.snapshot()["spaces"][SPACE]["phone_numbers"]
    return sum(n.get("StatusCallbackUrl") == f"{HOOKS}/status" for n in numbers)


def _stderr_until(proc: subprocess.Popen[str], text: str) -> str:
    """The run's stderr up to and including the line that holds ``text`` (the run printed it)."""
    assert proc.stderr is not None
    seen = ""
    while text not in seen:
        line = proc.stderr.readline()
        assert line, f"the run ended without saying {text!r}: {seen}"
        seen += line
    return seen


def _finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return out or "", err or ""


def _report(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text())
    jsonschema.validate(report, RESULTS_SCHEMA)
    return report


def _writes(audit: Path) -> list[dict[str, Any]]:
    return [e for e in _audit(audit) if e["action"] == "UpdatePhoneWebhook"]


def test_a_refusal_writes_the_results_file_with_every_write_skipped(emulator: Any, tmp_path: Path) -> None:
    emu, yaml_path, audit = _setup(emulator, tmp_path, 3)
    results = tmp_path / "results.json"
    proc = _spawn(emu, "apply", str(yaml_path), "--results", str(results))  # no --auto-approve, no terminal
    out, err = _finish(proc)
    assert proc.returncode == 1 and "Traceback" not in err
    report = _report(results)
    assert report["status"] == "error" and "confirmation" in report["error"]
    assert [r["status"] for r in report["results"]] == ["skipped"] * 3
    assert not _writes(audit)


def test_a_desired_state_that_does_not_load_still_writes_the_results_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nspaces: [\n")
    results = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "reconciler", "apply", str(bad), "--auto-approve", "--results",
                           str(results), "--endpoint", "http://127.0.0.1:9"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = _report(results)
    assert report["status"] == "error" and report["results"] == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_planning_writes_the_results_file(emulator: Any, tmp_path: Path,
                                                         sig: signal.Signals) -> None:
    # the profile reads start once the space's numbers are read: the emulator holds the first one
    emu, yaml_path, audit = _setup(emulator, tmp_path, 3, profile=True)
    held = emu.faults.hold("QueryPhoneBusinessProfile", "before")
    results = tmp_path / "results.json"
    proc = _spawn(emu, "apply", str(yaml_path), "--auto-approve", "--results", str(results))
    try:
        _wait(proc, "a profile read", held.arrived.is_set)
        proc.send_signal(sig)
    finally:
        held.release()
    out, err = _finish(proc)
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and "stopped before any write" in err
    report = _report(results)
    assert report["status"] == "interrupted" and report["interrupted_by"] == sig.name
    assert not _writes(audit)


def test_sigterm_while_the_plan_print_blocks_writes_nothing_and_records_every_write_skipped(
        emulator: Any, tmp_path: Path) -> None:
    emu, yaml_path, audit = _setup(emulator, tmp_path, 600)  # a plan of > 64 KiB: stdout fills, nobody reads
    results = tmp_path / "results.json"
    proc = _spawn(emu, "apply", str(yaml_path), "--auto-approve", "--force", "--results", str(results))
    _wait(proc, "the plan's print blocked on the full pipe", lambda: _stdout_full(proc), timeout=120)
    proc.send_signal(signal.SIGTERM)
    out, err = _finish(proc)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    report = _report(results)
    assert report["status"] == "interrupted"
    assert len(report["results"]) == 600 and {r["status"] for r in report["results"]} == {"skipped"}
    assert not _writes(audit)


def test_second_sigterm_reports_acknowledged_writes_done_and_unanswered_ones_as_unknown(
        emulator: Any, tmp_path: Path) -> None:
    emu, yaml_path, audit = _setup(emulator, tmp_path, 12, latency_ms=1500)
    results = tmp_path / "results.json"
    # 12 writes, 8 at a time: the first 8 are answered while the last 4 are still held by the emulator
    proc = _spawn(emu, "apply", str(yaml_path), "--auto-approve", "--force", "--qps", "50",
                  "--results", str(results))
    _wait(proc, "the first answered writes", lambda: len(_writes(audit)) >= 8, timeout=90)
    # a write lands before the emulator's latency holds its answer: all 12 landed, the last 4 unanswered
    _wait(proc, "the last writes", lambda: _landed(emu) == 12)
    proc.send_signal(signal.SIGTERM)
    said = _stderr_until(proc, "starting no new write")  # the first is in: the second is a second one
    proc.send_signal(signal.SIGTERM)
    out, err = _finish(proc)
    err = said + err
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    report = _report(results)
    answered = {e["parameters"]["PhoneNumber"] for e in _writes(audit) if e["http_status"] == 200}
    by_phone = {r["phone_number"]: r for r in report["results"]}
    done = {p for p, r in by_phone.items() if r["status"] == "done"}
    assert done and done <= answered, (done, answered)
    assert all("acknowledged" in by_phone[p]["message"] for p in done)
    unknown = [r for r in report["results"] if "may or may not have landed" in r["message"]]
    assert unknown and len(done) + len(unknown) == 12


def test_sigterm_while_the_final_report_prints_leaves_the_final_results(emulator: Any, tmp_path: Path) -> None:
    emu, yaml_path, audit = _setup(emulator, tmp_path, 300)  # --format json prints only at the end
    results = tmp_path / "results.json"
    proc = _spawn(emu, "apply", str(yaml_path), "--auto-approve", "--force", "--qps", "1000",
                  "--format", "json", "--results", str(results))
    _wait(proc, "the results file", results.exists, timeout=120)
    _wait(proc, 'the print of {"plan", "apply"} blocked on the full pipe', lambda: _stdout_full(proc))
    proc.send_signal(signal.SIGTERM)
    out, err = _finish(proc)
    assert proc.returncode == 143 and "Traceback" not in err
    report = _report(results)
    assert report["status"] == "converged" and report["counts"]["done"] == 300


def test_a_closed_output_pipe_leaves_the_final_results(emulator: Any, tmp_path: Path) -> None:
    emu, yaml_path, audit = _setup(emulator, tmp_path, 3)
    results = tmp_path / "results.json"
    read_end, write_end = os.pipe()
    os.close(read_end)  # whoever was reading is gone
    try:
        proc = _spawn(emu, "apply", str(yaml_path), "--auto-approve", "--format", "json",
                      "--results", str(results), stdout=write_end)
    finally:
        os.close(write_end)
    out, err = _finish(proc)
    assert "Traceback" not in err
    assert _report(results)["status"] == "converged"
