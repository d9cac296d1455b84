"""GitHub Actions workflow commands (``::error file=F,line=L,title=T::message``), so findings appear on the
YAML lines in the pull request's diff.

Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message ``%``, ``\\r`` and
``\\n`` are percent-encoded; in property values ``:`` and ``,`` are too. Without it a value containing
``::`` or a newline could end the annotation early or inject a second command.

GitHub shows at most 10 annotations of each kind (error, warning, notice) per step and drops the rest
without a word, so ``within_limits`` emits the most important of each kind first (run-wide findings, then
the lines in plan order, where writes come before report-only findings), at most 10 errors, 10 warnings and
9 notices, then the summary notice, which therefore always survives and says how many were left out and
that the plan comment has them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.core.plan import Change, Plan, Severity
from reconciler.engine.drift import kind_of as drift_kind_of
from reconciler.render.describe import describe, errors_line, refusal_lines, report_noun, report_title, space_error
from reconciler.render.describe import summary as report_summary

if TYPE_CHECKING:
    from reconciler.config.errors import Problem
    from reconciler.core.source import Source

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}
LEVELS = ("error", "warning", "notice")
PER_KIND = 10  # GitHub's limit per step for each kind of annotation


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: object) -> str:
    props_text = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{level}{' ' + props_text if props_text else ''}::{escape_data(message)}"


def location(source: Source | None) -> dict[str, object]:
    """The ``file``/``line``/``col`` properties putting an annotation on a YAML line (``col`` only past 1)."""
    if source is None:
        return {}
    return {"file": source.file, "line": source.line, **({"col": source.col} if source.col > 1 else {})}


def problem_annotation(problem: Problem, title: str) -> str:
    """A desired-state problem as an error on its line (on the file when it concerns the file as a whole)."""
    props: dict[str, object] = {"file": problem.file}
    if problem.line > 0:
        props.update(line=problem.line, col=problem.col)
    message = problem.message + (f" ({problem.field_path})" if problem.field_path else "")
    return command("error", message, **props, title=title)


def render_github(plan: Plan, *, report: str = "plan") -> str:
    lines: list[str] = []
    for space in plan.errors:  # on the line declaring the space, so the PR shows it where it is written
        lines.append(command("error", f"space {space.name} {space_error(space)}", file=space.file,
                             line=space.line, title=f"cams read failed: {space.name}"))
    for change in sorted(plan.changes, key=_importance):
        view = describe(change)
        props = location(change.source)
        props["title"] = (f"cams drift ({drift_kind_of(change).value}): {change.space} {view.subject}"
                          if report == "drift" else f"cams {view.action}: {change.space} {view.subject}")
        message = "\n".join([view.headline, *view.details])
        lines.append(command(_LEVEL[change.severity], message, **props))
    pf = plan.preflight
    if pf.blocks_apply:
        lines.append(command("error", pf.detail, title="cams account frozen"))
    elif pf.status == "no-data":
        lines.append(command("notice", pf.detail, title="cams account preflight"))
    elif pf.unavailable:
        lines.append(command("notice", f"account check unavailable: {pf.detail}", title="cams account preflight"))
    elif pf.failed:
        lines.append(command("error", pf.detail, title="cams account preflight failed"))
    for line in refusal_lines(plan, report):
        level = "error" if line.startswith("Apply would refuse") else "warning"
        lines.append(command(level, line, title="cams-reconciler apply"))
    error = errors_line(plan)
    if error:
        lines.append(command("error", error, title=report_title(report)))
    return within_limits(lines, report_summary(plan, report), title=report_title(report),
                         elsewhere=report_noun(report))


def _importance(change: Change) -> tuple[int, int]:
    """Within a kind, a write a reviewer must approve before a report-only finding (stable otherwise)."""
    return (0 if change.action.writes else 1, 0 if not change.pending else 1)


def within_limits(lines: list[str], summary: str, *, title: str, per_kind: int = PER_KIND,
                  elsewhere: str = "plan comment") -> str:
    """``lines`` (workflow commands) cut to GitHub's per-step limits, most important first, then the summary
    notice, which always survives and says how many were left out.

    Run-wide findings (no ``file=``: a frozen account, "N spaces could not be read", apply would refuse) go
    before the line-level ones of their kind; otherwise the order of ``lines`` is kept.
    """
    by_level: dict[str, list[str]] = {level: [] for level in LEVELS}
    for line in lines:
        level = line[2:].split(" ", 1)[0].split("::", 1)[0]
        by_level.setdefault(level, []).append(line)
    kept: list[str] = []
    dropped: dict[str, int] = {}
    for level, found in by_level.items():
        found.sort(key=lambda line: "file=" in line.split("::", 2)[1])  # stable: run-wide first
        room = per_kind - 1 if level == "notice" else per_kind  # one notice is the summary's
        kept += found[:room]
        if len(found) > room:
            dropped[level] = len(found) - room
    message = summary
    if dropped:
        total = sum(dropped.values())
        kinds = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in dropped.items())
        message += (f" {total} more in the {elsewhere} ({kinds} not annotated: GitHub shows {per_kind} of each "
                    "kind per step).")
    kept.append(command("notice", message, title=title))
    return "\n".join(kept) + "\n"
