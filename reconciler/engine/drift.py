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

from reconciler import kinds as catalogue
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change, Plan

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




def kind_of(change: Change) -> DriftKind:
    kind = catalogue.kind_for(change)  # a kind's change counts as its kind says (``Presenter.drift_of``)
    if kind is not None:
        named = kind.presenter.drift_of(change)
        return _BY_ACTION.get(change.action, DriftKind.OTHER) if named is None else named
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
