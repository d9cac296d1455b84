"""Guards checked before apply's first write (octoDNS-style): refuse what is blocked or suspiciously large.

Four guards, in order of how absolute they are:

0. failed reads (``Plan.failed``): a space whose actual state could not be read (unsubscribed, not owned by
   the key, denied, unreachable) or an account check that failed. The plan shows everything it could read,
   but apply refuses the whole plan before any write, saved or fresh: the user fixes the access or
   applies the healthy spaces with ``--target``. ``--force`` does not override it.
1. a frozen account (the plan's preflight): every write would fail, so nothing starts. ``--force`` does not
   override it: forcing cannot make a frozen account accept writes, it can only leave a half-applied plan.
2. error findings (``unmanaged_numbers: error``): the YAML says such a number must not exist; the fix is in
   the YAML (declare the number, or relax the policy), so ``--force`` does not override it either.
3. the webhook-update threshold: in a space with at least ``safety.min_numbers`` declared numbers, a plan
   that repoints the webhooks of more than ``safety.max_webhook_update_fraction`` of the declared numbers
   *found in the space* is more likely a bad default or a typo in ``defaults`` than an intended migration.
   Declared numbers that are absent do not count: they cannot be repointed, so they must not dilute the
   share. The override is made at plan time (``plan --force``), so the reviewer approves it, and
   re-asserted by ``apply --plan FILE --force`` (``staleness.override_problems``); ``apply`` without a
   saved plan takes ``--force`` itself.
4. the deregistration threshold, overridden the same way: a plan that deregisters (``retire: true``,
   ``unmanaged_numbers: deregister``) more than ``safety.max_deregister_fraction`` of the numbers in the
   space, and more than one, is more likely a mistake (a mass ``retire``, a policy set on the wrong space)
   than a retirement; one number may always be retired.

``plan_blockers`` computes all of them as data when the plan is made (every format shows them and ``plan``
exits 1), and ``check_apply_allowed`` raises the first one before apply's first write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler import kinds as catalogue
from reconciler.core.model import DesiredState
from reconciler.core.plan import Action, Blocker, BlockerKind, Change, Plan, Severity
from reconciler.engine.apply_errors import (
    BlockingFindingsError,
    FrozenAccountError,
    SafetyThresholdError,
    UnreadSpacesError,
)
from reconciler.kinds.retirement import is_deregistration


@dataclass(frozen=True)
class ThresholdBreach:
    space: str
    updated: int  # distinct numbers whose webhooks the plan updates
    declared: int  # declared numbers found in the space (the denominator)
    limit: float  # the space's max_webhook_update_fraction

    def describe(self) -> str:
        return (f"space {self.space}: the plan updates the webhooks of {self.updated} of the {self.declared} "
                f"declared numbers in the space ({self.updated / self.declared:.0%}, more than the "
                f"{self.limit:.0%} allowed by safety.max_webhook_update_fraction)")


@dataclass(frozen=True)
class DeregisterBreach:
    space: str
    deregistered: int  # numbers the plan deregisters
    present: int  # numbers in the space (declared and found, and the undeclared ones it deregisters)
    limit: float  # the space's max_deregister_fraction

    def describe(self) -> str:
        return (f"space {self.space}: the plan deregisters {self.deregistered} of the {self.present} numbers in "
                f"the space ({self.deregistered / max(self.present, 1):.0%}, more than the {self.limit:.0%} "
                "allowed by safety.max_deregister_fraction, and more than one); a deregistered number stops "
                "sending and receiving")


def deregister_breaches(plan: Plan, desired: DesiredState) -> list[DeregisterBreach]:
    """Spaces whose plan deregisters more numbers than their safety threshold allows (pure): more than
    ``max_deregister_fraction`` of the numbers in the space, and more than one (one ``retire: true`` is
    always allowed)."""
    breaches: list[DeregisterBreach] = []
    for planned in plan.spaces:
        space = desired.space(planned.name)
        if space is None:
            continue
        gone = [c for c in plan.for_space(space.name) if is_deregistration(c)]
        declared = {n.phone_number for n in space.numbers}
        present = (len(space.numbers) if planned.present is None else planned.present) + \
            sum(1 for c in gone if c.phone_number not in declared)
        allowed = max(1, math.floor(space.safety.max_deregister_fraction * present))
        if len(gone) > allowed:
            breaches.append(DeregisterBreach(space.name, len(gone), present, space.safety.max_deregister_fraction))
    return breaches


def repoints(change: Change) -> bool:
    """Whether ``change`` points a number's callback URL elsewhere: a write of a number's kind that changes a
    field the kind declares a callback URL (``Field.callback``), whichever kind it is."""
    kind = catalogue.kind_for(change)
    if kind is None or change.phone_number is None or not change.action.writes:
        return False
    callbacks = {f.name for f in kind.fields if f.callback}
    changed = set(change.before) if isinstance(change.before, Mapping) else set()
    named = (change.field or "").partition(".")[2]
    if named:
        changed.add(named)
    return bool(callbacks & changed) if changed else bool(callbacks)  # no field named: the whole block


def threshold_breaches(plan: Plan, desired: DesiredState) -> list[ThresholdBreach]:
    """Spaces whose webhook updates exceed their safety threshold (pure)."""
    breaches: list[ThresholdBreach] = []
    for planned in plan.spaces:
        space = desired.space(planned.name)
        if space is None:
            continue
        # The numbers actually there (a plan read before this was recorded falls back to the declared ones).
        declared = len(space.numbers) if planned.present is None else planned.present
        if declared == 0 or declared < space.safety.min_numbers:
            continue
        # a number arriving by sync/migration is not repointed
        updated = len({c.phone_number for c in plan.for_space(space.name) if repoints(c) and not c.pending})
        if updated / declared > space.safety.max_webhook_update_fraction:
            breaches.append(ThresholdBreach(space.name, updated, declared, space.safety.max_webhook_update_fraction))
    return breaches


def check_all_read(plan: Plan, *, saved_path: str | None = None, rechecking: bool = False) -> None:
    """Refuse a plan in which a space or the account preflight could not be read (guard 0).

    ``saved_path``: the plan is the saved one given to ``apply --plan`` (``--target`` cannot be combined
    with it, so the hint says how to make a targeted plan instead). ``rechecking``: ``plan`` is the re-read
    of a saved plan's spaces that ``apply --plan`` makes before writing."""
    if not plan.failed:
        return
    problems = [f"space {s.name} could not be read ({s.error})" for s in plan.errors]
    if plan.preflight.failed:
        problems.append(plan.preflight.detail)
    what = (f"reading the spaces of the saved plan {saved_path} again found" if rechecking
            else f"the saved plan {saved_path} has" if saved_path else "the plan has")
    healthy = [s.name for s in plan.spaces if not s.errored]
    hint = "fix the access (subscription, RAM policy, the key that owns the space, the network) and plan again"
    if healthy and not plan.preflight.failed:
        targets = " ".join(f"--target {n}" for n in healthy[:5]) + (" ..." if len(healthy) > 5 else "")
        hint += (f", or leave the failing space(s) out: `plan {targets} --out FILE`, review, `apply --plan FILE`"
                 if saved_path else f", or apply the other spaces only: `apply {targets}`")
    raise UnreadSpacesError(
        f"refusing to apply: {what} {len(problems)} failed read(s): {'; '.join(problems)}. Nothing was "
        f"written. To go on, {hint}. --force does not override this.")


