"""A fleet of accounts run as a CI matrix (issue 28), on examples/fleet (two accounts, each with its own key
in the emulator): the matrix of jobs, per-account plans merged into exactly the single-process plan, the
refusals of pieces that do not belong together, and per-account applies in parallel processes, each under its
own account's lock in a real ``dir:`` state store and with only its own account's credentials, merged into one
outcome."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.engine.matrix import plan_jobs
from reconciler.engine.plan_signing import PLAN_KEY_ENV
from tests.helpers.github_outputs import read_outputs

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / "examples" / "fleet"
SPACES = FLEET / "spaces"
STATE = FLEET / "emulator-state.yaml"
CREDENTIALS = {"retail": {"CAMS_RETAIL_ACCESS_KEY_ID": "retail-demo", "CAMS_RETAIL_ACCESS_KEY_SECRET": "retail-demo-secret"},
               "travel": {"CAMS_TRAVEL_ACCESS_KEY_ID": "travel-demo", "CAMS_TRAVEL_ACCESS_KEY_SECRET": "travel-demo-secret"}}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return int(code), out, err


def plan_piece(capsys: pytest.CaptureFixture[str], out: Path, *selection: str) -> dict[str, Any]:
    code, _, err = run(capsys, "plan", str(SPACES), "--emulator", str(STATE), "--format", "json", "--out", str(out),
                       *selection)
    assert code == 0, err
    return json.loads(out.read_text())


@pytest.fixture
def pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764979200")  # every piece and the single plan: the same time


def test_matrix_gives_one_job_per_account_and_shards_of_one_account_in_successive_waves(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "matrix", str(SPACES))
    assert code == 0, err
    doc = json.loads(out)
    assert [(j["job"], j["args"], j["spaces"]) for j in doc["include"]] == [
        ("retail", "--account retail", ["retail-shop", "retail-outlet"]),
        ("travel", "--account travel", ["travel-bookings", "travel-support"])]
    assert doc["several_accounts"] is True and doc["waves"] == 1
    code, out, _ = run(capsys, "matrix", str(SPACES), "--format", "github", "--account", "travel")
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert lines["several"] == "false" and lines["waves"] == "1"
    assert [j["job"] for j in json.loads(lines["wave-1"])["include"]] == ["travel"]
    assert json.loads(lines["wave-2"]) == {"include": []}

    # At 0.1 request/s an 18-second job holds one space's reads: each account splits into two shards,
    # shard N of every account in wave N, so no two shards of one account ever run side by side.
    from reconciler.config import load_desired_state
    jobs = plan_jobs(load_desired_state([str(SPACES)]), qps=0.1, job_minutes=0.3)
    assert [(j.name, j.wave, j.spaces) for j in jobs] == [
        ("retail-1-of-2", 1, ("retail-shop",)), ("retail-2-of-2", 2, ("retail-outlet",)),
        ("travel-1-of-2", 1, ("travel-bookings",)), ("travel-2-of-2", 2, ("travel-support",))]
    assert jobs[0].args() == ["--account", "retail", "--target", "retail-shop"]
    code, out, _ = run(capsys, "matrix", str(SPACES), "--format", "gitlab", "--qps", "0.1", "--job-minutes", "0.3")
    pipeline = yaml.safe_load(out)
    assert pipeline["cams-wave-2"]["needs"] == ["cams-wave-1"]
    assert [e["CAMS_JOB"] for e in pipeline["cams-wave-1"]["parallel"]["matrix"]] == ["retail-1-of-2", "travel-1-of-2"]


@pytest.mark.usefixtures("pinned_time")
def test_per_account_plans_merge_into_exactly_the_single_process_plan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    single = plan_piece(capsys, tmp_path / "single.json")
    for account in ("retail", "travel"):
        piece = plan_piece(capsys, tmp_path / f"plan-{account}.json", "--account", account)
        assert {s["account"] for s in piece["spaces"]} == {account}
        assert [t["account"] for t in piece["provenance"]["targets"]] == [account]  # it read only its own
    pieces = [str(tmp_path / "plan-travel.json"), str(tmp_path / "plan-retail.json")]  # any order
    code, _, err = run(capsys, "show", "--merge", *pieces, "--yaml", str(SPACES), "--format", "json",
                       "--out", str(tmp_path / "merged.json"))
    assert code == 0, err
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert merged["changes"] == single["changes"]  # change by change
    assert merged == single  # and the rest: spaces, fingerprints, preflight, calls, blockers, provenance

    code, out, _ = run(capsys, "show", "--merge", *pieces, "--yaml", str(SPACES), "--format", "github",
                       "--detailed-exitcode")
    assert code == 2  # apply would write: plan's own exit rule, once for the whole run
    code, single_out, _ = run(capsys, "show", str(tmp_path / "single.json"), "--format", "github")
    assert out == single_out  # one set of annotations, the single plan's

    # --exclude beside --target, and drift's pieces merge the same way, with drift's exit code
    code, _, err = run(capsys, "plan", str(SPACES), "--emulator", str(STATE), "--account", "retail", "--exclude",
                       "retail-outlet", "--format", "json", "--out", str(tmp_path / "shop.json"))
    assert [s["name"] for s in json.loads((tmp_path / "shop.json").read_text())["spaces"]] == ["retail-shop"]
    for account in ("retail", "travel"):
        code, _, err = run(capsys, "drift", str(SPACES), "--emulator", str(STATE), "--account", account,
                           "--format", "json", "--out", str(tmp_path / f"drift-{account}.json"))
        assert code == 2, err
    code, out, err = run(capsys, "drift", "--merge", str(tmp_path / "drift-retail.json"),
                         str(tmp_path / "drift-travel.json"), "--yaml", str(SPACES), "--format", "markdown")
    assert code == 2, err
    assert "retail-shop" in out and "travel-bookings" in out


def _refusal(capsys: pytest.CaptureFixture[str], *files: Path) -> str:
    code, out, err = run(capsys, "show", "--merge", *map(str, files), "--yaml", str(SPACES))
    assert code == 1 and out == "", err
    return err


def test_pieces_that_do_not_belong_together_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    retail, travel = tmp_path / "plan-retail.json", tmp_path / "plan-travel.json"
    plan_piece(capsys, retail, "--account", "retail")
    data = plan_piece(capsys, travel, "--account", "travel")
    single = tmp_path / "single.json"
    plan_piece(capsys, single)

    assert "no piece covers account travel (travel-bookings, travel-support)" in _refusal(capsys, retail)
    assert f"{single} and {retail} both cover space retail-shop" in _refusal(capsys, retail, single)
    other = tmp_path / "plan-travel-other-commit.json"
    data["provenance"]["git_commit"] = "f" * 40
    other.write_text(json.dumps(data))
    assert "the pieces are of different commits" in _refusal(capsys, retail, other)
    shard = tmp_path / "plan-travel-bookings.json"
    plan_piece(capsys, shard, "--account", "travel", "--target", "travel-bookings")
    assert ("no piece covers space(s) travel-support of account travel" in _refusal(capsys, retail, shard))

    # Where plans are signed, a piece edited after `plan --out` does not verify: refused by name.
    monkeypatch.setenv(PLAN_KEY_ENV, "fleet-test-key")
    plan_piece(capsys, retail, "--account", "retail")
    signed = plan_piece(capsys, travel, "--account", "travel")
    assert run(capsys, "show", "--merge", str(retail), str(travel), "--yaml", str(SPACES))[0] == 0
    kept = [c for c in signed["changes"] if c["label"] != "update-profile"]
    assert len(kept) < len(signed["changes"])  # a change taken out of the signed piece
    signed["changes"] = kept
    travel.write_text(json.dumps(signed))
    err = _refusal(capsys, retail, travel)
    assert str(travel) in err and "signature does not verify" in err


def test_an_account_job_refuses_a_piece_of_another_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mixed-up artifact: the travel job's plan given to the retail job is refused before any call."""
    plan_piece(capsys, tmp_path / "travel.json", "--account", "travel")
    code, _, err = run(capsys, "apply", str(SPACES), "--plan", str(tmp_path / "travel.json"), "--account", "retail",
                       "--emulator", str(STATE), "--state-store", f"dir:{tmp_path / 'state'}")
    assert code == 1, err
    assert ("it covers travel-bookings, travel-support, outside --account retail; nothing was written" in err), err


