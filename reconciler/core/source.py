"""Where a value was written: the position every problem, plan line and error points back to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Source:
    """Where a value was written: a file (as given on the command line, relative when possible) and a
    1-based line and column."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"
