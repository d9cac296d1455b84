"""Several Alibaba Cloud accounts in one repository, end to end against the emulator's ``accounts:`` state:
each space read with its own account's key (the audit log shows which), the account recorded in the saved
plan and the plan grouped by account, a space declared in the wrong account refused with a clear line,
apply writing each space with its account's key, and ``--emulator`` mapping accounts by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.helpers.accounts import SPACES, repository

GLOBEX = "293483938849003"
@pytest.fixture(autouse=True)
def _keys(monkeypatch):
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")
    monkeypatch.setenv("ACME_KEY_ID", "demo")
    monkeypatch.setenv("ACME_KEY_SECRET", "demo-secret")
    monkeypatch.setenv("GLOBEX_KEY_ID", "globex")
    monkeypatch.setenv("GLOBEX_KEY_SECRET", "globex-secret")
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_PROFILE",
                 "CAMS_RECONCILER_ENDPOINT", "CAMS_RECONCILER_EMULATOR", "CAMS_RECONCILER_REGION",
                 "CAMS_RECONCILER_QPS"):
        monkeypatch.delenv(name, raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def audit_keys(path: Path) -> dict[str, set[str]]:
    """Space id (or the action, for calls without one) → the access keys that asked for it."""
    seen: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        space = (entry.get("parameters") or {}).get("CustSpaceId") or entry["action"]
        seen.setdefault(space, set()).add(entry["access_key_id"])
    return seen


def test_each_space_is_read_with_its_own_accounts_key(capsys, tmp_path, emulator, two_account_state):
    audit = tmp_path / "audit.jsonl"
    emu = emulator(two_account_state, audit_log=audit)
    out_file = tmp_path / "plan.json"
    code, out, err = run(capsys, "plan", str(repository(tmp_path)), "--endpoint", emu.url, "--out", str(out_file))
    assert code == 0, err
    keys = audit_keys(audit)
    assert keys[GLOBEX] == {"globex"}
    assert keys["293483938849001"] == {"demo"} and keys["293483938849002"] == {"demo"}
    assert keys["GetCustomerAccountInfo"] == {"demo", "globex"}  # one account check per account
    saved = json.loads(out_file.read_text())
    assert {s["name"]: s["account"] for s in saved["spaces"]} == {
        "acme-retail": "acme", "acme-travel": "acme", "globex-support": "globex"}
    assert saved["calls"]["GetCustomerAccountInfo"] == 2
    lines = out.splitlines()
    assert lines.index("== Account acme (2 spaces)") < lines.index("== Account globex (1 space)")
    assert "globex-secret" not in out + err + out_file.read_text()


def test_a_space_in_the_wrong_account_is_refused_with_a_clear_line(capsys, tmp_path, emulator, two_account_state):
    emu = emulator(two_account_state)
    code, out, err = run(capsys, "plan", str(repository(tmp_path, globex_account="acme")), "--endpoint", emu.url)
    assert code == 1
    line = next(l for l in out.splitlines() if "ERROR" in l)
    assert "Unknown.ResourceOwnerId" in line
    assert "read with account 'acme': the space does not belong to it; check the space's `account:`" in line
    assert "Space acme-retail" in out  # the other spaces are still planned


def test_apply_writes_each_space_with_its_accounts_key(capsys, tmp_path, emulator, two_account_state):
    audit = tmp_path / "audit.jsonl"
    emu = emulator(two_account_state, audit_log=audit)
    repo = repository(tmp_path)
    globex = repo / "globex-support.yaml"
    globex.write_text(globex.read_text().replace("hooks.globex.example/wa/status", "hooks.globex.example/wa/s2"))
    results = tmp_path / "results.json"
    code, out, err = run(capsys, "apply", str(repo), "--endpoint", emu.url, "--auto-approve",
                         "--results", str(results))
    assert code == 0, err + out
    saved = json.loads(results.read_text())
    assert {r["space"]: r["account"] for r in saved["results"]}["globex-support"] == "globex"
    assert {r["account"] for r in saved["results"]} == {"acme", "globex"}
    report = out[out.index("CHANGE"):].splitlines()
    headings = [l for l in report if l.startswith("== Account")]
    assert headings == ["== Account acme", "== Account globex"]
    assert all(l.startswith("globex-support/") for l in report[report.index("== Account globex") + 1:]
               if l and not l.startswith("Apply "))
    writes = [json.loads(l) for l in audit.read_text().splitlines()
              if json.loads(l)["action"] == "UpdatePhoneWebhook"]
    by_space = {(w["parameters"]["CustSpaceId"], w["access_key_id"]) for w in writes}
    assert (GLOBEX, "globex") in by_space and all(k == "globex" for s, k in by_space if s == GLOBEX)
    assert all(k == "demo" for s, k in by_space if s != GLOBEX)
    snapshot = emu.backend.snapshot()["accounts"]["globex"]["spaces"][GLOBEX]
    assert snapshot["phone_numbers"][0]["StatusCallbackUrl"] == "https://hooks.globex.example/wa/s2"


def test_an_unset_key_variable_is_named_when_its_account_is_needed(capsys, tmp_path, emulator,
                                                                   two_account_state, monkeypatch):
    emu = emulator(two_account_state)
    monkeypatch.delenv("GLOBEX_KEY_SECRET")
    repo = str(repository(tmp_path))
    code, out, err = run(capsys, "plan", repo, "--endpoint", emu.url)
    assert code == 1
    assert "account 'globex': the environment variable GLOBEX_KEY_SECRET (its access key secret) is not set" in err
    # A run that reads no space of that account needs none of its secrets.
    code, out, err = run(capsys, "plan", repo, "--endpoint", emu.url, "--target", "acme-retail")
    assert code == 0, err


def test_emulator_option_gives_each_account_the_key_of_the_emulator_account_of_that_id(
        capsys, tmp_path, two_account_state):
    import yaml

    state = tmp_path / "state.yaml"
    state.write_text(yaml.safe_dump(two_account_state), encoding="utf-8")
    code, out, err = run(capsys, "plan", str(repository(tmp_path)), "--emulator", str(state))
    assert code == 0, err
    assert "== Account globex (1 space)" in out
    code, out, err = run(capsys, "plan", str(repository(tmp_path / "x", globex_account="acme")),
                         "--emulator", str(state))
    assert code == 1 and "does not belong to it" in out


def _profiles(home: Path, **profiles: tuple[str, str]) -> None:
    (home / ".aliyun").mkdir(exist_ok=True)
    (home / ".aliyun" / "config.json").write_text(json.dumps({"current": "", "profiles": [
        {"name": name, "mode": "AK", "access_key_id": key, "access_key_secret": secret}
        for name, (key, secret) in profiles.items()]}), encoding="utf-8")


def test_profiles_from_a_cli_config_json(capsys, tmp_path, emulator, two_account_state, monkeypatch):
    """``--profile``, ``ALIBABA_CLOUD_PROFILE`` and an account's ``profile:``, from HOME's ~/.aliyun/config.json."""
    monkeypatch.setenv("HOME", str(tmp_path))
    _profiles(tmp_path, acme=("demo", "demo-secret"), globex=("globex", "globex-secret"))
    audit = tmp_path / "audit.jsonl"
    emu = emulator(two_account_state, audit_log=audit)
    code, out, err = run(capsys, "plan", str(SPACES), "--target", "acme-retail", "--profile", "acme",
                         "--endpoint", emu.url)
    assert code == 0, err
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "globex")
    code, out, err = run(capsys, "plan", str(SPACES), "--target", "globex-support", "--endpoint", emu.url)
    assert code == 0, err
    assert audit_keys(audit)[GLOBEX] == {"globex"}
    code, out, err = run(capsys, "plan", str(SPACES), "--profile", "acmee", "--endpoint", emu.url)
    assert code == 1 and "--profile: profile 'acmee': no such profile" in err and "Traceback" not in err
    monkeypatch.delenv("ALIBABA_CLOUD_PROFILE")
    repo = repository(tmp_path / "r")
    (repo / "accounts.yaml").write_text(
        "version: 1\naccounts:\n  - {name: acme, profile: acme}\n  - {name: globex, profile: globex}\n")
    code, out, err = run(capsys, "plan", str(repo), "--endpoint", emu.url)
    assert code == 0, err
    assert "== Account globex (1 space)" in out


def test_environment_defaults_stand_in_for_the_options(capsys, tmp_path, two_account_state, monkeypatch):
    import yaml

    state = tmp_path / "state.yaml"
    state.write_text(yaml.safe_dump(two_account_state), encoding="utf-8")
    monkeypatch.setenv("CAMS_RECONCILER_EMULATOR", str(state))
    monkeypatch.setenv("CAMS_RECONCILER_QPS", "50")
    code, out, err = run(capsys, "plan", str(repository(tmp_path)))
    assert code == 0, err
    monkeypatch.setenv("CAMS_RECONCILER_QPS", "0")
    code, out, err = run(capsys, "plan", str(repository(tmp_path / "x")))
    assert code == 1 and "environment variable CAMS_RECONCILER_QPS: expected a positive number" in err


@pytest.mark.parametrize("command", ["plan", "drift", "apply", "import", "call"])
def test_help_of_networked_commands_lists_the_variables_with_examples(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    for name in ("ALIBABA_CLOUD_PROFILE", "CAMS_RECONCILER_ENDPOINT", "CAMS_RECONCILER_EMULATOR",
                 "CAMS_RECONCILER_REGION", "ALIBABA_CLOUD_REGION_ID", "CAMS_RECONCILER_QPS", "--profile"):
        assert name in out
    examples = out.split("examples:", 1)[1].strip().splitlines()
    assert len(examples) == 3 and all(f"cams-reconciler {command}" in e for e in examples)


def test_each_account_keeps_its_own_records_and_lock(capsys, tmp_path, emulator, two_account_state, monkeypatch):
    """The state store keys every record by its account's target: acme (named by the account check's Mpk)
    and globex (no account id in its answer: named by its key id) each get their own drift state."""
    from reconciler.state.dir import DirStore
    from reconciler.state.records import records_of

    emu = emulator(two_account_state)
    repo = str(repository(tmp_path))
    monkeypatch.setenv("CAMS_RECONCILER_STATE_STORE", f"dir:{tmp_path / 'state'}")
    code, out, err = run(capsys, "apply", repo, "--endpoint", emu.url, "--auto-approve")
    assert code == 0, out + err
    run(capsys, "drift", repo, "--endpoint", emu.url)
    by_kind: dict[str, set[str]] = {}
    for _, doc in records_of(DirStore(tmp_path / "state")):
        by_kind.setdefault(doc["kind"], set()).add(doc["target"]["account"])
    assert by_kind["drift-state"] == {"acct:1051360339779133", "key:globex"}
    assert by_kind["account-webhooks"] == {"acct:1051360339779133"}  # only acme-retail declares one
    code, out, err = run(capsys, "plan", repo, "--endpoint", emu.url, "--detailed-exitcode")
    assert "account_webhook" not in out, out + err
