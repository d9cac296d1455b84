"""Terraform-like text for terminals and CI logs: grouped by space, one symbol per action.

Spaces with nothing to show are folded into one ``N spaces in sync`` line (``verbose`` lists them), so a
clean run of 200 spaces is a few lines, not 600. Colour (``color``) is for terminals only; the words are the
same without it.
"""

from __future__ import annotations

from reconciler.core.plan import Plan
from reconciler.render.describe import (
    SYMBOLS,
    AccountHeadings,
    by_space,
    calls_line,
    describe,
    errors_line,
    in_sync,
    plural,
    preflight_line,
    provenance_line,
    refusal_lines,
    scope_line,
    space_error,
    summary,
)
from reconciler.render.style import Style

LEGEND = ("Symbols: " + ", ".join(f"{sym} {label}" for label, sym in SYMBOLS.items())
          + ", (~) pending: set after sync or migration where it differs")


def render_text(plan: Plan, *, report: str = "plan", color: bool = False, verbose: bool = False) -> str:
    style = Style(color)
    lines: list[str] = []
    if report == "drift":
        lines += [style.bold(f"Drift report: {plural(len(plan.spaces), 'space')} compared with the YAML "
                             "(read-only)"), ""]
    scope = scope_line(plan)
    if scope:
        lines += [scope, ""]
    spaces = {s.name: s for s in plan.spaces}
    headings = AccountHeadings(plan)
    groups = by_space(plan)
    clean = in_sync(plan, groups)
    folded = set() if verbose else set(clean)
    pending = 0  # in-sync spaces folded since the last line shown: one line per account (or for the plan)

    def fold() -> None:
        nonlocal pending
        if pending:
            lines.extend([style.good(f"{plural(pending, 'space')} in sync")
                          + f" (-v lists {'it' if pending == 1 else 'them'})", ""])
        pending = 0

    for name, changes in groups.items():
        heading = headings.before(name)
        if heading:
            fold()
            lines += [f"== {heading}", ""]
        if name in folded:
            pending += 1
            continue
        meta = spaces.get(name)
        header = style.bold(f"Space {name}")
        if meta is not None:
            header += f" ({meta.cust_space_id}) — {meta.file}"
        lines.append(header)
        if meta is not None and meta.errored:
            lines.append(f"  {style.error('ERROR')} {space_error(meta)}")
        elif not changes:
            lines.append("  no changes")
        for change in changes:
            view = describe(change)
            head = "  " + style.action(view.symbol, change.action) + view.headline[len(view.symbol):]
            if view.location:
                head += "  " + style.dim(f"({view.location})")
            lines.append(head)
            lines.extend(f"      {d}" for d in view.details)
        lines.append("")
    fold()
    if plan.changes:
        lines.append(LEGEND)
    lines.append(preflight_line(plan))
    if plan.preflight.blocks_apply:
        lines.append(style.error("  ! apply will refuse to run until the account is unfrozen"))
    error = errors_line(plan)
    if error:
        lines.append(style.error(error))
    lines.extend(refusal_lines(plan, report))
    provenance = provenance_line(plan, report)
    if provenance is not None:
        lines.append(provenance)
    lines.append(style.bold(summary(plan, report)))
    lines.append(calls_line(plan))
    return "\n".join(lines) + "\n"
