"""The GitOps loop of the example workflows, end to end, in a temporary git repository against ONE emulator.

    main converged ─▶ branch: one space's webhook changes ─▶ PR plan (--changed-since main, markdown, --out)
    ─▶ annotations from the saved plan (show --format github) ─▶ fast-forward merge ─▶ apply --plan
    ─▶ drift clean ─▶ someone edits a webhook outside git (`cams-reconciler call`) ─▶ drift exits 2, names it

Every step goes through the real CLI entry (``reconciler.cli.main``) with the credentials in the
environment, the way the workflows run it; the final drift runs as a separate process, because the exit
code a CI job sees is the process's. The emulator's audit log is the witness for which calls each step made.

The example scenario holds three report-only findings that no apply can fix (a YELLOW quality rating, a
platform-assigned queue, an undeclared number). A team's world after adoption has none, so the emulator
starts from the example state with those three made right: every remaining difference is one apply
converges, and "drift is clean" is a meaningful assertion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.client import ACTIONS
from tests.helpers.gitops import MIGRATION_CODE, drift_free

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SPACES = REPO / "examples" / "spaces"

RETAIL, TRAVEL, GLOBEX = "293483938849001", "293483938849002", "293483938849003"
# The PR gives one globex number its own status webhook, with a token that must never be shown.
NEW_TOKEN = "gl0bex-n3w-s3cret"
NEW_STATUS_URL = f"https://hooks.globex.example/wa/us-east/status?token={NEW_TOKEN}"
PR_NUMBER_LINE = '      - phone_number: "+1 202 555 0143"\n'
SECRETS = (NEW_TOKEN, "tr4vel-s3cret", MIGRATION_CODE, "demo-secret")


class Loop:
    """The repository, the emulator and the CLI, with the audit log read in segments (one per step)."""

    def __init__(self, repo: Path, handle: Any, audit: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.repo, self.handle, self.audit, self.capsys = repo, handle, audit, capsys
        self._seen = 0

    def git(self, *args: str) -> str:
        res = subprocess.run(["git", *args], cwd=self.repo, capture_output=True, text=True, check=False)
        assert res.returncode == 0, f"git {' '.join(args)} failed: {res.stderr}"
        return res.stdout

    def cli(self, *argv: str, network: bool = True) -> tuple[int, str, str]:
        self.capsys.readouterr()
        extra = ["--endpoint", self.handle.url, "--qps", "50"] if network else []
        code = main([*argv, *extra])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def new_audit(self) -> list[dict[str, Any]]:
        """Audit entries since the previous call."""
        lines = self.audit.read_text(encoding="utf-8").splitlines() if self.audit.exists() else []
        fresh, self._seen = lines[self._seen:], len(lines)
        return [json.loads(line) for line in fresh if line.strip()]

    def number(self, space_id: str, phone: str) -> dict[str, Any]:
        snapshot = self.handle.backend.snapshot()
        return next(n for n in snapshot["spaces"][space_id]["phone_numbers"] if n["PhoneNumber"] == phone)


@pytest.fixture
def loop(tmp_path: Path, emulator: Callable[..., Any], example_state: dict[str, Any],
         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Loop:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE_SPACES, repo / "spaces")
    audit = tmp_path / "audit.jsonl"
    handle = emulator(drift_free(example_state), qps=0, latency_ms=0, audit_log=audit)
    # Credentials as CI passes them: the environment (the workflows use the OIDC variables instead).
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", handle.credentials[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", handle.credentials[1])
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", MIGRATION_CODE)  # a CI secret in the apply workflow
    # A git that ignores the machine's configuration (signing, hooks, default branch), with an identity.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var, value in (("GIT_AUTHOR_NAME", "CI"), ("GIT_AUTHOR_EMAIL", "ci@example.invalid"),
                       ("GIT_COMMITTER_NAME", "CI"), ("GIT_COMMITTER_EMAIL", "ci@example.invalid")):
        monkeypatch.setenv(var, value)
    monkeypatch.chdir(repo)  # paths in plans and annotations are then repository-relative, as in CI
    lp = Loop(repo, handle, audit, capsys)
    lp.git("init", "-q", "-b", "main")
    lp.git("add", "spaces")
    lp.git("commit", "-q", "-m", "Adopt three spaces")
    return lp


def writes_in(entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["action"], e["parameters"].get("PhoneNumber")) for e in entries if ACTIONS[e["action"]].is_write]


def test_pr_plan_merge_apply_drift(loop: Loop) -> None:
    # -- 0. the world matches main: converge it once (what the first merge's apply does) ----------------
    code, out, err = loop.cli("apply", "spaces", "--auto-approve", "--results", "../first.json")
    assert code == 0, out + err
    assert json.loads((loop.repo.parent / "first.json").read_text())["status"] == "converged"
    code, out, err = loop.cli("drift", "spaces")
    assert code == 0, f"main is not converged after the first apply:\n{out}{err}"
    loop.new_audit()

    # -- 1. a pull request: one number of globex-support gets its own status webhook -----------------------
    loop.git("checkout", "-q", "-b", "globex-us-east-webhook")
    path = loop.repo / "spaces" / "globex-support.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(PR_NUMBER_LINE) == 1
    path.write_text(text.replace(PR_NUMBER_LINE, PR_NUMBER_LINE + "        webhooks:\n"
                                 f"          status_callback_url: {NEW_STATUS_URL}\n"), encoding="utf-8")
    changed_line = path.read_text(encoding="utf-8").splitlines().index(
        f"          status_callback_url: {NEW_STATUS_URL}") + 1
    loop.git("commit", "-q", "-am", "globex: US East status webhook")

    # -- 2. the PR plan touches only that space, and reads only that space ------------------------------
    code, markdown, err = loop.cli("plan", "spaces", "--changed-since", "main", "--format", "markdown",
                                   "--out", "plan.json", "--detailed-exitcode")
    assert code == 2, markdown + err  # changes: a successful plan in the workflow
    assert "globex-support" in markdown
    assert "acme-retail" not in markdown and "acme-travel" not in markdown
    assert "12025550143" in markdown and "token=***" in markdown

    saved = json.loads((loop.repo / "plan.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in saved["spaces"]] == ["globex-support"]
    assert [(c["space"], c["label"], c["phone_number"]) for c in saved["changes"]] == \
        [("globex-support", "update-webhook", "12025550143")]

    reads = loop.new_audit()
    assert all(not ACTIONS[e["action"]].is_write for e in reads)
    assert [e["action"] for e in reads].count("GetCustomerAccountInfo") == 1  # the preflight
    spaces_read = {e["parameters"].get("CustSpaceId") for e in reads if e["action"] != "GetCustomerAccountInfo"}
    assert spaces_read == {GLOBEX}
    # one query of the space, one profile read per declared profile (all three numbers declare one)
    assert sorted(e["action"] for e in reads) == ["GetCustomerAccountInfo", "QueryChatappPhoneNumbers",
                                                  *["QueryPhoneBusinessProfile"] * 3]

    # -- 3. annotations from the saved plan: no API call ----------------------------------------------------
    code, annotations, err = loop.cli("show", "plan.json", "--format", "github", network=False)
    assert code == 0, err
    assert loop.new_audit() == []
    lines = annotations.splitlines()
    assert lines and all(line.startswith("::") for line in lines)
    webhook = [line for line in lines if line.startswith("::warning ")]
    assert len(webhook) == 1
    assert f"file=spaces/globex-support.yaml,line={changed_line}," in webhook[0]
    assert "update-webhook" in webhook[0] and "12025550143" in webhook[0]
    assert lines[-1].startswith("::notice title=cams-reconciler plan::Plan: 0 to sync, 0 to verify, "
                                "1 webhook update,")

    # -- 4. merge (fast-forward) and apply exactly the reviewed plan ------------------------------------
    loop.git("checkout", "-q", "main")
    before = loop.git("rev-parse", "HEAD").strip()  # the push event's `before`: main ahead of the merge
    loop.git("merge", "-q", "--ff-only", "globex-us-east-webhook")
    # the plan covers one space of three: apply re-asserts that scope from git, as the apply job does
    code, out, err = loop.cli("apply", "spaces", "--plan", "plan.json", "--results", "../results.json",
                              "--format", "markdown")
    assert code == 1 and "a scoped plan runs only when re-asserted" in err and writes_in(loop.new_audit()) == []
    code, out, err = loop.cli("apply", "spaces", "--plan", "plan.json", "--results", "../results.json",
                              "--format", "markdown", "--changed-since", before)
    assert code == 0, out + err
    results = json.loads((loop.repo.parent / "results.json").read_text(encoding="utf-8"))
    assert results["status"] == "converged"
    assert [(r["address"], r["status"]) for r in results["results"]] == \
        [(saved["changes"][0]["address"], "done")]
    assert writes_in(loop.new_audit()) == [("UpdatePhoneWebhook", "12025550143")]
    assert loop.number(GLOBEX, "12025550143")["StatusCallbackUrl"] == NEW_STATUS_URL
    assert loop.number(GLOBEX, "12025550143")["UpCallbackUrl"] == "https://hooks.globex.example/wa/inbound"

    # -- 5. scheduled drift: clean ------------------------------------------------------------------------
    code, out, err = loop.cli("drift", "spaces", "--format", "markdown")
    assert code == 0, out + err
    assert writes_in(loop.new_audit()) == []

    # -- 6. someone repoints a webhook in the console (here: through `call`) -------------------------------
    code, out, err = loop.cli("call", "UpdatePhoneWebhook", f"CustSpaceId={RETAIL}", "PhoneNumber=8613800001234",
                              "StatusCallbackUrl=https://rogue.example/status",
                              "UpCallbackUrl=https://hooks.acme.example/cams/inbound")
    assert code == 0, out + err
    assert writes_in(loop.new_audit()) == [("UpdatePhoneWebhook", "8613800001234")]

    # -- 7. drift, as its own process (the exit code is what fails the scheduled job) ---------------------
    proc = subprocess.run([sys.executable, "-m", "reconciler", "drift", "spaces", "--endpoint", loop.handle.url,
                           "--qps", "50"], cwd=loop.repo, capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "~ update-webhook 8613800001234 webhooks.status_callback_url" in proc.stdout
    assert "https://rogue.example/status" in proc.stdout
    assert "acme-retail" in proc.stdout
    assert writes_in(loop.new_audit()) == []

    # -- no secret in anything the loop wrote or showed --------------------------------------------------
    shown = markdown + annotations + proc.stdout + proc.stderr
    files = [loop.repo / "plan.json", loop.repo.parent / "results.json", loop.repo.parent / "first.json",
             loop.audit]
    for secret in SECRETS:
        assert secret not in shown
        for f in files:
            assert secret not in f.read_text(encoding="utf-8"), f"{secret!r} leaked into {f.name}"


def test_pr_touching_no_space_plans_nothing(loop: Loop) -> None:
    """A PR that changes only comments costs no API call, and its empty saved plan shows and applies."""
    loop.git("checkout", "-q", "-b", "comments-only")
    path = loop.repo / "spaces" / "acme-retail.yaml"
    path.write_text("# reviewed by the platform team\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    loop.git("commit", "-q", "-am", "comment")
    code, out, err = loop.cli("plan", "spaces", "--changed-since", "main", "--format", "markdown",
                              "--out", "plan.json", "--detailed-exitcode")
    assert code == 0, out + err
    assert "no space changed since main" in err
    assert loop.new_audit() == []
    code, annotations, err = loop.cli("show", "plan.json", "--format", "github", network=False)
    assert code == 0 and annotations.startswith("::notice title=cams-reconciler plan::Plan: 0 to sync")
    code, out, err = loop.cli("apply", "spaces", "--plan", "plan.json", "--changed-since", "main")
    assert code == 0, out + err
    assert writes_in(loop.new_audit()) == []
