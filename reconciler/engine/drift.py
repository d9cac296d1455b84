"""What counts as drift: the one definition behind ``drift``'s exit code, its table and its summary.

Drift is every difference between the YAML and the account that a plan shows, counted in the unit a person
thinks in: numbers missing from their space (one sync covers many), migrations not done, numbers whose
webhooks or business profile differ, queue names that differ, numbers outside their expected health
(one number off on status and quality is one number), other findings, declared numbers found in another
managed space, unmanaged numbers, and a frozen account. Pending updates (the declared webhooks of a number still to be synced in) are part of their sync,
not counted again. ``drift`` exits 2 exactly when ``DriftCounts.total`` is not 0, so the summary can never
say "none" while the job fails, nor the table count differently from the summary (both call ``count``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from reconciler import kinds as catalogue
from reconciler.engine.plan import Action, Change, Plan


class DriftKind(str, Enum):
    """The kinds, in the order summaries and table columns list them."""

    MISSING = "missing"  # declared numbers not in their space (a sync would bring them in)
    MIGRATION = "migration"  # migrations still to verify and register
    WEBHOOK = "webhook"  # numbers whose callback URLs differ
    PROFILE = "profile"  # numbers whose business profile differs
    QUEUE = "queue"  # queue names that differ
    HEALTH = "health"  # numbers outside their ``expect``
    TEMPLATE = "template"  # message templates that differ, or whose review or quality is off
    QR_CODE = "qr_code"  # message QR codes that differ (missing, changed, undeclared)
    SETTINGS = "settings"  # a number's commerce settings, conversational automation or Flows key
    OTHER = "other"  # a finding of no kind above (none in this version: every kind names its own)
    MISPLACED = "misplaced"  # declared numbers found in another managed space
    UNMANAGED = "unmanaged"  # numbers in a space that no YAML declares
    ENDPOINT = "endpoint"  # declared callback URLs whose endpoint fails a check (``endpoint_checks:``)


_BY_ACTION: Mapping[Action, DriftKind] = {
    Action.SYNC: DriftKind.MISSING,
    Action.VERIFY_MIGRATION: DriftKind.MIGRATION,
    Action.REGISTER_MIGRATION: DriftKind.MIGRATION,  # verified, not yet registered: still not done
    Action.UNMANAGED: DriftKind.UNMANAGED,
    Action.MISPLACED: DriftKind.MISPLACED,
}


@dataclass(frozen=True)
class DriftCounts:
    counts: Mapping[DriftKind, int]
    account_frozen: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + int(self.account_frozen)

    def __getitem__(self, kind: DriftKind) -> int:
        return self.counts.get(kind, 0)

    def to_dict(self) -> dict[str, object]:
        return {"total": self.total, "account_frozen": self.account_frozen,
                "counts": {k.value: self[k] for k in DriftKind}}


_KIND_VALUES = frozenset(k.value for k in DriftKind)


def kind_of(change: Change) -> DriftKind:
    kind = catalogue.kind_for(change)  # a kind's change counts as its kind says (``Presenter.drift_of``)
    if kind is not None:
        named = kind.presenter.drift_of(change)
        if named is None:
            return _BY_ACTION.get(change.action, DriftKind.OTHER)
        return DriftKind(named) if named in _KIND_VALUES else DriftKind.OTHER
    if change.action is Action.DRIFT:
        if (change.field or "").startswith("endpoint."):  # endpoint checks' findings (no kind of the catalogue)
            return DriftKind.ENDPOINT
        return DriftKind.OTHER
    return _BY_ACTION.get(change.action, DriftKind.OTHER)


def unknown(change: Change) -> bool:
    """A change that says "cannot tell" (an account webhook with no record for this target): a notice."""
    kind = catalogue.kind_for(change)
    return kind is not None and kind.recorder is not None and kind.recorder.unknown(change)


def count(changes: Iterable[Change], *, account_frozen: bool = False) -> DriftCounts:
    """Drift in ``changes`` (one space's, or a whole plan's)."""
    counts: Counter[DriftKind] = Counter()
    unhealthy: set[tuple[str, str | None]] = set()
    for change in changes:
        if change.pending or unknown(change):
            continue
        kind = kind_of(change)
        if kind is DriftKind.MISSING:
            missing = change.after.get("missing") if isinstance(change.after, Mapping) else None
            counts[kind] += max(1, len(missing or ()))
        elif kind is DriftKind.HEALTH:
            unhealthy.add((change.space, change.phone_number))
        else:
            counts[kind] += 1
    if unhealthy:
        counts[DriftKind.HEALTH] = len(unhealthy)
    return DriftCounts(dict(counts), account_frozen)


def plan_drift(plan: Plan) -> DriftCounts:
    return count(plan.changes, account_frozen=plan.preflight.blocks_apply)
