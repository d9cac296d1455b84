"""Client-side rate limiting: one adaptive token bucket per (access key id, action).

Why per (key, action): CAMS documents its limit as 10 requests per second *per user, per API*, so two
different actions may each run at the full rate side by side, while two tasks calling the same action
with the same key share one budget. The ``RateLimiter`` object owns the buckets; every client that should
share a budget is given the same limiter (there is no module-level registry: state lives in objects).

Each bucket is a GCRA / virtual-scheduling token bucket: a caller *reserves* the next free send slot
(synchronously, so concurrent tasks queue up in FIFO order) and then sleeps until it. Slots are spaced
``1/rate`` apart with ``burst`` slots of slack, so several requests can be in flight at once (latency and
rate are independent) while the send rate never exceeds the bound.

Adaptive, like the AWS SDKs' adaptive retry mode: a throttling answer means our idea of the budget is
wrong (another process shares the key, or the server's window differs), so the bucket's rate is cut
(x ``beta``) and then recovers along a CUBIC curve, quickly at first, flattening out as it approaches the
rate it was cut from, then probing beyond it up to the configured maximum. A throttle on a request sent
*before* the last cut says nothing new (it was in flight already) and does not cut again.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_QPS = 10.0


@dataclass(frozen=True)
class AdaptiveSettings:
    beta: float = 0.5  # multiplicative decrease on a throttle
    scale: float = 0.4  # CUBIC's C: how fast the rate grows back (requests/s per s^3)
    min_rate: float = 0.5  # never slower than one request every two seconds


class AdaptiveTokenBucket:
    """One budget. ``reserve()`` returns how long to wait before sending; the slot is then yours."""

    def __init__(
        self, rate: float, *, burst: float = 1.0, clock: Clock = time.monotonic,
        settings: AdaptiveSettings = AdaptiveSettings(),
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.max_rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._settings = settings
        self._tat = clock()  # theoretical arrival time of the next request (GCRA)
        self._cut_at: float | None = None  # when the rate was last cut
        self._rate_before_cut = self.max_rate  # CUBIC's W_max
        self._k = 0.0  # CUBIC's K: seconds from the cut until the rate is back at W_max
        self.throttle_cuts = 0  # also the schedule's generation: a cut invalidates slots handed out before

    def current_rate(self, now: float | None = None) -> float:
        """The rate in force at ``now``: the maximum, or the CUBIC recovery curve after a throttle."""
        if self._cut_at is None:
            return self.max_rate
        now = self._clock() if now is None else now
        s = self._settings
        rate = s.scale * (now - self._cut_at - self._k) ** 3 + self._rate_before_cut
        return max(s.min_rate, min(self.max_rate, rate))

    def reserve(self) -> float:
        """Take the next send slot; returns the delay (seconds, >= 0) until it."""
        now = self._clock()
        interval = 1.0 / self.current_rate(now)
        tolerance = (self.burst - 1.0) * interval
        send_at = max(now, self._tat - tolerance)
        self._tat = max(self._tat, now) + interval
        return send_at - now

    def on_throttle(self, sent_at: float) -> bool:
        """A request sent at ``sent_at`` was throttled. Cut the rate unless it predates the last cut.

        Returns whether the rate was cut.
        """
        if self._cut_at is not None and sent_at <= self._cut_at:
            return False
        now = self._clock()
        s = self._settings
        current = self.current_rate(now)
        self._rate_before_cut = current
        self._cut_at = now
        self._k = ((current * (1.0 - s.beta)) / s.scale) ** (1.0 / 3.0)
        self.throttle_cuts += 1
        # Pause, and restart the schedule at the reduced rate: slots handed out before the cut were spaced
        # for the old rate, so their holders must reserve again (RateLimiter.acquire does).
        self._tat = now + 1.0 / self.current_rate(now)
        return True


class RateLimiter:
    """The process-wide budget, one bucket per (access key id, action). Share one instance between clients.

    Meant for one event loop: ``reserve`` is synchronous, so tasks of that loop cannot interleave inside it.
    """

    def __init__(
        self, qps: float = DEFAULT_QPS, *, burst: float = 1.0, clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep, settings: AdaptiveSettings = AdaptiveSettings(),
    ) -> None:
        if qps <= 0:
            raise ValueError("qps must be positive")
        self.qps = float(qps)
        self.burst = burst
        self.clock = clock
        self._sleep = sleep
        self._settings = settings
        self._buckets: dict[tuple[str, str], AdaptiveTokenBucket] = {}

    def bucket(self, access_key_id: str, action: str) -> AdaptiveTokenBucket:
        key = (access_key_id, action)
        found = self._buckets.get(key)
        if found is None:
            found = AdaptiveTokenBucket(self.qps, burst=self.burst, clock=self.clock, settings=self._settings)
            self._buckets[key] = found
        return found

    async def acquire(self, access_key_id: str, action: str) -> float:
        """Wait for a send slot; returns the clock reading at which the request may go (its ``sent_at``).

        If the bucket's rate was cut while we waited, the slot we held was planned for the old rate: take a
        new one on the new schedule instead of sending into a budget we now know is smaller.
        """
        bucket = self.bucket(access_key_id, action)
        while True:
            generation = bucket.throttle_cuts
            delay = bucket.reserve()
            if delay > 0:
                await self._sleep(delay)
            if bucket.throttle_cuts == generation:
                return self.clock()

    def on_throttle(self, access_key_id: str, action: str, sent_at: float) -> bool:
        return self.bucket(access_key_id, action).on_throttle(sent_at)

    def rates(self) -> dict[tuple[str, str], float]:
        """Current rate of every bucket (for diagnostics and tests)."""
        now = self.clock()
        return {key: b.current_rate(now) for key, b in self._buckets.items()}
