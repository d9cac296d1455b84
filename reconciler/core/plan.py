"""The plan as plain data, after Terraform's ``plans`` package.

A ``Plan`` is a sorted tuple of frozen ``Change`` values plus what the plan saw (fingerprints, calls made,
the account preflight). It knows no renderer and no client: renderers read it, ``apply`` carries it out,
``to_dict``/``from_dict`` are its JSON form (``schemas/plan.schema.json``).

Values inside a ``Change`` are already redacted for display (tokens in callback URLs masked): a plan file
never holds a secret. ``apply`` takes the values to write from the desired state, not from the plan.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.provenance import Provenance
from reconciler.core.source import Source

#: 2: one generic ``update`` (format 1 had ``update-webhook`` and ``update-profile``), the kind and the item
#: in every change. Format 1 still loads (``Change.from_dict`` maps its actions; see ``V1_ACTIONS``).
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)


@dataclass(frozen=True, order=True)
class Address:
    """What a change is about, and the one identity of an instance: its kind, its space, its number (None: the
    space's own) and, for a collection (QR codes, templates), its item. Apply, the write ledger, the
    results, the renderers and the fingerprints name an instance by it (with the action, a change)."""

    kind: str
    space: str
    number: str | None = None
    item: str | None = None

    def __str__(self) -> str:
        return "/".join([self.space, self.number or "*", self.kind, *([self.item] if self.item else [])])

    def covers(self, other: Address) -> bool:
        """``other`` is this instance, or an item of it (a change for a whole collection covers its items)."""
        return (self.kind, self.space, self.number) == (other.kind, other.space, other.number) and \
            self.item in (None, other.item)


class Action(str, Enum):
    """What a change does. The membership actions are how a number comes into a space; the generic
    ``create``/``update``/``delete`` are every other kind's (the kind is in the change's address)."""

    SYNC = "sync"  # ChatappSyncPhoneNumber (one per space)
    VERIFY_MIGRATION = "verify-migration"  # ChatappMigrationVerified, then ChatappMigrationRegister
    REGISTER_MIGRATION = "register-migration"  # ChatappMigrationRegister for a verified, unregistered number
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    DRIFT = "drift"  # report only: nothing the API offers can fix it
    UNMANAGED = "unmanaged"  # a number in the space that no YAML declares
    MISPLACED = "misplaced"  # a declared number found in another managed space: never moved by this tool

    @property
    def writes(self) -> bool:
        return self in _WRITING

    @property
    def rank(self) -> int:
        return _RANK[self]


_WRITING = frozenset({Action.SYNC, Action.VERIFY_MIGRATION, Action.REGISTER_MIGRATION, Action.CREATE,
                      Action.UPDATE, Action.DELETE})
_RANK = {a: i for i, a in enumerate(Action)}

#: Format 1's kind-named actions → (the action, the kind); its other actions are format 2's. A change's
#: ``label`` keeps that wording (a kind may name its updates so: ``update-webhook``), so the renderers, the
#: counts and the summary read as before.
V1_ACTIONS = {"update-webhook": (Action.UPDATE, "webhooks"), "update-profile": (Action.UPDATE, "business_profile")}
#: The number blocks a format-1 desired fingerprint always held (None where not declared): a saved plan of
#: format 1 is checked against the YAML fingerprinted so (``fingerprint.desired_fingerprint(always=)``).
V1_BLOCKS = ("webhooks", "queues", "business_profile", "expect")
#: Every label in the order changes are listed (the order format 1 sorted its actions in).
LABEL_ORDER = ("sync", "verify-migration", "register-migration", "update-webhook", "update-profile", "create",
               "update", "delete", "drift", "unmanaged", "misplaced")
_LABEL_RANK = {label: i for i, label in enumerate(LABEL_ORDER)}
#: The membership kind's name (``kinds.membership``): its changes' address names the number, or the space
#: for a sync; format 1 wrote them with these fields.
MEMBERSHIP = "membership"


class Severity(str, Enum):
    ERROR = "error"  # blocks apply (unmanaged_numbers: error)
    WARNING = "warning"  # a change to make, or drift to look at
    NOTICE = "notice"  # informational (unmanaged_numbers: report)


@dataclass(frozen=True)
class Change:
    action: Action
    space: str  # the space's name
    cust_space_id: str
    phone_number: str | None  # None for space-wide changes
    field: str | None = None  # for drift/profile detail, e.g. "expect.status", "queues.up_queue"
    before: Any = None  # redacted, JSON-ready
    after: Any = None  # redacted, JSON-ready
    source: Source | None = None  # the YAML line a reviewer must look at
    severity: Severity = Severity.WARNING
    # An update for a number this plan brings into the space (by sync or migration): its current values are
    # unknown until then (Terraform's "known after apply"); apply writes only what still differs once the
    # number is there.
    pending: bool = False
    # ``dataclasses.field``: the attribute ``field`` above shadows the name inside this class body.
    reason: str = dataclasses.field(default="", compare=False)  # for display only
    # A digest of the actual (unredacted) values this change was computed from: the planned fields of a
    # number, or the space's membership for a sync or migration. ``apply --plan`` refuses a saved change
    # whose basis moved, and only then (``staleness``); a digest cannot be turned back into a token.
    basis: str | None = dataclasses.field(default=None, compare=False)
    kind: str = ""  # the kind of the instance (``Address.kind``); empty: a finding of no kind (endpoint checks)
    item: str | None = None  # a collection's item (``Address.item``): a QR code's message, a template's key
    label: str = ""  # how the action reads (``update-webhook``); empty: the action's value
    # What a kind knows of the instance beyond its values, as plain JSON data for machines (a username's
    # last refused write and the platform's suggestions); the reason says it for people. None: nothing.
    notes: Any = dataclasses.field(default=None, compare=False)

    @property
    def address(self) -> Address:
        return Address(self.kind, self.space, self.phone_number, self.item)

    @property
    def key(self) -> tuple[Address, Action]:
        """The change's identity: what it does to which instance (equal across two plans of one state)."""
        return self.address, self.action

    @property
    def shown_action(self) -> str:
        return self.label or self.action.value

    @property
    def ref(self) -> str:
        """The change as a line names it: ``space/number-or-*/action[/field]``."""
        parts = [self.space, self.phone_number or "*", self.shown_action]
        if self.field:
            parts.append(self.field)
        return "/".join(parts)

    @property
    def sort_key(self) -> tuple[str, int, str, str]:
        rank = _LABEL_RANK.get(self.shown_action, len(_LABEL_RANK) + self.action.rank)
        return (self.space, rank, self.phone_number or "", self.field or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.ref,
            "action": self.action.value,
            "kind": self.kind,
            "item": self.item,
            "label": self.shown_action,
            "space": self.space,
            "cust_space_id": self.cust_space_id,
            "phone_number": self.phone_number,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "source": None if self.source is None else {
                "file": self.source.file, "line": self.source.line, "col": self.source.col},
            "severity": self.severity.value,
            "pending": self.pending,
            "reason": self.reason,
            "basis": self.basis,
            **({"notes": self.notes} if self.notes is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Change:
        """A change of format 2, or of format 1 (no ``kind``: its action or its field's first segment says
        it, and a collection's item is the rest of the field)."""
        src = d.get("source")
        if "kind" in d:
            action, kind, item, label = Action(d["action"]), str(d["kind"]), d.get("item"), d.get("label", "")
        else:
            action, kind, item, label = _from_v1(d)
        return cls(
            action=action, kind=kind, item=item, label=label,
            space=d["space"],
            cust_space_id=d["cust_space_id"],
            phone_number=d.get("phone_number"),
            field=d.get("field"),
            before=d.get("before"),
            after=d.get("after"),
            source=None if src is None else Source(src["file"], int(src["line"]), int(src.get("col", 1))),
            severity=Severity(d.get("severity", "warning")),
            pending=bool(d.get("pending", False)),
            reason=d.get("reason", ""),
            basis=d.get("basis"),
            notes=d.get("notes"),
        )

    def review_form(self) -> dict[str, Any]:
        """What a reviewer approved of this change: every field but where it is written (a comment added
        above it moves its line, not its meaning: the desired fingerprint covers the YAML's meaning) and
        what depends on the environment of the run (whether a migration's code variable is set: a PR job
        has no secrets, apply has)."""
        d = self.to_dict()
        d.pop("source")
        if self.action is Action.VERIFY_MIGRATION:
            d["after"] = {k: v for k, v in (self.after or {}).items() if k != "env_set"}
            d["reason"] = None
        return d


#: Format 1's collections: their changes' field named the item after the kind (``qr_codes.<message>``).
_V1_COLLECTIONS = ("qr_codes", "templates")


def _from_v1(d: Mapping[str, Any]) -> tuple[Action, str, str | None, str]:
    """A format-1 change's action, kind, item and label. Its kind-named actions map to ``update`` of their
    kind; membership findings and writes were fields ``numbers``/``migration``/``membership`` (or none, for
    an unmanaged number); every other kind was its field's first segment."""
    label = str(d["action"])
    if label in V1_ACTIONS:
        action, kind = V1_ACTIONS[label]
        return action, kind, None, label
    action = Action(label)
    field = str(d.get("field") or "")
    head, _, rest = field.partition(".")
    if action in (Action.SYNC, Action.VERIFY_MIGRATION, Action.REGISTER_MIGRATION, Action.UNMANAGED,
                  Action.MISPLACED) or head in ("", "numbers", "migration", "membership"):
        return action, MEMBERSHIP, None, ""
    item = rest if head in _V1_COLLECTIONS and rest else None
    if head == "templates" and item is not None and action is Action.DRIFT:
        item = item.rsplit(".", 1)[0]  # a template's finding: templates.<name>/<language>.<what>
    return action, head, item, ""


@dataclass(frozen=True)
class Preflight:
    """The account check (GetCustomerAccountInfo) made once per run."""

    # "ok" | "frozen" | "no-data" | "skipped" | "unavailable" (the check could not be made: a notice) |
    # "error" (it could not be made and a space requires it: ``account_check: strict``)
    status: str
    detail: str = ""
    # Redacted account fields (no login email) as returned, for display.
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def blocks_apply(self) -> bool:
        return self.status == "frozen"

    @property
    def failed(self) -> bool:
        """The account could not be checked and a planned space requires the check
        (``account_check: strict``): the plan is still shown, but the run fails and apply refuses."""
        return self.status == "error"

    @property
    def unavailable(self) -> bool:
        """The check could not be made (BSS denied or does not apply to this caller, or failed): shown as a
        notice; apply proceeds, since only a frozen answer says anything about writes."""
        return self.status == "unavailable"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail, "data": dict(self.data)}


@dataclass(frozen=True)
class PlannedSpace:
    """A space the plan looked at, and the fingerprint of the actual state it saw there.

    A space whose read failed (unsubscribed, not owned by the key, no permission, the API unreachable after
    retries) is still a ``PlannedSpace``, with ``error`` (the client error's one line, secret-free) and
    ``error_code``, no fingerprint and no changes: one failing space must not hide what the others show,
    but nothing can be planned, let alone applied, for a space that could not be read (Terraform reports
    what it could and still fails the run).
    """

    name: str
    cust_space_id: str
    file: str
    actual_fingerprint: str | None
    error: str | None = None
    error_code: str | None = None
    line: int = 1  # the line of the space's YAML that errors are annotated on
    account: str = DEFAULT_ACCOUNT  # the account whose credentials read it (and will write it)
    # Declared numbers found in the space: the webhook threshold's denominator (absent numbers cannot be
    # repointed, so they must not dilute it). None when the space was not read.
    present: int | None = None

    @property
    def errored(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "cust_space_id": self.cust_space_id, "file": self.file,
                "actual_fingerprint": self.actual_fingerprint, "error": self.error,
                "error_code": self.error_code, "line": self.line, "account": self.account,
                "present": self.present}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PlannedSpace:
        """Plans saved before errors (or accounts) were recorded have none of the optional keys: they mean
        "read fine" (with the ``default`` account)."""
        return cls(d["name"], d["cust_space_id"], d["file"], d.get("actual_fingerprint"),
                   error=d.get("error"), error_code=d.get("error_code"), line=int(d.get("line", 1)),
                   account=d.get("account", DEFAULT_ACCOUNT), present=d.get("present"))


class BlockerKind(str, Enum):
    """Why apply would refuse a plan, most absolute first. Only ``THRESHOLD`` can be overridden: recorded at
    plan time (``plan --force``), so that the override is part of what is reviewed, and re-asserted by
    ``apply --plan FILE --force``."""

    UNREAD = "unread"  # a space (or a strict account check) could not be read
    FROZEN = "frozen"  # the account is frozen: every write would fail
    UNMANAGED = "unmanaged"  # unmanaged_numbers: error findings
    FINDING = "finding"  # a kind's error finding: the YAML asks what the platform cannot do (a published Flow's change)
    THRESHOLD = "threshold"  # more of a space's webhooks repointed than its safety threshold allows


@dataclass(frozen=True)
class Blocker:
    kind: BlockerKind
    message: str  # one line, secret-free
    space: str | None = None
    overridden: bool = False  # a THRESHOLD let through by ``plan --force``

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "space": self.space,
                "overridden": self.overridden}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Blocker:
        return cls(BlockerKind(d["kind"]), d["message"], d.get("space"), bool(d.get("overridden", False)))


