"""The state store's behaviour, once, on the ``dir:`` backend: keyed records, the adoption of today's files,
the lock (a killed holder, refusal, ``state unlock``), the ``state`` commands, drift's transitions in the store.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.engine.journal import UNSYNCED
from reconciler.state.dir import DirStore
from reconciler.state.lock import held_locks
from reconciler.state.records import records_of
from tests.helpers.gitops import drift_free
from tests.helpers.reliability import sigkill_at_hold

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path: Path, emulator: Callable[..., Any], example_state: dict[str, Any],
          monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Any]:
    handle = emulator(drift_free(example_state), qps=0, latency_ms=0)
    shutil.copytree(REPO / "examples" / "spaces", tmp_path / "spaces")
    monkeypatch.delenv("CAMS_RECONCILER_JOURNAL")
    monkeypatch.setenv("CAMS_RECONCILER_STATE_STORE", f"dir:{tmp_path / 'state'}")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", handle.credentials[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", handle.credentials[1])
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")
    for name in ("ALIBABA_CLOUD_SECURITY_TOKEN", "CAMS_RECONCILER_ENDPOINT", "ALIBABA_CLOUD_ROLE_ARN",
                 "CAMS_RECONCILER_FINGERPRINT_KEY", "CAMS_RECONCILER_LOCK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path, handle


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_a_lock_left_by_a_killed_run_is_shown_refuses_and_is_broken_on_purpose(
        setup: tuple[Path, Any], capsys: pytest.CaptureFixture[str]) -> None:
    tmp, handle = setup
    held = handle.faults.hold("QueryChatappPhoneNumbers", "before")  # killed while it reads, holding the lock
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", "spaces", "--auto-approve",
                             "--endpoint", handle.url], env={**os.environ, "GITHUB_SERVER_URL": "https://github.com",
                                                           "GITHUB_REPOSITORY": "acme/cams", "GITHUB_RUN_ID": "42",
                                                           "GITHUB_ACTOR": "octocat"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    sigkill_at_hold(proc, held)
    store = DirStore(tmp / "state")
    [lock] = held_locks(store)

    code, out, _ = cli(capsys, "state", "lock")
    assert code == 0 and lock.id in out
    assert "octocat" in out and "https://github.com/acme/cams/actions/runs/42" in out and "apply" in out

    # a second writer refuses at once (default --lock-timeout 0), naming the holder and how to break it
    code, out, err = cli(capsys, "apply", "spaces", "--auto-approve", "--endpoint", handle.url,
                         "--results", "results.json")
    assert code == 1
    line = [x for x in err.splitlines() if x.startswith("error:")][0]
    assert "held" in line and "octocat" in line and "runs/42" in line and f"state unlock {lock.id}" in line
    assert json.loads((tmp / "results.json").read_text())["status"] == "error"
    # waiting does not help a dead holder either; the wait is said once
    code, _, err = cli(capsys, "migration", "send-code", "spaces", "--space", "acme-travel", "--number",
                       "+8613800009999", "--endpoint", handle.url, "--lock-timeout", "1s")
    assert code == 1 and "after waiting 1 s" in err and "waiting for the state lock" in err
    # a raw write through `call` takes it too; a raw read, plan and drift neither take nor wait for it
    code, _, err = cli(capsys, "call", "UpdatePhoneWebhook", "CustSpaceId=293483938849001", "PhoneNumber=8613800001234",
                       "StatusCallbackUrl=https://rogue.example/s", "--endpoint", handle.url)
    assert code == 1 and lock.id in err
    assert cli(capsys, "call", "QueryChatappPhoneNumbers", "CustSpaceId=293483938849001", "--endpoint", handle.url)[0] == 0
    assert cli(capsys, "plan", "spaces", "--endpoint", handle.url)[0] == 0

    code, _, err = cli(capsys, "state", "unlock", "not-a-lock")
    assert code == 1 and lock.id in err
    code, _, err = cli(capsys, "state", "unlock", lock.id)
    assert code == 0 and held_locks(store) == []
    code, out, err = cli(capsys, "apply", "spaces", "--auto-approve", "--endpoint", handle.url)
    assert code == 0, out + err
    assert held_locks(store) == []  # released on the way out


def test_records_are_keyed_by_target_and_todays_files_are_adopted_once(
        setup: tuple[Path, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    tmp, handle = setup
    monkeypatch.delenv("CAMS_RECONCILER_STATE_STORE")
    legacy = tmp / ".cams-reconciler"
    legacy.mkdir()
    (legacy / "journal.json").write_text(json.dumps({"format_version": 1, "entries": [
        {"kind": UNSYNCED, "space": "acme-retail", "cust_space_id": "293483938849001", "phone_number": "8613800005555",
         "at": "2026-12-01T00:00:00Z", "detail": "from before"}]}))
    # an emulator rehearsal neither adopts nor changes them
    code, out, err = cli(capsys, "apply", "spaces", "--auto-approve", "--emulator", str(REPO / "examples" / "emulator-state.yaml"))
    assert (legacy / "journal.json").exists()
    # the first run against a real endpoint reads them; its first write of the journal adopts them
    path = tmp / "spaces" / "acme-retail.yaml"
    path.write_text(path.read_text().replace('      - phone_number: "+86 138 0000 1234"',
                                             '      - phone_number: "+86 138 0000 5555"\n'
                                             '      - phone_number: "+86 138 0000 1234"', 1))
    code, out, err = cli(capsys, "plan", "spaces", "--endpoint", handle.url)
    assert "a sync at 2026-12-01T00:00:00Z did not bring it in (from before)" in out, out + err
    code, out, err = cli(capsys, "apply", "spaces", "--auto-approve", "--endpoint", handle.url, "--retry-sync")
    assert not (legacy / "journal.json").exists() and (legacy / "journal.json.adopted").exists()
    store = DirStore(legacy)
    targets = {doc["target"]["endpoint"] for _, doc in records_of(store)}
    assert any(t.startswith("emulator:") for t in targets) and handle.url in targets
    code, out, err = cli(capsys, "state", "list")
    assert code == 0 and "journal" in out and "account-webhooks" in out
    name = next(n for n, doc in records_of(store) if doc["kind"] == "account-webhooks"
                and doc["target"]["endpoint"] == handle.url)
    code, out, _ = cli(capsys, "state", "show", name)
    assert json.loads(out)["data"]["spaces"]["acme-retail"]["masked"].endswith("…")
    code, _, _ = cli(capsys, "state", "rm", name)
    assert code == 0
    code, out, _ = cli(capsys, "plan", "spaces", "--endpoint", handle.url)
    assert "no record that this tool sent it to this target" in out
    code, out, err = cli(capsys, "drift", "spaces", "--endpoint", handle.url)
    assert code == 2 and "Drift: 1 other finding." in out, out + err  # the futile sync's number; not the webhook
    assert "account_webhook" not in out
    assert "note: acme-retail/*/update/account_webhook: unknown (no record" in err and "not counted as drift" in err
    code, _, err = cli(capsys, "state", "migrate", "--to", f"dir:{tmp / 'moved'}")
    assert code == 0 and "copied" in err
    assert [n for n, _ in records_of(DirStore(tmp / "moved"))] == [n for n, _ in records_of(store)]


def test_drift_keeps_its_transitions_in_a_named_store(setup: tuple[Path, Any], capsys: pytest.CaptureFixture[str]) -> None:
    tmp, handle = setup
    assert cli(capsys, "apply", "spaces", "--auto-approve", "--endpoint", handle.url, "--results", "r.json")[0] == 0
    [hook] = [r for r in json.loads((tmp / "r.json").read_text())["results"] if r["address"].endswith("account_webhook")]
    assert hook["status"] == "done" and hook["message"].startswith("sent (the API accepted it; no API reads it back)")
    assert "verified" not in hook["message"]
    code, out, err = cli(capsys, "drift", "spaces", "--endpoint", handle.url, "--now", "2026-12-07T06:00:00Z")
    assert code == 0, out + err
    assert "no drift state" in err
    assert cli(capsys, "call", "UpdatePhoneWebhook", "CustSpaceId=293483938849001", "PhoneNumber=8613800001234",
               "StatusCallbackUrl=https://rogue.example/status",
               "UpCallbackUrl=https://hooks.acme.example/cams/inbound", "--endpoint", handle.url)[0] == 0
    code, out, err = cli(capsys, "drift", "spaces", "--endpoint", handle.url, "--now", "2026-12-08T06:00:00Z")
    assert code == 2 and "1 new" in out
    code, out, err = cli(capsys, "drift", "spaces", "--endpoint", handle.url, "--now", "2026-12-09T06:00:00Z",
                         "--fail-on", "new")
    assert code == 0 and "0 new, 0 changed, 1 ongoing" in out
    kinds = sorted(doc["kind"] for _, doc in records_of(DirStore(tmp / "state")))
    assert kinds == ["account-webhooks", "drift-state"]  # the journal: never written while nothing was left undone


def test_a_state_store_named_in_the_yaml(setup: tuple[Path, Any], capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    tmp, handle = setup
    monkeypatch.delenv("CAMS_RECONCILER_STATE_STORE")
    (tmp / "spaces" / "state.yaml").write_text("version: 1\naccounts: []\nstate_store: dir:from-yaml\n")
    assert cli(capsys, "apply", "spaces", "--auto-approve", "--endpoint", handle.url)[0] == 0
    assert [doc["kind"] for _, doc in records_of(DirStore(tmp / "from-yaml"))] == ["account-webhooks"]
    code, out, _ = cli(capsys, "plan", "spaces", "--endpoint", handle.url, "--state-store", f"dir:{tmp / 'other'}")
    assert "no record that this tool sent it to this target" in out  # the flag wins over the YAML
    (tmp / "spaces" / "more.yaml").write_text("version: 1\naccounts: []\nstate_store: dir:elsewhere\n")
    code, _, err = cli(capsys, "validate", "spaces")
    assert code == 1 and "state.yaml:3:14: error: state_store differs from the one in spaces/more.yaml" in err


def _stopped_holding_the_lock(handle: Any, store: DirStore, argv: list[str], action: str,
                              sig: signal.Signals) -> tuple[int, str]:
    """Run ``argv`` and send it ``sig`` once it holds the lock and the emulator holds its ``action``
    request (no sleep race); its exit code and stderr."""
    held = handle.faults.hold(action, "before")
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *argv, "--endpoint", handle.url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if not held.arrived.wait(60):
            proc.kill()
            raise AssertionError(f"{action} never arrived: {proc.communicate()}")
        assert held_locks(store)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        held.release(drop=True)  # the stopped run's request: it never runs
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_lock_is_released_when_apply_is_stopped_by_a_signal(setup: tuple[Path, Any], sig: signal.Signals) -> None:
    tmp, handle = setup
    store = DirStore(tmp / "state")
    # stopped while it reads for its plan, holding the lock
    code, err = _stopped_holding_the_lock(handle, store, ["apply", "spaces", "--auto-approve", "--results", "r.json"],
                                          "QueryChatappPhoneNumbers", sig)
    assert code == (143 if sig == signal.SIGTERM else 130), err
    assert held_locks(store) == [] and "Traceback" not in err
    assert json.loads((tmp / "r.json").read_text())["status"] == "interrupted"


@pytest.mark.parametrize(("argv", "action"), [
    (["migration", "send-code", "spaces", "--space", "acme-travel", "--number", "+8613800009999"],
     "GetMigrationVerifyCode"),
    (["call", "UpdatePhoneWebhook", "CustSpaceId=293483938849001", "PhoneNumber=8613800001234",
      "StatusCallbackUrl=https://hooks.acme.example/s"], "UpdatePhoneWebhook"),
], ids=["migration-send-code", "call-write"])
def test_the_lock_is_released_when_another_writer_is_stopped_by_sigterm(setup: tuple[Path, Any], argv: list[str],
                                                                        action: str) -> None:
    """Every command that takes the lock gives it back on SIGTERM (a cancelled CI job), not only apply."""
    tmp, handle = setup
    store = DirStore(tmp / "state")
    code, err = _stopped_holding_the_lock(handle, store, argv, action, signal.SIGTERM)  # stopped mid-write
    assert code == 143, err
    assert held_locks(store) == [] and "Traceback" not in err


def test_state_migrate_refuses_to_leave_todays_unadopted_files_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Only a dir: store reads an earlier version's unkeyed journal.json: a migration that copied the keyed
    records alone would drop its entries without a word."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMS_RECONCILER_JOURNAL", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_STATE_STORE", raising=False)
    legacy = tmp_path / ".cams-reconciler"
    legacy.mkdir()
    (legacy / "journal.json").write_text(json.dumps({"format_version": 1, "entries": [
        {"kind": UNSYNCED, "space": "acme-retail", "cust_space_id": "293483938849001", "phone_number": "8613800005555",
         "at": "2026-12-01T00:00:00Z", "detail": "from before"}]}))
    code, _, err = cli(capsys, "state", "migrate", "--to", f"dir:{tmp_path / 'moved'}")
    assert code == 1 and "journal.json" in err and "left behind" in err
    assert (legacy / "journal.json").exists() and not (tmp_path / "moved").exists()


def test_one_sigint_stops_a_writer_waiting_for_the_lock(setup: tuple[Path, Any]) -> None:
    """Ctrl-C (or a CI cancel's SIGINT) while apply waits for another run's lock stops it at once, not when
    --lock-timeout runs out."""
    from reconciler.state.lock import acquire
    from reconciler.state.target import target_of

    tmp, handle = setup
    store = DirStore(tmp / "state")
    other = acquire(store, target_of(account_id="1051360339779133", access_key_id=None, region="ap-southeast-1",
                                     endpoint=handle.url), command="apply", timeout=0, env={})
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", "spaces", "--auto-approve",
                             "--endpoint", handle.url, "--lock-timeout", "120s"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    while line and "waiting for the state lock" not in line:
        line = proc.stderr.readline()
    assert other.id in line
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - started < 60, err  # not after --lock-timeout's 120 s
    assert [lock.id for lock in held_locks(store)] == [other.id] and "Traceback" not in err
