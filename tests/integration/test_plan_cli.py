"""``cams-reconciler plan`` end to end: example YAML → loader → client → emulator (real loopback HTTP) →
diff → every output format, exit codes, --out, --target, --changed-since, and the read-only contract."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from reconciler.cli import main
from reconciler.client.actions import ACTIONS, Kind

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = str(REPO / "examples" / "emulator-state.yaml")
SECRETS = ("tr4vel-s3cret", "old-token-123", "828712", "demo-secret", "readonly-secret",
           "whatsapp-ops@acme.example")
SUMMARY = ("Plan: 1 to sync, 1 to verify, 2 webhook updates, 1 profile update, 1 to update; 3 findings (report only: "
           "2 drift, 1 unmanaged).")


@pytest.fixture(autouse=True)
def _migration_code(monkeypatch):
    # The code is in the environment, as in CI: the plan must say it is set, never show it.
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def plan_schema() -> dict:
    return json.loads(resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text())


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_text_plan_of_the_examples_shows_every_kind_of_change(capsys):
    code, out, err = run(capsys, "plan", SPACES, "--emulator", STATE)
    assert code == 0, err
    for line in ("  + sync (space) numbers", "  > verify-migration 8613800009999",
                 "  ~ update-webhook 8613800001235", "  ~ update-webhook 6591234567",
                 "  ~ update-profile 8613800001236", "  ! drift 8613800001237 expect.quality_rating",
                 "  ! drift 6591234568 queues.status_queue", "  ? unmanaged 8613800001299"):
        assert any(l.startswith(line) for l in out.splitlines()), line
    assert SUMMARY in out.splitlines()
    assert "Space globex-support" not in out and "1 space in sync (-v lists it)" in out.splitlines()
    assert '"env_set": true' in out or "env_set: true" in out
    assert "token=***" in out
    calls = out.rstrip().splitlines()[-1]
    assert calls.startswith("Calls: GetChatappPhoneNumberSetting 1, GetChatappTemplateDetail 2, ")
    assert "GetCustomerAccountInfo 1, " in calls and "ListChatappTemplate 1, " in calls and "QueryChatappPhoneNumbers 3" in calls
    assert_no_secret(out, err)


def test_detailed_exitcode_and_drift_exit_codes(capsys):
    assert run(capsys, "plan", SPACES, "--emulator", STATE, "--detailed-exitcode")[0] == 2
    assert run(capsys, "plan", SPACES, "--emulator", STATE, "--detailed-exitcode",
               "--target", "globex-support")[0] == 0
    assert run(capsys, "plan", SPACES, "--emulator", STATE, "--target", "acme-travel")[0] == 0


def test_detailed_exitcode_is_about_writes_and_drift_about_findings(capsys, tmp_path):
    """Terraform's meaning: 2 only when apply would write something. A space whose only finding is a
    number outside its expected health has nothing for apply to write (plan: 0), and has drifted (drift: 2)."""
    yaml_text = (REPO / "examples" / "spaces" / "globex-support.yaml").read_text()
    strict = tmp_path / "globex.yaml"
    strict.write_text(yaml_text.replace("quality_rating: [GREEN]", "quality_rating: [YELLOW]"))
    code, out, err = run(capsys, "plan", str(strict), "--emulator", STATE, "--detailed-exitcode")
    assert code == 0 and "expect.quality_rating" in out, out + err
    code, out, err = run(capsys, "drift", str(strict), "--emulator", STATE)
    assert code == 2 and "outside their expected health" in out, out + err
    webhook = tmp_path / "webhook.yaml"
    webhook.write_text(yaml_text.replace("/wa/status", "/wa/v2/status"))
    assert run(capsys, "plan", str(webhook), "--emulator", STATE, "--detailed-exitcode")[0] == 2


def test_target_plans_only_that_space_and_costs_only_its_calls(capsys):
    code, out, err = run(capsys, "plan", SPACES, "--emulator", STATE, "--format", "json",
                         "--target", "acme-travel", "--target", "globex-support")
    assert code == 0, err
    plan = json.loads(out)
    assert [s["name"] for s in plan["spaces"]] == ["acme-travel", "globex-support"]
    assert {c["space"] for c in plan["changes"]} == {"acme-travel"}
    assert plan["calls"]["QueryChatappPhoneNumbers"] == 2
    assert "Calls:" in err and "Calls:" not in out


def test_unknown_target_is_an_error(capsys):
    code, out, err = run(capsys, "plan", SPACES, "--emulator", STATE, "--target", "nope")
    assert code == 1 and out == ""
    assert err.startswith("error: --target nope: no such space") and "Traceback" not in err


def test_json_output_and_out_file_validate_against_the_schema_and_hold_no_secret(capsys, tmp_path):
    out_file = tmp_path / "sub" / "plan.json"
    code, out, err = run(capsys, "plan", SPACES, "--emulator", STATE, "--format", "json", "--out", str(out_file))
    assert code == 0, err
    stdout_plan = json.loads(out)
    saved = json.loads(out_file.read_text())
    assert saved == stdout_plan
    jsonschema.validate(saved, plan_schema(), cls=jsonschema.Draft202012Validator)
    assert saved["summary"] == SUMMARY
    assert saved["format_version"] == 2 and saved["desired_fingerprint"].startswith("sha256:")
    assert [s["name"] for s in saved["spaces"]] == ["acme-retail", "acme-travel", "globex-support"]
    verify = [c for c in saved["changes"] if c["action"] == "verify-migration"]
    assert verify[0]["after"] == {"verify_code_env": "CAMS_SECRET_ACME_MIGRATION_CODE", "env_set": True}
    assert not list(out_file.parent.glob(".*tmp"))  # the temporary file was renamed, not left behind
    assert_no_secret(out, err, out_file.read_text())


def test_plan_is_deterministic_apart_from_nothing(capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764633600")  # the plan's creation time (provenance)
    first = run(capsys, "plan", SPACES, "--emulator", STATE, "--format", "json")[1]
    second = run(capsys, "plan", SPACES, "--emulator", STATE, "--format", "json")[1]
    assert first == second


def test_markdown_and_github_formats(capsys):
    code, md, err = run(capsys, "plan", SPACES, "--emulator", STATE, "--format", "markdown")
    assert code == 0, err
    assert md.index("| space |") < md.index("#### acme-retail: ") and len(md) < 60_000
    assert md.count("\n#### ") == 2 and "<details>" not in md  # small: open; globex-support is in sync
    assert "examples/spaces/acme-retail.yaml#L" in md
    code, gh, err = run(capsys, "plan", SPACES, "--emulator", STATE, "--format", "github")
    assert code == 0, err
    lines = gh.splitlines()
    assert all(line.startswith(("::warning ", "::notice ", "::error ")) for line in lines)
    assert any(line.startswith("::warning file=") and "acme-travel.yaml,line=" in line for line in lines)
    assert any(line.startswith("::notice file=") and "8613800001299" in line for line in lines)
    assert "Calls:" in err
    assert_no_secret(md, gh, err)


def test_config_error_prints_file_line_and_exits_1(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("space: x\ncust_space_id: [not, a, string]\nnumbers: 7\n")
    code, out, err = run(capsys, "plan", str(bad), "--emulator", STATE)
    assert code == 1 and out == ""
    assert "bad.yaml:" in err and "Traceback" not in err


def _read_only_env(monkeypatch, emu) -> list[str]:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "readonly")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "readonly-secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    return ["--endpoint", emu.url]


def test_plan_and_drift_with_the_read_only_key_call_only_read_actions(capsys, monkeypatch, emulator, tmp_path):
    audit = tmp_path / "audit.jsonl"
    emu = emulator(STATE, audit_log=str(audit))
    before = emu.backend.snapshot()
    conn = _read_only_env(monkeypatch, emu)
    code, out, err = run(capsys, "plan", SPACES, *conn, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    code, _, err = run(capsys, "drift", SPACES, *conn)
    assert code == 2, err
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert records and {r["access_key_id"] for r in records} == {"readonly"}
    assert {r["code"] for r in records} == {"OK", "Success"}  # nothing was refused either
    assert all(ACTIONS[r["action"]].kind is Kind.READ for r in records)
    assert emu.backend.snapshot() == before
    # The call contract: 1 per space + 1 per present number and block whose kind reads (a profile, the
    # number settings) + 1 preflight, per run.
    state = yaml.safe_load(Path(STATE).read_text())
    declared = json.loads(run(capsys, "plan", SPACES, *conn, "--format", "json")[1])  # third run
    present = {n["PhoneNumber"] for s in state["spaces"].values() for n in s.get("phone_numbers", [])}
    templated = _spaces_declaring_templates()  # one template list page each, one detail per declared template
    expected = {"GetCustomerAccountInfo": 1, "QueryChatappPhoneNumbers": len(plan["spaces"]),
                "ListChatappTemplate": len(templated), "GetChatappTemplateDetail": sum(templated.values())}
    for action, numbers in _numbers_declaring_reads().items():
        expected[action] = len(numbers & present)
    assert plan["calls"] == expected == declared["calls"]
    per_run = sum(expected.values())
    assert len(audit.read_text().splitlines()) == 3 * per_run


def _spaces_declaring_templates() -> dict[str, int]:
    """Space name → how many templates it declares (the example's templates all exist in the state)."""
    out: dict[str, int] = {}
    for path in sorted(Path(SPACES).glob("*.yaml")):
        for space in yaml.safe_load(path.read_text())["spaces"]:
            if space.get("templates"):
                out[space["name"]] = len(space["templates"].get("items") or [])
    return out


def _numbers_declaring_reads() -> dict[str, set[str]]:
    """Read action → the declared numbers whose block of that kind makes it."""
    from reconciler import kinds
    from reconciler.config import load_desired_state

    state = load_desired_state([SPACES])
    out: dict[str, set[str]] = {}
    for kind in kinds.number_kinds():
        if kind.api.read:
            found = {n.phone_number for s in state.spaces for n in s.numbers if n.block(kind.name) is not None}
            if found:
                out[kind.api.read] = found
    return out


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SPACES, root / "spaces")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    return root


