"""The store's contract, once, on ``dir:``: conditional writes, the merge loop, the record format, targets,
the account-webhook record's secrecy, and two journals written at once keeping both entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.journal import UNREGISTERED, UNSYNCED, Journal
from reconciler.kinds.account_webhook import AccountWebhook, matches, record_of
from reconciler.state import StoreChoice, choose, open_store
from reconciler.state.dir import DirStore
from reconciler.state.lock import LockError, acquire, break_lock, held_locks, parse_duration
from reconciler.state.records import JOURNAL, RunState, record_name
from reconciler.state.store import Conflict, StateError, decode, encode, update
from reconciler.state.target import TargetId, target_of

TARGET = target_of(account_id="1051360339779133", access_key_id="LTAIkey", region="ap-southeast-1",
                   endpoint="https://cams.ap-southeast-1.aliyuncs.com")


def test_conditional_writes_and_the_merge_loop(tmp_path: Path) -> None:
    one, two = DirStore(tmp_path), DirStore(tmp_path)
    v1 = one.put("targets/t/x.json", b"1", expect=None, message="")
    with pytest.raises(Conflict):
        two.put("targets/t/x.json", b"2", expect=None, message="")
    two.put("targets/t/x.json", b"2", expect=v1, message="")
    with pytest.raises(Conflict):
        one.put("targets/t/x.json", b"3", expect=v1, message="")
    seen: list[bytes | None] = []

    def merge(blob: object) -> bytes:
        data = getattr(blob, "data", None)
        seen.append(data)
        if len(seen) == 1:  # another writer lands between this read and this write
            two.put("targets/t/x.json", b"22", expect=two.get("targets/t/x.json").version, message="")  # type: ignore[union-attr]
        return (data or b"") + b"+"

    assert update(one, "targets/t/x.json", merge, message="")
    assert seen == [b"2", b"22"] and one.get("targets/t/x.json").data == b"22+"  # type: ignore[union-attr]
    with pytest.raises(StateError):
        one.get("../escape.json")


def test_targets_name_the_emulator_by_its_state_file_and_keys_are_stable() -> None:
    a = target_of(account_id="1", access_key_id=None, region="r", endpoint="http://127.0.0.1:1111",
                  emulator_state="emu.yaml")
    b = target_of(account_id="1", access_key_id=None, region="r", endpoint="http://127.0.0.1:2222",
                  emulator_state="./emu.yaml")
    assert a == b and a.endpoint == "emulator:emu.yaml" and a.key == b.key
    assert a.key != TARGET.key and a.lock_key != TARGET.lock_key
    assert target_of(account_id=None, access_key_id="LTAIkey", region="r", endpoint=None).account == "key:LTAIkey"
    # one lock per account, whatever endpoint of it
    other = target_of(account_id="1051360339779133", access_key_id=None, region="ap-southeast-1",
                      endpoint="https://vpc.example")
    assert other.lock_key == TARGET.lock_key and other.key != TARGET.key


def test_a_record_of_another_version_or_target_is_refused(tmp_path: Path) -> None:
    store = DirStore(tmp_path)
    with pytest.raises(StateError, match="version 2 is not supported"):
        decode("x", json.dumps({"format": "cams-reconciler/state", "version": 2}).encode())
    other = TargetId("acct:2", "r", "https://e")
    store.put(record_name(TARGET, JOURNAL), encode(JOURNAL, other.to_dict(), {}), expect=None, message="")
    with pytest.raises(StateError, match="another target"):
        RunState(store, {"default": TARGET}).load(JOURNAL, "default")


def test_two_journals_saved_at_once_keep_both_entries(tmp_path: Path) -> None:
    state = RunState(DirStore(tmp_path), {"default": TARGET})
    first, second = Journal.open(state), Journal.open(state)
    first.record(UNREGISTERED, "travel", "2", "8613800009999", "verified")
    second.record(UNSYNCED, "retail", "1", "8613800005555", "not brought in")
    first.save()
    second.save()  # read-merge-write: the first's entry survives
    assert {k[0] for k in Journal.open(state).entries} == {UNREGISTERED, UNSYNCED}
    third = Journal.open(state)
    third.clear(UNREGISTERED, "travel", ["8613800009999"])
    third.save()
    assert [k[0] for k in Journal.open(state).entries] == [UNSYNCED]


def test_the_account_webhook_record_holds_nothing_of_the_token() -> None:
    token = "sh0rt"
    model = AccountWebhook(f"https://hooks.example/a?token={token}", True)
    unkeyed = record_of("1", model, {})
    keyed = record_of("1", model, {"CAMS_RECONCILER_FINGERPRINT_KEY": "k"})
    assert token not in json.dumps(unkeyed) and token not in json.dumps(keyed)
    assert "keyed" not in unkeyed and keyed["keyed"].startswith("hmac-sha256:")
    # without the key, nothing of the secret part is kept: a record cannot tell two tokens apart
    assert unkeyed["masked"] == record_of("1", AccountWebhook("https://hooks.example/a?token=other", True), {})["masked"]
    rotated = AccountWebhook("https://hooks.example/a?token=r0tated", True)
    env = {"CAMS_RECONCILER_FINGERPRINT_KEY": "k"}
    assert matches(keyed, "1", model, env) and not matches(keyed, "1", rotated, env)
    assert matches(keyed, "1", model, {})  # the key gone: compared as masked, never guessed


def test_the_lock_refuses_names_its_holder_and_is_broken_by_id(tmp_path: Path) -> None:
    store = DirStore(tmp_path)
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7",
           "GITHUB_ACTOR": "ci"}
    lock = acquire(store, TARGET, command="apply", timeout=0, env=env)
    ticks = iter(range(100))
    with pytest.raises(LockError) as caught:
        acquire(store, TARGET, command="migration send-code", timeout=3, env={}, sleep=lambda s: None,
                clock=lambda: float(next(ticks)))
    message = str(caught.value)
    assert "https://github.com/o/r/actions/runs/7" in message and "(apply)" in message and lock.id in message
    assert "after waiting 3 s" in message
    [info] = held_locks(store)
    assert break_lock(store, info.id).id == lock.id and held_locks(store) == []
    lock.release()  # broken meanwhile: releasing is a no-op, never an error


def test_a_signal_while_the_lock_is_being_written_reaches_a_holder_that_can_release_it(tmp_path: Path) -> None:
    """SIGTERM (a cancelled CI job) arriving while the lock's write is under way (a Git push takes a second) is
    delivered only once the caller holds the lock, so its way out releases it."""
    import select
    import signal
    import socket
    import threading

    class Stop(Exception):
        pass

    # the C-level handler writes each signal's number here as it arrives: the handshake that it has
    arrived_r, arrived_w = socket.socketpair()
    arrived_w.setblocking(False)

    class SignalledStore(DirStore):
        def put(self, name: str, data: bytes, *, expect: str | None, message: str) -> str:
            version = super().put(name, data, expect=expect, message=message)
            # the lock is written, its answer not back yet; the kernel hands SIGTERM to another thread of the
            # process (a CLI run has them: asyncio's resolver pool), which Python runs in the main thread
            signal.pthread_kill(other.ident or 0, signal.SIGTERM)
            assert select.select([arrived_r], [], [], 60)[0]  # the signal has arrived before the write's answer does
            return version

    def stop(signum: int, frame: object) -> None:
        raise Stop()

    store = SignalledStore(tmp_path)
    held: list[Any] = []
    previous = signal.signal(signal.SIGTERM, stop)
    wakeup = signal.set_wakeup_fd(arrived_w.fileno())
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        with pytest.raises(Stop):
            acquire(store, TARGET, command="apply", timeout=0, env={}, taken=held.append)
    finally:
        done.set()
        other.join()
        signal.set_wakeup_fd(wakeup)
        signal.signal(signal.SIGTERM, previous)
        arrived_r.close()
        arrived_w.close()
    assert len(held_locks(store)) == 1 and len(held) == 1  # the caller has it ...
    held[0].release()  # ... and its way out gives it back
    assert held_locks(store) == []


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("30", 30), ("1h", 3600), ("0", 0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_duration_or_store_url_is_one_line() -> None:
    with pytest.raises(StateError, match="a duration is expected"):
        parse_duration("soon")
    with pytest.raises(StateError, match="dir:PATH, git:BRANCH"):
        open_store(StoreChoice("ftp://x", "--state-store"))
    with pytest.raises(StateError, match="http"):
        open_store(StoreChoice("s3://bucket/p?endpoint=file:///etc", "--state-store"))


def test_which_store() -> None:
    assert choose(flag=None, journal_flag=None, env={}).url == "dir:.cams-reconciler"
    assert choose(flag=None, journal_flag="x/j.json", env={}) == StoreChoice("dir:x", "--journal", "j.json")
    env = {"CAMS_RECONCILER_STATE_STORE": "git:cams-state", "CAMS_RECONCILER_JOURNAL": "y/j.json"}
    assert choose(flag=None, journal_flag=None, env=env, yaml_value="s3://b").url == "git:cams-state"
    assert choose(flag="dir:z", journal_flag=None, env=env).url == "dir:z"
    assert choose(flag=None, journal_flag=None, env={}, yaml_value="git:s").explicit


def test_two_drift_runs_that_read_different_spaces_both_keep_theirs(tmp_path: Path) -> None:
    from reconciler.engine.drift_state import DriftState, SpaceState, load_from_store, save_to_store

    state = RunState(DirStore(tmp_path), {"default": TARGET})
    save_to_store(state, DriftState("2026-12-07T06:00:00Z", {"shop": SpaceState("2026-12-07T06:00:00Z")}), ["shop"])
    # a second run (targeted at `travel`) computed its state before the first one wrote
    save_to_store(state, DriftState("2026-12-07T06:05:00Z", {"travel": SpaceState("2026-12-07T06:05:00Z")}),
                  ["travel"])
    kept = load_from_store(state)
    assert kept is not None and set(kept.spaces) == {"shop", "travel"}


def test_a_resolved_account_finding_is_saved_in_the_store(tmp_path: Path) -> None:
    """The account's pseudo-space (a frozen account) is compared on every run that had it: once resolved,
    the store must say so, or every later run reports the same finding resolved again."""
    import datetime as dt

    from reconciler.engine.drift_state import ACCOUNT, Finding, Status, compare, load_from_store, save_to_store

    state = RunState(DirStore(tmp_path), {"default": TARGET})
    frozen = Finding("! account frozen", ACCOUNT, "account", "! account frozen", digest="d")
    t0 = dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC)
    for hours, findings in ((0, [frozen]), (1, []), (2, [])):
        transitions, new = compare(findings, {}, load_from_store(state), ["shop"], t0 + dt.timedelta(hours=hours))
        # what drift passes: the spaces it read, and those it found something in
        save_to_store(state, new, {"shop", *(f.space for f in findings)})
        resolved = [t for t in transitions.items if t.status is Status.RESOLVED]
        assert len(resolved) == (1 if hours == 1 else 0), (hours, transitions)


def test_todays_account_webhook_file_is_compared_in_memory_and_never_copied(tmp_path: Path) -> None:
    """Its digests are unkeyed digests of the URLs (tokens included): an entry that still matches the YAML
    is re-recorded in the new form, others are dropped, and the file is renamed once adopted."""
    from dataclasses import replace

    from reconciler.config import load_desired_state
    from reconciler.core.digest import canonical_digest
    from reconciler.engine.sent_records import SentRecords

    desired = load_desired_state([str(Path(__file__).resolve().parents[2] / "examples" / "spaces")])
    retail = desired.space("acme-retail")
    assert retail is not None
    model = retail.block("account_webhook")
    legacy = tmp_path / "account-webhooks.json"
    legacy.write_text(json.dumps({"format_version": 1, "spaces": {
        "acme-retail": {"cust_space_id": retail.cust_space_id, "at": "2026-12-01T00:00:00Z",
                        "digest": canonical_digest({"cust_space_id": retail.cust_space_id, **model.params()})},
        "gone": {"cust_space_id": "1", "at": "2026-12-01T00:00:00Z", "digest": "sha256:00"}}}))
    state = RunState(DirStore(tmp_path), {"default": TARGET}, legacy={"account-webhooks": legacy},
                     adopt_legacy=True)
    records = SentRecords(state, desired)
    entry = records.load()["acme-retail"]["account_webhook"]
    assert entry is not None and matches(entry, retail.cust_space_id, model, {})  # the plan shows no update
    other = replace(retail, name="acme-other", cust_space_id="2")
    records.sent("account_webhook", other, record_of("2", model, {}))
    assert not legacy.exists() and legacy.with_name("account-webhooks.json.adopted").exists()
    stored = json.loads(next((tmp_path / "targets").rglob("account-webhooks.json")).read_text())["data"]["spaces"]
    assert set(stored) == {"acme-retail", "acme-other"}  # "gone" dropped: it matched nothing declared
    assert "legacy_digest" not in json.dumps(stored) and "digest" not in stored["acme-retail"]
    assert matches(stored["acme-retail"], retail.cust_space_id, model, {})


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:9000", "http://127.0.0.1:99999", "http://u:p@127.0.0.1:9000",
                                 "http://127.0.0.1:9000/bucket", "http://127.0.0.1:9000?x=1", "http://"])
def test_the_store_and_the_client_refuse_the_same_endpoints(url: str) -> None:
    """One rule for an endpoint given as a base URL (core.boundaries.base_url): what the client refuses as
    ``--endpoint``, the S3 store refuses as its endpoint, each in its own error."""
    from reconciler.client.endpoints import parse_endpoint
    from reconciler.core.client_errors import ClientConfigError
    from reconciler.state.endpoint import checked_endpoint

    with pytest.raises(ClientConfigError):
        parse_endpoint(url)
    with pytest.raises(StateError, match="the S3 store's endpoint: .* is not a base URL"):
        checked_endpoint(url, "the S3 store's endpoint", env={})
    assert checked_endpoint("http://127.0.0.1:9000/", "the S3 store's endpoint", env={}) == "http://127.0.0.1:9000/"


def test_an_s3_url_is_read_one_way_by_validate_and_the_store() -> None:
    from reconciler.core.store_url import s3_options
    from reconciler.state.s3 import parse

    url = "s3://bucket/team/cams?endpoint=http://127.0.0.1:9000&region=us-east-1"
    assert parse(url) == ("bucket", "team/cams/", {"endpoint": "http://127.0.0.1:9000", "region": "us-east-1"})
    assert s3_options(url) == parse(url)[2]
    assert s3_options("git:cams-state") is None
    with pytest.raises(StateError, match="unknown option bucket"):
        parse("s3://b/p?bucket=x")
    with pytest.raises(StateError, match="an s3://BUCKET/PREFIX URL expected"):
        parse("s3:///p")
