"""Drift over time: what the previous run found, and what changed since (new, changed, ongoing, resolved).

A scheduled drift job that fails every six hours for the same quality rating teaches people to ignore it.
So each run keeps a small state file (``drift --state FILE``: cached or committed by the workflow) holding,
per space, when it was last read and the findings seen then, each by its address (``Change.address``) and a
digest of its (already redacted) values. The next run compares:

- **new**: an address the previous run did not report (or reported acknowledged, and the acknowledgement
  has since expired: the finding is back);
- **changed**: the same address with other values (a rating YELLOW → RED);
- **ongoing**: the same address and values;
- **resolved**: an address the previous run reported that this run, having read the space, no longer does.

A space this run did not read (out of ``--target``, or its read failed) keeps its previous findings as they
were: "not read" is never "resolved". The state holds no secret: values are the plan's redacted ones, and
only their digest is kept (plus the one-line headline a report shows).

The same file gives attribution its "when": a finding that is new now was not there at the space's previous
read, so the change happened between that read and this one (``Transition.since``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from reconciler import kinds as catalogue
from reconciler.core.errors import ReconcilerError
from reconciler.files import InputFileError, read_input, write_atomically
from reconciler.state.records import DRIFT_STATE, RunState

STATE_FORMAT = "cams-reconciler/drift-state"
STATE_VERSION = 1
MAX_STATE_BYTES = 32 * 1024 * 1024
#: The pseudo-space of findings about the account rather than a space (a frozen account).
ACCOUNT = "(account)"


class DriftStateError(ReconcilerError):
    """The state file cannot be used (one line, naming the file)."""


class Status(str, Enum):
    NEW = "new"
    CHANGED = "changed"
    ONGOING = "ongoing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Finding:
    """One finding of this run, as transitions, issues and notifications need it (display-ready,
    secret-free: built from the plan's redacted changes)."""

    address: str
    space: str
    kind: str  # ``core.drift_kinds.DriftKind`` value, or "acknowledgement" for an expired acknowledgement
    headline: str  # "! drift 8613800001237 expect.quality_rating"
    details: tuple[str, ...] = ()  # "quality_rating: "GREEN" → "YELLOW"" lines
    location: str | None = None  # "file:line"
    phone_number: str | None = None
    field: str | None = None
    digest: str = ""  # of the redacted values: the same address with another digest is "changed"
    acknowledgeable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "space": self.space, "kind": self.kind, "headline": self.headline,
                "details": list(self.details), "location": self.location, "phone_number": self.phone_number,
                "field": self.field}


def digest_of(*values: Any) -> str:
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Seen:
    """What the state file remembers of one finding."""

    kind: str
    digest: str
    headline: str
    first_seen: str  # ISO time of the first run that reported the address
    value_since: str  # ISO time of the first run that saw these values
    last_seen: str
    acknowledged: bool = False
    phone_number: str | None = None
    field: str | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "digest": self.digest, "headline": self.headline,
                "first_seen": self.first_seen, "value_since": self.value_since, "last_seen": self.last_seen,
                "acknowledged": self.acknowledged, "phone_number": self.phone_number, "field": self.field,
                "location": self.location}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Seen:
        return cls(kind=str(d["kind"]), digest=str(d["digest"]), headline=str(d["headline"]),
                   first_seen=str(d["first_seen"]), value_since=str(d.get("value_since", d["first_seen"])),
                   last_seen=str(d["last_seen"]), acknowledged=bool(d.get("acknowledged", False)),
                   phone_number=d.get("phone_number"), field=d.get("field"), location=d.get("location"))


#: How many runs of each number's health the state keeps (about a week of six-hourly runs).
HEALTH_RUNS = 30
#: The health values kept per run: the fields of ``expect:`` (the expect kind's), each its state name → the
#: ``QueryChatappPhoneNumbers`` field it comes from.
HEALTH_FIELDS: Mapping[str, str] = {f.name: f.api for f in catalogue.get("expect").fields}
_TOKEN = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_PHONE = re.compile(r"[0-9]{4,20}")
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def health_value(value: Any) -> str:
    """A health value as kept: the API's enumeration token, or ``OTHER`` for anything else. An API value is
    data that can be hostile, and these end up in an issue's chart: only a token shape is kept."""
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else "OTHER"


