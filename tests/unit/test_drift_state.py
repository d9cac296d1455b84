"""Transitions between drift runs (``engine.drift_state``) and acknowledgements (``engine.acknowledge``),
as pure functions: what is new, changed, ongoing, resolved; what an acknowledgement covers and when it ends."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from reconciler.core.drift_settings import Acknowledgement, SpaceDriftSettings
from reconciler.core.source import Source
from reconciler.engine.acknowledge import acknowledge_findings as acknowledge
from reconciler.engine.drift_state import (
    DriftStateError,
    Finding,
    Status,
    compare,
    load_state,
    save_state,
)

T0 = dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=6)


def f(address: str, digest: str = "d1") -> Finding:
    space = address.split("/")[0]
    return Finding(address, space, "health", f"! {address}", digest=digest)


def ack(finding: str, until: str = "2026-12-09", space: str = "a") -> Acknowledgement:
    return Acknowledgement(space, finding, "known", dt.date.fromisoformat(until), Source("a.yaml", 7))


def test_statuses() -> None:
    first, state = compare([f("a/1/drift/x"), f("a/2/drift/y")], {}, None, ["a"], T0)
    assert {t.status for t in first.items} == {Status.NEW} and first.previous_at is None
    assert all(t.since is None for t in first.items)  # no earlier read: when is unknown
    second, state2 = compare([f("a/1/drift/x"), f("a/2/drift/y", "d2"), f("a/3/drift/z")], {}, state, ["a"], T1)
    got = {t.finding.address: t.status for t in second.items}
    assert got == {"a/1/drift/x": Status.ONGOING, "a/2/drift/y": Status.CHANGED, "a/3/drift/z": Status.NEW}
    new = next(t for t in second.items if t.finding.address == "a/3/drift/z")
    assert new.since == "2026-12-07T06:00:00Z" and new.is_new  # changed after the space's previous read
    third, _ = compare([], {}, state2, ["a"], T1 + dt.timedelta(hours=6))
    assert {t.status for t in third.items} == {Status.RESOLVED} and len(third.resolved) == 3
    assert third.summary() == "Since the last run: 0 new, 0 changed, 0 ongoing, 3 resolved."


def test_unread_space_keeps_its_findings() -> None:
    _, state = compare([f("a/1/drift/x"), f("b/1/drift/x")], {}, None, ["a", "b"], T0)
    later, state2 = compare([], {}, state, ["a"], T1)  # b was not read (out of --target, or failed)
    assert [t.finding.address for t in later.resolved] == ["a/1/drift/x"]
    assert state2.spaces["b"] == state.spaces["b"]


def test_acknowledged_then_back() -> None:
    finding = f("a/1/drift/expect.quality_rating")
    settings = {"a": SpaceDriftSettings((ack("1/drift"),))}
    held = acknowledge([finding], settings, dt.date(2026, 12, 9), ["a"])  # the last day it holds
    assert held.by_address == {finding.address: settings["a"].acknowledge[0]} and not held.expired
    t1, state = compare(held.findings, held.by_address, None, ["a"], T0)
    assert t1.items[0].acknowledged and not t1.items[0].open and not t1.new
    gone = acknowledge([finding], settings, dt.date(2026, 12, 10), ["a"])
    assert not gone.by_address and [a.finding for a in gone.expired] == ["1/drift"]
    assert [x.address for x in gone.findings] == [finding.address, "a/*/acknowledgement/1/drift"]
    t2, _ = compare(gone.findings, gone.by_address, state, ["a"], T1)
    back = next(t for t in t2.items if t.finding.address == finding.address)
    assert back.status is Status.NEW and back.note and back.is_new  # the finding is back
    assert len(t2.new) == 2  # and the expired acknowledgement is a finding of its own


def test_patterns() -> None:
    a = ack("*/drift/expect.*")
    assert a.matches("a/8613800001234/drift/expect.quality_rating")
    assert not a.matches("a/8613800001234/update-webhook/webhooks.status_callback_url")
    assert not a.matches("b/8613800001234/drift/expect.status")  # another space
    assert ack("8613800001234/unmanaged").matches("a/8613800001234/unmanaged")
    unused = acknowledge([], {"a": SpaceDriftSettings((a,))}, dt.date(2026, 12, 1), ["a"]).unused
    assert unused == (a,)


def test_state_file_round_trip_and_refusals(tmp_path: Path) -> None:
    _, state = compare([f("a/1/drift/x")], {}, None, ["a"], T0)
    path = tmp_path / "state.json"
    assert load_state(path) is None  # a first run
    save_state(path, state)
    assert load_state(path) == state
    for text, words in (("not json", "not JSON"), ('{"format": "x"}', "not a drift state file"),
                        ('{"format": "cams-reconciler/drift-state", "version": 9}', "version 9"),
                        ('{"format": "cams-reconciler/drift-state", "version": 1, "spaces": {"a": {}}}',
                         "malformed")):
        path.write_text(text)
        with pytest.raises(DriftStateError, match=words):
            load_state(path)
    path.write_text(json.dumps({"drift": {}, "state": state.to_dict()}))  # a drift --format json report
    assert load_state(path) == state