def _breaches(plan: Plan, desired: DesiredState) -> list[ThresholdBreach | DeregisterBreach]:
    """Every threshold the plan breaches (the webhook one and the deregistration one): what ``--force``
    overrides."""
    return [*threshold_breaches(plan, desired), *deregister_breaches(plan, desired)]


def _findings(plan: Plan) -> list[Change]:
    """The blocking findings other than undeclared numbers (those are reported per space)."""
    return [c for c in plan.changes if c.severity is Severity.ERROR and c.action is not Action.UNMANAGED]


def plan_blockers(plan: Plan, desired: DesiredState, *, force: bool) -> tuple[Blocker, ...]:
    """Everything apply would refuse ``plan`` for, most absolute first (pure). With ``force`` the
    threshold breaches are recorded as overridden; nothing else can be."""
    out: list[Blocker] = []
    for s in plan.errors:
        out.append(Blocker(BlockerKind.UNREAD, f"space {s.name} could not be read ({s.error})", s.name))
    if plan.preflight.failed:
        out.append(Blocker(BlockerKind.UNREAD, plan.preflight.detail))
    if plan.preflight.blocks_apply:
        out.append(Blocker(BlockerKind.FROZEN, f"{plan.preflight.detail or 'the account is frozen'}; every "
                                               "write would fail (--force does not override a frozen account)"))
    errors = [c for c in plan.changes if c.severity is Severity.ERROR and c.action is Action.UNMANAGED]
    for c in _findings(plan):
        out.append(Blocker(BlockerKind.FINDING, f"space {c.space}: {c.field}: {c.reason} (--force does not "
                                                "override this)", c.space))
    for name in dict.fromkeys(c.space for c in errors):
        mine = [c for c in errors if c.space == name]
        shown = ", ".join(str(c.phone_number) for c in mine[:5]) + (f" and {len(mine) - 5} more"
                                                                    if len(mine) > 5 else "")
        out.append(Blocker(BlockerKind.UNMANAGED,
                           f"space {name}: {len(mine)} number(s) in the space are declared in no YAML and "
                           f"the space says unmanaged_numbers: error ({shown}); declare them or relax the "
                           "policy (--force does not override this)", name))
    for b in _breaches(plan, desired):
        out.append(Blocker(BlockerKind.THRESHOLD, b.describe(), b.space, overridden=force))
    return tuple(out)


