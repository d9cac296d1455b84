"""The one error of the emulator's state-file checks: a problem at a field path (``state.py`` adds the file
and the line). The per-area checks (settings, lifecycle, templates, Flows) raise it with a path relative to
the space or account; ``state.py`` prefixes the space's path."""

from __future__ import annotations

from typing import Any

Path_ = tuple[Any, ...]


class StateInvalid(Exception):
    def __init__(self, path: Path_, message: str):
        super().__init__(message)
        self.path = path
        self.message = message
