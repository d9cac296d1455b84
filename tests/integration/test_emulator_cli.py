"""``cams-reconciler emulator`` as a real process: prints its URL, serves, exits 0 on SIGTERM/SIGINT, and
refuses a bad state file with one ``error:`` line."""

from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", *args], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _first_line(proc: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            proc.kill()
            pytest.fail("the emulator printed nothing")
    return proc.stdout.readline()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_process_prints_url_serves_and_stops_cleanly(tmp_path, sig):
    proc = _start("--state", "examples/emulator-state.yaml", "--port", "0", "--audit-log", str(tmp_path / "a.log"))
    try:
        line = _first_line(proc)
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        resp = httpx.post(match[1] + "/", headers={"x-acs-action": "QueryChatappPhoneNumbers"})
        assert resp.status_code == 400 and resp.json()["Code"] == "IncompleteSignature"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err
    assert (tmp_path / "a.log").read_text().count("\n") == 1


def test_bad_state_file_is_one_error_line(tmp_path):
    state = tmp_path / "state.yaml"
    state.write_text("keys:\n  - access_key_id: demo\n    access_key_secret: s3cr3t-value\n    colour: blue\n")
    proc = _start("--state", str(state))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert f"{state}:4" in err and "colour" in err and "s3cr3t-value" not in err


def test_missing_state_file(tmp_path):
    proc = _start("--state", str(tmp_path / "nope.yaml"))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.startswith("error: ") and "no such file" in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "99999"], "argument --port: must be between 0 and 65535"),
    (["--port", "http"], "argument --port: not a whole number"),
    (["--audit-log", "/nonexistent-dir/audit.jsonl"], "error: cannot open the audit log /nonexistent-dir/audit.jsonl"),
])
def test_bad_port_or_audit_log_is_one_error_not_a_traceback(args, message, tmp_path):
    proc = _start("--state", "examples/emulator-state.yaml", *args)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and out == "" and message in err and "Traceback" not in err, err
