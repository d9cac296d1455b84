"""Every plan, result and comment says what it is for: the tool version, when it was made, the git commit,
the account (name, id when known) and the region and endpoint; the confirmation prompt names the account;
``apply --plan`` refuses a plan made for another endpoint, region or account."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import reconciler
from reconciler.cli import main
from reconciler.core.provenance import Provenance, Target
from reconciler.provenance import target, target_mismatch
from tests.helpers.accounts import repository

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "reconciler" / "schemas"
MPK = "1051360339779133"  # the example state's account id (GetCustomerAccountInfo Mpk)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "examples" / "spaces", tmp_path / "spaces")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "spaces"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "spaces"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    for name in ("ALIBABA_CLOUD_ROLE_ARN", "CAMS_RECONCILER_ENDPOINT", "GITHUB_SHA", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    return tmp_path


def head(repo: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_saved_plan_records_what_it_is_for(repo: Path, emulator: Callable[..., Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    url = emulator().url
    before = datetime.now(UTC).replace(microsecond=0)
    assert main(["plan", "spaces/acme-retail.yaml", "--endpoint", url, "--out", "plan.json",
                 "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    data = json.loads((repo / "plan.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads((SCHEMAS / "plan.schema.json").read_text()),
                        cls=jsonschema.Draft202012Validator)
    prov = data["provenance"]
    assert prov["tool_version"] == reconciler.__version__
    made = datetime.strptime(prov["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= made <= datetime.now(UTC) + timedelta(seconds=1)
    assert prov["git_commit"] == head(repo)
    assert prov["targets"] == [{"account": "default", "account_id": MPK, "region": "ap-southeast-1",
                                "endpoint": url}]
    # the PR comment says it too, at the top
    line = markdown.splitlines()[2]
    assert line.startswith(f"<sub>Plan for account default ({MPK}), ap-southeast-1 via {url}: "
                           f"cams-reconciler {reconciler.__version__}, commit {head(repo)[:12]}, ")
    # and every later rendering of the saved plan
    assert main(["show", "plan.json"]) == 0
    assert f"Plan for account default ({MPK})" in capsys.readouterr().out


def test_results_record_what_the_run_was_for(repo: Path, emulator: Callable[..., Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    url = emulator().url
    assert main(["apply", "spaces/acme-retail.yaml", "--endpoint", url, "--auto-approve",
                 "--results", "results.json"]) == 0
    out = capsys.readouterr().out
    assert f"Apply for account default ({MPK}), ap-southeast-1 via {url}" in out
    data = json.loads((repo / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads((SCHEMAS / "results.schema.json").read_text()),
                        cls=jsonschema.Draft202012Validator)
    assert data["provenance"]["git_commit"] == head(repo)
    assert data["provenance"]["targets"][0]["account_id"] == MPK


def test_a_plan_is_never_applied_to_another_account(repo: Path, emulator: Callable[..., Any],
                                                     example_state: dict[str, Any],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    reviewed = emulator().url
    example_state["account"]["Mpk"] = 2222222222222222
    other = emulator(example_state).url  # the same spaces, another account
    assert main(["plan", "spaces/acme-retail.yaml", "--endpoint", reviewed, "--out", "plan.json"]) == 0
    capsys.readouterr()
    assert main(["apply", "spaces/acme-retail.yaml", "--endpoint", other, "--plan", "plan.json"]) == 1
    err = capsys.readouterr().err
    assert f"the plan was made for account id {MPK}, and these credentials are for 2222222222222222" in err
    assert "nothing was written" in err
    assert main(["apply", "spaces/acme-retail.yaml", "--endpoint", reviewed, "--plan", "plan.json"]) == 0


def test_created_at_honours_source_date_epoch() -> None:
    from reconciler.provenance import now_utc

    assert now_utc({"SOURCE_DATE_EPOCH": "1764633600"}) == "2025-12-02T00:00:00Z"


def test_the_confirmation_names_the_account(repo: Path, emulator: Callable[..., Any],
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = emulator().url

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert main(["apply", "spaces/acme-retail.yaml", "--endpoint", url]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"Do you want to perform these \d+ write change\(s\) in account default \({MPK}\), "
                     rf"ap-southeast-1 via {re.escape(url)}\?", err), err
    assert "nothing was written" in err


def test_the_account_id_comes_from_the_role_first() -> None:
    env = {"ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1234567890123456:role/cams-plan"}
    assert target(region="r-1", endpoint="https://x", env=env, preflight_data={"Mpk": 1}).account_id == \
        "1234567890123456"
    assert target(region="r-1", endpoint="https://x", env={}, preflight_data={"Mpk": 1}).account_id == "1"
    assert target(region="r-1", endpoint="https://x", env={}).account_id is None
    masked = target(region="r-1", endpoint="https://proxy.example/?token=s3cret", env={})
    assert "s3cret" not in masked.endpoint


@pytest.mark.parametrize("now, words", [
    (Target("default", "1", "ap-southeast-1", "https://a"), None),
    (Target("default", None, "ap-southeast-1", "https://a"), None),  # this run cannot learn the id either
    (Target("default", "1", "cn-hangzhou", "https://a"), "cn-hangzhou"),
    (Target("default", "1", "ap-southeast-1", "https://b"), None),  # a proxy of the same account
    (Target("default", "2", "ap-southeast-1", "https://a"), "account id 1"),
    (Target("other", "2", "cn-hangzhou", "https://b"), "does not name account other"),  # a missing identity
])
def test_target_mismatch(now: Target, words: str | None) -> None:
    saved = Provenance("0.1.0", "2026-01-01T00:00:00Z", None, (Target("default", "1", "ap-southeast-1", "https://a"),))
    found = target_mismatch(saved, Provenance("0.1.0", "2026-01-02T00:00:00Z", None, (now,)))
    assert (found is None) if words is None else (found is not None and words in found)
    assert "no provenance" in (target_mismatch(None, saved) or "")  # no identity: refused, not skipped
    unnamed = Provenance("0.1.0", "2026-01-01T00:00:00Z", None, (Target("default", None, "ap-southeast-1", "x"),))
    assert "does not name the account id" in (target_mismatch(unnamed, saved) or "")


def test_each_account_is_named_with_its_id(tmp_path: Path, emulator: Callable[..., Any],
                                           two_account_state: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {"ACME_KEY_ID": "demo", "ACME_KEY_SECRET": "demo-secret", "GLOBEX_KEY_ID": "globex",
                        "GLOBEX_KEY_SECRET": "globex-secret"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    url = emulator(two_account_state).url
    assert main(["plan", str(repository(tmp_path)), "--endpoint", url, "--out", str(tmp_path / "plan.json"),
                 "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    targets = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["provenance"]["targets"]
    assert [t["account"] for t in targets] == ["acme", "globex"]
    assert all(t["region"] == "ap-southeast-1" and t["endpoint"] == url for t in targets)
    assert {t["account"]: t["account_id"] for t in targets} == {"acme": MPK, "globex": None}  # globex: no Mpk
    assert f"Plan for account acme ({MPK}), ap-southeast-1 via {url}; account globex, ap-southeast-1" in out
