"""The action's step (``python -m reconciler.action``, what ``action.yml`` runs) against the emulator over real
HTTP, as a process, the way the runner starts it: the job summary, the step outputs and the annotations."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.github_outputs import read_outputs

REPO = Path(__file__).resolve().parents[2]


class Step:
    def __init__(self, workdir: Path, url: str) -> None:
        self.workdir, self.url = workdir, url

    def run(self, command: str, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
        out, summary = self.workdir / "github-output", self.workdir / "step-summary.md"
        out.unlink(missing_ok=True)
        summary.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ALIBABA_CLOUD_", "CAMS_RECONCILER_", "INPUT_", "GITHUB_"))}
        env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": "demo", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret",
                    "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(self.workdir),
                    "INPUT_COMMAND": command, "INPUT_ENDPOINT": self.url})
        if command != "validate":
            env["INPUT_ARGS"] = "--qps 50"
        for key, value in inputs.items():
            env["INPUT_" + key.upper()] = value
        proc = subprocess.run([sys.executable, "-m", "reconciler.action"], cwd=self.workdir, env=env,
                              capture_output=True, text=True, timeout=120)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "demo-secret" not in proc.stdout + proc.stderr
        return proc, read_outputs(out), summary.read_text(encoding="utf-8") if summary.exists() else ""


@pytest.fixture
def step(tmp_path: Path, emulator: Callable[..., Any]) -> Step:
    shutil.copytree(REPO / "examples" / "spaces", tmp_path / "spaces")
    return Step(tmp_path, emulator().url)


def test_plan_step(step: Step) -> None:
    proc, outputs, summary = step.run("plan")
    assert proc.returncode == 0, proc.stderr  # changes are a successful plan
    assert outputs["exit-code"] == "2" and outputs["outcome"] == "changes"
    counts = json.loads(outputs["counts"])
    assert counts["update-webhook"] == 2 and counts["sync"] == 1 and int(outputs["writes"]) >= 4
    assert outputs["plan-path"] == "plan.json" and (step.workdir / "plan.json").is_file()
    assert outputs["markdown-path"] == "plan.md"
    assert summary.startswith("### ⚠️ cams-reconciler plan: Plan: 1 to sync")
    assert (step.workdir / "plan.md").read_text(encoding="utf-8").strip() in summary
    # the annotations come from the saved plan, on stdout where the runner reads workflow commands
    assert re.search(r"^::warning file=spaces/acme-retail\.yaml,line=\d+", proc.stdout, re.M)
    assert "::notice title=cams-reconciler plan::Plan:" in proc.stdout


def test_drift_step_fails_on_drift_and_says_so(step: Step) -> None:
    proc, outputs, summary = step.run("drift", plan_file="drift.json")
    assert proc.returncode == 1 and outputs["exit-code"] == "2" and outputs["outcome"] == "drift"
    assert summary.startswith("### ❌ cams-reconciler drift: drift found — Drift: 1 declared number is missing")
    assert (step.workdir / "drift.md").read_text(encoding="utf-8").strip() in summary


def test_apply_step_applied_then_refused_when_the_yaml_moved(step: Step) -> None:
    step.run("plan", paths="spaces/acme-retail.yaml", annotate="false")
    proc, outputs, summary = step.run("apply", paths="spaces/acme-retail.yaml")
    assert proc.returncode == 0, proc.stderr
    assert outputs["outcome"] == "applied" and outputs["results-path"] == "results.json"
    counts = json.loads(outputs["counts"])
    assert counts["failed"] == 0 and counts["done"] >= 3, counts
    assert summary.startswith("### ✅ cams-reconciler apply: applied")

    step.run("plan", paths="spaces/acme-travel.yaml", annotate="false")
    travel = step.workdir / "spaces" / "acme-travel.yaml"
    travel.write_text(travel.read_text(encoding="utf-8").replace("hooks.", "hooks2.", 1), encoding="utf-8")
    (step.workdir / "results.json").unlink()
    proc, outputs, summary = step.run("apply", paths="spaces/acme-travel.yaml")
    assert proc.returncode == 1
    assert outputs["outcome"] == "refused" and outputs["reason"], outputs
    assert outputs["reason"] in summary and "**Why:**" in summary and "Nothing was written" in summary


def test_validate_step_reports_the_problem(step: Step) -> None:
    bad = step.workdir / "spaces" / "acme-retail.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("cust_space_id:", "cust_space_idd:", 1),
                   encoding="utf-8")
    proc, outputs, summary = step.run("validate")
    assert proc.returncode == 1 and outputs["outcome"] == "invalid"
    assert "::error file=spaces/acme-retail.yaml" in proc.stdout
    assert "cust_space_idd" in summary


def test_plan_of_a_change_that_touches_no_space_says_nothing_to_plan(step: Step) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=step.workdir, check=True)
    subprocess.run([*git, "add", "spaces"], cwd=step.workdir, check=True)
    subprocess.run([*git, "commit", "-qm", "spaces"], cwd=step.workdir, check=True)
    proc, outputs, summary = step.run("plan", changed_since="main")
    assert proc.returncode == 0 and outputs["outcome"] == "nothing-to-plan", proc.stderr
    assert outputs["exit-code"] == "0"
    assert "nothing to plan" in summary


def test_a_bad_input_fails_the_step_with_a_summary(step: Step) -> None:
    proc, outputs, summary = step.run("apply", plan_file="missing.json")
    assert proc.returncode == 1 and outputs["outcome"] == "error"
    assert "::error title=cams-reconciler action::apply: no plan file" in proc.stdout
    assert "not run" in summary
