"""The merged apply outcome of a matrix run (``show --merge results-*.json``): which accounts applied, which
were refused or failed, and why; one Markdown comment for the merged pull request, or plain text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.render.escape import printable

_WORDS = {"converged": "applied", "error": "refused", "failed": "failed", "incomplete": "incomplete",
          "interrupted": "interrupted", "missing": "no result"}


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|")


def title(outcomes: Sequence[Any]) -> str:
    applied = [o.account for o in outcomes if o.applied]
    other = [o for o in outcomes if not o.applied]
    if not other:
        return f"cams-reconciler apply: every account applied ({', '.join(applied) or 'none'})"
    return (f"cams-reconciler apply: {len(applied)} of {len(outcomes)} account(s) applied; "
            + ", ".join(f"{o.account} {_WORDS.get(o.status, o.status)}" for o in other))


def render_markdown(outcomes: Sequence[Any]) -> str:
    lines = [f"### {_cell(title(outcomes))}", "", "| account | outcome | done | failed | skipped | why |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for o in outcomes:
        why = "" if o.applied else (o.error or o.summary)
        lines.append(f"| {_cell(o.account)} | {_WORDS.get(o.status, _cell(o.status))} | {o.counts.get('done', 0)} | "
                     f"{o.counts.get('failed', 0)} | {o.counts.get('skipped', 0)} | {_cell(why)} |")
    lines += ["", "Each account applied in its own job under its own lock: an account refused or failed above "
                  "does not undo the others. Plan again to see what is left."]
    return "\n".join(lines) + "\n"


def render_text(outcomes: Sequence[Any]) -> str:
    lines = [title(outcomes)]
    for o in outcomes:
        why = "" if o.applied else f": {printable(o.error or o.summary)}"
        lines.append(f"  {o.account}: {_WORDS.get(o.status, o.status)}{why}")
    return "\n".join(lines) + "\n"


def render_json(outcomes: Sequence[Any]) -> str:
    import json

    return json.dumps({"title": title(outcomes), "accounts": [
        {"account": o.account, "outcome": _WORDS.get(o.status, o.status), "status": o.status, "summary": o.summary,
         "error": o.error, "counts": dict(o.counts), "results_file": o.path} for o in outcomes]},
        indent=2, ensure_ascii=False) + "\n"


def render_github(outcomes: Sequence[Any]) -> str:
    """One annotation per account: a notice for an account applied, an error for any other."""
    from reconciler.render.github import command

    return "".join(command("notice" if o.applied else "error",
                           f"{_WORDS.get(o.status, o.status)}: {o.summary if o.applied else o.error or o.summary}",
                           title=f"cams-reconciler apply: account {o.account}") + "\n" for o in outcomes)


def render(outcomes: Sequence[Any], fmt: str) -> str:
    return {"markdown": render_markdown, "json": render_json, "github": render_github}.get(fmt, render_text)(outcomes)
