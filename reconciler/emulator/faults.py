"""Injected faults, deterministic for a given seed: what a real service does to a client on a bad day.

Three independent kinds, each off by default:

- **server errors** (``rate``): a fraction of requests fail with HTTP 500 ``InternalError`` or 503
  ``ServiceUnavailable``. Nothing is changed by a failed request.
- **throttling bursts** (``throttle_rate``): a fraction of requests are answered HTTP 400
  ``System.LimitControl`` *whatever the token bucket says* — the gateway's flow control reacting to load we
  cannot see (other tenants, a shared key), which a client that only paces itself to the documented rate
  still meets. Nothing is changed by a throttled request.
- **latency spikes** (``spike_rate``, ``spike_ms``): a fraction of responses are delayed by ``spike_ms`` on
  top of the constant ``--latency-ms``; the request itself is served normally.

Determinism is per request *order*: the n-th request the emulator asks about gets the same verdict for the
same seed and rates. Each kind draws from its own generator (seeded from ``seed`` and the kind's name), and
each draw consumes a fixed count of numbers, so enabling one kind never shifts the sequence of another and
one verdict never shifts the ones after it.
"""

from __future__ import annotations

import random
import threading

from reconciler.emulator.errors import EmulatorApiError


def _fraction(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0.0 and 1.0")
    return float(value)


def _stream(seed: int | None, kind: str) -> random.Random:
    """An independent generator per kind; ``seed`` None → unpredictable (fresh OS entropy)."""
    return random.Random(None if seed is None else f"{seed}:{kind}")


class FaultInjector:
    """Verdicts for the next request, one method per fault kind. Thread-safe (request threads call it)."""

    def __init__(self, rate: float = 0.0, seed: int | None = None, *, throttle_rate: float = 0.0,
                 spike_rate: float = 0.0, spike_ms: float = 0.0):
        self.rate = _fraction("fault rate", rate)
        self.throttle_rate = _fraction("throttle rate", throttle_rate)
        self.spike_rate = _fraction("latency spike rate", spike_rate)
        if spike_ms < 0:
            raise ValueError("latency spike ms must not be negative")
        self.spike_ms = float(spike_ms)
        # The 5xx stream keeps the plain seed: sequences recorded before the other kinds existed still hold.
        self._rng = random.Random(seed)
        self._throttle_rng = _stream(seed, "throttle")
        self._spike_rng = _stream(seed, "latency-spike")
        self._lock = threading.Lock()

    def next_fault(self) -> EmulatorApiError | None:
        """The server error for the next request, or None. Draws exactly two numbers (fail?, which?)."""
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

    def next_throttle(self) -> EmulatorApiError | None:
        """A flow-control refusal for the next request regardless of the bucket, or None. One draw."""
        if self.throttle_rate <= 0.0:
            return None
        with self._lock:
            draw = self._throttle_rng.random()
        if draw >= self.throttle_rate:
            return None
        return EmulatorApiError("System.LimitControl", "The system is under flow control.")

    def next_latency_spike(self) -> float:
        """Extra delay in seconds for the next response (0.0 for most). One draw."""
        if self.spike_rate <= 0.0 or self.spike_ms <= 0.0:
            return 0.0
        with self._lock:
            draw = self._spike_rng.random()
        return self.spike_ms / 1000.0 if draw < self.spike_rate else 0.0
