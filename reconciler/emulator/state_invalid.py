"""The one error of the emulator's state-file checks: a problem at a field path (``state.py`` adds the file
and the line). The per-area checks (settings, lifecycle, templates, Flows) raise it with a path relative to
the space or account; ``state.py`` prefixes the space's path. The two shape checks every area shares live here too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Path_ = tuple[Any, ...]


class StateInvalid(Exception):
    def __init__(self, path: Path_, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def no_unknown(mapping: Mapping[Any, Any], allowed: frozenset[str], path: Path_) -> None:
    """Refuses the first key (in the file's order) that ``allowed`` does not name."""
    for key in mapping:
        if key not in allowed:
            raise StateInvalid(path + (key,), f"unknown field {key!r} (expected one of: "
                                              f"{', '.join(sorted(allowed))})")


def mapping(value: Any, path: Path_, allowed: frozenset[str], what: str) -> dict[str, Any]:
    """A copy of ``value``, which must be a mapping (``what`` names it) of only ``allowed`` keys."""
    if not isinstance(value, dict):
        raise StateInvalid(path, f"{what} must be a mapping")
    no_unknown(value, allowed, path)
    return dict(value)
