"""Colour and live progress on a terminal, nothing of either in a pipe (the commands run on real ptys).

Colour goes to stdout only when it is a terminal, and never with ``NO_COLOR`` or ``--no-color`` or
``TERM=dumb``; the progress line goes to stderr only when it is a terminal (not ``TERM=dumb``), for every
long phase: plan's and drift's reads, apply's planning, its check of a saved plan, and its writes and
re-reads.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = str(REPO / "examples" / "emulator-state.yaml")
ESC = "\033["


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CAMS_RECONCILER_LOG")}
    env.update({"TERM": "xterm-256color", **extra})
    return env


def run_on_pty(argv: list[str], **env: str) -> tuple[int, str, str]:
    """Run the CLI with stdout and stderr each on its own pseudo-terminal; return (code, stdout, stderr)."""
    out_master, out_slave = os.openpty()
    err_master, err_slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *argv], stdin=subprocess.DEVNULL,
                            stdout=out_slave, stderr=err_slave, env=_env(**env), cwd=REPO)
    os.close(out_slave)
    os.close(err_slave)
    chunks: dict[int, list[bytes]] = {out_master: [], err_master: []}
    open_fds = {out_master, err_master}
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 30)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 30 s")
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other side is closed
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                open_fds.discard(fd)
                os.close(fd)
    code = proc.wait(timeout=30)
    decode = lambda fd: b"".join(chunks[fd]).decode().replace("\r\n", "\n")  # noqa: E731 - the pty's newlines
    return code, decode(out_master), decode(err_master)


def run_piped(argv: list[str], **env: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "reconciler", *argv], capture_output=True, text=True,
                          env=_env(**env), cwd=REPO, stdin=subprocess.DEVNULL, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_plan_on_a_terminal_is_coloured_with_progress_on_stderr() -> None:
    code, out, err = run_on_pty(["plan", SPACES, "--emulator", STATE])
    assert code == 0, err
    assert f"{ESC}32m+{ESC}0m sync (space) numbers" in out  # green create
    assert f"{ESC}33m~{ESC}0m update-webhook 8613800001235" in out  # yellow update
    assert f"{ESC}1mPlan: 1 to sync" in out  # the summary stands out
    assert "\rreading spaces: 0/3" in err and "\rreading spaces: 3/3" in err
    assert err.endswith(f"\r{ESC}K")  # the progress line is erased when the phase ends


@pytest.mark.parametrize(("argv", "env"), [
    (["plan", SPACES, "--emulator", STATE], {"NO_COLOR": "1"}),
    (["plan", SPACES, "--emulator", STATE, "--no-color"], {}),
    (["--no-color", "drift", SPACES, "--emulator", STATE], {}),
])
def test_no_color_and_the_flag_turn_colour_off_on_a_terminal(argv, env) -> None:
    _, out, err = run_on_pty(argv, **env)
    assert ESC not in out and "Symbols:" in out
    assert "\rreading spaces:" in err  # colour is off, the progress line is not


def test_a_dumb_terminal_gets_neither() -> None:
    _, out, err = run_on_pty(["plan", SPACES, "--emulator", STATE], TERM="dumb")
    assert ESC not in out and ESC not in err and "\r" not in err


@pytest.mark.parametrize("argv", [
    ["plan", SPACES, "--emulator", STATE], ["drift", SPACES, "--emulator", STATE],
    ["apply", SPACES, "--emulator", STATE, "--auto-approve"],
])
def test_pipes_get_plain_text(argv) -> None:
    _, out, err = run_piped(argv)
    assert ESC not in out and ESC not in err and "\r" not in err and "Calls:" in out


def test_apply_shows_progress_for_planning_and_for_writes_and_re_reads() -> None:
    _, out, err = run_on_pty(["apply", SPACES, "--emulator", STATE, "--auto-approve"])
    assert "\rplanning: reading spaces: 3/3" in err
    assert "\rwriting and verifying: changes finished: 0/" in err
    assert "done     acme-retail/*/sync" in err  # each finished change, kept above the live line
    assert err.endswith(f"\r{ESC}K")


def test_apply_of_a_saved_plan_shows_its_check(tmp_path: Path) -> None:
    plan = str(tmp_path / "plan.json")
    assert run_piped(["plan", SPACES, "--emulator", STATE, "--out", plan, "--target", "globex-support"])[0] == 0
    code, _, err = run_on_pty(["apply", SPACES, "--emulator", STATE, "--plan", plan, "--target", "globex-support"])
    assert code == 0, err
    assert "\rchecking the saved plan: reading spaces: 1/1" in err


@pytest.mark.parametrize(("argv", "line"), [
    (["validate", SPACES], "\rvalidating " + SPACES),
    (["import", "--space-id", "293483938849003", "--name", "globex", "--emulator", STATE], "\rreading space 293483938849003"),
    (["call", "QueryChatappPhoneNumbers", "CustSpaceId=293483938849003", "--emulator", STATE],
     "\rcalling QueryChatappPhoneNumbers"),
])
def test_every_other_long_phase_shows_progress_on_a_terminal_only(argv, line) -> None:
    code, _, err = run_on_pty(argv)
    assert code == 0, err
    assert line in err, err
    assert f"\r{ESC}K" in err[err.rindex(line):]  # erased once the phase ended
    _, _, piped = run_piped(argv)
    assert "\r" not in piped and ESC not in piped
