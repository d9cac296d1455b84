"""Markdown for a pull-request comment, written to be read without clicking anything.

What a reviewer sees first: the title, what the plan is for, the summary line, what apply would refuse and
how to override it, the table of counts per space. Then each space: a small plan (``SMALL_PLAN`` changes or
fewer) is shown open, every space under its own heading; a larger one gets one collapsed ``<details>`` per
space whose ``<summary>`` still says what is in it (``1 to sync, 2 webhook updates; 1 finding``). Inside a
space, the **changes** apply would make come first, each with its values in a ``diff`` block (GitHub colours
``-`` what is there now red and ``+`` what apply sets green); then the **findings**, worded as states ("quality
rating is YELLOW; expected GREEN"), because apply changes nothing about them.

GitHub rejects comments over 65,535 characters, so the output is always under ``LIMIT`` (60,000): the
summary always fits (its table is capped), and details stop at the budget with a line saying how many
changes were left out and where the full JSON plan is.

Values come from ``describe`` (``diff_lines``, ``finding_text``: JSON, masked); in prose they are code spans,
in a ``diff`` block inside a fence longer than any run of backticks they hold, so YAML or API text cannot
inject markup or HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reconciler.core.plan import Change, Plan, PlannedSpace
from reconciler.render.describe import (
    AccountHeadings,
    by_space,
    calls_line,
    count_titles,
    counts_phrase,
    describe,
    diff_lines,
    errors_line,
    finding_note,
    finding_text,
    in_sync,
    is_finding,
    preflight_line,
    provenance_line,
    refusal_lines,
    report_title,
    row_counts,
    scope_line,
    space_location,
    summary,
    total_counts,
)
from reconciler.render.escape import printable

if TYPE_CHECKING:
    from reconciler.config.errors import Problem

LIMIT = 60_000
MAX_TABLE_ROWS = 50
SMALL_PLAN = 20  # changes and findings: at most this many, every space is shown open
_FOOTER_RESERVE = 1_500  # room kept for the cut notice, the summary line and the calls line

_PREFLIGHT_ICON = {"ok": "✅", "frozen": "⛔", "no-data": "ℹ️", "skipped": "➖", "unavailable": "ℹ️", "error": "⚠️"}
_ERROR_ICON = "⚠️"


def code(text: str) -> str:
    """A code span that survives backticks inside ``text`` (CommonMark: a longer fence); a control character
    or line break in it is shown escaped (a phone number or field read from the API is data)."""
    text = printable(text)
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def _summary_table(plan: Plan, groups: dict[str, list[Change]], report: str) -> list[str]:
    titles = count_titles(plan, report)
    head = "| space | " + " | ".join(titles) + " |"
    rule = "|---|" + "---:|" * len(titles)
    rows = [head, rule]
    errored = {s.name: s for s in plan.errors}
    clean = in_sync(plan, groups)
    shown_rows = [(name, changes) for name, changes in groups.items() if changes or name in errored]
    headings = AccountHeadings(plan)
    for name, changes in shown_rows[:MAX_TABLE_ROWS]:
        heading = headings.before(name)
        if heading:
            rows.append(f"| **{_cell(heading)}** | " + " | ".join("" for _ in titles) + " |")
        if name in errored:  # no counts: nothing was seen there
            code_text = printable(errored[name].error_code or "error")
            rows.append(f"| {_ERROR_ICON} {_cell(name)} — could not be read ({code(code_text).replace('|', chr(92) + '|')}) | "
                        + " | ".join("–" for _ in titles) + " |")
            continue
        rows.append(f"| {_cell(name)} | " + " | ".join(str(n) for n in row_counts(plan, report, changes)) + " |")
    if len(shown_rows) > MAX_TABLE_ROWS:
        rows.append(f"| … {len(shown_rows) - MAX_TABLE_ROWS} more spaces with changes or errors | "
                    + " | ".join("" for _ in titles) + " |")
    rows.append("| **total** | " + " | ".join(f"**{n}**" for n in total_counts(plan, report)) + " |")
    if clean:
        shown = ", ".join(_cell(n) for n in clean[:20])
        more = f" and {len(clean) - 20} more" if len(clean) > 20 else ""
        rows.append("")
        rows.append(f"In sync ({len(clean)}): {shown}{more}")
    return rows


def _error_lines(space: PlannedSpace, link_base: str | None) -> list[str]:
    """The errored space's one line in its details: the error as a code span (server text: no markup)."""
    target = f"{space.file}#L{space.line}"
    if link_base:
        target = f"{link_base.rstrip('/')}/{target.removeprefix('./')}"
    return [f"- {_ERROR_ICON} **could not be read** — [{_cell(space_location(space))}]({_link(target)}): "
            f"{code(printable(space.error or ''))}"]


