"""The file rules (``reconciler/files.py``, and the emulator's copy in ``emulator/state.py``), through the
real CLI as ``python -m reconciler`` processes with a timeout, so a hang is a failure and not a stuck suite:

- inputs: a FIFO, ``/dev/zero``, a directory given as a file, an oversized (sparse) file, a billion-laughs
  state file: a clear ``error:`` line, exit 1, within seconds;
- outputs: ``--out``/``--results`` naming the input YAML, the state file, the reviewed plan or the journal,
  a symbolic link, a FIFO, a device, ``-`` or ``/dev/stdout``: refused before any work, the target untouched;
- the journal: corrupt, a FIFO or a symbolic link: refused by plan and apply, left as it is;
- numeric options out of range (``--qps 1e-300``, ``nan``, ``inf``): a usage error, at once;
- a new output file's mode comes from the umask.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SPACES = REPO / "examples" / "spaces"
EXAMPLE_STATE = REPO / "examples" / "emulator-state.yaml"
TIMEOUT = 30  # seconds: every case answers in well under one; reaching this is a hang


def run(*argv: str, cwd: Path = REPO, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": "demo", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret"}
    env.pop("CAMS_RECONCILER_ENDPOINT", None)

    def preexec() -> None:
        if umask is not None:
            os.umask(umask)

    try:
        return subprocess.run([sys.executable, "-m", "reconciler", *argv], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, preexec_fn=preexec)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: {' '.join(argv)} did not finish in {TIMEOUT} s")


def assert_clear(proc: subprocess.CompletedProcess[str], phrase: str, code: int = 1) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert phrase in proc.stderr, proc.stderr


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


@pytest.fixture
def sparse(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # no blocks on disk; over every input limit
    return path


def billion_laughs(path: Path) -> Path:
    lines = ['keys: [{access_key_id: a, access_key_secret: b}]', "x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines.append("spaces: {'1': {phone_numbers: *l9}}")
    path.write_text("\n".join(lines) + "\n")
    return path


# -- inputs ------------------------------------------------------------------------------------------------

#: (case id, how to build the input, the command that reads it as a given path, the phrase the error says)
INPUT_CASES = ["fifo", "dev-zero", "directory", "oversized"]


def _input(kind: str, tmp_path: Path, fifo: Path, sparse: Path) -> Path:
    return {"fifo": fifo, "dev-zero": Path("/dev/zero"), "directory": tmp_path, "oversized": sparse}[kind]


PHRASES = {"fifo": "FIFO", "dev-zero": "a device", "directory": "directory", "oversized": "over the limit"}


@pytest.mark.parametrize("kind", INPUT_CASES)
def test_a_saved_plan_that_is_not_a_regular_file_is_refused_without_hanging(
        kind: str, tmp_path: Path, fifo: Path, sparse: Path) -> None:
    path = _input(kind, tmp_path, fifo, sparse)
    assert_clear(run("show", str(path)), PHRASES[kind])
    assert_clear(run("apply", str(EXAMPLE_SPACES), "--plan", str(path), "--emulator", str(EXAMPLE_STATE)),
                 PHRASES[kind])


@pytest.mark.parametrize("kind", INPUT_CASES)
def test_a_state_file_that_is_not_a_regular_file_is_refused_without_hanging(
        kind: str, tmp_path: Path, fifo: Path, sparse: Path) -> None:
    path = _input(kind, tmp_path, fifo, sparse)
    assert_clear(run("plan", str(EXAMPLE_SPACES), "--emulator", str(path)), PHRASES[kind])
    assert_clear(run("emulator", "--state", str(path)), PHRASES[kind])


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "oversized"])
def test_a_desired_state_file_that_is_not_a_regular_file_is_refused_without_hanging(
        kind: str, tmp_path: Path, fifo: Path, sparse: Path) -> None:
    path = _input(kind, tmp_path, fifo, sparse)
    proc = run("validate", str(path))
    assert_clear(proc, PHRASES[kind])
    assert str(path) in proc.stderr  # the message names the file


def test_a_billion_laughs_state_file_is_refused_at_once(tmp_path: Path) -> None:
    path = billion_laughs(tmp_path / "laughs.yaml")
    assert_clear(run("emulator", "--state", str(path)), "aliases expand to more than")
    assert_clear(run("plan", str(EXAMPLE_SPACES), "--emulator", str(path)), "aliases expand to more than")


JOURNAL_CASES = ["corrupt", "fifo", "symlink"]
JOURNAL_PHRASES = {"corrupt": ":3:1: not a cams-reconciler journal: invalid JSON", "fifo": "FIFO",
                   "symlink": "symbolic link"}


@pytest.mark.parametrize("kind", JOURNAL_CASES)
def test_a_journal_that_is_not_a_valid_one_is_refused_and_left_as_it_is(kind: str, tmp_path: Path) -> None:
    """The journal is an input of plan and apply (and apply writes it back): a bad one stops the run with
    one line naming it, before any call, and is never replaced (its entries may be the only record of a
    spent verify code)."""
    journal = tmp_path / "journal.json"
    kept = tmp_path / "kept.json"
    if kind == "corrupt":
        journal.write_text('{"format_version": 1,\n  "entries": [\n')
    elif kind == "fifo":
        os.mkfifo(journal)
    else:
        kept.write_text('{"format_version": 1, "entries": []}\n')
        journal.symlink_to(kept)
    before = journal.read_bytes() if kind == "corrupt" else None
    for argv in (["plan", str(EXAMPLE_SPACES)], ["apply", str(EXAMPLE_SPACES), "--auto-approve"]):
        proc = run(*argv, "--emulator", str(EXAMPLE_STATE), "--journal", str(journal))
        assert_clear(proc, JOURNAL_PHRASES[kind])
        assert str(journal) in proc.stderr
        assert "update-webhook" not in proc.stdout  # stopped before planning, so before any write
    if before is not None:
        assert journal.read_bytes() == before
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(journal).st_mode)
    if kind == "symlink":
        assert journal.is_symlink() and kept.read_text() == '{"format_version": 1, "entries": []}\n'


# -- outputs -----------------------------------------------------------------------------------------------

@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "spaces.yaml").write_text((EXAMPLE_SPACES / "acme-retail.yaml").read_text())
    (tmp_path / "state.yaml").write_text(EXAMPLE_STATE.read_text())
    return tmp_path


def _untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before


@pytest.mark.parametrize("target", ["spaces.yaml", "state.yaml"])
def test_plan_out_never_replaces_an_input_of_the_run(workdir: Path, target: str) -> None:
    path = workdir / target
    before = path.read_bytes()
    proc = run("plan", "spaces.yaml", "--emulator", "state.yaml", "--out", target, cwd=workdir)
    assert_clear(proc, "it is an input of this run")
    _untouched(path, before)


def test_plan_out_never_replaces_a_yaml_file_inside_a_given_directory(workdir: Path) -> None:
    (workdir / "repo").mkdir()
    (workdir / "spaces.yaml").rename(workdir / "repo" / "spaces.yaml")
    before = (workdir / "repo" / "spaces.yaml").read_bytes()
    proc = run("plan", "repo", "--emulator", "state.yaml", "--out", "repo/spaces.yaml", cwd=workdir)
    assert_clear(proc, "it is an input of this run")
    _untouched(workdir / "repo" / "spaces.yaml", before)


def test_apply_results_never_replace_the_reviewed_plan(workdir: Path) -> None:
    made = run("plan", "spaces.yaml", "--emulator", "state.yaml", "--out", "plan.json", cwd=workdir)
    assert made.returncode in (0, 2), made.stderr
    before = (workdir / "plan.json").read_bytes()
    for target in ("plan.json", "spaces.yaml", "state.yaml"):
        proc = run("apply", "spaces.yaml", "--plan", "plan.json", "--emulator", "state.yaml", "--results", target,
                   cwd=workdir)
        assert_clear(proc, "it is an input of this run")
    _untouched(workdir / "plan.json", before)


def test_outputs_are_never_written_through_a_symlink_fifo_or_device(workdir: Path) -> None:
    victim = workdir / "victim.txt"
    victim.write_text("keep me\n")
    (workdir / "link.json").symlink_to(victim)
    os.mkfifo(workdir / "fifo.json")
    cases = {"link.json": "symbolic link", "fifo.json": "FIFO", "/dev/null": "a device"}
    for target, phrase in cases.items():
        assert_clear(run("plan", "spaces.yaml", "--emulator", "state.yaml", "--out", target, cwd=workdir), phrase)
        assert_clear(run("apply", "spaces.yaml", "--emulator", "state.yaml", "--auto-approve", "--results", target,
                         cwd=workdir), phrase)
    assert victim.read_text() == "keep me\n"
    assert (workdir / "link.json").is_symlink() and stat.S_ISFIFO(os.lstat(workdir / "fifo.json").st_mode)


STREAM_CASES = {"/dev/stdout": "it is a standard stream", "-": "takes a file name"}


def test_outputs_are_files_never_a_standard_stream_nor_the_journal(workdir: Path) -> None:
    """``--out /dev/stdout`` and ``--out -`` are refused (``plan --format json`` prints the plan document on
    stdout); an output that is the journal is refused too, even before the journal exists."""
    for target, phrase in STREAM_CASES.items():
        assert_clear(run("plan", "spaces.yaml", "--emulator", "state.yaml", "--out", target, cwd=workdir), phrase)
        assert_clear(run("apply", "spaces.yaml", "--emulator", "state.yaml", "--auto-approve", "--results", target,
                         cwd=workdir), phrase)
    assert not (workdir / "-").exists()
    journal = workdir / "state" / "journal.json"  # not there yet: apply would write both to one path
    assert_clear(run("apply", "spaces.yaml", "--emulator", "state.yaml", "--auto-approve", "--journal", str(journal),
                     "--results", "state/journal.json", cwd=workdir), "it is an input of this run")
    assert not journal.exists()
    journal.parent.mkdir()
    journal.write_text('{"format_version": 1, "entries": []}\n')
    assert_clear(run("plan", "spaces.yaml", "--emulator", "state.yaml", "--journal", str(journal),
                     "--out", "state/journal.json", cwd=workdir), "it is an input of this run")
    assert journal.read_text() == '{"format_version": 1, "entries": []}\n'


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_output_file_gets_its_mode_from_the_umask(workdir: Path, umask: int, mode: int) -> None:
    proc = run("plan", "spaces.yaml", "--emulator", "state.yaml", "--out", "plan.json", cwd=workdir, umask=umask)
    assert proc.returncode in (0, 2), proc.stderr
    assert stat.S_IMODE(os.stat(workdir / "plan.json").st_mode) == mode


def test_an_existing_output_file_keeps_its_mode(workdir: Path) -> None:
    out = workdir / "plan.json"
    out.write_text("{}")
    out.chmod(0o640)
    proc = run("plan", "spaces.yaml", "--emulator", "state.yaml", "--out", "plan.json", cwd=workdir, umask=0o022)
    assert proc.returncode in (0, 2), proc.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640 and out.read_text() != "{}"


# -- numeric options ---------------------------------------------------------------------------------------

NUMERIC_CASES = [
    ("plan", "--qps", "1e-300"), ("plan", "--qps", "nan"), ("plan", "--qps", "inf"), ("plan", "--qps", "0"),
    ("plan", "--qps", "-5"), ("plan", "--qps", "1e308"),
    ("emulator", "--qps", "1e-300"), ("emulator", "--latency-ms", "1e12"), ("emulator", "--latency-ms", "nan"),
    ("emulator", "--latency-spike-ms", "inf"), ("emulator", "--fault-rate", "nan"), ("emulator", "--port", "70000"),
]


@pytest.mark.parametrize(("command", "option", "value"), NUMERIC_CASES)
def test_numeric_options_are_range_checked_at_once(command: str, option: str, value: str) -> None:
    argv = ([command, str(EXAMPLE_SPACES), "--emulator", str(EXAMPLE_STATE)] if command == "plan"
            else [command, "--state", str(EXAMPLE_STATE)])
    proc = run(*argv, f"{option}={value}")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"argument {option}" in proc.stderr, proc.stderr
