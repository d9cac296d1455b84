"""Renderers: a ``Plan`` (as a plan or a drift report), an ``ApplyReport`` and validate's verdict as text
(terminals), markdown (PR comments), json (machines, ``--out``) and github (workflow annotations on the YAML
lines). The formats are registered once, in ``render.formats`` (one class each, every report kind, and the
properties that decide what goes around each: ``machine_readable``); one module per format holds its
rendering, and what is said about each change comes from ``describe`` so the formats agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from reconciler.render.formats import (
    DEFAULT_FORMAT,
    REPORT_KINDS,
    OutputFormat,
    PlanOptions,
    Validation,
    format_help,
    format_names,
    get_format,
)

if TYPE_CHECKING:
    from reconciler.core.plan import Plan
    from reconciler.engine.results import ApplyReport

#: Every registered format (the ``--format`` choices of every command).
FORMATS = format_names()


def render(plan: Plan, fmt: str, *, plan_json_path: str | None = None, link_base: str | None = None,
           report: str = "plan", color: bool = False, verbose: bool = False) -> str:
    """The plan in ``fmt`` (one of ``FORMATS``). ``report``: ``plan``, or ``drift`` for the drift report.
    The other options: ``PlanOptions`` (``color`` is honoured for a terminal format only)."""
    view = get_format(fmt)
    options = view.options(PlanOptions(plan_json_path, link_base, color, verbose))
    return view.drift(plan, options) if report == "drift" else view.plan(plan, options)


def render_apply(report: ApplyReport, fmt: str, *, plan: Plan | None = None, nothing_to_do: bool = False) -> str:
    """What ``apply`` prints after writing, in ``fmt`` (``OutputFormat.apply``)."""
    return get_format(fmt).apply(report, plan=plan, nothing_to_do=nothing_to_do)


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


__all__ = ["FORMATS", "DEFAULT_FORMAT", "REPORT_KINDS", "OutputFormat", "PlanOptions", "Validation", "format_help",
           "format_names", "get_format", "github_link_base", "render", "render_apply"]
