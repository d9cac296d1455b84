"""The Git state store as CI uses it: a bare ``origin`` and two clones standing for two fresh runners.

What one run learns reaches the next through the ``cams-state`` branch of origin, and nothing else: each
runner is its own clone with no local state (the journal variable the suite sets is removed). The emulator
serves both runners over real HTTP (``--endpoint``: one target), and its audit log witnesses every write.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.client import ACTIONS
from reconciler.engine import Journal
from reconciler.engine.journal import UNREGISTERED, VERIFYING
from reconciler.state.git import GitStore
from reconciler.state.records import RunState, records_of
from reconciler.state.store import StateError
from reconciler.state.target import TargetId
from tests.helpers.gitops import MIGRATION_CODE, drift_free

REPO = Path(__file__).resolve().parents[2]
ACCOUNT_TOKEN = "acc0unt-t0ken-s3cret"
FINGERPRINT_KEY = "fingerprint-key-s3cret"
UNSYNCABLE = "+86 138 0000 5555"  # declared, registered to no WABA upstream: a sync cannot bring it in


WAITING = "note: waiting for the state lock"


def wait_for(cond: Callable[[], bool], procs: list[subprocess.Popen[bytes]], timeout: float = 120) -> None:
    """Until ``cond`` holds (what a child wrote says it reached a point), while every child still runs."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert all(p.poll() is None for p in procs), [p.returncode for p in procs]
        assert time.monotonic() < deadline, "the point was never reached"
        time.sleep(0.05)


def git(cwd: Path, *args: str) -> str:
    res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert res.returncode == 0, f"git {' '.join(args)}: {res.stderr}"
    return res.stdout


