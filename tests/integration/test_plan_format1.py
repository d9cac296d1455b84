"""A plan saved in format 1 (by the version before plan format 2, from ``tests/fixtures/plan-v1``: the example
spaces with one new QR-code message) still loads, shows and applies: every change done and verified."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.conftest import EXAMPLE_STATE_PATH

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "plan-v1"


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    monkeypatch.delenv("CAMS_RECONCILER_PLAN_KEY", raising=False)
    monkeypatch.setenv("CAMS_RECONCILER_STATE_STORE", f"dir:{tmp_path / 'store'}")
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")  # the example emulator's pending code
    return tmp_path / "repo"


def test_the_fixture_is_format_1() -> None:
    data = json.loads((FIXTURE / "plan.json").read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    assert {c["action"] for c in data["changes"]} >= {"sync", "verify-migration", "update-webhook",
                                                       "update-profile", "create", "update"}


def test_a_format_1_plan_shows_and_applies(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "plan.json", "--no-color"]) == 0
    shown = capsys.readouterr().out
    assert "update-webhook" in shown and "update-profile" in shown
    results = saved / "results.json"
    code = main(["apply", "spaces", "--plan", "plan.json", "--emulator", str(EXAMPLE_STATE_PATH), "--no-color",
                 "--auto-approve", "--results", str(results)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    done = json.loads(results.read_text(encoding="utf-8"))
    outcomes = [(r["field"], r["status"]) for r in done["results"]]
    assert len(outcomes) == 9 and all(o == "done" for _, o in outcomes), outcomes
    assert "Apply converged: 9 done, 0 failed, 0 skipped" in out
