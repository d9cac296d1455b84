"""Holding SIGINT and SIGTERM while a write that must not be cut in two runs (the lock's, the journal's, the
results file's).

Masking the signals in the main thread (``pthread_sigmask``) is not enough: the kernel hands a signal sent to
the process to any thread that does not block it (a CLI run has others: asyncio's resolver pool, the
in-process emulator), and Python then runs the handler in the main thread all the same. So the Python
handlers are swapped for one that notes the signal, and what arrived is raised again once the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HELD = (signal.SIGINT, signal.SIGTERM)


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