class Runner:
    def __init__(self, repo: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.repo, self.url, self.capsys = repo, url, capsys

    def run(self, *argv: str, endpoint: bool = True) -> tuple[int, str, str]:
        self.capsys.readouterr()
        cwd = os.getcwd()
        os.chdir(self.repo)
        try:
            code = main([*argv, *(["--endpoint", self.url, "--qps", "100"] if endpoint else [])])
        finally:
            os.chdir(cwd)
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err


class World:
    def __init__(self, tmp: Path, handle: Any, audit: Path, a: Runner, b: Runner) -> None:
        self.tmp, self.handle, self.audit, self.a, self.b = tmp, handle, audit, a, b
        self._seen = 0

    def writes(self) -> list[tuple[str, str | None]]:
        lines = self.audit.read_text(encoding="utf-8").splitlines() if self.audit.exists() else []
        fresh, self._seen = lines[self._seen:], len(lines)
        entries = [json.loads(line) for line in fresh if line.strip()]
        return [(e["action"], e["parameters"].get("PhoneNumber") or e["parameters"].get("CustSpaceId"))
                for e in entries if ACTIONS[e["action"]].is_write]


@pytest.fixture
def world(tmp_path: Path, emulator: Callable[..., Any], example_state: dict[str, Any],
          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> World:
    audit = tmp_path / "audit.jsonl"
    handle = emulator(drift_free(example_state), qps=0, latency_ms=0, audit_log=audit)
    monkeypatch.delenv("CAMS_RECONCILER_JOURNAL")  # nothing local: the branch is the only memory
    monkeypatch.setenv("CAMS_RECONCILER_STATE_STORE", "git:cams-state")
    monkeypatch.setenv("CAMS_RECONCILER_FINGERPRINT_KEY", FINGERPRINT_KEY)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", handle.credentials[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", handle.credentials[1])
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", MIGRATION_CODE)
    for name in ("ALIBABA_CLOUD_SECURITY_TOKEN", "CAMS_RECONCILER_ENDPOINT", "ALIBABA_CLOUD_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)  # as on a runner with no identity: the tool's own is used
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    shutil.copytree(REPO / "examples" / "spaces", seed / "spaces")
    retail = seed / "spaces" / "acme-retail.yaml"
    text = retail.read_text(encoding="utf-8")
    # the account webhook carries a token: nothing of it may reach the branch
    text = text.replace("status_callback_url: https://hooks.acme.example/cams/account",
                        f"status_callback_url: https://hooks.acme.example/cams/account?token={ACCOUNT_TOKEN}")
    text = text.replace('      - phone_number: "+86 138 0000 1234"',
                        f'      - phone_number: "{UNSYNCABLE}"\n      - phone_number: "+86 138 0000 1234"', 1)
    retail.write_text(text, encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main", str(seed))
    env_id = ["-c", "user.name=Dev", "-c", "user.email=dev@example.invalid"]
    git(seed, "add", "spaces")
    git(seed, *env_id, "commit", "-q", "-m", "spaces")
    git(seed, "remote", "add", "origin", str(origin))
    git(seed, "push", "-q", "origin", "main")
    runners = []
    for name in ("runner-a", "runner-b"):
        git(tmp_path, "clone", "-q", str(origin), name)
        runners.append(Runner(tmp_path / name, handle.url, capsys))
    return World(tmp_path, handle, audit, *runners)


def test_what_runner_a_learns_runner_b_knows(world: World) -> None:
    a, b = world.a, world.b
    assert UNSYNCABLE.replace(" ", "").lstrip("+") in (a.repo / "spaces" / "acme-retail.yaml").read_text().replace(" ", "")
    code, out, err = a.run("apply", "spaces", "--auto-approve")
    assert code == 1, out + err  # the sync cannot bring the undeclared-upstream number in: recorded
    sent = world.writes()
    assert ("UpdateAccountWebhook", "293483938849001") in sent
    assert sent.count(("ChatappSyncPhoneNumber", "293483938849001")) == 1

    # runner B: a fresh clone. Its plan is empty but for the known futile sync, reported and not planned
    code, out, err = b.run("plan", "spaces", "--detailed-exitcode")
    assert "account_webhook" not in out, out
    assert "sync" not in [line.split()[1] for line in out.splitlines() if line.startswith("  + ")]
    assert "did not bring it in" in out
    code, out, err = b.run("apply", "spaces", "--auto-approve")
    assert code == 0, out + err
    assert world.writes() == []  # zero writes on B
    code, out, err = b.run("drift", "spaces")
    assert "account_webhook" not in out and "webhook differs" not in out
    assert "unknown" not in err

    # a verification whose outcome A could not learn (its code spent; the journal, through the store) is known
    # on B: B asks for a new code instead of planning to send the spent one again
    snap = world.handle.backend.snapshot()
    travel = snap["spaces"]["293483938849002"]
    travel["phone_numbers"] = [n for n in travel["phone_numbers"] if n["PhoneNumber"] != "8613800009999"]
    travel["pending_migrations"] = [{"PhoneNumber": "8613800009999", "VerifyCode": MIGRATION_CODE,
                                     "Status": "CONNECTED"}]
    world.handle.reset(snap)
    code, out, err = b.run("plan", "spaces")
    assert "> verify-migration 8613800009999" in out and "new code" not in out, out + err  # without the record
    store_a = GitStore("cams-state", a.repo)
    [target] = {TargetId.from_dict(doc["target"]) for _, doc in records_of(store_a)}
    assert target is not None and target.account == "acct:1051360339779133"
    journal = Journal.open(RunState(store_a, {"default": target}, {"acme-travel": "default"}))
    journal.record(VERIFYING, "acme-travel", "293483938849002", "8613800009999", "sent; the answer was lost")
    journal.save()
    code, out, err = b.run("plan", "spaces")
    assert "8613800009999" in out and "new code" in out, out + err

    # no secret on the branch, in any commit
    history = git(world.tmp / "origin.git", "log", "-p", "cams-state")
    assert "account-webhooks.json" in history and "journal.json" in history and "locks/" in history
    for secret in (ACCOUNT_TOKEN, FINGERPRINT_KEY, MIGRATION_CODE, world.handle.credentials[1]):
        assert secret not in history
    assert "cams-reconciler <cams-reconciler@users.noreply.github.com>" in git(
        world.tmp / "origin.git", "log", "--format=%an <%ae>", "cams-state")
    # the branch is an orphan: nothing of main in it
    roots = git(world.tmp / "origin.git", "rev-list", "--max-parents=0", "cams-state").split()
    assert len(roots) == 1 and roots[0] not in git(world.tmp / "origin.git", "rev-list", "main")
    listed = git(world.tmp / "origin.git", "ls-tree", "-r", "--name-only", "cams-state").split()
    assert listed and all(n.startswith("targets/") for n in listed)


def test_a_rehearsal_against_the_emulator_leaves_the_real_accounts_plan(world: World) -> None:
    a, b = world.a, world.b
    state = world.tmp / "rehearsal.yaml"
    shutil.copy(REPO / "examples" / "emulator-state.yaml", state)
    code, out, err = a.run("apply", "spaces", "--auto-approve", "--emulator", str(state), endpoint=False)
    assert "UpdateAccountWebhook" not in [w[0] for w in world.writes()]  # the real one was not written
    code, out, err = b.run("plan", "spaces", "--detailed-exitcode")
    assert code == 2
    assert "update (space) account_webhook" in out or "account_webhook" in out, out
    assert "no record that this tool sent it to this target" in out, out


def test_two_applies_at_once_never_write_twice_nor_lose_an_entry(world: World) -> None:
    """Two runners apply the same merge at the same moment: one waits for the other's lock, then plans
    after its writes are recorded."""
    # The run that takes the lock first is held mid-apply (the emulator holds its verification) until the
    # other says it waits for the lock: the runs overlap however slowly either one starts.
    held = world.handle.faults.hold("ChatappMigrationVerified", "before")
    errs = [world.tmp / f"{r.repo.name}.stderr" for r in (world.a, world.b)]
    procs = []
    try:
        for r, path in zip((world.a, world.b), errs, strict=True):
            with path.open("w", encoding="utf-8") as err_file:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "reconciler", "apply", "spaces", "--auto-approve", "--lock-timeout", "2m",
                     "--endpoint", world.handle.url, "--qps", "100"],
                    cwd=r.repo, stdout=subprocess.DEVNULL, stderr=err_file, stdin=subprocess.DEVNULL))
        assert held.arrived.wait(120), [p.poll() for p in procs]
        wait_for(lambda: any(WAITING in e.read_text(encoding="utf-8") for e in errs), procs)
    finally:
        held.release()
        for p in procs:
            try:
                p.wait(timeout=180)
            finally:
                if p.poll() is None:
                    p.kill()
    outs = [e.read_text(encoding="utf-8") for e in errs]
    for err in outs:
        assert "Traceback" not in err, err
    writes = world.writes()
    assert len(writes) == len(set(writes)), writes  # no write twice (the futile sync included)
    assert ("ChatappMigrationVerified", "8613800009999") in writes
    assert writes.count(("GetMigrationVerifyCode", "8613800009999")) == 0
    # the futile sync's entry survived: both runners' later plans report it instead of syncing
    code, out, err = world.b.run("plan", "spaces")
    assert "did not bring it in" in out, out + err
    waited = [err for err in outs if WAITING in err]
    assert len(waited) == 1, [e[-400:] for e in outs]
    assert "held by" in waited[0] and "(apply) since" in waited[0]
    assert sorted(p.returncode for p in procs) == [0, 1]  # the first fails its futile sync; the second: nothing to do


