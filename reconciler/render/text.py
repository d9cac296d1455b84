"""Terraform-like text for terminals and CI logs: grouped by space, one symbol per action."""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.render.describe import (SYMBOLS, AccountHeadings, by_space, calls_line, describe, errors_line,
                                        preflight_line, refusal_lines, space_error)

LEGEND = ("Symbols: " + ", ".join(f"{sym} {a.value}" for a, sym in SYMBOLS.items())
          + ", (~) pending: set after sync or migration where it differs")


def render_text(plan: Plan) -> str:
    lines: list[str] = []
    spaces = {s.name: s for s in plan.spaces}
    headings = AccountHeadings(plan)
    for name, changes in by_space(plan).items():
        heading = headings.before(name)
        if heading:
            lines += [f"== {heading}", ""]
        meta = spaces.get(name)
        header = f"Space {name}"
        if meta is not None:
            header += f" ({meta.cust_space_id}) — {meta.file}"
        lines.append(header)
        if meta is not None and meta.errored:
            lines.append(f"  ERROR {space_error(meta)}")
        elif not changes:
            lines.append("  no changes")
        for change in changes:
            view = describe(change)
            head = f"  {view.headline}"
            if view.location:
                head += f"  ({view.location})"
            lines.append(head)
            lines.extend(f"      {d}" for d in view.details)
        lines.append("")
    if plan.changes:
        lines.append(LEGEND)
    lines.append(preflight_line(plan))
    if plan.preflight.blocks_apply:
        lines.append("  ! apply will refuse to run until the account is unfrozen")
    error = errors_line(plan)
    if error:
        lines.append(error)
    lines.extend(refusal_lines(plan))
    if plan.provenance is not None:
        lines.append(plan.provenance.line())
    lines.append(plan.summary_line())
    lines.append(calls_line(plan))
    return "\n".join(lines) + "\n"
