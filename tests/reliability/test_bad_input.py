"""Bad input never ends in a traceback: every file of the corpus (``corpus/``, built by
``corpus/build_corpus.py``) run through the real CLI gives a clear ``error:`` message naming the file, and
exit 1.

- ``corpus/desired``: malformed desired-state YAML → ``validate`` and ``plan``;
- ``corpus/state``: malformed emulator state files → ``emulator --state`` and ``plan --emulator``;
- ``corpus/plans``: damaged saved plans → ``show`` and ``apply --plan``.

Most cases run in-process (``reconciler.cli.main``, with capsys: fast); a handful run as real subprocesses
(``python -m reconciler``), where a traceback would actually reach a user's terminal. A saved plan whose
fingerprints were edited into other *well-formed* values passes every file check: ``apply --plan`` must
then refuse it as stale, against the emulator, without writing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.emulator import StateFileError, load_state
from tests.helpers.reliability import AuditReader

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
EXAMPLE_SPACES = str(REPO / "examples" / "spaces")
EXAMPLE_STATE = str(REPO / "examples" / "emulator-state.yaml")
UNREACHABLE = "http://127.0.0.1:9"  # nothing may be sent: every case must fail before the network

# file → a phrase its message must contain (the *reason*, so a file failing for another reason is caught).
# The phrase is our own wording or the field the message must name, never a dependency's wording: where only
# the YAML/JSON library can describe the fault (its nesting limit, its end-of-stream message), ``None`` asks
# for a clear one-line error at a line and column of the file, whatever the library calls it.
DESIRED = {
    "billion-laughs.yaml": "unknown key 'a0'",
    "binary.yaml": "binary file",
    "duplicate-key.yaml": "duplicate key 'version'",
    "empty.yaml": "the file is empty",
    "gzip.yaml": "binary file",
    "huge-line.yaml": "at most 64 characters",
    "nesting-block.yaml": "nested more than",
    "nesting-flow-mapping.yaml": None,
    "nesting-flow-sequence.yaml": None,
    "numbers-not-list.yaml": "'numbers' must be a list",
    "only-comments.yaml": "the file is empty",
    "tabs.yaml": "YAML syntax error",
    "top-level-list.yaml": "the document is a list",
    "truncated-mid-key.yaml": "YAML syntax error",
    "truncated.yaml": "YAML syntax error",
    "utf16.yaml": "UTF-16",
    "version-string.yaml": "'version' must be the number 1",
    "wrong-types.yaml": "'cust_space_id'",
    "wrong-version.yaml": "format version 2 is not supported",
}
STATE = {
    "binary.yaml": "cannot read the state file",
    "duplicate-key.yaml": "duplicate key 'keys'",
    "empty.yaml": "the state file is empty",
    "key-not-mapping.yaml": "each key must be a mapping",
    "keys-missing.yaml": "'keys' must be a non-empty list",
    "nesting.yaml": "nested too deeply",
    "spaces-as-list.yaml": "'spaces' must be a mapping",
    "top-level-list.yaml": "the state must be a mapping",
    "truncated.yaml": "invalid YAML",
    "unknown-field.yaml": "unknown field 'MessagingLimitTeir'",
    "unknown-top-level.yaml": "unknown field 'regions'",
    "verify-code-unquoted.yaml": "'VerifyCode' must be a quoted string",
}
PLANS = {
    "binary.json": "not UTF-8",
    "change-missing-field.json": "cust_space_id",
    "changes-not-list.json": "changes",
    "edited-action.json": "action",
    "edited-fingerprint.json": "does not match",
    "edited-severity.json": "severity",
    "empty.json": "invalid JSON",
    "format-version-missing.json": "format_version None is not supported",
    "format-version-string.json": "format_version '1' is not supported",
    "json-list.json": "expected a JSON object",
    "json-string.json": "expected a JSON object",
    "nesting-in-plan.json": "nested too deeply",
    "nesting.json": "nested too deeply",
    "not-json.json": "invalid JSON",
    "results-file.json": "not a valid plan",
    "source-line-string.json": "changes/0/source/line",
    "space-missing-fingerprint.json": "actual_fingerprint",
    "truncated.json": "is it truncated?",
    "wrong-format-version.json": "format_version 3 is not supported",
}
SECRETS = ("demo-secret", "readonly-secret", "828712", "tr4vel-s3cret", "old-token-123")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clear_error(code: int, err: str, *, file: Path, reason: str | None) -> None:
    assert code == 1, err
    assert "Traceback" not in err
    if reason is None:  # the library names the fault: it must still be one positioned line of ours
        assert re.search(rf"^{re.escape(str(file))}:\d+:\d+: error: ", err, re.M), err[:500]
    else:
        assert reason in err, err[:500]
    assert str(file) in err, "the message must name the file"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) < 200, "a bad file must not flood the terminal"  # (billion laughs: one per alias)
    assert all(line.startswith(("error:", str(file))) or line.endswith("found") for line in lines), err[:500]
    for secret in SECRETS:
        assert secret not in err


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")


@pytest.mark.parametrize("kind, expected", [("desired", DESIRED), ("state", STATE), ("plans", PLANS)])
def test_every_corpus_file_has_an_expectation(kind: str, expected: dict[str, str | None]) -> None:
    assert sorted(p.name for p in (CORPUS / kind).iterdir()) == sorted(expected)


@pytest.mark.parametrize("name", sorted(DESIRED))
def test_bad_desired_state(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "desired" / name
    code, out, err = run(capsys, "validate", str(path))
    assert_clear_error(code, err, file=path, reason=DESIRED[name])
    code, out, err = run(capsys, "plan", str(path), "--endpoint", UNREACHABLE)
    assert_clear_error(code, err, file=path, reason=DESIRED[name])
    assert out == ""


@pytest.mark.parametrize("name", sorted(STATE))
def test_bad_emulator_state(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "state" / name
    with pytest.raises(StateFileError):  # guard: a state that loads would make `emulator` serve forever
        load_state(path)
    code, out, err = run(capsys, "emulator", "--state", str(path))
    assert_clear_error(code, err, file=path, reason=STATE[name])
    assert out == "" and len(err.strip().splitlines()) == 1
    code, out, err = run(capsys, "plan", EXAMPLE_SPACES, "--emulator", str(path))
    assert_clear_error(code, err, file=path, reason=STATE[name])


@pytest.mark.parametrize("name", sorted(PLANS))
def test_bad_saved_plan(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "plans" / name
    for fmt in ("text", "json"):
        code, out, err = run(capsys, "show", str(path), "--format", fmt)
        assert_clear_error(code, err, file=path, reason=PLANS[name])
        assert out == ""
    code, out, err = run(capsys, "apply", "--plan", str(path), EXAMPLE_SPACES, "--endpoint", UNREACHABLE)
    assert_clear_error(code, err, file=path, reason=PLANS[name])
    assert out == ""


def test_missing_files_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    for argv in (["show", str(missing)], ["apply", "--plan", str(missing), EXAMPLE_SPACES],
                 ["emulator", "--state", str(missing)], ["validate", str(missing)]):
        code, _, err = run(capsys, *argv)
        assert code == 1 and "Traceback" not in err and str(missing) in err, (argv, err)


def _webhook(d: dict[str, Any]) -> dict[str, Any]:
    change: dict[str, Any] = next(c for c in d["changes"] if c["label"] == "update-webhook")
    return change


#: Well-formed edits of a saved plan (issue 13: severity and pending edits let apply past a guard; reason and
#: cust_space_id edits went unnoticed). Each must be refused as stale with 0 write calls.
TAMPERINGS = [
    (lambda d: d.update(desired_fingerprint="sha256:" + "0" * 64), "desired state"),
    (lambda d: next(c for c in d["changes"] if c["basis"]).update(basis="sha256:" + "f" * 64),
     "it was planned from changed"),
    (lambda d: _webhook(d).update(cust_space_id="1"), "cust_space_id was"),
    (lambda d: _webhook(d).update(severity="notice"), "severity was"),
    (lambda d: _webhook(d).update(pending=True), "pending was"),
    (lambda d: _webhook(d).update(reason="routine"), "reason was"),
]


@pytest.mark.parametrize("edit, reason", TAMPERINGS,
                         ids=["desired-fingerprint", "change-basis", "cust-space-id", "severity", "pending", "reason"])
def test_well_formed_edits_of_what_apply_depends_on_are_refused_as_stale(
        edit: Any, reason: str, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit = tmp_path / "audit.jsonl"
    emu = emulator(EXAMPLE_STATE, qps=0, audit_log=audit)
    plan_file = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", EXAMPLE_SPACES, "--endpoint", emu.url, "--out", str(plan_file))
    assert code == 0, err
    data = json.loads(plan_file.read_text())
    edit(data)
    plan_file.write_text(json.dumps(data, indent=2))
    code, out, err = run(capsys, "apply", "--plan", str(plan_file), EXAMPLE_SPACES, "--endpoint", emu.url)
    assert code == 1 and "Traceback" not in err
    assert reason in err and "is stale" in err, err
    assert [e for e in AuditReader(audit).all() if e.is_write] == []


def test_as_real_processes(tmp_path: Path) -> None:
    """A few cases as `python -m reconciler` processes (run side by side): exit 1, `error`, no traceback."""
    cases = [
        ["validate", str(CORPUS / "desired" / "truncated.yaml")],
        ["validate", str(CORPUS / "desired" / "nesting-flow-sequence.yaml")],
        ["emulator", "--state", str(CORPUS / "state" / "nesting.yaml")],
        ["emulator", "--state", str(CORPUS / "state" / "truncated.yaml")],
        ["show", str(CORPUS / "plans" / "nesting.json")],
        ["apply", "--plan", str(CORPUS / "plans" / "truncated.json"), EXAMPLE_SPACES, "--endpoint", UNREACHABLE],
    ]
    env = {"PATH": "/usr/bin:/bin", "ALIBABA_CLOUD_ACCESS_KEY_ID": "demo",
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret"}
    procs = [subprocess.Popen([sys.executable, "-m", "reconciler", *argv], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
             for argv in cases]
    for argv, proc in zip(cases, procs):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, (argv, err)
        assert "Traceback" not in err and "error" in err, (argv, err)
        assert out == "", argv
