"""Renderers: ``Plan`` → text (terminals), markdown (PR comments), json (machines, ``--out``), github
(workflow annotations on the YAML lines). One module per format; what is said about each change comes from
``describe`` so the formats agree.
"""

from __future__ import annotations

from typing import Mapping

from reconciler.engine.plan import Plan
from reconciler.render.github import render_github
from reconciler.render.json_plan import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

FORMATS = ("text", "markdown", "json", "github")


def render(plan: Plan, fmt: str, *, plan_json_path: str | None = None, link_base: str | None = None) -> str:
    """The plan in ``fmt`` (one of ``FORMATS``). ``plan_json_path``: where the full JSON plan was saved,
    named by markdown when it has to cut details. ``link_base``: where markdown links to YAML lines point
    (e.g. ``https://github.com/OWNER/REPO/blob/SHA``); relative links when None."""
    if fmt == "text":
        return render_text(plan)
    if fmt == "markdown":
        return render_markdown(plan, plan_json_path=plan_json_path, link_base=link_base)
    if fmt == "json":
        return render_json(plan)
    if fmt == "github":
        return render_github(plan)
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
