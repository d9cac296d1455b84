"""GitHub Actions workflow commands (``::error file=F,line=L,title=T::message``), so findings appear on the
YAML lines in the pull request's diff.

Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message ``%``, ``\\r`` and
``\\n`` are percent-encoded; in property values ``:`` and ``,`` are too. Without it a value containing
``::`` or a newline could end the annotation early or inject a second command.
"""

from __future__ import annotations

from reconciler.engine.plan import Plan, Severity
from reconciler.render.describe import describe, errors_line, space_error

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: object) -> str:
    props_text = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{level}{' ' + props_text if props_text else ''}::{escape_data(message)}"


def render_github(plan: Plan) -> str:
    lines: list[str] = []
    for space in plan.errors:  # on the line declaring the space, so the PR shows it where it is written
        lines.append(command("error", f"space {space.name} {space_error(space)}", file=space.file,
                             line=space.line, title=f"cams read failed: {space.name}"))
    for change in plan.changes:
        view = describe(change)
        props: dict[str, object] = {}
        if change.source is not None:
            props["file"] = change.source.file
            props["line"] = change.source.line
            if change.source.col > 1:
                props["col"] = change.source.col
        props["title"] = f"cams {view.action}: {change.space} {view.subject}"
        message = "\n".join([view.headline, *view.details])
        lines.append(command(_LEVEL[change.severity], message, **props))
    pf = plan.preflight
    if pf.blocks_apply:
        lines.append(command("error", pf.detail, title="cams account frozen"))
    elif pf.status == "no-data":
        lines.append(command("notice", pf.detail, title="cams account preflight"))
    elif pf.failed:
        lines.append(command("error", pf.detail, title="cams account preflight failed"))
    error = errors_line(plan)
    if error:
        lines.append(command("error", error, title="cams-reconciler plan"))
    lines.append(command("notice", plan.summary_line(), title="cams-reconciler plan"))
    return "\n".join(lines) + "\n"
