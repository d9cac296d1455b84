"""Client-side pacing: one budget per (account, action), never more than ``qps`` sends in any trailing window.

Why per (account, action): CAMS documents its limit as 10 requests per second *per user, per API*, and the
gateway counts per account (UID): two actions may each run at the full rate side by side, while every key
of one account (RAM users, a refreshed STS key) shares one budget per action. The caller names the account
(``CamsClient(account=...)``); by default the client pins the first access key id it signs with, so an STS
refresh, which brings a new key id, does not start a fresh budget. The ``RateLimiter`` object owns the
budgets; clients that should share one are given the same limiter (no module-level registry).

The server is assumed to count the strict way: at most ``n`` requests in any trailing window
(``n = floor(qps)`` in ``n / qps`` seconds: 10 in any 1 s at 10/s). Pacing exactly at ``1/qps`` meets such
a window with nothing to spare, and network jitter (one request delayed, the next not) then puts ``n + 1``
arrivals in one window. So each budget:

- schedules sends evenly (GCRA virtual scheduling: a caller *reserves* the next free slot synchronously, so
  concurrent tasks queue in FIFO order, then sleeps until it), ``(window + margin) / n`` apart: a margin
  of 20 ms a second absorbs that much unseen jitter at a cost of 2 % of the rate;
- checks, just before each send, when the last ``n`` requests may have *reached* the server: each one's
  actual send time (a task woken late by a busy event loop must not bring the next ones closer than the
  window allows), pushed later by however much its round trip exceeded the fastest recent one (a request
  held up on the way, or by a busy server before it was counted, shows as a slow round trip; a request
  still unanswered counts its time out so far as its round trip, so a stall shows while it lasts, not
  only once its answer is back). Seen delay is thus paid for exactly, when it happens, and only the unseen
  rest needs the margin.

Several requests are in flight at once (sends are pipelined across the latency), so a plan reaches
``calls / qps`` plus the margin. Every attempt takes a slot, retries too, so a server that counts the
requests it refused is met as well.

A throttle answer still happens (another process on the same account, a server window we cannot see): the
budget's rate is cut (x ``beta``, 0.8) and grows back along a CUBIC curve within about two seconds, and the
margin widens by 5 ms (the unseen jitter was larger than assumed). A throttle on a request sent before the last
cut says nothing new and does not cut again. A server's retry-after hint pauses the whole budget until then.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from reconciler.client.actions import ACTIONS
from reconciler.core.defaults import DEFAULT_QPS

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]



@dataclass(frozen=True)
class AdaptiveSettings:
    beta: float = 0.8  # multiplicative decrease on a throttle
    scale: float = 0.4  # CUBIC's C: how fast the rate grows back (requests/s per s^3)
    min_rate: float = 0.5  # never slower than one request every two seconds
    margin: float = 0.02  # seconds added to the server's counting window, for jitter no round trip shows
    margin_step: float = 0.005  # added to the margin by each throttle that cuts the rate
    max_margin: float = 0.1
    rtt_samples: int = 50  # the fastest of the last this many round trips is the baseline of "on time"


class SlotUnavailable(Exception):
    """The next send slot lies beyond the caller's ``not_after`` (a run's time budget): nothing was reserved."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"next send slot in {delay:.1f} s")
        self.delay = delay