def check_apply_allowed(plan: Plan, desired: DesiredState, *, force: bool) -> list[str]:
    """Raise the first refusal that applies; return warnings to print for thresholds ``force`` overrode."""
    check_all_read(plan)
    if plan.preflight.blocks_apply:
        raise FrozenAccountError(
            f"refusing to apply: {plan.preflight.detail or 'the account is frozen'}. Every write would fail; "
            "--force does not override a frozen account. Resolve the account status (billing/hosting) first.")
    findings = _findings(plan)
    if findings:
        shown = "; ".join(f"{c.space} {c.field}" + (f" ({c.source})" if c.source else "") + f": {c.reason}"
                          for c in findings[:5])
        raise BlockingFindingsError(f"refusing to apply: {shown}. Change the YAML, then plan again (--force does "
                                    "not override this; use --target to apply other spaces).")
    errors = [c for c in plan.changes if c.severity is Severity.ERROR]
    if errors:
        shown = ", ".join(f"{c.phone_number} in {c.space}" + (f" ({c.source})" if c.source else "")
                          for c in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise BlockingFindingsError(
            f"refusing to apply: {len(errors)} number(s) in spaces with unmanaged_numbers: error are declared "
            f"in no YAML: {shown}{more}. Declare them, or set unmanaged_numbers to report, then plan again "
            "(--force does not override this; use --target to apply other spaces).")
    breaches = _breaches(plan, desired)
    if breaches and not force:
        raise SafetyThresholdError(
            "refusing to apply: " + "; ".join(b.describe() for b in breaches)
            + ". Review the plan; to let it through, make the plan with `plan --force --out FILE` so the "
              "override is reviewed, then `apply --plan FILE --force` (or raise the space's safety threshold in "
              "YAML).")
    return [f"override (plan --force): {b.describe()}" for b in breaches]
