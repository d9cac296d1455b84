"""What ``apply`` did, as a person reads it: a table of every change's outcome, then the summary line.

``text`` is an aligned table for a terminal, ``markdown`` a table for a CI job summary or PR comment,
``github`` annotations on the YAML lines of what failed or was skipped. The record itself (``ApplyReport``,
its JSON form ``--results``) is the engine's: ``reconciler.engine.results``.
"""

from __future__ import annotations

from reconciler.engine.results import ApplyReport, ChangeResult, Outcome
from reconciler.render.escape import printable

#: Titles of apply's GitHub annotations (the summary notice's, and each result's prefix).
GITHUB_TITLE = "cams-reconciler apply"
_GITHUB_LEVEL = {Outcome.FAILED: "error", Outcome.SKIPPED: "warning"}


def _rows(report: ApplyReport) -> tuple[list[tuple[str, str | None, str]], list[tuple[str, str | None, str]]]:
    """(result rows, follow-up rows): (address, outcome, detail); several accounts: the rows account by
    account, each account's after a heading row (outcome None)."""
    order = {a: i for i, a in enumerate(dict.fromkeys(report.account_of(r.change) for r in report.results))}
    rows: list[tuple[str, str | None, str]] = []
    current: str | None = None
    for r in sorted(report.results, key=lambda r: order[report.account_of(r.change)]):
        account = report.account_of(r.change)
        if len(order) > 1 and account != current:
            current = account
            rows.append((f"Account {account}", None, ""))
        rows.append((printable(r.change.ref), r.outcome.value, detail(r)))
    follow: list[tuple[str, str | None, str]] = [(printable(c.ref), "not planned", printable(c.reason))
                                                 for c in report.follow_up]
    return rows, follow


def apply_text(report: ApplyReport) -> str:
    rows, follow = _rows(report)
    lines = []
    if rows or follow:
        width = max(len(a) for a, _, _ in rows + follow)
        lines.append(f"{'CHANGE'.ljust(width)}  {'RESULT'.ljust(11)}  DETAIL")
        for addr, outcome, text in rows + follow:
            lines.append(f"== {addr}" if outcome is None else f"{addr.ljust(width)}  {outcome.ljust(11)}  {text}")
        lines.append("")
    lines.append(printable(report.summary_line()))
    return "\n".join(lines)


def apply_markdown(report: ApplyReport) -> str:
    rows, follow = _rows(report)
    lines = ["### Apply results", "", "| change | result | detail |", "| --- | --- | --- |"]
    for addr, outcome, text in rows + follow:
        if outcome is None:
            lines.append(f"| **{_md_escape(addr)}** | | |")
            continue
        lines.append(f"| `{addr}` | {_md_outcome(outcome)} | {_md_escape(text)} |")
    if not rows and not follow:
        lines.append("| (nothing to apply) | | |")
    lines += ["", f"**{printable(report.summary_line())}**"]
    return "\n".join(lines)


def apply_github(report: ApplyReport, *, nothing_to_do: bool = False) -> str:
    """Each failed write an error and each skipped one a warning on the YAML line that asked for it (a
    re-read's unplanned difference a warning too), within GitHub's limits; the summary line is the closing
    notice. A write that is done needs no annotation: the summary counts it."""
    from reconciler.render.github import command, location, within_limits

    if nothing_to_do:
        return within_limits([], "No changes to apply: the spaces already match the YAML.", title=GITHUB_TITLE)

    lines: list[str] = []
    for r in report.results:
        level = _GITHUB_LEVEL.get(r.outcome)
        if level is None:
            continue
        lines.append(command(level, f"{r.change.ref}: {detail(r)}", **location(r.change.source),
                             title=f"{GITHUB_TITLE}: {r.outcome.value}"))
    for c in report.follow_up:
        lines.append(command("warning", f"{c.ref}: {c.reason} (not in the plan: run plan again)",
                             **location(c.source), title=f"{GITHUB_TITLE}: not planned"))
    return within_limits(lines, printable(report.summary_line()), title=GITHUB_TITLE)


def detail(r: ChangeResult) -> str:
    """The result's message (an API's code and message when it failed), escaped: it is not our text."""
    text = r.message if r.code is None or r.message.startswith(r.code) else f"{r.code}: {r.message}"
    return printable(text)


def _md_outcome(outcome: str) -> str:
    return {"done": "✅ done", "failed": "❌ failed", "skipped": "⏭️ skipped"}.get(outcome, f"⚠️ {outcome}")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
