"""The release: ``python -m build`` makes an sdist and a wheel (the wheel built from the sdist, as PyPI users
get it) that install and run the main job outside the checkout.

Built once per session (``built`` fixture, ~3 s): ``--no-isolation`` uses the test extra's setuptools, so
the suite needs no network; the release workflow builds with isolation, from ``[build-system]``.
The wheel is installed with ``pip install --no-deps --target`` into a temporary directory and run from
another one, with that directory first on ``PYTHONPATH``: every module, schema and the emulator must come
from the wheel (a test checks ``reconciler.__file__``), while the dependencies come from this environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import reconciler

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    site: Path  # the wheel installed with --target


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    pytest.importorskip("build")  # the test extra installs it; skip only where it genuinely is not
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    site = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--target", str(site), str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Built(wheel, sdist, site)


def run_installed(built: Built, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CAMS_RECONCILER_"))}
    env["PYTHONPATH"] = str(built.site)
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_version_comes_from_one_place(built: Built) -> None:
    version = reconciler.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+([abrc.]+\d+)?(\.dev\d+)?", version), version
    assert built.wheel.name == f"cams_reconciler-{version}-py3-none-any.whl"
    assert built.sdist.name == f"cams_reconciler-{version}.tar.gz"
    with zipfile.ZipFile(built.wheel) as whl:
        metadata = whl.read(f"cams_reconciler-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    assert "\nRequires-Python: >=3.11\n" in metadata
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M), "the version is written in reconciler/__init__.py only"


def test_wheel_carries_the_schemas_and_the_emulator(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as whl:
        names = set(whl.namelist())
    for schema in (REPO / "reconciler" / "schemas").glob("*.json"):
        assert f"reconciler/schemas/{schema.name}" in names
    for module in (REPO / "reconciler" / "emulator").glob("*.py"):
        assert f"reconciler/emulator/{module.name}" in names
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)


def test_sdist_carries_what_a_release_reviewer_needs(built: Built) -> None:
    with tarfile.open(built.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for path in ("pyproject.toml", "README.md", "MANIFEST.in", "docs/gitops.md", "examples/emulator-state.yaml",
                 "examples/spaces/acme-retail.yaml", "reconciler/schemas/plan.schema.json",
                 "tests/conftest.py", "action.yml"):
        assert path in names, path


def test_installed_wheel_runs_the_main_job_outside_the_checkout(built: Built, tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples" / "spaces", tmp_path / "spaces")
    shutil.copy(REPO / "examples" / "emulator-state.yaml", tmp_path / "emulator-state.yaml")
    where = run_installed(built, tmp_path, sys.executable, "-c",
                          "import reconciler, reconciler.emulator; print(reconciler.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(built.site), where.stdout  # not the checkout's copy

    cli = str(built.site / "bin" / "cams-reconciler")  # the console script the wheel installs
    version = run_installed(built, tmp_path, cli, "--version")
    assert version.stdout.strip() == f"cams-reconciler {reconciler.__version__}", version.stdout + version.stderr

    validate = run_installed(built, tmp_path, cli, "validate", "spaces")  # the JSON Schema is read from the wheel
    assert validate.returncode == 0, validate.stdout + validate.stderr

    plan = run_installed(built, tmp_path, cli, "plan", "spaces", "--emulator", "emulator-state.yaml",
                         "--out", "plan.json", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr  # the examples hold every kind of change
    assert "Traceback" not in plan.stderr
    assert "update-webhook 8613800001235" in plan.stdout
    assert (tmp_path / "plan.json").is_file()
    show = run_installed(built, tmp_path, cli, "show", "plan.json", "--format", "markdown")
    assert show.returncode == 0, show.stdout + show.stderr


def test_the_release_workflow_reads_the_version_where_it_is() -> None:
    """release.yml compares the tag with `__version__ = "X"` read by sed: the line must stay in that form."""
    workflow = (REPO / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert """sed -n 's/^__version__ = "\\(.*\\)"$/\\1/p' reconciler/__init__.py""" in workflow
    proc = subprocess.run(["sed", "-n", r's/^__version__ = "\(.*\)"$/\1/p', "reconciler/__init__.py"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == reconciler.__version__
    assert 'tags: ["v*"]' in workflow and "pypa/gh-action-pypi-publish@" in workflow
    publish = workflow.split("  publish:", 1)[1].split("\n  github-release:", 1)[0]
    assert "id-token: write" in publish and "password" not in publish  # trusted publishing, no token