class ActionBudget:
    """One (account, action) budget. ``reserve()`` returns how long to wait; ``record()`` notes a send."""

    def __init__(self, rate: float, *, clock: Clock = time.monotonic,
                 settings: AdaptiveSettings = AdaptiveSettings()) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = float(rate)
        #: the server's window: at most ``window_calls`` requests in any ``window`` seconds
        self.window_calls = max(1, math.floor(self.max_rate + 1e-9))
        self.window = self.window_calls / self.max_rate
        self.margin = settings.margin
        self._clock = clock
        self._settings = settings
        # [sent at, round trip or None] of recent sends; twice the window's count, since a late arrival can
        # keep an older send inside the window
        self._sent: deque[list[Any]] = deque(maxlen=2 * self.window_calls)
        self._rtts: deque[float] = deque(maxlen=settings.rtt_samples)
        self._tat = clock()  # theoretical time of the next free slot (GCRA)
        self._cut_at: float | None = None  # when the rate was last cut
        self._rate_before_cut = self.max_rate  # CUBIC's W_max
        self._k = 0.0  # CUBIC's K: seconds from the cut until the rate is back at W_max
        self.throttle_cuts = 0
        #: bumped when the schedule is rebuilt (a cut, a pause): slots handed out before must be re-reserved
        self.generation = 0

    def current_rate(self, now: float | None = None) -> float:
        """The rate in force at ``now``: the maximum, or the CUBIC recovery curve after a throttle."""
        if self._cut_at is None:
            return self.max_rate
        now = self._clock() if now is None else now
        s = self._settings
        rate = s.scale * (now - self._cut_at - self._k) ** 3 + self._rate_before_cut
        return max(s.min_rate, min(self.max_rate, rate))

    def interval(self, now: float | None = None) -> float:
        """Spacing of scheduled sends: the rate's, plus this send's share of the margin."""
        return 1.0 / self.current_rate(now) + self.margin / self.window_calls

    def reserve(self, not_after: float | None = None) -> float:
        """Take the next send slot; returns the delay (seconds, >= 0) until it.

        ``not_after``: a clock reading the slot must not lie beyond; if it would, nothing is taken and
        ``SlotUnavailable`` is raised.
        """
        now = self._clock()
        slot = max(now, self._tat)
        if not_after is not None and slot > not_after:
            raise SlotUnavailable(slot - now)
        self._tat = slot + self.interval(now)
        return slot - now

    def window_delay(self, now: float) -> float:
        """How long a send at ``now`` must still wait so that no ``window + margin`` holds more than
        ``window_calls`` arrivals (each taken as late as its round trip says it may have been, against the
        fastest round trip known now: the first answers of a run set no baseline for themselves)."""
        if len(self._sent) < self.window_calls:
            return 0.0
        fastest = min(self._rtts) if self._rtts else 0.0

        def arrival(sent: float, rtt: float | None) -> float:
            if rtt is None:
                # Not answered yet: its round trip is already as long as it has been out, so it may be held
                # up on the way right now; a stall shows before its answer does (once answers give a baseline).
                rtt = now - sent if self._rtts else 0.0
            return sent + (rtt - fastest if rtt > fastest else 0.0)

        nth_latest: float = heapq.nlargest(self.window_calls, (arrival(sent, rtt) for sent, rtt in self._sent))[-1]
        return max(0.0, nth_latest + self.window + self.margin - now)

    def record(self, now: float) -> None:
        self._sent.append([now, None])

    def settle(self, sent_at: float, answered_at: float) -> None:
        """The answer to the request sent at ``sent_at`` arrived at ``answered_at``: a round trip slower than
        the fastest recent one says the request may have reached the server that much later."""
        rtt = answered_at - sent_at
        if rtt < 0:
            return
        self._rtts.append(rtt)
        for entry in self._sent:
            if entry[0] == sent_at:
                entry[1] = rtt
                return

    def pause_until(self, when: float) -> None:
        """No send before ``when`` (a server's retry-after hint); queued holders re-reserve after it."""
        if when > self._tat:
            self._tat = when
            self.generation += 1

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
        self.margin = min(s.max_margin, self.margin + s.margin_step)
        self.throttle_cuts += 1
        # Restart the schedule at the reduced rate: slots handed out before the cut were spaced for the
        # old rate, so their holders must reserve again (RateLimiter.acquire does).
        self._tat = now + self.interval(now)
        self.generation += 1
        return True


class RateLimiter:
    """The process-wide budgets, one per (account, action). Share one instance between clients.

    Meant for one event loop: ``reserve`` is synchronous, so tasks of that loop cannot interleave inside it.
    """

    def __init__(
        self, qps: float = DEFAULT_QPS, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
        settings: AdaptiveSettings = AdaptiveSettings(),
    ) -> None:
        if qps <= 0:
            raise ValueError("qps must be positive")
        self.qps = float(qps)
        self.clock = clock
        self._sleep = sleep
        self._settings = settings
        self._budgets: dict[tuple[str, str], ActionBudget] = {}

    def bucket(self, account: str, action: str) -> ActionBudget:
        key = (account, action)
        found = self._budgets.get(key)
        if found is None:
            documented = ACTIONS[action].qps if action in ACTIONS else None  # a lower documented rate wins
            rate = min(self.qps, documented) if documented else self.qps
            found = ActionBudget(rate, clock=self.clock, settings=self._settings)
            self._budgets[key] = found
        return found

    async def acquire(self, account: str, action: str, *, not_after: float | None = None) -> float:
        """Wait for a send slot; returns the clock reading at which the request goes (its ``sent_at``).

        The send is recorded on return: call this right before sending. If the schedule was rebuilt while
        we waited (a throttle cut, a retry-after pause), the slot we held was planned on the old one: take
        a new one instead of sending into a budget we now know is smaller. ``not_after``: give up with
        ``SlotUnavailable`` rather than wait for a slot beyond that clock reading.
        """
        budget = self.bucket(account, action)
        while True:
            generation = budget.generation
            delay = budget.reserve(not_after)
            if delay > 0:
                await self._sleep(delay)
            while budget.generation == generation and (wait := budget.window_delay(self.clock())) > 0:
                await self._sleep(wait)
            if budget.generation == generation:
                now = self.clock()
                budget.record(now)
                return now

    def settle(self, account: str, action: str, sent_at: float, answered_at: float) -> None:
        """Report when the answer to a request sent at ``sent_at`` (``acquire``'s value) arrived."""
        self.bucket(account, action).settle(sent_at, answered_at)

    def on_throttle(self, account: str, action: str, sent_at: float, retry_after: float | None = None) -> bool:
        """Tell the budget a request sent at ``sent_at`` was throttled; returns whether its rate was cut."""
        budget = self.bucket(account, action)
        cut = budget.on_throttle(sent_at)
        if retry_after is not None and retry_after > 0:
            budget.pause_until(self.clock() + retry_after)
        return cut

    def rates(self) -> dict[tuple[str, str], float]:
        """Current rate of every budget (for diagnostics and tests)."""
        now = self.clock()
        return {key: b.current_rate(now) for key, b in self._budgets.items()}