def _apply(account: str, piece: Path, url: str, tmp_path: Path, *more: str) -> subprocess.Popen[str]:
    """An apply job of one account, as a matrix job runs it: only that account's credentials in its
    environment, the shared state store, its results file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMS_", "ALIBABA_CLOUD_"))}
    env.update(CREDENTIALS[account])
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(SPACES), "--plan", str(piece), "--account", account,
         "--endpoint", url, "--state-store", f"dir:{tmp_path / 'store'}", "--results",
         str(tmp_path / f"results-{account}{'-again' if more else ''}.json"), "--format", "text", *more],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def test_per_account_applies_run_side_by_side_each_under_its_own_lock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: Any) -> None:
    emu = emulator(STATE)
    for name, value in {**CREDENTIALS["retail"], **CREDENTIALS["travel"]}.items():
        monkeypatch.setenv(name, value)  # the plan jobs (this process) read both accounts
    for account in ("retail", "travel"):
        code, _, err = run(capsys, "plan", str(SPACES), "--account", account, "--endpoint", emu.url, "--format",
                           "json", "--out", str(tmp_path / f"plan-{account}.json"))
        assert code == 0, err

    held = emu.faults.hold("UpdatePhoneWebhook", "before")  # retail's apply stops mid-write, holding its lock
    retail = _apply("retail", tmp_path / "plan-retail.json", emu.url, tmp_path)
    try:
        assert held.arrived.wait(60), retail.communicate(timeout=5)
        travel = _apply("travel", tmp_path / "plan-travel.json", emu.url, tmp_path)
        _, travel_err = travel.communicate(timeout=120)
        assert travel.returncode == 0, travel_err  # travel's lock is its own: retail's does not hold it up
        second = _apply("retail", tmp_path / "plan-retail.json", emu.url, tmp_path, "--lock-timeout", "0")
        _, second_err = second.communicate(timeout=120)
        assert second.returncode == 1 and "lock" in second_err, second_err  # one writer per account
    finally:
        held.release()
    _, retail_err = retail.communicate(timeout=120)
    assert retail.returncode == 0, retail_err
    assert not list((tmp_path / "store").glob("**/locks/*.json"))  # every lock given back

    results = [str(tmp_path / n) for n in ("results-retail.json", "results-travel.json", "results-retail-again.json")]
    code, out, _ = run(capsys, "show", "--merge", *results[:2], "--yaml", str(SPACES), "--format", "markdown")
    assert code == 0 and "every account applied (retail, travel)" in out
    code, out, _ = run(capsys, "show", "--merge", results[2], results[1], "--yaml", str(SPACES), "--format", "markdown")
    assert code == 1
    assert "1 of 2 account(s) applied; retail refused" in out and "lock" in out.split("| retail |")[1]


def action_step(workdir: Path, command: str, secrets: dict[str, str] | None = None,
                **inputs: str) -> tuple[int, dict[str, str], str]:
    """One step of the shipped workflows: the action run in ``workdir`` as the runner runs it (its inputs as
    INPUT_* variables, only the given secrets), its outputs as the runner reads them, its stdout."""
    out = workdir / "github-output"
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CAMS_", "INPUT_", "GITHUB_"))}
    env.update({"GITHUB_OUTPUT": str(out), "RUNNER_TEMP": str(workdir), "INPUT_COMMAND": command,
                **(secrets or {}), **{"INPUT_" + k.upper().replace("-", "_"): v for k, v in inputs.items()}})
    proc = subprocess.run([sys.executable, "-m", "reconciler.action"], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, read_outputs(out), proc.stdout


WORKFLOWS = REPO / "examples" / "ci" / "github-actions"
APPLY_WORKFLOW = WORKFLOWS / "cams-apply.yml"


def workflow_inputs(job: str, step_id: str, workflow_file: Path = APPLY_WORKFLOW, **values: str) -> dict[str, str]:
    """The ``with:`` of a step of a shipped workflow as the runner would pass it: ``${{ matrix.X }}`` and
    ``${{ runner.temp }}`` filled from ``values``; an input left to another expression (a role, a secret)
    is dropped, as the action then takes its default."""
    workflow = yaml.safe_load(workflow_file.read_text(encoding="utf-8"))
    step = next(s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id)
    out: dict[str, str] = {}
    for name, value in step["with"].items():
        text = str(value)
        for key, filled in values.items():
            text = text.replace("${{ " + key + " }}", filled)
        if "${{" not in text:
            out[name] = text
    return out


def run_step(workdir: Path, inputs: dict[str, str], secrets: dict[str, str] | None = None,
             **more: str) -> tuple[int, dict[str, str], str]:
    """A workflow step (``workflow_inputs``) run as the action, with ``more`` inputs the test adds."""
    given = {**inputs, **more}
    return action_step(workdir, given.pop("command"), secrets, **given)


def test_a_manual_apply_of_a_fleet_applies_the_plan_runs_pieces_per_account(tmp_path: Path, emulator: Any) -> None:
    """cams-apply.yml run by hand on a fleet, its steps run with the inputs the workflow gives them (the action's
    `matrix`, `plan` with input `account`, `merge` and `apply` steps, as cams-plan.yml runs them too): the plan
    run (no input) plans each account in its own job and keeps the merged plan with its pieces; the run with
    plan-run-id checks those pieces against main's YAML (refused in one line when they are not main's), then
    applies each account's piece in its own job with only its own key, and merges the outcomes."""
    workflow = yaml.safe_load(APPLY_WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    for name, environment, permissions in (
            ("plan-account", "cams-plan-${{ matrix.account }}", {"contents": "read", "id-token": "write"}),
            ("plan-merged", None, {"contents": "read"}),
            ("apply-account", "cams-apply-${{ matrix.account }}",
             {"contents": "write", "actions": "read", "id-token": "write"})):
        assert workflow[name].get("environment") == environment and workflow[name]["permissions"] == permissions
    assert "workflow_dispatch" in workflow["plan-account"]["if"] and "dispatched" in workflow["apply-account"]["if"]
    assert "workflow_dispatch" in workflow["jobs"]["if"]  # the manual runs get their matrix too
    kept = next(s for s in workflow["plan-merged"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert kept["with"]["name"] == "cams-apply-plan-${{ github.run_id }}" and "pieces/plan-*.json" in kept["with"]["path"]

    emu = emulator(STATE)
    main = tmp_path / "main"
    shutil.copytree(SPACES, main / "spaces")
    code, outputs, _ = run_step(main, workflow_inputs("jobs", "matrix"))
    assert code == 0 and outputs["several"] == "true" and outputs["waves"] == "1"
    jobs = json.loads(outputs["wave-1"])["include"]
    assert [(j["job"], j["account"], j["targets"]) for j in jobs] == [("retail", "retail", ""), ("travel", "travel", "")]

    # the plan run: one job per account (its own key), then the merge, kept as cams-apply-plan-<run id>
    artifact = tmp_path / "reviewed-plan"
    (artifact / "pieces").mkdir(parents=True)
    for job in jobs:
        inputs = workflow_inputs("plan-account", "plan-piece", **{"matrix.job": job["job"], "matrix.account": job["account"],
                                                             "matrix.targets": job["targets"]})
        code, outputs, _ = run_step(main, inputs, CREDENTIALS[job["account"]], endpoint=emu.url)
        assert code == 0 and outputs["outcome"] == "changes", outputs
        shutil.move(str(main / outputs["plan-path"]), artifact / "pieces")
    shutil.copytree(artifact / "pieces", main / "pieces")  # what plan-merged downloads
    code, outputs, stdout = run_step(main, workflow_inputs("plan-merged", "merged"))
    assert code == 0 and outputs["outcome"] == "changes" and outputs["plan-path"] == "plan.json", outputs
    assert stdout.count("::notice title=cams-reconciler plan::") == 1  # one set of annotations
    assert {s["account"] for s in json.loads((main / "plan.json").read_text())["spaces"]} == {"retail", "travel"}

    # the run with plan-run-id: the apply job checks the downloaded pieces against main's YAML
    check = workflow_inputs("apply", "check", **{"runner.temp": str(tmp_path)})
    assert check["pieces"] == f"{artifact}/pieces/plan-*.json"
    code, outputs, _ = run_step(main, check)
    assert code == 0 and outputs["outcome"] == "changes", outputs
    retail, travel = main / "spaces" / "retail.yaml", main / "spaces" / "travel.yaml"
    before = {retail: retail.read_text(), travel: travel.read_text()}
    retail.write_text(before[retail] + "\n  - name: retail-annex\n    account: retail\n"
                      "    cust_space_id: \"393483938849003\"\n")
    travel.write_text(before[travel].replace("Bookings and changes", "Bookings only"))
    code, outputs, _ = run_step(main, check)  # main moved since the plan run
    assert code == 1 and outputs["outcome"] == "error"
    reason = outputs["reason"]
    assert "\n" not in reason and reason.startswith("refusing to merge the pieces: "), reason
    assert "plan-travel.json was made from other YAML" in reason and "no piece covers space(s) retail-annex" in reason
    for path, text in before.items():
        path.write_text(text)

    # apply-account: each account's piece in its own job (checkout), with only its own key, its own lock
    (tmp_path / "results").mkdir()
    for job in jobs:
        checkout = tmp_path / f"job-{job['job']}"
        shutil.copytree(main / "spaces", checkout / "spaces")
        shutil.copyfile(artifact / "pieces" / f"plan-{job['job']}.json", checkout / "plan.json")  # its download
        inputs = workflow_inputs("apply-account", "apply-piece", **{
            "matrix.job": job["job"], "matrix.account": job["account"], "matrix.targets": job["targets"]})
        code, outputs, _ = run_step(checkout, inputs, CREDENTIALS[job["account"]], endpoint=emu.url,
                                    **{"state-store": f"dir:{tmp_path / 'store'}"})
        assert code == 0 and outputs["outcome"] == "applied", outputs
        shutil.copy(checkout / outputs["results-path"], tmp_path / "results")
    code, outputs, _ = run_step(tmp_path, workflow_inputs("apply-outcome", "outcome"), paths=str(main / "spaces"))
    assert code == 0 and outputs["outcome"] == "applied", outputs
    assert "every account applied (retail, travel)" in (tmp_path / "apply.md").read_text()


def test_a_matrix_jobs_role_reads_its_one_account_and_no_other(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: Any) -> None:
    """CAMS_RECONCILER_AMBIENT_ACCOUNT (what the action sets beside a job's OIDC role): the ambient key is
    that declared account's; an account the job was given no key for cannot be read."""
    emu = emulator(STATE)
    for name in ("ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_SECURITY_TOKEN", *CREDENTIALS["retail"], *CREDENTIALS["travel"]):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAMS_RECONCILER_AMBIENT_ACCOUNT", "travel")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "travel-demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "travel-demo-secret")
    code, _, err = run(capsys, "plan", str(SPACES), "--account", "travel", "--endpoint", emu.url)
    assert code == 0, err
    code, _, err = run(capsys, "plan", str(SPACES), "--account", "retail", "--endpoint", emu.url)
    assert code == 1 and "CAMS_RETAIL_ACCESS_KEY_ID" in err


def test_merged_drift_holds_back_what_the_yaml_acknowledges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spaces = tmp_path / "spaces"
    shutil.copytree(SPACES, spaces)
    for account in ("retail", "travel"):
        code, _, err = run(capsys, "drift", str(spaces), "--emulator", str(STATE), "--account", account,
                           "--format", "json", "--out", str(tmp_path / f"drift-{account}.json"))
        assert code == 2, err
    pieces = [str(tmp_path / "drift-retail.json"), str(tmp_path / "drift-travel.json")]
    assert run(capsys, "drift", "--merge", *pieces, "--yaml", str(spaces))[0] == 2
    # acknowledge every finding of both accounts' spaces: the merged run no longer fails on them
    text = {f: (spaces / f).read_text() for f in ("retail.yaml", "travel.yaml")}
    ack = ("    acknowledge:\n      - finding: \"*/*\"\n        reason: a fleet test\n        until: 2099-12-31\n")
    for name, body in text.items():
        (spaces / name).write_text(body.replace("    defaults:\n", ack + "    defaults:\n"))
    code, _, err = run(capsys, "drift", "--merge", *pieces, "--yaml", str(spaces))
    assert code == 0, err


def test_merged_drift_issues_are_what_one_process_over_every_account_writes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each account's job writes its issue operations from its own previous findings (``drift --issues-out``
    beside ``--out``); ``drift --merge ... --issues-out`` joins them into exactly one process's document, on a
    first run and on a later one where findings resolve, are acknowledged and stay."""
    spaces = tmp_path / "spaces"
    shutil.copytree(SPACES, spaces)

    def one_round(now: str) -> tuple[dict[str, Any], dict[str, Any]]:
        single_code, _, err = run(capsys, "drift", str(spaces), "--emulator", str(STATE), "--state",
                                  str(tmp_path / "single-state.json"), "--now", now, "--format", "json",
                                  "--issues-out", str(tmp_path / "single-issues.json"))
        assert single_code == 2, err
        for account in ("retail", "travel"):
            code, _, err = run(capsys, "drift", str(spaces), "--emulator", str(STATE), "--account", account,
                               "--state", str(tmp_path / f"state-{account}.json"), "--now", now, "--format", "json",
                               "--out", str(tmp_path / f"drift-{account}.json"),
                               "--issues-out", str(tmp_path / f"issues-{account}.json"))
            assert code in (0, 2), err  # 0: every finding of the account acknowledged
        code, _, err = run(capsys, "drift", "--merge", *(str(tmp_path / f) for f in (
            "drift-travel.json", "issues-travel.json", "drift-retail.json", "issues-retail.json")),  # any order
            "--yaml", str(spaces), "--issues-out", str(tmp_path / "merged-issues.json"))
        assert code == single_code, err
        return (json.loads((tmp_path / "single-issues.json").read_text()),
                json.loads((tmp_path / "merged-issues.json").read_text()))

    single, merged = one_round("2026-12-01T06:00:00Z")
    assert merged == single
    assert [(op["space"], op["state"]) for op in merged["operations"]] == [
        ("retail-shop", "open"), ("retail-outlet", "open"), ("travel-bookings", "open"), ("travel-support", "closed")]

    # the next run: a profile no longer declared (its finding resolves), a travel finding acknowledged
    retail = spaces / "retail.yaml"
    retail.write_text(retail.read_text().replace("        business_profile:\n          about: Shop orders and returns\n",
                                                 ""))
    travel = spaces / "travel.yaml"
    travel.write_text(travel.read_text().replace("    defaults:\n", "    acknowledge:\n      - finding: \"*/*\"\n"
                                                 "        reason: a fleet test\n        until: 2099-12-31\n"
                                                 "    defaults:\n", 1))
    single, merged = one_round("2026-12-01T12:00:00Z")
    assert merged == single
    shop = next(op for op in merged["operations"] if op["space"] == "retail-shop")
    assert "1 resolved" in shop["comment"]
    assert "**acknowledged**" in next(op for op in merged["operations"] if op["space"] == "travel-bookings")["body"]

    # an operation carries only its fields: anything else a piece holds stays behind
    issues = json.loads((tmp_path / "issues-retail.json").read_text())
    issues["operations"][0]["number"] = 1
    (tmp_path / "issues-retail.json").write_text(json.dumps(issues))
    code, _, err = run(capsys, "drift", "--merge", *(str(tmp_path / f) for f in (
        "drift-travel.json", "issues-travel.json", "drift-retail.json", "issues-retail.json")),
        "--yaml", str(spaces), "--issues-out", str(tmp_path / "merged-issues.json"))
    assert json.loads((tmp_path / "merged-issues.json").read_text()) == single, err

    # an account's job that wrote no issues, and issues without --issues-out, are refused; the merged drift
    # report is still written (a refusal of the issues does not take the fleet's report with it)
    code, out, err = run(capsys, "drift", "--merge", str(tmp_path / "drift-retail.json"),
                         str(tmp_path / "drift-travel.json"), str(tmp_path / "issues-retail.json"),
                         "--yaml", str(spaces), "--issues-out", str(tmp_path / "partial.json"),
                         "--out", str(tmp_path / "partial-report.md"))
    assert code == 1 and not (tmp_path / "partial.json").exists()
    assert "retail-shop" in (tmp_path / "partial-report.md").read_text()
    assert "no issues file covers space(s) travel-bookings, travel-support of account travel" in err
    code, _, err = run(capsys, "drift", "--merge", str(tmp_path / "drift-retail.json"),
                       str(tmp_path / "drift-travel.json"), str(tmp_path / "issues-retail.json"), "--yaml", str(spaces))
    assert code == 1 and "give both, or neither" in err


def test_the_fleet_drift_workflow_joins_the_accounts_issues(tmp_path: Path, emulator: Any) -> None:
    """cams-drift.yml's drift-account and drift-merged steps, with the inputs the workflow gives them: each
    account's job writes its issue operations beside its report, and the merge joins them into the file the
    issues job reads."""
    drift = WORKFLOWS / "cams-drift.yml"
    workflow = yaml.safe_load(drift.read_text(encoding="utf-8"))["jobs"]
    assert set(workflow["issues"]["needs"]) == {"drift", "drift-merged"}
    emu = emulator(STATE)
    shutil.copytree(SPACES, tmp_path / "spaces")
    (tmp_path / "pieces").mkdir()
    for account in ("retail", "travel"):
        inputs = workflow_inputs("drift-account", "piece", drift, **{
            "matrix.job": account, "matrix.account": account, "matrix.targets": ""})
        secrets = {**CREDENTIALS[account], "CAMS_DRIFT_CHAT_WEBHOOK": ""}  # the job's env: an unset secret
        code, outputs, _ = run_step(tmp_path, inputs, secrets, endpoint=emu.url,
                                    **{"state-store": f"dir:{tmp_path / 'store'}"})
        assert code == 1 and outputs["outcome"] == "drift", outputs  # new findings: the account's job fails
        for name in (f"drift-{account}.json", f"issues-{account}.json"):  # what the job uploads
            shutil.move(str(tmp_path / name), tmp_path / "pieces")
    code, outputs, _ = run_step(tmp_path, workflow_inputs("drift-merged", "merged", drift))
    assert code == 0 and outputs["outcome"] == "drift", outputs
    issues = json.loads((tmp_path / "drift-issues.json").read_text())
    assert [op["space"] for op in issues["operations"]] == [
        "retail-shop", "retail-outlet", "travel-bookings", "travel-support"]
