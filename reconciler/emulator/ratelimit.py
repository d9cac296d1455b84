"""Flow control per (account, action): the docs promise 10 requests per second per user, per API.

Two models, chosen when the emulator starts:

- ``SlidingWindowLimiter`` (the default, strict): at most ``n`` requests in any trailing window, ``n =
  floor(qps)`` in ``n / qps`` seconds (10 in any 1 s at 10/s), the way flow control is usually counted.
  A refused request counts too: the real gateway's bookkeeping of refusals is not documented, and counting
  them is the stricter reading (a client that answers a refusal by hammering stays refused). A client that
  paces at exactly ``1/qps`` meets this window with nothing to spare and draws refusals from jitter alone.
- ``TokenBucketLimiter`` (lenient, ``--limiter bucket``): a bucket of ``qps`` tokens refilled at ``qps`` a
  second; a refused request takes no token. It lets a burst of ``qps`` through after idle time and up to
  ``2 * qps - 1`` requests into one second: the emulator's model before it was made strict.

Both take the arrival time from the caller (the HTTP layer stamps a request when its headers are read,
before signature checks, so server-side processing adds no jitter of its own).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from reconciler.emulator.catalog import ACTIONS

Clock = Callable[[], float]
#: float dust from clock arithmetic must not push a request sent exactly one window later into the window
_EPSILON = 1e-6


class Limiter(Protocol):
    qps: float

    def allow(self, account: str, action: str, now: float | None = None) -> bool: ...

    def retry_after(self, account: str, action: str, now: float | None = None) -> float: ...


def action_rate(qps: float, action: str) -> float:
    """The rate an action is limited to: ``qps``, or the action's lower documented rate (``catalog``)."""
    spec = ACTIONS.get(action)
    return min(qps, spec.qps) if spec is not None and spec.qps else qps


class SlidingWindowLimiter:
    def __init__(self, qps: float, clock: Clock = time.monotonic):
        """``qps`` <= 0 disables limiting. An action documented at a lower rate is limited to that rate."""
        self.qps = float(qps)
        self.window_calls = max(1, math.floor(self.qps + 1e-9)) if self.qps > 0 else 0
        self.window = self.window_calls / self.qps if self.qps > 0 else 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def _limits(self, action: str) -> tuple[int, float]:
        """(requests allowed, in a window of so many seconds) for ``action``."""
        rate = action_rate(self.qps, action)
        if rate == self.qps:
            return self.window_calls, self.window
        calls = max(1, math.floor(rate + 1e-9))
        return calls, calls / rate

    @staticmethod
    def _trim(seen: deque[float], now: float, window: float) -> None:
        while seen and seen[0] <= now - window + _EPSILON:
            seen.popleft()

    def allow(self, account: str, action: str, now: float | None = None) -> bool:
        if self.qps <= 0:
            return True
        now = self._clock() if now is None else now
        calls, window = self._limits(action)
        with self._lock:
            seen = self._seen.setdefault((account, action), deque())
            self._trim(seen, now, window)
            allowed = len(seen) < calls
            seen.append(now)
            return allowed

    def retry_after(self, account: str, action: str, now: float | None = None) -> float:
        """Seconds until a request would be allowed again (0 when it would be now)."""
        if self.qps <= 0:
            return 0.0
        now = self._clock() if now is None else now
        calls, window = self._limits(action)
        with self._lock:
            seen = self._seen.get((account, action), deque())
            self._trim(seen, now, window)
            if len(seen) < calls:
                return 0.0
            return max(0.0, seen[-calls] + window - now)


class TokenBucketLimiter:
    def __init__(self, qps: float, clock: Clock = time.monotonic):
        """``qps`` <= 0 disables limiting."""
        self.qps = float(qps)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def _refilled(self, key: tuple[str, str], now: float) -> float:
        rate = action_rate(self.qps, key[1])
        tokens, last = self._buckets.get(key, (rate, now))
        return min(rate, tokens + (now - last) * rate)

    def allow(self, account: str, action: str, now: float | None = None) -> bool:
        if self.qps <= 0:
            return True
        now = self._clock() if now is None else now
        key = (account, action)
        with self._lock:
            tokens = self._refilled(key, now)
            allowed = tokens >= 1.0 - 1e-9  # float dust from clock arithmetic must not refuse a token
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            return allowed

    def retry_after(self, account: str, action: str, now: float | None = None) -> float:
        if self.qps <= 0:
            return 0.0
        now = self._clock() if now is None else now
        with self._lock:
            tokens = self._refilled((account, action), now)
        return max(0.0, (1.0 - tokens) / action_rate(self.qps, action))


LIMITERS: dict[str, type[SlidingWindowLimiter] | type[TokenBucketLimiter]] = {
    "window": SlidingWindowLimiter,
    "bucket": TokenBucketLimiter,
}


def make_limiter(qps: float, kind: str = "window", clock: Clock = time.monotonic) -> Limiter:
    """``kind``: ``window`` (strict, default) or ``bucket`` (lenient). Raises ValueError for another."""
    try:
        cls = LIMITERS[kind]
    except KeyError:
        raise ValueError(f"limiter must be one of {', '.join(LIMITERS)}, not {kind!r}") from None
    return cls(qps, clock=clock)
