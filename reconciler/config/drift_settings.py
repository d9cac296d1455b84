"""What a space says about its drift checks: ``acknowledge:`` (known findings accepted until a date) and
``endpoint_checks:`` (opt-in probes of the declared callback URLs).

Kept apart from the space model the plan diffs (``model.Space``): neither block changes what a plan would
do, only how ``drift`` reports and whether ``apply`` probes a new URL first. The JSON Schema checks the
shapes; ``drift_settings_problems`` checks what it cannot (a real calendar date, a finding address whose
action exists), each problem at its file:line; ``drift_settings_of`` builds the frozen model of every space
after the whole load passed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from reconciler.config.errors import Problem
from reconciler.config.loader import LoadedFile, format_path
from reconciler.core.source import Source

#: The plan actions a finding address may name (``engine.plan.Action`` values; config does not import the
#: engine, so the list is spelled here and a unit test checks it against the enum).
ACTIONS = ("sync", "verify-migration", "register-migration", "update-webhook", "update-profile", "create",
           "update", "delete", "drift", "unmanaged", "misplaced")
_GLOB = re.compile(r"[*?\[]")
_NUMBER_SEGMENT = re.compile(r"^[0-9*?\[\]!-]+$")

DEFAULT_TIMEOUT_MS = 3000
DEFAULT_MIN_DAYS = 14


@dataclass(frozen=True)
class Acknowledgement:
    space: str
    finding: str  # as written, without a leading "<space>/"
    reason: str
    until: dt.date  # the last day (UTC) it holds
    source: Source  # where the entry starts

    @property
    def pattern(self) -> str:
        return f"{self.space}/{self.finding}"

    @property
    def address(self) -> str:
        """The address of the finding an expired acknowledgement becomes."""
        return f"{self.space}/*/acknowledgement/{self.finding}"

    def matches(self, address: str) -> bool:
        """``address`` (``space/number/action[/field]``) is this acknowledgement's finding. Without a field
        segment the pattern covers every field of that number and action."""
        return fnmatchcase(address, self.pattern) or fnmatchcase(address, self.pattern + "/*")

    def expired(self, today: dt.date) -> bool:
        return today > self.until


@dataclass(frozen=True)
class EndpointChecks:
    source: Source
    enabled: bool = True
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    min_days_to_expiry: int = DEFAULT_MIN_DAYS
    before_apply: bool = True


@dataclass(frozen=True)
class SpaceDriftSettings:
    acknowledge: tuple[Acknowledgement, ...] = ()
    endpoint_checks: EndpointChecks | None = None

    @property
    def checks_endpoints(self) -> bool:
        return self.endpoint_checks is not None and self.endpoint_checks.enabled


NONE = SpaceDriftSettings()


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
    """Space name → its settings, for every space that declares either block (the others: ``NONE``).
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


def settings_for(settings: Mapping[str, SpaceDriftSettings], space: str) -> SpaceDriftSettings:
    return settings.get(space, NONE)
