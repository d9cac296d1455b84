"""Per (access key, action) token buckets: the docs promise 10 requests per second per user, per API.

A bucket holds at most ``qps`` tokens and refills at ``qps`` tokens per second, so a client spacing its calls
at the documented rate never sees ``System.LimitControl``, while a burst beyond ``qps`` does. A refused
request does not consume a token.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class RateLimiter:
    def __init__(self, qps: float, clock: Callable[[], float] = time.monotonic):
        """``qps`` <= 0 disables limiting."""
        self.qps = float(qps)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def allow(self, access_key_id: str, action: str) -> bool:
        if self.qps <= 0:
            return True
        now = self._clock()
        key = (access_key_id, action)
        with self._lock:
            tokens, last = self._buckets.get(key, (self.qps, now))
            tokens = min(self.qps, tokens + (now - last) * self.qps)
            allowed = tokens >= 1.0 - 1e-9  # float dust from clock arithmetic must not refuse a token
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            return allowed
