"""One GitHub issue per space for drift: the operations a workflow carries out (``drift --issues-out``).

The reconciler holds no GitHub token and calls no GitHub API: it writes, per space it read, what that
space's issue should be, and the workflow's step (``gh``, see examples/ci/github-actions/cams-drift.yml)
makes it so. An issue is found by its exact title (``cams drift: SPACE``) among the open issues carrying
the label, so the operations are idempotent: running them twice changes nothing more.

- a space with findings (acknowledged ones included, marked so): its issue is ``open`` with a body listing
  them; a comment is added when something is new or resolved (an ongoing finding adds no noise);
- a space read without a finding: ``closed`` (the step closes the issue if one is open, with a comment
  naming what was resolved);
- a space that could not be read: no operation (an unread space is neither better nor worse).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.core.plan import Plan
from reconciler.engine.drift_state import ACCOUNT, HealthPoint, Status, Transition, Transitions
from reconciler.files import write_atomically
from reconciler.kinds.expect import RATING_FIELD, RATING_ORDER

ISSUES_FORMAT = "cams-reconciler/drift-issues"
MAX_LISTED = 100  # an issue body stays far below GitHub's 65,536 characters
MARKER = "<!-- cams-reconciler drift issue: {space} -->"


def title_of(space: str) -> str:
    return f"cams drift: {space}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def _line(t: Transition, link_base: str | None) -> str:
    where = ""
    if t.finding.location:
        file, _, line = t.finding.location.rpartition(":")
        where = f" ([{_md(t.finding.location)}]({link_base.rstrip('/')}/{file}#L{line}))" if link_base and file \
            else f" ({_md(t.finding.location)})"
    status = "acknowledged" if t.acknowledged else t.status.value
    extra = ""
    if t.acknowledged_by is not None:
        extra = f" — until {t.acknowledged_by.until.isoformat()}: {_md(t.acknowledged_by.reason)}"
    elif t.status is not Status.ONGOING and t.since:
        extra = f" — changed after {t.since}"
    details = "; ".join(_md(d) for d in t.finding.details[:3])
    return f"- **{status}** `{_md(t.finding.headline)}`{where}{extra}" + (f"<br>{details}" if details else "")


def _comment(new: Sequence[Transition], resolved: Sequence[Transition], now: str) -> str | None:
    if not new and not resolved:
        return None
    out = [f"Drift run {now}: {len(new)} new, {len(resolved)} resolved."]
    out += [f"- new: `{_md(t.finding.headline)}`" for t in new[:MAX_LISTED]]
    out += [f"- resolved: `{_md(t.finding.headline)}`" for t in resolved[:MAX_LISTED]]
    return "\n".join(out)


#: Quality ratings as a chart's y values (higher is better); anything else (UNKNOWN, OTHER) is 0.
RATING_LEVELS = {rating: len(RATING_ORDER) - i for i, rating in enumerate(RATING_ORDER)}
MAX_CHARTS = 10  # numbers charted per issue: those whose rating moved or is not GREEN first


def quality_charts(health: Mapping[str, Sequence[HealthPoint]]) -> list[str]:
    """Markdown: one Mermaid ``xychart-beta`` line chart per number of its quality rating over the runs the
    state kept (GitHub renders Mermaid blocks). Only our own values reach the chart: the numbers' digits,
    the runs' times and 0-3 levels (``health_snapshot`` already reduced every API value to a token)."""
    def level(point: HealthPoint) -> int:
        return RATING_LEVELS.get(point.values.get(RATING_FIELD, ""), 0)

    def interest(item: tuple[str, Sequence[HealthPoint]]) -> tuple[int, str]:
        levels = {level(p) for p in item[1]}
        return (0 if len(levels) > 1 or levels != {3} else 1, item[0])

    charted = sorted(((phone, points) for phone, points in health.items() if len(points) >= 2
                      and re.fullmatch(r"[0-9]{4,20}", phone)), key=interest)[:MAX_CHARTS]
    if not charted:
        return []
    out = [f"**Quality rating over the last runs** (3 GREEN, 2 YELLOW, 1 RED, 0 unknown; up to "
           f"{MAX_CHARTS} numbers, those that moved first):", ""]
    for phone, points in charted:
        labels = ", ".join(f'"{p.at[5:10]} {p.at[11:16]}"' for p in points)  # "12-02 06:00"
        out += ["```mermaid", "xychart-beta", f'    title "+{phone}"', f"    x-axis [{labels}]",
                '    y-axis "quality rating" 0 --> 3', f"    line [{', '.join(str(level(p)) for p in points)}]",
                "```", ""]
    return out


def issue_operations(transitions: Transitions, plan: Plan, *, label: str = "cams-drift",
                     link_base: str | None = None,
                     health: Mapping[str, Mapping[str, Sequence[HealthPoint]]] | None = None) -> dict[str, Any]:
    """The issue operations document: ``{"format", "label", "operations": [{space, title, state, body,
    comment}]}``, one operation per space this run read, in plan order. ``health``: space → its numbers'
    health history (the drift state's), drawn as charts in an open issue."""
    operations: list[dict[str, Any]] = []
    account = [t for t in transitions.for_space(ACCOUNT) if t.status is not Status.RESOLVED]
    for space in plan.spaces:
        if space.errored:
            continue
        items = transitions.for_space(space.name)
        current = [t for t in items if t.status is not Status.RESOLVED] + account
        new = [t for t in items if t.is_new]
        resolved = [t for t in items if t.status is Status.RESOLVED]
        comment = _comment(new, resolved, transitions.now)
        if current:
            open_count = sum(1 for t in current if t.open)
            body = [MARKER.format(space=space.name),
                    f"Drift of space **{_md(space.name)}** ({space.cust_space_id}), `{_md(space.file)}`, as of "
                    f"{transitions.now}: {len(current)} finding{'s' if len(current) != 1 else ''}, "
                    f"{open_count} not acknowledged.", ""]
            body += [_line(t, link_base) for t in current[:MAX_LISTED]]
            if len(current) > MAX_LISTED:
                body.append(f"- … and {len(current) - MAX_LISTED} more (the drift report lists them all)")
            charts = quality_charts((health or {}).get(space.name, {}))
            if charts:
                body += ["", *charts]
            body += ["", "This issue is kept by the scheduled drift job: it is updated on every run and closed "
                         "when no finding remains. Acknowledge a known finding with `acknowledge:` in the YAML."]
            operations.append({"space": space.name, "title": title_of(space.name), "state": "open",
                               "body": "\n".join(body), "comment": comment})
        else:
            operations.append({"space": space.name, "title": title_of(space.name), "state": "closed",
                               "body": None,
                               "comment": comment or f"Drift run {transitions.now}: no finding remains."})
    return {"format": ISSUES_FORMAT, "version": 1, "label": label, "operations": operations}


def write_operations(path: str | Path, document: dict[str, Any]) -> None:
    write_atomically(Path(path), json.dumps(document, indent=1, ensure_ascii=False) + "\n")
