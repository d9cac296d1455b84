"""Problems found in desired-state YAML, and the one exception that carries all of them.

A reviewer fixes a pull request in one pass only if every problem is reported at once, each pointing at the
line to edit; so loading never stops at the first problem, and ``ConfigError`` holds the sorted list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.core.errors import ReconcilerError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place.

    ``line``/``col`` are 1-based; ``line == 0`` means the problem concerns the path as a whole (it does not
    exist, holds no YAML file). ``field_path`` is the dotted path of the value (``spaces[0].numbers[1].
    webhooks.up_callback_url``), empty when the problem is not about one value. Messages never hold secrets.
    """

    file: str
    line: int
    col: int
    message: str
    field_path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line > 0 else self.file
        suffix = f" ({self.field_path})" if self.field_path else ""
        return f"{where}: error: {self.message}{suffix}"


class ConfigError(ReconcilerError):
    """The desired state cannot be loaded. ``problems`` is every problem found, sorted by file and line;
    ``str()`` is one ``file:line:col: error: ...`` line per problem."""

    def __init__(self, problems: Iterable[Problem], file_order: Iterable[str] = ()) -> None:
        order = {f: i for i, f in enumerate(dict.fromkeys(file_order))}
        self.problems: list[Problem] = sorted(
            set(problems),
            key=lambda p: (order.get(p.file, len(order)), p.file, p.line, p.col, p.field_path, p.message),
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def user_message(self) -> str:
        return str(self)  # each line is already ``file:line:col: error: ...``

    def __repr__(self) -> str:
        return f"ConfigError({len(self.problems)} problems)"