def test_a_rejected_push_is_merged_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runner A read the branch before runner B wrote the same record: A's push is rejected, and A re-reads
    and merges its entry into B's instead of overwriting it."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    clones = []
    for name in ("a", "b"):
        git(tmp_path, "clone", "-q", str(origin), name)
        clones.append(tmp_path / name)
    target = TargetId("acct:1", "ap-southeast-1", "https://cams.example")
    store_a, store_b = GitStore("cams-state", clones[0]), GitStore("cams-state", clones[1])
    journal_a = Journal.open(RunState(store_a, {"default": target}))  # A has read the (empty) branch
    journal_b = Journal.open(RunState(store_b, {"default": target}))
    journal_b.record(UNREGISTERED, "travel", "2", "8613800009999", "verified by B")
    journal_b.save()
    journal_a.record("unsynced", "retail", "1", "8613800005555", "not brought in by A")
    journal_a.save()  # rejected, re-read, merged
    kept = Journal.open(RunState(GitStore("cams-state", clones[1]), {"default": target})).entries
    assert {k[0] for k in kept} == {UNREGISTERED, "unsynced"}
    assert len(git(origin, "rev-list", "cams-state").split()) == 2  # two commits, none overwritten


def test_a_branch_another_run_creates_while_this_one_fetches_is_read(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two first runs at once: the branch is not there when A fetches, and is (B's lock) when A looks why."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    for name in ("a", "b"):
        git(tmp_path, "clone", "-q", str(origin), name)
    created: list[str] = []

    class RacedStore(GitStore):
        def _git(self, *args: str, check: bool = True, input_: bytes | None = None,
                 env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
            proc = super()._git(*args, check=check, input_=input_, env=env)
            if args[0] == "fetch" and proc.returncode != 0 and not created:
                created.append(GitStore("cams-state", tmp_path / "b").put("locks/x.json", b"{}\n", expect=None,
                                                                          message="B's lock"))
            return proc

    store = RacedStore("cams-state", tmp_path / "a")
    blob = store.get("locks/x.json")
    assert created and blob is not None and blob.data == b"{}\n"


def test_state_in_another_repository_through_a_remote_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("origin.git", "state.git"):
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(tmp_path / name))
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), "work")
    git(tmp_path / "work", "remote", "add", "state", str(tmp_path / "state.git"))
    store = GitStore("state/main", tmp_path / "work")
    assert store.url == "git:state/main"
    store.put("targets/t/journal.json", b"{}\n", expect=None, message="first")
    assert git(tmp_path / "state.git", "ls-tree", "-r", "--name-only", "main") == "targets/t/journal.json\n"
    assert git(tmp_path / "origin.git", "branch", "--list") == ""  # nothing written to the YAML's repository
    git(tmp_path, "init", "-q", "alone")
    with pytest.raises(StateError, match="has no remote 'origin'"):
        GitStore("cams-state", tmp_path / "alone")
    with pytest.raises(StateError, match="is not in a Git repository"):
        GitStore("cams-state", tmp_path)