def health_snapshot(numbers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Phone number → its health values now (``HEALTH_FIELDS``), from a space's number list."""
    return {phone: {name: health_value(item.get(api)) for name, api in HEALTH_FIELDS.items()}
            for phone, item in numbers.items() if _PHONE.fullmatch(str(phone))}


@dataclass(frozen=True)
class HealthPoint:
    """One run's health values of one number (``HEALTH_FIELDS``)."""

    at: str  # ISO time of the run
    values: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, **{k: self.values[k] for k in HEALTH_FIELDS if k in self.values}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HealthPoint:
        at = str(d["at"])
        if not _STAMP.fullmatch(at):
            raise ValueError(f"health point time {at!r} is not an ISO UTC time")
        return cls(at, {k: health_value(d[k]) for k in HEALTH_FIELDS if k in d})


@dataclass(frozen=True)
class SpaceState:
    read_at: str  # ISO time of the last run that read the space
    findings: Mapping[str, Seen] = field(default_factory=dict)
    # Phone number → its health over the last ``HEALTH_RUNS`` runs that read the space, oldest first.
    health: Mapping[str, tuple[HealthPoint, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"read_at": self.read_at,
                               "findings": {a: s.to_dict() for a, s in sorted(self.findings.items())}}
        if self.health:
            out["health"] = {phone: [p.to_dict() for p in points] for phone, points in sorted(self.health.items())}
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpaceState:
        """A state saved before the health history was kept has none: it starts with the next run."""
        health = {str(phone): tuple(HealthPoint.from_dict(p) for p in points)[-HEALTH_RUNS:]
                  for phone, points in (d.get("health") or {}).items() if _PHONE.fullmatch(str(phone))}
        return cls(str(d["read_at"]), {str(a): Seen.from_dict(s) for a, s in d.get("findings", {}).items()},
                   health)

    def with_health(self, snapshot: Mapping[str, Mapping[str, str]] | None, at: str) -> SpaceState:
        """This state with one more run of health (bounded: the oldest runs drop out); a number no longer
        in the space drops out too. ``None``: the run did not look (the history stays as it was)."""
        if snapshot is None:
            return self
        health = {phone: (*self.health.get(phone, ()), HealthPoint(at, dict(values)))[-HEALTH_RUNS:]
                  for phone, values in snapshot.items()}
        return replace(self, health=health)


@dataclass(frozen=True)
class DriftState:
    updated_at: str | None = None
    spaces: Mapping[str, SpaceState] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, "version": STATE_VERSION, "updated_at": self.updated_at,
                "spaces": {n: s.to_dict() for n, s in sorted(self.spaces.items())}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DriftState:
        spaces = {str(name): SpaceState.from_dict(space) for name, space in d.get("spaces", {}).items()}
        return cls(d.get("updated_at"), spaces)


def load_state(path: str | Path) -> DriftState | None:
    """The state in ``path``; None when the file does not exist yet (the first run). Also accepts a
    ``drift --format json`` report, whose ``state`` key is the same document."""
    p = Path(path)
    if not p.exists():
        return None
    try:
        raw = read_input(p, MAX_STATE_BYTES)
    except InputFileError as exc:
        raise DriftStateError(str(exc)) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DriftStateError(f"{path}: not a drift state file (not JSON: {exc})") from None
    if isinstance(doc, dict) and "drift" in doc and isinstance(doc.get("state"), dict):
        doc = doc["state"]  # the last JSON report
    if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
        raise DriftStateError(f"{path}: not a drift state file (no \"format\": \"{STATE_FORMAT}\")")
    if doc.get("version") != STATE_VERSION:
        raise DriftStateError(f"{path}: drift state version {doc.get('version')!r} is not supported "
                              f"(this cams-reconciler reads version {STATE_VERSION})")
    try:
        return DriftState.from_dict(doc)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise DriftStateError(f"{path}: malformed drift state ({type(exc).__name__}: {exc})") from None


def save_state(path: str | Path, state: DriftState) -> None:
    write_atomically(Path(path), json.dumps(state.to_dict(), indent=1, ensure_ascii=False) + "\n")


def _account_for(space: str, run: RunState) -> str:
    if space == ACCOUNT:  # the frozen-account pseudo-space: kept with the default (else the first) account
        return "default" if "default" in run.targets else next(iter(run.targets))
    return run.account_of(space)


def load_from_store(run: RunState) -> DriftState | None:
    """The previous findings of every target of the run (each target's record holds its own spaces)."""
    spaces: dict[str, SpaceState] = {}
    stamps: list[str] = []
    found = False
    for account in run.targets:
        data = run.load(DRIFT_STATE, account)
        if data is None:
            continue
        found = True
        try:
            state = DriftState.from_dict(data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise DriftStateError(f"{run.store.url}: the drift state of {run.target(account).describe()} is "
                                  f"malformed ({type(exc).__name__}: {exc})") from None
        spaces.update({n: s for n, s in state.spaces.items() if _account_for(n, run) == account})
        if state.updated_at:
            stamps.append(state.updated_at)
    return DriftState(max(stamps) if stamps else None, spaces) if found else None


def save_to_store(run: RunState, state: DriftState, touched: Iterable[str]) -> None:
    """Write this run's findings of the spaces it ``touched`` (read, or found something in), each target's
    record merged space by space with what the store holds now: ``drift`` takes no lock, and two runs (a
    schedule and a manual one) that read different spaces both keep theirs."""
    by_account: dict[str, list[str]] = {}
    # the account's pseudo-space is compared on every run whose state holds it (``compare``): its resolution
    # is this run's too, or every later run would report the same finding resolved again
    for name in {*touched, *({ACCOUNT} & set(state.spaces))}:
        if name in state.spaces:
            by_account.setdefault(_account_for(name, run), []).append(name)
    for account, names in by_account.items():
        def merge(current: Any, names: list[str] = names) -> Any:
            # this run's state, whose spaces are the store's now but for the ones this run touched (any other
            # field of the state is this run's: it was computed from the previous one)
            base = DriftState.from_dict(current) if isinstance(current, Mapping) else DriftState()
            spaces = dict(base.spaces)
            spaces.update({n: state.spaces[n] for n in names})
            return replace(state, spaces=spaces).to_dict()

        run.update(DRIFT_STATE, account, merge, what=f"drift findings of {', '.join(sorted(names))}")


@dataclass(frozen=True)
class Transition:
    finding: Finding
    status: Status
    first_seen: str
    # When the values were last seen otherwise: the space's previous read for a new finding, the previous
    # run's sighting for a changed one (the change happened after it). None without a previous read.
    since: str | None = None
    acknowledged_by: Any = None  # the ``Acknowledgement`` that covers it (``engine.acknowledge``)
    note: str = ""  # "acknowledgement expired" for a finding that is back
    who: str | None = None  # who made the change, when ActionTrail says (``engine.drift_attribution``)

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_by is not None

    @property
    def is_new(self) -> bool:
        """New or changed and not acknowledged: what ``--fail-on new`` fails on and chat is told about."""
        return self.status in (Status.NEW, Status.CHANGED) and not self.acknowledged

    @property
    def open(self) -> bool:
        """Still a finding that nobody acknowledged: what ``--fail-on any`` fails on."""
        return self.status is not Status.RESOLVED and not self.acknowledged

    def to_dict(self) -> dict[str, Any]:
        ack = self.acknowledged_by
        return {**self.finding.to_dict(), "status": self.status.value, "first_seen": self.first_seen,
                "since": self.since, "note": self.note, "who": self.who,
                "acknowledged": None if ack is None else {
                    "finding": ack.finding, "reason": ack.reason, "until": ack.until.isoformat(),
                    "location": f"{ack.source.file}:{ack.source.line}"}}


@dataclass(frozen=True)
class Transitions:
    items: tuple[Transition, ...]
    previous_at: str | None  # the previous run's time (None: no state yet, every finding is new)
    now: str

    def of(self, status: Status) -> tuple[Transition, ...]:
        return tuple(t for t in self.items if t.status is status)

    @property
    def new(self) -> tuple[Transition, ...]:
        return tuple(t for t in self.items if t.is_new)

    @property
    def resolved(self) -> tuple[Transition, ...]:
        return self.of(Status.RESOLVED)

    @property
    def acknowledged(self) -> tuple[Transition, ...]:
        return tuple(t for t in self.items if t.acknowledged and t.status is not Status.RESOLVED)

    @property
    def open(self) -> tuple[Transition, ...]:
        return tuple(t for t in self.items if t.open)

    def for_space(self, space: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.items if t.finding.space == space)

    def summary(self) -> str:
        ongoing = self.of(Status.ONGOING)
        acked = len(self.acknowledged)
        return (f"Since {'the last run' if self.previous_at else 'no earlier run'}: {len(self.of(Status.NEW))} new, "
                f"{len(self.of(Status.CHANGED))} changed, {len(ongoing)} ongoing, {len(self.resolved)} resolved"
                + (f"; {acked} acknowledged" if acked else "") + ".")

    def to_dict(self) -> dict[str, Any]:
        return {"previous_at": self.previous_at, "now": self.now, "summary": self.summary(),
                "counts": {s.value: len(self.of(s)) for s in Status} | {"acknowledged": len(self.acknowledged)},
                "findings": [t.to_dict() for t in self.items]}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ORDER = {Status.NEW: 0, Status.CHANGED: 1, Status.ONGOING: 2, Status.RESOLVED: 3}


def compare(findings: Sequence[Finding], acknowledged: Mapping[str, Any], previous: DriftState | None,
            read_spaces: Iterable[str], now: dt.datetime,
            health: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None) -> tuple[Transitions, DriftState]:
    """This run's transitions and the state to save. ``acknowledged``: address → the acknowledgement that
    covers it. ``read_spaces``: the spaces this run read (only their absent findings are resolved).
    ``health``: space → ``health_snapshot`` of this run, appended to each read space's history."""
    stamp = iso(now)
    before = previous or DriftState()
    read = set(read_spaces)
    by_space: dict[str, dict[str, Finding]] = {}
    for f in findings:
        by_space.setdefault(f.space, {})[f.address] = f
    read |= {ACCOUNT} if ACCOUNT in by_space or ACCOUNT in before.spaces else set()
    items: list[Transition] = []
    spaces: dict[str, SpaceState] = dict(before.spaces)
    for space in sorted(read | set(by_space)):
        old = before.spaces.get(space)
        old_findings = old.findings if old else {}
        prev_read = old.read_at if old else None
        now_findings = by_space.get(space, {})
        kept: dict[str, Seen] = {}
        for address, f in now_findings.items():
            ack = acknowledged.get(address)
            seen = old_findings.get(address)
            note = ""
            if seen is None:
                status, first, value_since, since = Status.NEW, stamp, stamp, prev_read
            elif seen.digest != f.digest:
                status, first, value_since, since = Status.CHANGED, seen.first_seen, stamp, seen.last_seen
            else:
                status, first, value_since, since = Status.ONGOING, seen.first_seen, seen.value_since, None
            if seen is not None and seen.acknowledged and ack is None and status is Status.ONGOING:
                status, note = Status.NEW, "back: its acknowledgement ended"  # it fails and notifies again
            items.append(Transition(f, status, first, since, ack, note))
            kept[address] = Seen(f.kind, f.digest, f.headline, first, value_since, stamp, ack is not None,
                                 f.phone_number, f.field, f.location)
        for address, seen in old_findings.items():
            if address not in now_findings:
                gone = Finding(address, space, seen.kind, seen.headline, (), seen.location, seen.phone_number,
                               seen.field, seen.digest)
                items.append(Transition(gone, Status.RESOLVED, seen.first_seen, seen.last_seen))
        spaces[space] = SpaceState(stamp, kept, old.health if old else {}).with_health(
            (health or {}).get(space), stamp)
    items.sort(key=lambda t: (t.finding.space, _ORDER[t.status], t.finding.address))
    return (Transitions(tuple(items), before.updated_at, stamp),
            replace(before, updated_at=stamp, spaces=spaces))
