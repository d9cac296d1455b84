"""Renderers: ``Plan`` → text (terminals), markdown (PR comments), json (machines, ``--out``), github
(workflow annotations on the YAML lines). One module per format; what is said about each change comes from
``describe`` so the formats agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan

FORMATS = ("text", "markdown", "json", "github")


def render(plan: Plan, fmt: str, *, plan_json_path: str | None = None, link_base: str | None = None,
           report: str = "plan", color: bool = False, verbose: bool = False) -> str:
    """The plan in ``fmt`` (one of ``FORMATS``). ``plan_json_path``: where the full JSON plan was saved,
    named by markdown when it has to cut details. ``link_base``: where markdown links to YAML lines point
    (e.g. ``https://github.com/OWNER/REPO/blob/SHA``); relative links when None. ``report``: ``plan``, or
    ``drift`` for the drift report (its own title, summary and counts: ``engine.drift``). ``color``: ANSI
    colour in text (the CLI decides: terminals only). ``verbose``: text lists the in-sync spaces one by one
    instead of folding them into one line.

    Each renderer is imported when asked for: a command pays only for the format it prints."""
    if fmt == "text":
        from reconciler.render.text import render_text
        return render_text(plan, report=report, color=color, verbose=verbose)
    if fmt == "markdown":
        from reconciler.render.markdown import render_markdown
        return render_markdown(plan, plan_json_path=plan_json_path, link_base=link_base, report=report)
    if fmt == "json":
        from reconciler.render.json_plan import render_drift_json, render_json
        return render_drift_json(plan) if report == "drift" else render_json(plan)
    if fmt == "github":
        from reconciler.render.github import render_github
        return render_github(plan, report=report)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def github_link_base(env: Mapping[str, str]) -> str | None:
    """``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA`` inside GitHub Actions, else None.

    A PR comment is shown under ``/pull/N``, where a relative ``spaces/x.yaml#L3`` link resolves to nothing;
    a blob link at the commit the plan was made from opens the line. (On ``pull_request`` events
    ``GITHUB_SHA`` is the test-merge commit; pass ``--link-base`` with the head sha to point at the branch.)
    """
    server, repo, sha = (env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repo and sha:
        return f"{server.rstrip('/')}/{repo}/blob/{sha}"
    return None


__all__ = ["FORMATS", "github_link_base", "render"]
