"""Injected server faults: a fraction of requests fail with HTTP 500 ``InternalError`` or 503
``ServiceUnavailable``, deterministically for a given seed.

Determinism is per request *order*: the n-th request the emulator handles gets the same verdict for the same
seed and rate. Every request draws exactly two numbers from the generator (fail?, which failure?) so one
verdict never shifts the ones after it.
"""

from __future__ import annotations

import random
import threading

from reconciler.emulator.errors import EmulatorApiError


class FaultInjector:
    def __init__(self, rate: float = 0.0, seed: int | None = None):
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault rate must be between 0.0 and 1.0")
        self.rate = rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def next_fault(self) -> EmulatorApiError | None:
        """The fault for the next request, or None."""
        with self._lock:
            fail, kind = self._rng.random(), self._rng.random()
        if fail >= self.rate:
            return None
        if kind < 0.5:
            return EmulatorApiError(
                "InternalError", "The request processing has failed due to some unknown error.", http_status=500
            )
        return EmulatorApiError(
            "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", http_status=503
        )
