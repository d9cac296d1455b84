"""What a terminal gets that a pipe does not: colour on stdout and a live progress line on stderr.

Colour: only when stdout is a terminal that can draw it (not ``TERM=dumb``), and never with ``NO_COLOR``
set to anything non-empty (https://no-color.org) or ``--no-color``. Progress: one line on stderr, redrawn in
place (``\\r`` + erase-line), only when stderr is such a terminal; erased when the phase ends, so what stays
on screen is the command's real output. Piped or redirected output never holds an escape code.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TextIO


def live_terminal(stream: Any) -> bool:
    """A terminal that understands ``\\r`` and erase-line: not a pipe, not ``TERM=dumb`` (Emacs shells, some CI
    log viewers), where the escape codes of the live progress line would print as garbage."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM", "") != "dumb"


def use_color(stream: Any, env: Mapping[str, str], *, no_color: bool = False) -> bool:
    return not no_color and not env.get("NO_COLOR") and live_terminal(stream)


class Progress:
    """A live status line on ``stream`` when it is a live terminal; every method is a no-op otherwise.

    ``show(text)`` redraws the line; ``note(line)`` prints a permanent line above it; ``clear()`` erases it
    (call it when the phase ends, before the command prints its result)."""

    def __init__(self, stream: TextIO, *, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = live_terminal(stream) if enabled is None else enabled
        self._shown = ""

    def show(self, text: str) -> None:
        if self.enabled:
            self._shown = text
            self.stream.write(f"\r{text}\033[K")
            self.stream.flush()

    def note(self, line: str) -> None:
        """A line that stays (apply's finished changes). On a terminal that cannot redraw (``TERM=dumb``)
        it is still printed, plainly; never into a pipe, where the command's report says it all."""
        if self.enabled:
            self.stream.write(f"\r\033[K{line}\n")
            if self._shown:
                self.stream.write(self._shown)
            self.stream.flush()
        elif getattr(self.stream, "isatty", lambda: False)():
            print(line, file=self.stream, flush=True)

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = ""

    def counter(self, label: str, client: Any = None) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback drawing ``label: done/total`` and, given a client, its calls so far
        and the throttled answers (the figure that explains a slow phase)."""

        def update(done: int, total: int) -> None:
            calls = _calls(client)
            self.show(f"{label}: {done}/{total}" + (f", {calls}" if calls else ""))

        return update

    @asynccontextmanager
    async def ticking(self, label: str, client: Any = None, *, every: float = 0.2) -> AsyncIterator[None]:
        """For a phase with no count of its own (one space's reads, one call and its retries): redraw
        ``label: N calls, M throttled`` while the block runs, then erase it."""
        if not self.enabled:
            yield
            return
        import asyncio  # here: a command's --help imports this module, and asyncio is slow to import

        async def tick() -> None:
            while True:
                calls = _calls(client)
                self.show(f"{label}: {calls}" if calls else f"{label}…")
                await asyncio.sleep(every)

        task = asyncio.ensure_future(tick())
        try:
            yield
        finally:
            task.cancel()
            self.clear()


def _calls(client: Any) -> str:
    """``12 calls, 3 throttled`` from a client's stats ("" without a client)."""
    stats = getattr(client, "stats", None)
    if stats is None:
        return ""
    t = stats.total()
    return f"{t.calls} calls" + (f", {t.throttled} throttled" if t.throttled else "")
