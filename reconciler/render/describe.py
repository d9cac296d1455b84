"""The one description of a change that every renderer shares, so the formats never disagree.

A renderer decides layout and escaping; *what* is said about a change (its symbol, headline, the
before → after lines, where it is written) is decided here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import kinds as catalogue
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import LABEL_ORDER, Action, Blocker, BlockerKind, Change, Plan, PlannedSpace
from reconciler.engine.drift import count, plan_drift
from reconciler.kinds.expect import RATING_FIELD, RATING_ORDER, ExpectKind
from reconciler.render.escape import json_text, printable

# Terraform-like: one symbol per action, by how a change's action reads (``Change.shown_action``: a kind may
# name its updates, ``update-webhook``), in ``LABEL_ORDER``.
SYMBOLS: Mapping[str, str] = {
    "sync": "+", "verify-migration": ">", "register-migration": ">", "update-webhook": "~", "update-profile": "~",
    "create": "+", "update": "~", "delete": "-", "drift": "!", "unmanaged": "?", "misplaced": "?",
}

# Column titles of per-label counts (summary tables), in ``LABEL_ORDER``.
COUNT_TITLES: Mapping[str, str] = {
    "sync": "sync", "verify-migration": "verify", "register-migration": "register", "update-webhook": "webhook",
    "update-profile": "profile", "create": "create", "update": "update", "delete": "delete", "drift": "drift",
    "unmanaged": "unmanaged", "misplaced": "misplaced",
}


def symbol(change: Change) -> str:
    return SYMBOLS.get(change.shown_action, SYMBOLS[change.action.value])


def show(value: Any) -> str:
    """A value as shown to people: JSON (strings quoted, so a trailing space or a newline is visible)."""
    if value is None:
        return "(none)"
    return json_text(value)


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


#: Report-only actions: what a plan finds, not what apply would do (``Action.writes`` is False).
FINDINGS = frozenset(a for a in Action if not a.writes)

#: Quality ratings from best to worst (the expect kind's): an expectation of the top ones reads "YELLOW or better".
_QUALITY_ORDER = RATING_ORDER
#: A health finding's field (``expect.quality_rating``) reads as a state: "quality rating is YELLOW; expected GREEN".
_EXPECTED = f"{ExpectKind.name}."


def is_finding(change: Change) -> bool:
    """A state to look at (drift, an unmanaged or misplaced number), not a change apply makes."""
    return change.action in FINDINGS


def diff_lines(change: Change) -> list[str]:
    """A change's values as the lines of a ``diff`` block, as GitHub colours them: ``- key: value`` what is
    there now (red), ``+ key: value`` what apply sets (green), an unsigned line for the rest (a kind's own
    view, such as a template's rendered message). Values are ``show``'s: JSON, masked when the plan was made.
    A secret part of a URL is masked on both sides; when that makes them read alike, the ``+`` line says it
    differs (the fingerprint, when the value was an ``${env:NAME}`` reference, is part of the value)."""
    kind = catalogue.kind_for(change)
    own = kind.presenter.value_lines(change) if kind is not None else None
    if own is not None:  # a kind's view holds API values too (a Flow's screen ids, a preview link): escaped
        return [f"  {printable(line)}" for line in own]
    before, after = change.before, change.after
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        b = before if isinstance(before, Mapping) else {}
        a = after if isinstance(after, Mapping) else {}
        lines: list[str] = []
        for key in dict.fromkeys([*a.keys(), *b.keys()]):
            old = f"{key}: {show(b.get(key))}" if before is not None and key in b else None
            new = f"{key}: {show(a.get(key))}" if after is not None and key in a else None
            if old is not None:
                lines.append(f"- {old}")
            if new is not None:
                lines.append(f"+ {new}" + ("   # differs in its masked part" if new == old else ""))
        return lines
    out = []
    if before is not None:
        out.append(f"- {show(before)}")
    if after is not None:
        out.append(f"+ {show(after)}" + ("   # differs in its masked part" if before == after else ""))
    return out


def _one_of(values: Any, *, quality: bool) -> str:
    """``GREEN``, ``YELLOW or better``, ``one of A, B``: an expected set as a person says it."""
    items = [str(v) for v in values] if isinstance(values, (list, tuple)) else [str(values)]
    if quality and items and set(items) == set(_QUALITY_ORDER[: len(items)]) and len(items) < len(_QUALITY_ORDER):
        return _QUALITY_ORDER[len(items) - 1] + (" or better" if len(items) > 1 else "")
    if len(items) == 1:
        return items[0]
    return "one of " + ", ".join(items)


def finding_text(change: Change) -> str:
    """A finding worded as a state ("quality rating is YELLOW; expected GREEN"), never as a change to make:
    apply does nothing about it."""
    field = change.field or ""
    if change.action is Action.UNMANAGED:
        detail = change.after if isinstance(change.after, Mapping) else change.before
        facts = ", ".join(f"{k.replace('_', ' ')} {show(v)}" for k, v in (detail or {}).items()) if isinstance(
            detail, Mapping) else ""
        blocks = "; apply refuses while it is there (unmanaged_numbers: error)" if change.severity.value == "error" else ""
        return "is in the space but declared in no YAML" + (f" ({facts})" if facts else "") + blocks
    if change.action is Action.DRIFT and not isinstance(change.before, Mapping) and not isinstance(
            change.after, Mapping) and change.before is not None:
        if field.startswith(_EXPECTED):
            what = field.removeprefix(_EXPECTED).replace("_", " ")
            expected = _one_of(change.after, quality=field == _EXPECTED + RATING_FIELD)
            return f"{what} is {show(change.before)}; expected {expected}"
        return f"is {show(change.before)}; the YAML says {show(change.after)}"
    return printable(change.reason) if change.reason else f"{printable(field) or 'the value'} differs from the YAML"


def finding_note(change: Change) -> str:
    """What ``finding_text`` did not already say (the kind's reason), or ""."""
    text = finding_text(change)
    said = change.action is Action.UNMANAGED or (change.field or "").startswith(_EXPECTED)
    return "" if not change.reason or printable(change.reason) == text or said else printable(change.reason)


def counts_phrase(changes: list[Change], report: str = "plan") -> str:
    """One space's counts in the words of the report's summary line: ``1 to sync, 2 webhook updates; 1
    finding (report only)`` for a plan, ``2 webhooks differ from the YAML; 1 unmanaged number`` for drift."""
    if report == "drift":
        drift = count(changes)
        return "; ".join(one if drift[k] == 1 else many.format(n=drift[k])
                         for k, (one, many) in _DRIFT_PHRASES.items() if drift[k]) or "no drift"
    counts = action_counts(changes)
    writes = [f"{n} {_ACTION_PHRASES.get(a, ('to ' + a, 'to ' + a))[0 if n == 1 else 1]}" for a, n in counts.items()
              if a not in _FINDING_LABELS and n]
    findings = sum(counts.get(a.value, 0) for a in FINDINGS)
    parts = ", ".join(writes) or "nothing to write"
    return parts + (f"; {plural(findings, 'finding')} (report only)" if findings else "")


_ACTION_PHRASES: Mapping[str, tuple[str, str]] = {
    "sync": ("to sync", "to sync"), "verify-migration": ("to verify", "to verify"),
    "register-migration": ("to register", "to register"),
    "update-webhook": ("webhook update", "webhook updates"),
    "update-profile": ("profile update", "profile updates"),
    "create": ("to create", "to create"), "update": ("to update", "to update"), "delete": ("to delete", "to delete"),
}
_FINDING_LABELS = frozenset(a.value for a in FINDINGS)


def describe(change: Change) -> ChangeView:
    location = None if change.source is None else f"{change.source.file}:{change.source.line}"
    kind = catalogue.kind_for(change)
    # a kind may say it its own way (templates)
    own = kind.presenter.value_lines(change) if kind is not None else None
    return ChangeView(
        symbol="(" + symbol(change) + ")" if change.pending else symbol(change),
        subject=printable(change.phone_number or "(space)"),
        action=change.shown_action,
        field=change.field,
        values=tuple(printable(v) for v in (own if own is not None else value_lines(change.before, change.after))),
        reason=printable(change.reason),
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
    return f"could not be read: {printable(space.error or '')}"


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


#: How to override a refusal where an override exists: only the threshold has one, and only at plan time, so
#: that the reviewer sees it (the other blockers' messages already say what makes them go away).
OVERRIDES: Mapping[BlockerKind, str] = {
    BlockerKind.THRESHOLD: ("to override: plan again with `plan --force --out FILE` and apply that plan with "
                            "`apply --plan FILE --force` (on a pull request: add the label `cams-reconciler/force`); "
                            "the override is recorded in the plan for review"),
}


def refusal(blocker: Blocker) -> str:
    """A blocker's message and, where one exists, how to override it."""
    how = OVERRIDES.get(blocker.kind)
    return blocker.message + (f"; {how}" if how else "")


def refusal_lines(plan: Plan, report: str = "plan") -> list[str]:
    """What every format says when apply would refuse the plan (and about a reviewed override), so a PR
    check fails for the reason apply would give, and how to override it where an override exists. Empty
    when apply would run it, and in a drift report (drift checks; whether apply would run is plan's)."""
    if report == "drift":
        return []
    lines = [f"Apply would refuse: {printable(refusal(b))}" for b in plan.refusals]
    lines += [f"Override requested (plan --force): {printable(b.message)}; apply will let it through"
              for b in plan.blockers if b.overridden]
    if plan.force and not any(b.overridden for b in plan.blockers):
        lines.append("Override requested (plan --force): nothing in this plan needs it")
    return lines


def preflight_line(plan: Plan) -> str:
    pf = plan.preflight
    if pf.unavailable:
        return f"Account check unavailable: {printable(pf.detail)} (notice: only a frozen account blocks apply)"
    text = f"Account preflight: {printable(pf.status)}"
    if pf.detail:
        text += f" ({printable(pf.detail)})"
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


def action_counts(changes: list[Change]) -> dict[str, int]:
    """Changes by label (``LABEL_ORDER``, then any other), as ``Plan.counts``."""
    counts = dict.fromkeys(LABEL_ORDER, 0)
    for c in changes:
        if not c.pending:  # as Plan.count: pending updates are part of their sync or migration
            counts[c.shown_action] = counts.get(c.shown_action, 0) + 1
    return counts


# -- plan or drift: titles, summaries and the counts of the summary table -----------------------------------

#: Column titles of the drift table, in ``DriftKind`` order (``other`` only when there is some).
DRIFT_TITLES: Mapping[DriftKind, str] = {
    DriftKind.MISSING: "missing", DriftKind.MIGRATION: "migration", DriftKind.WEBHOOK: "webhook",
    DriftKind.PROFILE: "profile", DriftKind.QUEUE: "queue", DriftKind.HEALTH: "health",
    DriftKind.TEMPLATE: "template", DriftKind.QR_CODE: "QR code", DriftKind.FLOW: "Flow", DriftKind.SETTINGS: "settings",
    DriftKind.OTHER: "other", DriftKind.MISPLACED: "misplaced", DriftKind.UNMANAGED: "unmanaged",
    DriftKind.ENDPOINT: "endpoint",
}

#: (one, many) phrasings of each kind of drift.
_DRIFT_PHRASES: Mapping[DriftKind, tuple[str, str]] = {
    DriftKind.MISSING: ("1 declared number is missing from its space",
                        "{n} declared numbers are missing from their spaces"),
    DriftKind.MIGRATION: ("1 migration is waiting to be verified", "{n} migrations are waiting to be verified"),
    DriftKind.WEBHOOK: ("1 webhook differs from the YAML", "{n} webhooks differ from the YAML"),
    DriftKind.PROFILE: ("1 business profile differs from the YAML", "{n} business profiles differ from the YAML"),
    DriftKind.QUEUE: ("1 queue name differs", "{n} queue names differ"),
    DriftKind.HEALTH: ("1 number is outside its expected health", "{n} numbers are outside their expected health"),
    DriftKind.TEMPLATE: ("1 message template differs from the YAML or its review",
                         "{n} message templates differ from the YAML or their review"),
    DriftKind.QR_CODE: ("1 message QR code differs from the YAML", "{n} message QR codes differ from the YAML"),
    DriftKind.FLOW: ("1 WhatsApp Flow differs from the YAML", "{n} WhatsApp Flows differ from the YAML"),
    DriftKind.SETTINGS: ("1 number setting differs from the YAML (commerce, automation or Flows key)",
                         "{n} number settings differ from the YAML (commerce, automation or Flows key)"),
    DriftKind.OTHER: ("1 other finding", "{n} other findings"),
    DriftKind.MISPLACED: ("1 declared number is in another managed space",
                          "{n} declared numbers are in other managed spaces"),
    DriftKind.UNMANAGED: ("1 unmanaged number", "{n} unmanaged numbers"),
    DriftKind.ENDPOINT: ("1 callback endpoint fails its check", "{n} callback endpoints fail their checks"),
}


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 space``, ``2 spaces`` (``many`` for irregular forms)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def report_title(report: str) -> str:
    return f"cams-reconciler {report}"


def provenance_line(plan: Plan, report: str = "plan") -> str | None:
    """What the plan (or the drift check) is for, in the report's own words."""
    if plan.provenance is None:
        return None
    return plan.provenance.line("Drift check" if report == "drift" else "Plan")


def report_noun(report: str) -> str:
    """Where the rest of the report is: ``plan comment`` / ``drift report``."""
    return "drift report" if report == "drift" else "plan comment"


def drift_summary(plan: Plan) -> str:
    """``Drift: 2 webhooks differ from the YAML; 1 unmanaged number.`` (``engine.drift`` decides what counts)."""
    drift = plan_drift(plan)
    parts = [(one if drift[k] == 1 else many.format(n=drift[k])) for k, (one, many) in _DRIFT_PHRASES.items()
             if drift[k]]
    if drift.account_frozen:
        parts.append("the account is frozen")
    if parts:
        return "Drift: " + "; ".join(parts) + "."
    read = [s for s in plan.spaces if not s.errored]
    if plan.errors:
        return f"Drift: none in the {plural(len(read), 'space')} read ({len(plan.errors)} could not be read)."
    return f"Drift: none; {plural(len(read), 'space')} {'matches' if len(read) == 1 else 'match'} the YAML."


def summary(plan: Plan, report: str = "plan") -> str:
    return drift_summary(plan) if report == "drift" else plan.summary_line()


#: Columns shown only when the plan has such a change (rare: a comment stays narrow without them).
_RARE_ACTIONS = frozenset({"register-migration", "misplaced", "create", "update", "delete"})
_RARE_KINDS = frozenset({DriftKind.MISPLACED, DriftKind.OTHER, DriftKind.ENDPOINT, DriftKind.TEMPLATE,
                         DriftKind.QR_CODE, DriftKind.FLOW, DriftKind.SETTINGS})


def count_titles(plan: Plan, report: str) -> list[str]:
    """The summary table's count columns: actions for a plan, kinds of drift for a drift report."""
    if report != "drift":
        return [COUNT_TITLES.get(a, a) for a in _action_columns(plan)]
    return [DRIFT_TITLES[k] for k in _drift_columns(plan)]


def row_counts(plan: Plan, report: str, changes: list[Change]) -> list[int]:
    """One space's counts, in ``count_titles`` order (the total row: ``total_counts``)."""
    if report != "drift":
        counts = action_counts(changes)
        return [counts.get(a, 0) for a in _action_columns(plan)]
    drift = count(changes)
    return [drift[k] for k in _drift_columns(plan)]


def total_counts(plan: Plan, report: str) -> list[int]:
    if report != "drift":
        total = plan.counts()
        return [total[a] for a in _action_columns(plan)]
    drift = plan_drift(plan)
    return [drift[k] for k in _drift_columns(plan)]


def _action_columns(plan: Plan) -> list[str]:
    return [a for a in plan.labels if a in COUNT_TITLES and a not in _RARE_ACTIONS or plan.count(a)]


def _drift_columns(plan: Plan) -> list[DriftKind]:
    drift = plan_drift(plan)
    return [k for k in DriftKind if k not in _RARE_KINDS or drift[k]]


def in_sync(plan: Plan, groups: Mapping[str, list[Change]]) -> list[str]:
    """The spaces read without a single change or finding, in plan order."""
    errored = {s.name for s in plan.errors}
    return [name for name, changes in groups.items() if not changes and name not in errored]


def scope_line(plan: Plan) -> str | None:
    """Which spaces a ``--changed-since`` plan covers (None for a plan of every selected space)."""
    scope = plan.scope
    if scope is None:
        return None
    names = [s.name for s in plan.spaces]
    if not names:
        return (f"Scope: no space changed since {scope.changed_since} "
                f"(of {scope.declared} declared): nothing was read.")
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return (f"Scope: the {plural(len(names), 'space')} whose YAML changed since {scope.changed_since} "
            f"(of {scope.declared} declared): {shown}; the others were not read.")