def test_changed_since_plans_only_the_spaces_that_changed(capsys, repo, monkeypatch):
    monkeypatch.chdir(repo)
    travel = repo / "spaces" / "acme-travel.yaml"
    travel.write_text(travel.read_text().replace("/travel/inbound", "/travel/inbound-v2"))
    retail = repo / "spaces" / "acme-retail.yaml"
    retail.write_text("# a comment-only change does not make a space changed\n" + retail.read_text())
    code, out, err = run(capsys, "plan", "spaces", "--emulator", STATE, "--format", "json",
                         "--changed-since", "main")
    assert code == 0, err
    plan = json.loads(out)
    assert [s["name"] for s in plan["spaces"]] == ["acme-travel"]
    assert plan["calls"]["QueryChatappPhoneNumbers"] == 1


def test_changed_since_with_nothing_changed_makes_no_call_and_reports_removed_spaces(capsys, repo, monkeypatch):
    monkeypatch.chdir(repo)
    (repo / "spaces" / "globex-support.yaml").unlink()
    code, out, err = run(capsys, "plan", "spaces", "--emulator", STATE, "--changed-since", "main",
                         "--detailed-exitcode")
    assert code == 0, err
    assert "space globex-support was removed" in err
    assert "Calls: none" in out


def test_changed_since_bad_ref_is_an_error(capsys, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, _, err = run(capsys, "plan", "spaces", "--emulator", STATE, "--changed-since", "no-such-ref")
    assert code == 1 and "no-such-ref" in err and "Traceback" not in err


def test_a_changed_since_plan_says_which_spaces_it_covers_in_every_format(capsys, repo, monkeypatch, tmp_path):
    monkeypatch.chdir(repo)
    travel = repo / "spaces" / "acme-travel.yaml"
    travel.write_text(travel.read_text().replace("/travel/inbound", "/travel/inbound-v2"))
    saved = tmp_path / "plan.json"
    code, markdown, err = run(capsys, "plan", "spaces", "--emulator", STATE, "--format", "markdown",
                              "--changed-since", "main", "--out", str(saved))
    assert code == 0, err
    scope = "Scope: the 1 space whose YAML changed since main (of 3 declared): acme-travel; the others were not read."
    assert f"> {scope}" in markdown.splitlines()
    doc = json.loads(saved.read_text())
    assert doc["scope"] == {"changed_since": "main", "declared": 3}
    jsonschema.validate(doc, plan_schema(), cls=jsonschema.Draft202012Validator)
    for fmt in ("text", "markdown"):  # the saved plan carries it: `show` says it too
        code, shown, _ = run(capsys, "show", str(saved), "--format", fmt)
        assert code == 0 and scope in shown, fmt
    code, out, _ = run(capsys, "plan", "spaces", "--emulator", STATE)  # a whole plan has no scope line
    assert "Scope:" not in out


def test_a_changed_since_plan_of_nothing_says_nothing_was_read(capsys, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, markdown, err = run(capsys, "plan", "spaces", "--emulator", STATE, "--format", "markdown",
                              "--changed-since", "main")
    assert code == 0, err
    assert "> Scope: no space changed since main (of 3 declared): nothing was read." in markdown.splitlines()
