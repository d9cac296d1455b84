"""The GitLab CI example (examples/ci/gitlab/.gitlab-ci.yml) is a pipeline GitLab accepts, and so is the child
pipeline its `cams-jobs` job writes: its script is run here as GitLab runs it (bash, the pipeline's
variables, the real `cams-reconciler` of this checkout) on a copy of examples/fleet, and both files are
validated offline against GitLab's CI JSON schema (the one `check-jsonschema` vendors). The child's jobs are
exactly what `cams-reconciler matrix --format gitlab` prints for the same spaces, and every variable the job
template reads is one each matrix entry sets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
FLEET = REPO / "examples" / "fleet" / "spaces"


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


def schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    """GitLab's CI schema as check-jsonschema vendors it: offline, no download."""
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", "--no-cache",
                           *map(str, files)], capture_output=True, text=True, timeout=120)


def git(cwd: Path, *argv: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *argv], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def run_cams_jobs(workdir: Path, **ci: str) -> str:
    """`cams-jobs`'s script in ``workdir`` (a checkout holding spaces/), as the runner runs it: the
    pipeline's variables in the environment, bash -e; the child pipeline it writes."""
    pipeline = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    script = "\n".join(pipeline["cams-jobs"]["script"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "CAMS_", "ALIBABA_CLOUD_"))}
    env.update({k: str(v) for k, v in pipeline["variables"].items()}, **ci)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # this checkout's tool
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return (workdir / "child.yml").read_text(encoding="utf-8")


def matrix(workdir: Path, *argv: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "reconciler", "matrix", "spaces", "--format", "gitlab", *argv],
                          cwd=workdir, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = yaml.safe_load(proc.stdout)
    return doc


def check_structure(child: dict[str, Any], printed: dict[str, Any]) -> None:
    waves = {name: job for name, job in child.items() if name.startswith("cams-wave-")}
    assert waves == printed  # the child's jobs are the matrix command's, job for job
    template = child[".cams-reconciler"]
    read = set(re.findall(r"\$\{?(CAMS_[A-Z_]+)", yaml.safe_dump(template)))
    assert read == {"CAMS_ACCOUNT", "CAMS_SELECTION", "CAMS_JOB"}, read
    for job in waves.values():
        assert job["extends"] == ".cams-reconciler"
        for entry in job["parallel"]["matrix"]:
            assert read <= set(entry)  # every variable the template reads is set by each entry
            assert entry["CAMS_SELECTION"].startswith(f"--account {entry['CAMS_ACCOUNT']}")
    # each job's piece is what the merge job's glob takes
    assert "piece-*.json" in template["artifacts"]["paths"] and "piece-*.json" in child["cams-merge"]["script"][0]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A repository like a team's: spaces/ of examples/fleet on main, pushed to a local origin."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, capture_output=True,
                   timeout=60)
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    shutil.copytree(FLEET, work / "spaces")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "spaces")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    return work


def test_the_example_and_its_child_pipelines_validate_and_match_the_matrix(checkout: Path) -> None:
    # a schedule (drift): every account
    child_text = run_cams_jobs(checkout)
    child = yaml.safe_load(child_text)
    printed = matrix(checkout)
    assert [e["CAMS_JOB"] for e in printed["cams-wave-1"]["parallel"]["matrix"]] == ["retail", "travel"]
    check_structure(child, printed)
    assert "drift --merge" in child["cams-merge"]["script"][0]
    (checkout / "schedule-child.yml").write_text(child_text, encoding="utf-8")

    # a merge request that changes one account's YAML: that account's job only, planned against the target
    git(checkout, "checkout", "-q", "-b", "change")
    travel = checkout / "spaces" / "travel.yaml"
    travel.write_text(travel.read_text(encoding="utf-8").replace("Bookings and changes", "Bookings"), encoding="utf-8")
    git(checkout, "commit", "-q", "-am", "travel")
    child_text = run_cams_jobs(checkout, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    child = yaml.safe_load(child_text)
    printed = matrix(checkout, "--changed-since", "origin/main")
    assert [e["CAMS_JOB"] for e in printed["cams-wave-1"]["parallel"]["matrix"]] == ["travel"]
    check_structure(child, printed)
    assert "show --merge" in child["cams-merge"]["script"][0]
    (checkout / "mr-child.yml").write_text(child_text, encoding="utf-8")

    proc = schema_check(EXAMPLE, checkout / "schedule-child.yml", checkout / "mr-child.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    pipeline = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    pipeline["cams-accounts"]["trigger"]["strategy"] = "wait"  # not one of GitLab's strategies
    bad = tmp_path / ".gitlab-ci.yml"
    bad.write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    proc = schema_check(bad)
    assert proc.returncode == 1 and "strategy" in proc.stdout, proc.stdout + proc.stderr
    pipeline = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    pipeline["cams-jobs"]["artifacts"] = {"paths": "child.yml"}  # a string where GitLab wants a list
    bad.write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    assert schema_check(bad).returncode == 1
