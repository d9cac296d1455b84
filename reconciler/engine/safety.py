"""Guards checked before apply's first write (octoDNS-style): refuse what is blocked or suspiciously large.

Three guards, in order of how absolute they are:

1. a frozen account (the plan's preflight): every write would fail, so nothing starts. ``--force`` does not
   override it: forcing cannot make a frozen account accept writes, it can only leave a half-applied plan.
2. error findings (``unmanaged_numbers: error``): the YAML says such a number must not exist; the fix is in
   the YAML (declare the number, or relax the policy), so ``--force`` does not override it either.
3. the webhook-update threshold: in a space with at least ``safety.min_numbers`` declared numbers, a plan
   that repoints the webhooks of more than ``safety.max_webhook_update_fraction`` of them is more likely a
   bad default or a typo in ``defaults`` than an intended migration. ``--force`` lets a reviewed one through.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config.model import DesiredState
from reconciler.engine.apply_errors import BlockingFindingsError, FrozenAccountError, SafetyThresholdError
from reconciler.engine.plan import Action, Plan, Severity


@dataclass(frozen=True)
class ThresholdBreach:
    space: str
    updated: int  # distinct numbers whose webhooks the plan updates
    declared: int
    limit: float  # the space's max_webhook_update_fraction

    def describe(self) -> str:
        return (f"space {self.space}: the plan updates the webhooks of {self.updated} of its {self.declared} "
                f"declared numbers ({self.updated / self.declared:.0%}, more than the "
                f"{self.limit:.0%} allowed by safety.max_webhook_update_fraction)")


def threshold_breaches(plan: Plan, desired: DesiredState) -> list[ThresholdBreach]:
    """Spaces whose webhook updates exceed their safety threshold (pure)."""
    breaches: list[ThresholdBreach] = []
    for planned in plan.spaces:
        space = desired.space(planned.name)
        if space is None:
            continue
        declared = len(space.numbers)
        if declared == 0 or declared < space.safety.min_numbers:
            continue
        updated = len({c.phone_number for c in plan.for_space(space.name) if c.action is Action.UPDATE_WEBHOOK
                       and not c.pending})  # a number arriving by sync/migration is not repointed
        if updated / declared > space.safety.max_webhook_update_fraction:
            breaches.append(ThresholdBreach(space.name, updated, declared, space.safety.max_webhook_update_fraction))
    return breaches


def check_apply_allowed(plan: Plan, desired: DesiredState, *, force: bool) -> list[str]:
    """Raise the first refusal that applies; return warnings to print for thresholds ``--force`` overrode."""
    if plan.preflight.blocks_apply:
        raise FrozenAccountError(
            f"refusing to apply: {plan.preflight.detail or 'the account is frozen'}. Every write would fail; "
            "--force does not override a frozen account. Resolve the account status (billing/hosting) first.")
    errors = [c for c in plan.changes if c.severity is Severity.ERROR]
    if errors:
        shown = ", ".join(f"{c.phone_number} in {c.space}" + (f" ({c.source})" if c.source else "")
                          for c in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise BlockingFindingsError(
            f"refusing to apply: {len(errors)} number(s) in spaces with unmanaged_numbers: error are declared "
            f"in no YAML: {shown}{more}. Declare them, or set unmanaged_numbers to report, then plan again "
            "(--force does not override this; use --target to apply other spaces).")
    breaches = threshold_breaches(plan, desired)
    if breaches and not force:
        raise SafetyThresholdError(
            "refusing to apply: " + "; ".join(b.describe() for b in breaches)
            + ". Review the plan, then re-run with --force, or raise the space's safety threshold in YAML.")
    return [f"--force: {b.describe()}" for b in breaches]
