"""What a space says about its drift checks: ``acknowledge:`` (known findings accepted until a date) and
``endpoint_checks:`` (opt-in probes of the declared callback URLs).

Kept apart from the space model the plan diffs (``core.model.Space``; the settings' frozen model is
``core.drift_settings``): neither block changes what a plan would
do, only how ``drift`` reports and whether ``apply`` probes a new URL first. The JSON Schema checks the
shapes; ``drift_settings_problems`` checks what it cannot (a real calendar date, a finding address whose
action exists), each problem at its file:line; ``drift_settings_of`` builds the frozen model of every space
after the whole load passed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from reconciler.config.errors import Problem
from reconciler.config.loader import LoadedFile, format_path
from reconciler.core.drift_settings import (
    DEFAULT_MIN_DAYS,
    DEFAULT_TIMEOUT_MS,
    Acknowledgement,
    EndpointChecks,
    SpaceDriftSettings,
)
from reconciler.core.plan import LABEL_ORDER
from reconciler.core.source import Source

#: The plan actions a finding address may name: the words plans and drift reports show (``update-webhook``).
ACTIONS = LABEL_ORDER
_GLOB = re.compile(r"[*?\[]")
_NUMBER_SEGMENT = re.compile(r"^[0-9*?\[\]!-]+$")

def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _spaces(loaded: LoadedFile) -> Iterable[tuple[int, dict[str, Any]]]:
    spaces = loaded.data.get("spaces") if isinstance(loaded.data, dict) else None
    for i, space in enumerate(spaces if isinstance(spaces, list) else ()):
        if isinstance(space, dict):
            yield i, space


def _finding_problem(finding: str, space_name: str) -> str | None:
    rest = finding.removeprefix(space_name + "/") if isinstance(space_name, str) else finding
    parts = rest.split("/")
    if len(parts) < 2:
        return ("must be NUMBER/ACTION[/FIELD] as drift reports show it (e.g. "
                "8613800001237/drift/expect.quality_rating)")
    number, action = parts[0], parts[1]
    if not _NUMBER_SEGMENT.match(number):
        return f"{number!r} is not a number as reports write it (E.164 digits without '+', or a glob such as *)"
    if _GLOB.search(action):
        if not any(fnmatchcase(a, action) for a in ACTIONS):
            return f"the action pattern {action!r} matches no action ({', '.join(ACTIONS)})"
    elif action not in ACTIONS:
        return f"unknown action {action!r}: one of {', '.join(ACTIONS)}"
    return None


def drift_settings_problems(loaded: LoadedFile) -> list[Problem]:
    """What the schema cannot say about ``acknowledge`` entries. Runs on files the schema may have refused:
    every value is type-checked before use."""
    problems: list[Problem] = []
    pos = loaded.positions
    for i, space in _spaces(loaded):
        acks = space.get("acknowledge")
        name = space.get("name")
        for j, ack in enumerate(acks if isinstance(acks, list) else ()):
            if not isinstance(ack, dict):
                continue
            path = ("spaces", i, "acknowledge", j)
            until, finding = ack.get("until"), ack.get("finding")
            if isinstance(until, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", until) and _date(until) is None:
                line, col = pos.at(path + ("until",))
                problems.append(Problem(loaded.file, line, col, f"{until!r} is not a calendar date",
                                        format_path(path + ("until",))))
            if isinstance(finding, str) and finding:
                why = _finding_problem(finding, name if isinstance(name, str) else "")
                if why:
                    line, col = pos.at(path + ("finding",))
                    problems.append(Problem(loaded.file, line, col, f"acknowledged finding {why}",
                                            format_path(path + ("finding",))))
    return problems


def drift_settings_of(files: Iterable[LoadedFile]) -> dict[str, SpaceDriftSettings]:
    """Space name → its settings, for every space that declares either block (the others declare neither).
    Only for files that passed every check."""
    found: dict[str, SpaceDriftSettings] = {}
    for loaded in files:
        pos = loaded.positions

        def source(path: tuple[str | int, ...], file: str = loaded.file, at: Any = pos.at) -> Source:
            line, col = at(path)
            return Source(file, line, col)

        for i, space in _spaces(loaded):
            name = space["name"]
            acks = tuple(
                Acknowledgement(space=name, finding=str(a["finding"]).removeprefix(name + "/"),
                                reason=str(a["reason"]), until=dt.date.fromisoformat(a["until"]),
                                source=source(("spaces", i, "acknowledge", j)))
                for j, a in enumerate(space.get("acknowledge") or ()))
            given = space.get("endpoint_checks")
            checks = None if given is None else EndpointChecks(
                source=source(("spaces", i, "endpoint_checks")), enabled=bool(given.get("enabled", True)),
                timeout_ms=int(given.get("timeout_ms", DEFAULT_TIMEOUT_MS)),
                min_days_to_expiry=int(given.get("min_days_to_expiry", DEFAULT_MIN_DAYS)),
                before_apply=bool(given.get("before_apply", True)))
            if acks or checks is not None:
                found[name] = SpaceDriftSettings(acks, checks)
    return found

