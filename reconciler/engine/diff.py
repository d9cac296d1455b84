"""The diff: one declared space + what CAMS reports for it → typed ``Change`` values. Pure: no I/O.

Each kind of the catalogue plans its own instances (``Kind.plan_space``, by default ``Kind.plan`` of each
declared instance with its current values), in catalogue order, membership first: its changes say which
missing numbers the plan brings in (by sync or migration). A declared block of such a number is planned as
*pending* (``before`` is ``None``: Terraform's "known after apply"): the declared values, which apply writes
once the number is in the space and only where they still differ. So one apply converges a new number fully,
and every write it makes is one the reviewed plan shows. A number missing for another reason (in another
space, or not brought in by an earlier sync) gets no change of its other kinds.

Values in ``before``/``after`` are small, JSON-ready, and redacted (``mask_url`` on every URL). Because
masking can make two different URLs look equal (``?token=***`` on both sides), the ``reason`` says when
only masked parts differ. The membership rules themselves are ``kinds/membership.py``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from reconciler import kinds as catalogue
from reconciler.core.model import Space
from reconciler.core.plan import Action, Change
from reconciler.engine.actual import ActualSpace
from reconciler.kinds.base import PlanContext
from reconciler.kinds.onboarding_paths import arriving as onboarding_arriving
from reconciler.kinds.onboarding_paths import settled

#: What planning knows beyond the API's answers (``kinds.base.PlanContext``).
Context = PlanContext
_ARRIVING = (Action.SYNC, Action.VERIFY_MIGRATION, Action.REGISTER_MIGRATION)


def diff_space(space: Space, actual: ActualSpace, *, env: Mapping[str, str] | None = None,
               context: Context | None = None) -> list[Change]:
    """Every change needed or finding to report for ``space``. The migration code's variable is only
    asked whether it is set; its value is never read into the plan."""
    ctx = context if context is not None else Context(env=env or {})
    changes: list[Change] = []
    arriving: set[str] = set()
    arrived: Space | None = None  # the space as the kinds that wait see it: its numbers there or arriving
    for kind in catalogue.kinds():  # a kind after those it depends on: ``arriving`` is complete by then
        if kind.depends_on:
            # a number not in the space is planned only when this plan brings it in (its pending updates);
            # so is one half-way through onboarding (listed, but nothing can be set on it until registered)
            if arrived is None:
                arrived = replace(space, numbers=tuple(n for n in space.numbers if n.phone_number in arriving or (
                    not n.retire and settled(n, actual.numbers.get(n.phone_number)))))
            found = kind.plan_space(arrived, actual, ctx)
        else:
            found = kind.plan_space(space, actual, ctx)
        for c in found:
            if c.action is Action.SYNC:
                arriving.update((c.after or {}).get("missing") or [])
            elif c.phone_number is not None and (c.action in _ARRIVING or onboarding_arriving(c)):
                arriving.add(c.phone_number)
        changes.extend(found)
    return changes
