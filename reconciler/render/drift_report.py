"""The part of a drift report about time: what is new, changed, ongoing, acknowledged and resolved since
the previous run (``engine.drift_state``), in every format, and the findings those are made of.

``findings_of`` turns a plan's changes into display-ready ``Finding`` values, with the headline and value
lines ``describe`` gives every format (so a state file, an issue and a chat message say what the report
says). The sections here are appended to the drift report that ``render`` prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from reconciler.core.drift_settings import Acknowledgement
from reconciler.core.plan import Change, Plan
from reconciler.engine.drift import kind_of, plan_drift, unknown
from reconciler.engine.drift_state import ACCOUNT, Finding, Status, Transition, Transitions, digest_of
from reconciler.render.describe import describe, drift_summary
from reconciler.render.escape import printable

_LABEL = {Status.NEW: "new", Status.CHANGED: "changed", Status.ONGOING: "ongoing", Status.RESOLVED: "resolved"}


def finding_of(change: Change) -> Finding:
    view = describe(change)
    location = None if change.source is None else f"{change.source.file}:{change.source.line}"
    return Finding(address=change.ref, space=change.space, kind=kind_of(change).value, headline=view.headline,
                   details=view.details, location=location, phone_number=change.phone_number,
                   field=change.field, digest=digest_of(change.shown_action, change.before, change.after))


def findings_of(plan: Plan, extra: Iterable[Change] = ()) -> list[Finding]:
    """Every finding drift counts in ``plan`` (pending updates are part of their sync), plus ``extra``
    changes (the endpoint checks'), and a frozen account as one finding of the pseudo-space ``(account)``."""
    found = [finding_of(c) for c in (*plan.changes, *extra) if not c.pending and not unknown(c)]
    if plan.preflight.blocks_apply:
        found.append(Finding(f"{ACCOUNT}/*/account/frozen", ACCOUNT, "account", "! the account is frozen",
                             (printable(plan.preflight.detail),) if plan.preflight.detail else (),
                             digest=digest_of("frozen"), acknowledgeable=False))
    return found


def status_label(t: Transition) -> str:
    if t.acknowledged:
        return "acknowledged"
    return _LABEL[t.status]


def extra_lines(t: Transition) -> list[str]:
    """What a transition adds to its finding's own lines: why it is back, when it changed, who covers it."""
    lines: list[str] = []
    if t.note:
        lines.append(t.note)
    if t.status in (Status.NEW, Status.CHANGED) and t.since:
        lines.append(f"changed after {t.since} (the last run that saw the old value)")
        if t.who:
            lines.append(f"who: {t.who}")
    elif t.status is Status.ONGOING:
        lines.append(f"first seen {t.first_seen}")
    elif t.status is Status.RESOLVED:
        lines.append(f"last seen {t.since}" if t.since else "resolved")
    ack = t.acknowledged_by
    if ack is not None:
        lines.append(f"acknowledged until {ack.until.isoformat()}: {ack.reason} "
                     f"({ack.source.file}:{ack.source.line})")
    return lines


def _shown(transitions: Transitions, verbose: bool) -> list[Transition]:
    """Ongoing findings nobody acknowledged are already in the report above: listed again only with -v."""
    return [t for t in transitions.items
            if verbose or t.status is not Status.ONGOING or t.acknowledged or t.note]


def render_text(transitions: Transitions, unused: Sequence[Acknowledgement] = (), *, verbose: bool = False) -> str:
    since = f" (previous run {transitions.previous_at})" if transitions.previous_at else " (no earlier run recorded)"
    out = [f"Since the last run{since}:"]
    for t in _shown(transitions, verbose):
        where = f"  ({t.finding.location})" if t.finding.location else ""
        space = "" if t.finding.space == ACCOUNT else f"{t.finding.space} "
        out.append(f"  {status_label(t):<12} {space}{t.finding.headline}{where}")
        out += [f"      {line}" for line in (*t.finding.details, *extra_lines(t))]
    for ack in unused:
        out.append(f"  note: the acknowledgement {ack.finding} ({ack.source.file}:{ack.source.line}) matches no "
                   "finding now: remove it if its finding is resolved")
    out.append(transitions.summary())
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(transitions: Transitions, unused: Sequence[Acknowledgement] = (), *,
                    verbose: bool = False) -> str:
    out = ["", "#### Since the last run" + (f" ({transitions.previous_at})" if transitions.previous_at else ""),
           "", f"**{transitions.summary()}**", ""]
    shown = _shown(transitions, verbose)
    if shown:
        out += ["| status | space | finding | detail |", "| --- | --- | --- | --- |"]
        for t in shown:
            detail = "<br>".join(_md(x) for x in (*t.finding.details, *extra_lines(t)))
            out.append(f"| {status_label(t)} | {_md(t.finding.space)} | `{_md(t.finding.headline)}` | {detail} |")
    for ack in unused:
        out.append(f"\n- the acknowledgement `{_md(ack.finding)}` ({ack.source.file}:{ack.source.line}) matches no "
                   "finding now: remove it if its finding is resolved")
    return "\n".join(out) + "\n"


def render_github(transitions: Transitions) -> str:
    """One notice with the transitions' summary and the new findings (the report's own annotations already
    mark every finding's line, within GitHub's per-step limit)."""
    from reconciler.render.github import command

    message = "\n".join([transitions.summary(), *(f"new: {t.finding.space} {t.finding.headline}"
                                                   for t in transitions.new[:20])])
    return command("notice", message, title="cams-reconciler drift since the last run") + "\n"


def render_json(plan: Plan, transitions: Transitions | None, state: dict[str, Any] | None,
                unused: Sequence[Acknowledgement] = ()) -> str:
    """``drift --format json`` with transitions: ``{"drift", "transitions", "state", "plan"}``. ``state``
    is the document ``--state`` saves, so the last report can stand in for the state file."""
    drift = plan_drift(plan)
    head = {"summary": drift_summary(plan), "in_sync": drift.total == 0, **drift.to_dict()}
    doc: dict[str, Any] = {"drift": head}
    if transitions is not None:
        doc["transitions"] = transitions.to_dict() | {
            "unused_acknowledgements": [{"finding": a.finding, "until": a.until.isoformat(),
                                         "location": f"{a.source.file}:{a.source.line}"} for a in unused]}
    if state is not None:
        doc["state"] = state
    doc["plan"] = plan.to_dict()
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
