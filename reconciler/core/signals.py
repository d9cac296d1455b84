"""Holding SIGINT and SIGTERM while a write that must not be cut in two runs (the lock's, the journal's, the
results file's); and running a command's event loop so that SIGTERM stops it as cleanly as SIGINT does.

Masking the signals in the main thread (``pthread_sigmask``) is not enough: the kernel hands a signal sent to
the process to any thread that does not block it (a CLI run has others: asyncio's resolver pool, the
in-process emulator), and Python then runs the handler in the main thread all the same. So the Python
handlers are swapped for one that notes the signal, and what arrived is raised again once the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # asyncio loads when a command runs its event loop, not for --help
    import asyncio

HELD = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive during the block are delivered when it ends (main thread only: Python
    runs every handler there; elsewhere this holds nothing and needs to)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []

    def note(signum: int, _frame: Any) -> None:
        arrived.append(signum)

    previous: dict[signal.Signals, Any] = {}
    for sig in HELD:
        handler = signal.getsignal(sig)
        if handler is None:  # installed outside Python: cannot be put back, so left alone
            continue
        previous[sig] = signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(arrived):
            signal.raise_signal(signum)


def run_stopped_by_sigterm(main: Coroutine[Any, Any, T], stopped: Callable[[], BaseException]) -> T:
    """``asyncio.run(main)``, where the first SIGTERM cancels the main task, as asyncio.run does for SIGINT;
    the run then raises ``stopped()``. A handler that raises instead lands at whatever bytecode runs when the
    signal arrives: inside another task (whose exception nobody retrieves: a traceback at exit) or inside the
    event loop between taking a task's wake-up and running it (the shutdown then waits for it forever). A
    cancellation arrives at the main task's next ``await`` and runs its ``finally`` blocks (the lock given
    back). A second SIGTERM raises ``stopped()`` at once. Code that blocks the loop while it waits (the
    prompt, the lock's wait) sees the cancellation itself (``task.cancelling()``) or raises on its own."""
    import asyncio

    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(main)
    arrived: list[int] = []
    started: list[asyncio.Task[Any]] = []

    async def first() -> T:
        task = asyncio.current_task()
        assert task is not None
        started.append(task)
        if arrived:  # it came before the loop ran anything
            main.close()
            raise asyncio.CancelledError
        return await main

    loop: asyncio.AbstractEventLoop | None = None

    def on_sigterm(signum: int, _frame: Any) -> None:
        if arrived:
            raise stopped()
        arrived.append(signum)
        if loop is not None and started and not started[0].done():
            started[0].cancel()
            loop.call_soon_threadsafe(lambda: None)  # wake a loop waiting in select()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with asyncio.Runner() as runner:
            loop = runner.get_loop()
            try:
                result = runner.run(first())
            except asyncio.CancelledError:
                if arrived:
                    raise stopped() from None
                raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    if arrived:
        raise stopped()
    return result
