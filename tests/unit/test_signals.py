"""SIGTERM stops a command's event loop as cleanly as SIGINT: a cancellation at the main task's next await,
wherever the loop was when the signal came (``core.signals.run_stopped_by_sigterm``)."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import signal
import threading

import pytest

from reconciler.core.signals import run_stopped_by_sigterm


class Stopped(KeyboardInterrupt):
    pass


async def _busy() -> None:
    while True:
        await asyncio.sleep(0)
        sum(range(200))  # Python work in the task: where a signal's handler would run


def _sigterm_later(seconds: float) -> None:
    threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signal.SIGTERM)).start()


async def _until_stopped(delay: float, released: list[bool]) -> None:
    """Busy tasks and a main task that never ends by itself: SIGTERM comes ``delay`` s into the run."""
    workers = [asyncio.ensure_future(_busy()) for _ in range(8)]
    _sigterm_later(delay)
    try:
        while True:
            await asyncio.sleep(0)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        released.append(True)


def test_sigterm_ends_a_busy_run_through_its_finally_with_nothing_left_behind(caplog: pytest.LogCaptureFixture) -> None:
    """Tasks busy in Python code when SIGTERM arrives: a handler that raised there would leave a task's
    exception unretrieved (a traceback at exit) or lose a wake-up the shutdown then waits for."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    before = signal.getsignal(signal.SIGTERM)
    for i in range(12):
        released: list[bool] = []
        with pytest.raises(Stopped):
            run_stopped_by_sigterm(_until_stopped(random.Random(i).uniform(0, 0.03), released), Stopped)
        gc.collect()  # an unretrieved exception is logged when its task is collected
        assert released, i
    assert not [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert signal.getsignal(signal.SIGTERM) is before  # put back


def test_a_run_that_ends_before_sigterm_returns_its_value() -> None:
    async def main() -> int:
        return 7

    assert run_stopped_by_sigterm(main(), Stopped) == 7