def _link(target: str) -> str:
    return target.replace(" ", "%20").replace(")", "%29")


def _fence(lines: list[str]) -> str:
    """A code fence longer than any run of backticks in ``lines`` (CommonMark), so no value can close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _where(change: Change, link_base: str | None) -> str:
    if change.source is None:
        return ""
    target = f"{change.source.file}#L{change.source.line}"
    if link_base:
        target = f"{link_base.rstrip('/')}/{target.removeprefix('./')}"
    return f" — [{_cell(f'{change.source.file}:{change.source.line}')}]({_link(target)})"


def _change_lines(change: Change, link_base: str | None) -> list[str]:
    """A change apply makes: its headline, then its values as a ``diff`` block, then why (prose)."""
    view = describe(change)
    head = f"`{view.symbol}` **{view.action}** {code(view.subject)}"
    if view.field:
        head += f" {code(view.field)}"
    head += _where(change, link_base)
    lines = [head]
    body = diff_lines(change)
    if body:
        fence = _fence(body)
        lines += ["", f"{fence}diff", *body, fence]
    if view.reason:
        lines += ["", f"<sub>{_cell(view.reason)}</sub>"]
    return lines + [""]


def _finding_lines(change: Change, link_base: str | None) -> list[str]:
    """A finding as a state: one list item, never a ``before → after`` that reads like a change to make."""
    icon = "⛔" if change.severity.value == "error" else "⚠️" if change.action.value == "drift" else "❔"
    subject = change.phone_number or "(space)"
    field = f" {code(change.field)}" if change.field and change.action.value == "drift" else ""
    note = finding_note(change)
    return [f"- {icon} {code(subject)}{field}: {_cell(finding_text(change))}{_where(change, link_base)}"
            + (f"<br><sub>{_cell(note)}</sub>" if note else "")]


def _space_items(changes: list[Change], link_base: str | None, report: str) -> list[list[str]]:
    """The space's changes (with a heading), then its findings (with theirs): one entry per change, so the
    size budget can stop between two of them."""
    writes = [c for c in changes if not is_finding(c)]
    found = [c for c in changes if is_finding(c)]
    items: list[list[str]] = []
    for i, c in enumerate(writes):
        lead = ["**Differences apply would fix**" if report == "drift" else "**Changes apply would make**", ""]
        items.append((lead if i == 0 else []) + _change_lines(c, link_base))
    for i, c in enumerate(found):
        lead = ["**Findings** (report only: apply changes nothing here)", ""] if i == 0 else []
        tail = [""] if i == len(found) - 1 else []
        items.append(lead + _finding_lines(c, link_base) + tail)
    return items


def render_markdown(plan: Plan, *, plan_json_path: str | None = None, link_base: str | None = None,
                    report: str = "plan") -> str:
    groups = by_space(plan)
    pf = plan.preflight
    out: list[str] = [f"### {report_title(report)}", ""]
    provenance = provenance_line(plan, report)
    if provenance is not None:  # what the plan is for, before anything can be cut
        out += [f"<sub>{_cell(provenance)}</sub>", ""]
    scope = scope_line(plan)
    if scope:
        out += [f"> {_cell(scope)}", ""]
    out += [f"**{_cell(summary(plan, report))}**", ""]
    error = errors_line(plan)
    if error:
        out += [f"> {_ERROR_ICON} **{_cell(error)}**", ""]
    if pf.blocks_apply and report != "drift":
        out += ["> ⛔ **The account is frozen: apply will refuse to run.**", ""]
    refusals = refusal_lines(plan, report)
    if refusals:
        out.extend(f"> {'⛔' if line.startswith('Apply would refuse') else '⚠️'} **{_cell(line)}**  "
                   for line in refusals)
        out.append("")
    out.extend(_summary_table(plan, groups, report))
    out += ["", f"{_PREFLIGHT_ICON.get(pf.status, '')} {_cell(preflight_line(plan))}", ""]
    small = sum(len(c) for c in groups.values()) <= SMALL_PLAN
    used = sum(len(line) + 1 for line in out)
    budget = LIMIT - _FOOTER_RESERVE
    left_out = 0
    spaces = {s.name: s for s in plan.spaces}
    headings = AccountHeadings(plan)
    for name, changes in groups.items():
        meta = spaces.get(name)
        failed = meta is not None and meta.errored
        heading = headings.before(name) if (changes or failed) and not left_out else None
        if heading:
            out += [f"#### {_cell(heading)}", ""]
            used += len(heading) + 7
        if not changes and not failed:
            continue
        if left_out:
            left_out += max(len(changes), 1)
            continue
        phrase = "could not be read" if failed else counts_phrase(changes, report)
        if failed and meta is not None:  # open: an error is not a detail to click through to
            section = [f"#### {_ERROR_ICON} {_cell(name)}: could not be read", ""]
            items = [_error_lines(meta, link_base)]
            closing = [""]
        elif small:
            section = [f"#### {_cell(name)}: {_cell(phrase)}", ""]
            if meta is not None:
                section += [f"<sub>{_cell(meta.cust_space_id)} · {_cell(meta.file)}</sub>", ""]
            items = _space_items(changes, link_base, report)
            closing = [""]
        else:  # collapsed, but the summary says what is inside
            title = f"<b>{html.escape(name)}</b>: {html.escape(phrase)}"
            if meta is not None:
                title += f" <sub>({html.escape(meta.cust_space_id)}, {html.escape(meta.file)})</sub>"
            section = ["<details>", f"<summary>{title}</summary>", ""]
            items = _space_items(changes, link_base, report)
            closing = ["", "</details>", ""]
        cost = sum(len(line) + 1 for line in section + closing)
        if used + cost > budget:
            left_out += len(items)
            continue
        shown = 0
        for lines in items:
            extra = sum(len(line) + 1 for line in lines)
            if used + cost + extra > budget:
                break
            section.extend(lines)
            cost += extra
            shown += 1
        if shown < len(items):
            left_out += len(items) - shown
        if shown:
            out.extend(section + closing)
            used += cost
    if left_out:
        where = (f"the full plan is in {code(plan_json_path)}" if plan_json_path
                 else "run `cams-reconciler plan --format json` for the full plan")
        out.append(f"> ✂️ {left_out} change(s) left out to stay under GitHub's comment size limit; {where}.")
        out.append("")
    out.append(_cell(calls_line(plan)))
    text = "\n".join(out) + "\n"
    if len(text) >= LIMIT:  # the reserve is generous; this only guards against an absurd plan_json_path
        text = text[: LIMIT - 200] + "\n\n> ✂️ output cut at the size limit.\n"
    return text


def problems_markdown(problems: Sequence[Problem], count_line: str) -> str:
    """``validate --format markdown``: every problem in a table (where, what), under the count."""
    out = [f"### {_ERROR_ICON} Validation: {_cell(count_line)}", "", "| where | problem |", "| --- | --- |"]
    for p in problems:
        where = f"{p.file}:{p.line}:{p.col}" if p.line > 0 else p.file
        message = p.message + (f" ({p.field_path})" if p.field_path else "")
        out.append(f"| {code(where)} | {_cell(message)} |")
    text = "\n".join(out) + "\n"
    if len(text) >= LIMIT:  # thousands of problems: the comment stays postable; stderr has the count
        text = text[: LIMIT - 200] + "\n\n> ✂️ output cut at the size limit.\n"
    return text
