"""`cams-reconciler validate`: in-process through reconciler.cli.main, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "config"


def test_examples_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "examples" / "spaces")]) == 0
    out = capsys.readouterr()
    assert out.out == "OK: 3 spaces, 11 numbers in 3 files\n" and out.err == ""


def test_problems_on_stderr_with_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIX / "bad-enum.yaml")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{FIX / 'bad-enum.yaml'}:5:24: error: ")
    assert err[-1] == "2 problems found"


def test_github_format_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "github", str(FIX / "bad-unknown-key.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"::error file={FIX / 'bad-unknown-key.yaml'},line=5,col=5,title=cams-reconciler validate::"
                   "unknown key 'nubmers': did you mean 'numbers'? (spaces[0].nubmers)",
                   "::notice title=cams-reconciler validate::1 problem found in the YAML."]


def test_markdown_format_is_a_table_for_a_pr_comment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "markdown", str(FIX / "bad-unknown-key.yaml")]) == 1
    captured = capsys.readouterr()
    assert f"| `{FIX / 'bad-unknown-key.yaml'}:5:5` | unknown key 'nubmers'" in captured.out
    assert captured.err == "1 problem found\n"  # each problem once: in the table


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", str(FIX / "bad-phone.yaml")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and [p["line"] for p in report["problems"]] == [6, 7, 8]
    assert main(["validate", "--format", "json", str(REPO / "examples" / "spaces")]) == 0
    assert json.loads(capsys.readouterr().out)["numbers"] == 11


def test_print_schema_is_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--print-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert schema == json.loads((REPO / "schemas" / "cams-desired-state.schema.json").read_text())


def test_no_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 1
    assert "needs at least one PATH" in capsys.readouterr().err


def test_subprocess_offline_no_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD")}
    env["HOME"] = str(tmp_path)  # no CLI profiles either: validate needs none
    ok = subprocess.run([sys.executable, "-m", "reconciler", "validate", "examples/spaces"], cwd=REPO,
                        capture_output=True, text=True, env=env, timeout=60)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "OK: 3 spaces, 11 numbers in 3 files\n", "")
    bad = subprocess.run([sys.executable, "-m", "reconciler", "validate", "tests/fixtures/config/bad-binary.yaml",
                          "tests/fixtures/config/bad-syntax.yaml"], cwd=REPO, capture_output=True, text=True,
                         env=env, timeout=60)
    assert bad.returncode == 1 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert bad.stderr.splitlines()[:2] == [
        "tests/fixtures/config/bad-binary.yaml:3:14: error: this is a binary file, not YAML text (it holds NUL "
        "bytes; if it is UTF-16, save it as UTF-8)",
        "tests/fixtures/config/bad-syntax.yaml:6:7: error: YAML syntax error: while parsing a flow node, did not "
        "find expected node content",
    ]
