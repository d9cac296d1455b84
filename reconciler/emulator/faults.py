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

How a throttling answer looks (the flow-control window's and the bursts' alike) is a fault setting too:
``throttle_shape`` ``cams`` (HTTP 400, JSON ``Code: System.LimitControl``), ``gateway`` (HTTP 400, the API
gateway's lowercase JSON ``code: Throttling.User``, ``requestId``, ``message``), ``xml`` (HTTP 400, an XML
``<Error>`` body with ``Throttling.User``) or ``429`` (HTTP 429, gateway JSON ``code: Throttling``); and
``retry_after_ms`` makes every throttling answer carry ``x-acs-retry-after`` (milliseconds), the hint the
SDK reads: a number, or ``auto`` for the exact time until the window has room again.

Determinism is per request *order*: the n-th request the emulator asks about gets the same verdict for the
same seed and rates. Each kind draws from its own generator (seeded from ``seed`` and the kind's name), and
each draw consumes a fixed count of numbers, so enabling one kind never shifts the sequence of another and
one verdict never shifts the ones after it.
"""

from __future__ import annotations

import math
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


#: shape → (HTTP status, code, message, body style)
THROTTLE_SHAPES: dict[str, tuple[int, str, str, str]] = {
    "cams": (400, "System.LimitControl", "The system is under flow control.", "json"),
    "gateway": (400, "Throttling.User", "Request was denied due to user flow control.", "gateway"),
    "xml": (400, "Throttling.User", "Request was denied due to user flow control.", "xml"),
    "429": (429, "Throttling", "Request was denied due to flow control.", "gateway"),
}


def parse_retry_after(value: str | float | None) -> float | str | None:
    """``--retry-after-ms``: None/0 = no hint, ``auto``, or milliseconds >= 0. Raises ValueError."""
    if value is None or value == "":
        return None
    if value == "auto":
        return "auto"
    ms = float(value)
    if ms < 0 or ms != ms or ms == float("inf"):
        raise ValueError("retry-after ms must be a non-negative number or 'auto'")
    return ms or None


class FaultInjector:
    """Verdicts for the next request, one method per fault kind. Thread-safe (request threads call it)."""

    def __init__(self, rate: float = 0.0, seed: int | None = None, *, throttle_rate: float = 0.0,
                 spike_rate: float = 0.0, spike_ms: float = 0.0, throttle_shape: str = "cams",
                 retry_after_ms: float | str | None = None):
        self.rate = _fraction("fault rate", rate)
        self.throttle_rate = _fraction("throttle rate", throttle_rate)
        self.spike_rate = _fraction("latency spike rate", spike_rate)
        if spike_ms < 0:
            raise ValueError("latency spike ms must not be negative")
        self.spike_ms = float(spike_ms)
        if throttle_shape not in THROTTLE_SHAPES:
            raise ValueError(f"throttle shape must be one of {', '.join(THROTTLE_SHAPES)}, not {throttle_shape!r}")
        self.throttle_shape = throttle_shape
        self.retry_after_ms = parse_retry_after(retry_after_ms)
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

    def throttle(self, window_wait: float = 0.0) -> EmulatorApiError:
        """A throttling answer in the configured shape; ``window_wait``: seconds until the window has room
        (the ``auto`` retry-after hint)."""
        status, code, message, style = THROTTLE_SHAPES[self.throttle_shape]
        headers: dict[str, str] = {}
        if self.retry_after_ms == "auto":
            headers["x-acs-retry-after"] = str(max(1, math.ceil(window_wait * 1000)))
        elif self.retry_after_ms:
            headers["x-acs-retry-after"] = str(int(self.retry_after_ms))
        return EmulatorApiError(code, message, http_status=status, style=style, headers=headers)

    def next_throttle(self) -> EmulatorApiError | None:
        """A flow-control refusal for the next request regardless of the window, or None. One draw."""
        if self.throttle_rate <= 0.0:
            return None
        with self._lock:
            draw = self._throttle_rng.random()
        if draw >= self.throttle_rate:
            return None
        return self.throttle(1.0)

    def next_latency_spike(self) -> float:
        """Extra delay in seconds for the next response (0.0 for most). One draw."""
        if self.spike_rate <= 0.0 or self.spike_ms <= 0.0:
            return 0.0
        with self._lock:
            draw = self._spike_rng.random()
        return self.spike_ms / 1000.0 if draw < self.spike_rate else 0.0
