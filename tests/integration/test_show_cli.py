"""``cams-reconciler show PLAN_FILE``: a saved plan rendered again, identical to what ``plan`` printed, with no
API call; every bad file is one ``error:`` line and exit 1.

The plans are made against the emulator (``plan --out``); ``show`` then runs with no credentials and no
endpoint at all, which is how we know it calls nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.emulator import start_emulator

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / "examples" / "emulator-state.yaml"
SECRETS = ("tr4vel-s3cret", "old-token-123", "828712", "demo-secret")


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Run ``plan`` once per format on the example spaces (one emulator, unthrottled), saving the plan;
    returns the working directory and what each format printed. Once per module: it is the slow part.

    Runs from a copy of the spaces with relative paths, as CI does, so annotation paths are relative."""
    work = tmp_path_factory.mktemp("show") / "work"
    (work / "spaces").mkdir(parents=True)
    for f in (REPO / "examples" / "spaces").glob("*.yaml"):
        (work / "spaces" / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    printed: dict[str, str] = {}
    with start_emulator(STATE, qps=0) as emu, pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        mp.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.credentials[0])
        mp.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.credentials[1])
        mp.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
        mp.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")
        mp.setenv("SOURCE_DATE_EPOCH", "1764633600")  # one creation time for the four runs
        for fmt in ("text", "markdown", "json", "github"):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                code = main(["plan", "spaces", "--endpoint", emu.url, "--qps", "100", "--format", fmt,
                             "--out", "plan.json"])
            assert code == 0
            printed[fmt] = out.getvalue()
    return work, printed


@pytest.fixture
def saved_plan(planned: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """In the directory holding plan.json, with nothing that could reach an API: no credentials, no
    endpoint."""
    work, printed = planned
    monkeypatch.chdir(work)
    for var in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
                "CAMS_RECONCILER_ENDPOINT", "CAMS_SECRET_ACME_MIGRATION_CODE"):
        monkeypatch.delenv(var, raising=False)
    return printed


def show(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["show", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "github"])
def test_show_prints_what_plan_printed(saved_plan: dict[str, str], capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = show(capsys, "plan.json", "--format", fmt)
    assert code == 0, err
    assert out == saved_plan[fmt]  # the saved plan loses nothing the renderers use
    assert err == ""
    for secret in SECRETS:
        assert secret not in out


def test_show_json_is_the_file_byte_for_byte(saved_plan: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(capsys, "plan.json", "--format", "json")
    assert code == 0
    assert out == Path("plan.json").read_text(encoding="utf-8")


def test_default_format_is_text(saved_plan: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(capsys, "plan.json")
    assert code == 0 and out == saved_plan["text"]
    assert "Plan: 1 to sync, 1 to verify," in out and "Calls: " in out


def test_github_annotations_point_at_yaml_lines(saved_plan: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = show(capsys, "plan.json", "--format", "github")
    lines = out.splitlines()
    assert all(line.startswith(("::warning ", "::notice ", "::error ")) for line in lines)
    webhook = next(line for line in lines if "update-webhook 6591234567" in line)
    assert webhook.startswith("::warning file=spaces/acme-travel.yaml,line=")
    assert "token=***" in webhook


def _corrupt(tmp: Path, good: str) -> dict[str, tuple[Path, str]]:
    """Bad plan files → the words their error must contain."""
    data = json.loads(good)
    cases: dict[str, tuple[Path, str]] = {}

    def put(name: str, content: bytes | str, expect: str) -> None:
        path = tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        cases[name] = (path, expect)

    put("truncated.json", good[: len(good) // 2], "truncated")
    put("empty.json", "", "invalid JSON")
    put("binary.json", b"\xff\xfe\x00plan", "not UTF-8")
    put("array.json", "[]", "expected a JSON object")
    put("v3.json", json.dumps({**data, "format_version": 3}), "format_version 3 is not supported")
    put("noversion.json", json.dumps({k: v for k, v in data.items() if k != "format_version"}),
        "format_version None is not supported")
    edited = json.loads(good)
    edited["changes"][0]["action"] = "delete-space"
    put("edited.json", json.dumps(edited), "was it edited")
    dropped = json.loads(good)
    del dropped["spaces"]
    put("dropped.json", json.dumps(dropped), "not a valid plan")
    cases["missing.json"] = (tmp / "missing.json", "no such plan file")
    cases["a-directory"] = (tmp, "cannot read the plan file")
    return cases


def test_bad_plan_files_are_one_clear_line(saved_plan: dict[str, str], capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    cases = _corrupt(tmp_path, saved_plan["json"])
    for name, (path, expect) in cases.items():
        code, out, err = show(capsys, str(path), "--format", "github")
        assert code == 1, name
        assert out == "", name  # nothing half-rendered on stdout (the workflow would turn it into annotations)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, err)
        assert str(path) in lines[0] and expect in lines[0], (name, lines[0])


def test_show_as_a_process_without_credentials(saved_plan: dict[str, str], tmp_path: Path) -> None:
    """The workflow step runs ``cams-reconciler show plan.json --format github`` as its own process: the
    exit codes are the process's, and no traceback escapes for a bad file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CAMS_RECONCILER_"))}
    ok = subprocess.run([sys.executable, "-m", "reconciler", "show", "plan.json", "--format", "github"],
                        capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0 and ok.stdout == saved_plan["github"], ok.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(saved_plan["json"][:100], encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "reconciler", "show", str(broken)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith(f"error: {broken}:")
    usage = subprocess.run([sys.executable, "-m", "reconciler", "show", "plan.json", "--format", "yaml"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert usage.returncode == 1 and "invalid choice: 'yaml'" in usage.stderr  # a usage error is an error
