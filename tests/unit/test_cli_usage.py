"""The command line's own edges: usage errors, early refusals of bad arguments, output files that cannot
be written, and the live progress line on terminals that cannot draw it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cli.plan import live_terminal
from reconciler.files import OutputFileError, check_writable, write_atomically

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [
    ["drift", "spaces", "--frmat", "markdown"],               # a typo in a scheduled drift job
    ["plan", "spaces", "--detailed-exitcode", "--qps", "0"],
    ["plann", "spaces"],
])
def test_a_usage_error_exits_1_never_2_which_means_changes(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 1
    assert "error:" in capsys.readouterr().err


def test_help_still_exits_0(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["drift", "--help"])
    assert exc.value.code == 0 and "usage:" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--space-id", "1", "--name", "Acme Retail"], "argument --name: 'Acme Retail' must be lowercase"),
    (["--space-id", "29348x", "--name", "acme"], "argument --space-id: '29348x' must be the space id as digits"),
])
def test_import_refuses_a_name_or_id_the_yaml_cannot_carry_before_any_call(argv, message, capsys,
                                                                             monkeypatch) -> None:
    monkeypatch.setenv("CAMS_RECONCILER_ENDPOINT", "http://127.0.0.1:1")  # nothing listens: no call may happen
    with pytest.raises(SystemExit) as exc:
        main(["import", *argv])
    out, err = capsys.readouterr()
    assert exc.value.code == 1 and out == "" and message in err


def test_output_file_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match=f"cannot write {tmp_path}: it is a directory"):
        check_writable(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputFileError, match="cannot write .*file/plan.json"):
        write_atomically(blocker / "plan.json", "{}")
    check_writable(tmp_path / "new" / "plan.json")  # a folder still to be made is fine


def test_plan_out_to_a_directory_fails_before_reading(tmp_path: Path, example_state_path, capsys) -> None:
    code = main(["plan", str(REPO / "examples" / "spaces"), "--emulator", str(example_state_path),
                 "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and err == f"error: cannot write {tmp_path}: it is a directory\n"


def test_apply_results_to_a_directory_refuses_before_any_write(tmp_path: Path, emulator, monkeypatch,
                                                              capsys) -> None:
    emu = emulator()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.credentials[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.credentials[1])
    before = emu.backend.snapshot()
    code = main(["apply", str(REPO / "examples" / "spaces"), "--endpoint", emu.url, "--auto-approve",
                 "--results", str(tmp_path)])
    assert code == 1 and capsys.readouterr().err == f"error: cannot write {tmp_path}: it is a directory\n"
    assert emu.backend.snapshot() == before  # nothing written whose record would have been lost


class _FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("term", "live"), [("xterm-256color", True), ("dumb", False)])
def test_no_live_progress_line_on_a_dumb_terminal(term, live, monkeypatch) -> None:
    monkeypatch.setenv("TERM", term)
    assert live_terminal(_FakeTty()) is live
    assert live_terminal(io.StringIO()) is False