@dataclass(frozen=True)
class Scope:
    """A plan of only the spaces whose YAML changed since a git ref (``plan --changed-since``)."""

    changed_since: str  # the ref, as given
    declared: int  # spaces declared in the repository (the plan's ``spaces`` are the ones covered)

    def to_dict(self) -> dict[str, Any]:
        return {"changed_since": self.changed_since, "declared": self.declared}


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    spaces: tuple[PlannedSpace, ...]
    desired_fingerprint: str
    preflight: Preflight
    calls: Mapping[str, int] = field(default_factory=dict)  # API action → calls made while planning
    # What the plan is for: tool version, time, commit, account/region/endpoint (``reconciler.provenance``).
    provenance: Provenance | None = field(default=None, compare=False)
    # What apply would refuse (``safety.plan_blockers``), and whether the plan was made with ``--force``
    # (the webhook-threshold override, recorded so that the reviewer approves it).
    blockers: tuple[Blocker, ...] = ()
    force: bool = False
    retry_sync: bool = False  # made with --retry-sync: apply --plan plans the same way
    scope: Scope | None = None  # None: every selected space was planned
    # With CAMS_RECONCILER_PLAN_KEY: a digest keyed by it of the ${env:NAME} values the planned spaces
    # reference, so apply --plan sees a token rotated since the review (``plan_signing.env_digest``).
    env_digest: str | None = None
    format_version: int = field(default=FORMAT_VERSION, compare=False)  # as saved (a loaded plan of format 1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(sorted(self.changes, key=lambda c: c.sort_key)))

    # -- derived views -------------------------------------------------------------------------------
    def count(self, action: Action | str) -> int:
        """Changes of ``action`` (an ``Action``, or a label such as ``update-webhook``: the changes shown so),
        pending updates (numbers not in the space yet) not included."""
        by_action, by_label = self._tally
        return by_action[action] if isinstance(action, Action) else by_label[action]

    @functools.cached_property
    def _tally(self) -> tuple[Counter[Action], Counter[str]]:
        """Changes by action and by label (pending ones not counted), once per plan: every table row asks."""
        counted = [c for c in self.changes if not c.pending]
        return Counter(c.action for c in counted), Counter(c.shown_action for c in counted)

    @property
    def pending_count(self) -> int:
        return sum(1 for c in self.changes if c.pending)

    @property
    def has_writes(self) -> bool:
        """Apply would write something: the one meaning of ``plan --detailed-exitcode``'s 2, as in
        Terraform. Report-only findings (drift, unmanaged, misplaced) write nothing; they are ``drift``'s."""
        return any(c.action.writes for c in self.changes)

    @property
    def errors(self) -> tuple[PlannedSpace, ...]:
        """The spaces whose actual state could not be read (see ``PlannedSpace``)."""
        return tuple(s for s in self.spaces if s.errored)

    @property
    def failed(self) -> bool:
        """Some read failed (a space or the account preflight): the run exits 1 and apply refuses."""
        return bool(self.errors) or self.preflight.failed

    @property
    def refusals(self) -> tuple[Blocker, ...]:
        """The blockers apply would refuse on (those ``--force`` did not override)."""
        return tuple(b for b in self.blockers if not b.overridden)

    @property
    def apply_would_refuse(self) -> bool:
        return bool(self.refusals)

    @property
    def writes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action.writes)

    def for_space(self, name: str) -> tuple[Change, ...]:
        return self._changes_by_space.get(name, ())

    @functools.cached_property
    def _changes_by_space(self) -> dict[str, tuple[Change, ...]]:
        """Space name → its changes, in plan order (grouped once: callers ask for every space in turn)."""
        grouped: dict[str, list[Change]] = {}
        for c in self.changes:
            grouped.setdefault(c.space, []).append(c)
        return {name: tuple(changes) for name, changes in grouped.items()}

    @functools.cached_property
    def labels(self) -> tuple[str, ...]:
        """Every label of ``LABEL_ORDER``, then any other a kind gives its changes."""
        return tuple(dict.fromkeys([*LABEL_ORDER, *sorted({c.shown_action for c in self.changes})]))

    def counts(self) -> dict[str, int]:
        """Changes by label (``labels``), then pending."""
        return {**{label: self.count(label) for label in self.labels}, "pending": self.pending_count}

    def summary_line(self) -> str:
        """Counted as the summary table counts (``count``, one column per label): the writes, then the
        report-only findings by the same names as the table's columns, so the two add up."""
        register = self.count(Action.REGISTER_MIGRATION)
        kinds = [(n, a.value) for a in Action if not a.writes and (n := self.count(a))]
        findings = sum(n for n, _ in kinds)
        # the generic actions, then any other word a kind gives a write (add-number, deregister, ...)
        others = sorted({c.shown_action for c in self.changes if c.action.writes} - set(LABEL_ORDER))
        generic = "".join(f", {n} to {label}" for label in ("create", "update", "delete", *others)
                          if (n := self.count(label)))
        found = (f"; {plural(findings, 'finding')} (report only: {', '.join(f'{n} {name}' for n, name in kinds)})"
                 if findings else "; no findings")
        return (f"Plan: {self.count(Action.SYNC)} to sync, {self.count(Action.VERIFY_MIGRATION)} to verify, "
                + (f"{register} to register, " if register else "")
                + f"{plural(self.count('update-webhook'), 'webhook update')}, "
                f"{plural(self.count('update-profile'), 'profile update')}{generic}{found}.")

    # -- JSON ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "summary": self.summary_line(),
            "counts": self.counts(),
            "desired_fingerprint": self.desired_fingerprint,
            "preflight": self.preflight.to_dict(),
            "spaces": [s.to_dict() for s in self.spaces],
            "calls": dict(sorted(self.calls.items())),
            "force": self.force,
            "retry_sync": self.retry_sync,
            "blockers": [b.to_dict() for b in self.blockers],
            "changes": [c.to_dict() for c in self.changes],
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
            **({"scope": self.scope.to_dict()} if self.scope is not None else {}),
            **({"env_digest": self.env_digest} if self.env_digest is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        """Inverse of ``to_dict``. The caller validates ``d`` against ``schemas/plan.schema.json`` first."""
        pf = d["preflight"]
        return cls(
            changes=tuple(Change.from_dict(c) for c in d["changes"]),
            spaces=tuple(PlannedSpace.from_dict(s) for s in d["spaces"]),
            desired_fingerprint=d["desired_fingerprint"],
            preflight=Preflight(pf["status"], pf.get("detail", ""), pf.get("data", {})),
            calls=dict(d.get("calls", {})),
            provenance=Provenance.from_dict(d["provenance"]) if d.get("provenance") else None,
            blockers=tuple(Blocker.from_dict(b) for b in d.get("blockers", ())),
            force=bool(d.get("force", False)),
            retry_sync=bool(d.get("retry_sync", False)),
            scope=None if d.get("scope") is None else Scope(d["scope"]["changed_since"], int(d["scope"]["declared"])),
            env_digest=d.get("env_digest"),
            format_version=int(d.get("format_version", FORMAT_VERSION)),
        )


def plural(n: int, noun: str) -> str:
    """``1 profile update``, ``2 profile updates``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
