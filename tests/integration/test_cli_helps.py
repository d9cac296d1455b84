"""A CLI that helps: "did you mean" for commands, flags and choices; no internal helper in usage or errors;
Ctrl-C at apply's confirmation prompt exits 130 at once (a real pty, a real SIGINT from the terminal's
interrupt character); a closed stdout ends quietly with 141, as git does (a real pipe)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = str(REPO / "examples" / "emulator-state.yaml")


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 1
    return capsys.readouterr().err


@pytest.mark.parametrize(("argv", "meant"), [
    (["paln", SPACES], "did you mean plan?"),
    (["Drift", SPACES], "did you mean drift?"),
    (["plan", SPACES, "--detaild-exitcode"], "did you mean --detailed-exitcode?"),
    (["plan", SPACES, "--detailed"], "did you mean --detailed-exitcode?"),  # no abbreviation, but named
    (["drift", SPACES, "--format", "mardown"], "did you mean markdown?"),
    (["--verison"], "did you mean --version?"),
    (["apply", SPACES, "--auto-aprove"], "did you mean --auto-approve?"),
])
def test_a_typo_gets_the_word_it_probably_meant(capsys: pytest.CaptureFixture[str], argv: list[str],
                                               meant: str) -> None:
    err = usage_error(capsys, *argv)
    last = err.strip().splitlines()[-1]
    assert meant in last, err


def test_nothing_close_gets_no_guess_and_the_helper_is_never_listed(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "xyzzy")
    assert "did you mean" not in err and "__complete" not in err and "plan" in err
    assert "__complete" not in usage_error(capsys, "__compleat")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "__complete" not in capsys.readouterr().out


def test_drift_help_has_no_planning_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["drift", "--help"])
    text = capsys.readouterr().out
    for plan_only in ("--retry-sync", "--changed-since", "--force", "apply --plan", "plan only"):
        assert plan_only not in text, plan_only
    assert "check only this space" in text


def _cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *argv]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMS_RECONCILER_")}
    env.update(NO_COLOR="1", TERM="xterm")
    env.pop("ACME_MIGRATION_CODE", None)
    return env


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        if not ready:
            raise AssertionError(f"no {needle!r} within {timeout} s; got {seen.decode(errors='replace')!r}")
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            raise AssertionError(f"the process ended before {needle!r}: {seen.decode(errors='replace')!r}")
        seen += data
    return seen


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_at_the_confirmation_prompt_stops_at_once(how: str, tmp_path: Path) -> None:
    """The terminal's interrupt character (or a CI job's SIGTERM) at ``Enter a value:`` ends apply without
    waiting for Enter, before any write, with 130 (143)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the pty, its controlling terminal
        os.chdir(REPO)
        # a state store of its own: the lock is not the repository's, which another run may hold
        os.execvpe(sys.executable, _cli("apply", SPACES, "--emulator", STATE),
                   {**_env(), "CAMS_RECONCILER_STATE_STORE": f"dir:{tmp_path}"})
    try:
        _read_until(master, b"Enter a value:", timeout=60)
        if how == "ctrl-c":
            os.write(master, b"\x03")  # ^C: the line discipline sends SIGINT to the foreground process
        else:
            os.kill(pid, signal.SIGTERM)
        rest = b""
        deadline = time.monotonic() + 60  # waiting for Enter would be for ever
        status = None
        while status is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    rest += os.read(master, 65536)
                except OSError:
                    pass
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"apply still waits 60 s after {how}: {rest!r}")
        assert os.waitstatus_to_exitcode(status) == (130 if how == "ctrl-c" else 143), rest
        assert b"stopped before any write" in rest and b"Traceback" not in rest, rest
    finally:
        os.close(master)


@pytest.mark.parametrize(("argv", "codes"), [
    (["call", "QueryChatappPhoneNumbers", "--emulator", STATE, "CustSpaceId=293483938849001"], {141}),
    (["plan", SPACES, "--emulator", STATE], {141}),
    (["--help"], {0, 141}),  # argparse itself ignores a failed write of the help (then exits 0)
])
def test_a_closed_pipe_ends_quietly_with_141(argv: list[str], codes: set[int]) -> None:
    """The reader is gone before the first byte is written (``| head -0``, the worst case of ``| head
    -2``): no message, no traceback, 141 (128 + SIGPIPE, what git's status is)."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(_cli(*argv), stdout=write, stderr=subprocess.PIPE, env=_env(), cwd=REPO,
                              timeout=120, check=False)
    finally:
        os.close(write)
    stderr = proc.stderr.decode()
    assert proc.returncode in codes, stderr
    assert "Traceback" not in stderr and "Broken pipe" not in stderr and "Exception ignored" not in stderr, stderr
    assert "error" not in stderr, stderr


def test_head_two_of_a_long_output_is_quiet() -> None:
    """What a user types: ``... | head -2``. Exit 0 (the whole output fitted in the pipe) or 141, as git."""
    proc = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" | head -2 >/dev/null; echo "${PIPESTATUS[0]}" >&2',
                           "sh", *_cli("validate", "--print-schema")],
                          capture_output=True, env=_env(), cwd=REPO, timeout=60, check=False)
    stderr = proc.stderr.decode().strip().splitlines()
    assert stderr[-1] in ("0", "141") and len(stderr) == 1, stderr
