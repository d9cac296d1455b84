"""The one description of a change that every renderer shares, so the formats never disagree.

A renderer decides layout and escaping; *what* is said about a change (its symbol, headline, the
before → after lines, where it is written) is decided here once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from reconciler.engine.plan import Action, Change, Plan, PlannedSpace

# Terraform-like: one symbol per action.
SYMBOLS: Mapping[Action, str] = {
    Action.SYNC: "+",
    Action.VERIFY_MIGRATION: ">",
    Action.REGISTER_MIGRATION: ">",
    Action.UPDATE_WEBHOOK: "~",
    Action.UPDATE_PROFILE: "~",
    Action.DRIFT: "!",
    Action.UNMANAGED: "?",
    Action.MISPLACED: "?",
}

# Column titles of per-action counts (summary tables), in Action order.
COUNT_TITLES: Mapping[Action, str] = {
    Action.SYNC: "sync",
    Action.VERIFY_MIGRATION: "verify",
    Action.REGISTER_MIGRATION: "register",
    Action.UPDATE_WEBHOOK: "webhook",
    Action.UPDATE_PROFILE: "profile",
    Action.DRIFT: "drift",
    Action.UNMANAGED: "unmanaged",
    Action.MISPLACED: "misplaced",
}


def show(value: Any) -> str:
    """A value as shown to people: JSON (strings quoted, so a trailing space or a newline is visible)."""
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class ChangeView:
    symbol: str
    subject: str  # the number, or "(space)" for space-wide changes
    action: str
    field: str | None
    values: tuple[str, ...]  # "key: before → after" lines
    reason: str  # prose, may be empty
    location: str | None  # "file:line"

    @property
    def details(self) -> tuple[str, ...]:
        return self.values + ((self.reason,) if self.reason else ())

    @property
    def headline(self) -> str:
        parts = [self.symbol, self.action, self.subject]
        if self.field:
            parts.append(self.field)
        return " ".join(parts)


def value_lines(before: Any, after: Any) -> list[str]:
    """``key: before → after`` for every key of dict values, else one ``before → after`` line."""
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        b = before if isinstance(before, Mapping) else {}
        a = after if isinstance(after, Mapping) else {}
        keys = list(dict.fromkeys([*a.keys(), *b.keys()]))
        if before is None:
            return [f"{k}: {show(a.get(k))}" for k in keys]
        if after is None:
            return [f"{k}: {show(b.get(k))}" for k in keys]
        return [f"{k}: {show(b.get(k))} → {show(a.get(k))}" for k in keys]
    if before is None and after is None:
        return []
    if before is None:
        return [show(after)]
    return [f"{show(before)} → {show(after)}"]


def describe(change: Change) -> ChangeView:
    location = None if change.source is None else f"{change.source.file}:{change.source.line}"
    return ChangeView(
        symbol="(" + SYMBOLS[change.action] + ")" if change.pending else SYMBOLS[change.action],
        subject=change.phone_number or "(space)",
        action=change.action.value,
        field=change.field,
        values=tuple(value_lines(change.before, change.after)),
        reason=change.reason,
        location=location,
    )


def calls_line(plan: Plan) -> str:
    """``Calls: QueryChatappPhoneNumbers 3, … (N total)`` — the API budget the plan used."""
    if not plan.calls:
        return "Calls: none"
    total = sum(plan.calls.values())
    parts = ", ".join(f"{action} {n}" for action, n in sorted(plan.calls.items()))
    return f"Calls: {parts} ({total} total)"


def space_error(space: PlannedSpace) -> str:
    """What every format says in an errored space's place (the client error's line is secret-free)."""
    return f"could not be read: {space.error}"


def space_location(space: PlannedSpace) -> str:
    """``file:line`` of the space's entry, where an error about the space is annotated."""
    return f"{space.file}:{space.line}"


def errors_line(plan: Plan, *, max_names: int = 20) -> str | None:
    """``Error: 1 space could not be read: acme-travel`` (and/or the failed account check), shown before
    the summary line; None when every read succeeded. Names are capped so 200 failing spaces stay one
    readable line (each is also shown in its place)."""
    names = [s.name for s in plan.errors]
    parts: list[str] = []
    if names:
        shown = ", ".join(names[:max_names]) + (f" and {len(names) - max_names} more"
                                                  if len(names) > max_names else "")
        parts.append(f"{len(names)} space{'' if len(names) == 1 else 's'} could not be read: {shown}")
    if plan.preflight.failed:
        parts.append("the account preflight failed")
    if not parts:
        return None
    return "Error: " + "; ".join(parts) + " (the plan shows everything else; the run fails and apply refuses)"


def refusal_lines(plan: Plan) -> list[str]:
    """What every format says when apply would refuse the plan (and about a reviewed override), so a PR
    check fails for the reason apply would give. Empty when apply would run it."""
    lines = [f"Apply would refuse: {b.message}" for b in plan.refusals]
    lines += [f"Override requested (plan --force): {b.message}; apply will let it through"
              for b in plan.blockers if b.overridden]
    if plan.force and not any(b.overridden for b in plan.blockers):
        lines.append("Override requested (plan --force): nothing in this plan needs it")
    return lines


def preflight_line(plan: Plan) -> str:
    pf = plan.preflight
    if pf.unavailable:
        return f"Account check unavailable: {pf.detail} (notice: only a frozen account blocks apply)"
    text = f"Account preflight: {pf.status}"
    if pf.detail:
        text += f" ({pf.detail})"
    return text


def by_space(plan: Plan) -> dict[str, list[Change]]:
    """Changes grouped by space name, in the plan's space order (spaces without changes included), then
    any space only the changes name. One pass: renderers must stay linear for 10,000-number plans.

    With several accounts the spaces come account by account (each account where its first space was),
    so a renderer that shows ``AccountHeadings`` before those spaces groups the plan by account."""
    order = {name: i for i, name in enumerate(dict.fromkeys(s.account for s in plan.spaces))}
    spaces = sorted(plan.spaces, key=lambda s: order[s.account]) if len(order) > 1 else plan.spaces
    groups: dict[str, list[Change]] = {s.name: [] for s in spaces}
    for c in plan.changes:
        groups.setdefault(c.space, []).append(c)
    return groups


class AccountHeadings:
    """``Account NAME (N spaces)`` before the first space of each account a renderer shows, when the plan
    has several accounts (a single-account plan looks as it always did). One instance per pass over
    ``by_space``: ``before(name)`` returns the heading when ``name`` starts another account, else None."""

    def __init__(self, plan: Plan) -> None:
        self._account = {s.name: s.account for s in plan.spaces}
        counts: dict[str, int] = {}
        for s in plan.spaces:
            counts[s.account] = counts.get(s.account, 0) + 1
        self._titles = ({a: f"Account {a} ({n} space{'' if n == 1 else 's'})" for a, n in counts.items()}
                        if len(counts) > 1 else {})
        self._current: str | None = None

    def before(self, space_name: str) -> str | None:
        account = self._account.get(space_name)
        if not self._titles or account is None or account == self._current:
            return None
        self._current = account
        return self._titles[account]


def action_counts(changes: list[Change]) -> dict[Action, int]:
    counts = {a: 0 for a in Action}
    for c in changes:
        if not c.pending:  # as Plan.count: pending updates are part of their sync or migration
            counts[c.action] += 1
    return counts
