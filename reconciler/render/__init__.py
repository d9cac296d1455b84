"""Renderers: ``Plan`` → text (terminals), markdown (PR comments), json (machines, ``--out``), github
(workflow annotations on the YAML lines). One module per format; what is said about each change comes from
``describe`` so the formats agree.
"""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.render.github import render_github
from reconciler.render.json_plan import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

FORMATS = ("text", "markdown", "json", "github")


def render(plan: Plan, fmt: str, *, plan_json_path: str | None = None) -> str:
    """The plan in ``fmt`` (one of ``FORMATS``). ``plan_json_path``: where the full JSON plan was saved,
    named by markdown when it has to cut details."""
    if fmt == "text":
        return render_text(plan)
    if fmt == "markdown":
        return render_markdown(plan, plan_json_path=plan_json_path)
    if fmt == "json":
        return render_json(plan)
    if fmt == "github":
        return render_github(plan)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render"]
