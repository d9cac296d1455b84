"""The adaptive token buckets, on a fake clock: pacing, independence, throttle cuts, CUBIC recovery."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.client.ratelimit import AdaptiveSettings, AdaptiveTokenBucket, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def send_times(bucket: AdaptiveTokenBucket, clock: FakeClock, n: int) -> list[float]:
    """A caller that sends as soon as the bucket lets it, one after another."""
    times = []
    for _ in range(n):
        clock.now += bucket.reserve()
        times.append(clock.now)
    return times


def max_in_window(times: list[float], window: float = 1.0 - 1e-6) -> int:  # float slack at the edge
    return max(sum(1 for u in times if t - window < u <= t) for t in times)


def server_accepts(times: list[float], qps: float) -> int:
    """How many of ``times`` a server-side token bucket (capacity qps, refill qps/s, the emulator's and the
    gateway's model) accepts."""
    tokens, last, accepted = qps, times[0], 0
    for t in times:
        tokens = min(qps, tokens + (t - last) * qps)
        last = t
        if tokens >= 1:
            tokens -= 1
            accepted += 1
    return accepted


def test_reservations_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, clock=clock)
    delays = [bucket.reserve() for _ in range(5)]  # five callers at the same instant
    assert delays == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])


def test_sustained_rate_is_the_bound_and_never_above_it() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, clock=clock)
    times = send_times(bucket, clock, 200)
    assert max_in_window(times) <= 10
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate == pytest.approx(10.0)
    assert server_accepts(times, 10) == 200


def test_burst_allows_that_many_at_once_then_paces() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, burst=3, clock=clock)
    assert [bucket.reserve() for _ in range(5)] == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


def test_idle_time_does_not_bank_more_than_the_burst() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, clock=clock)
    bucket.reserve()
    clock.now += 60
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.1, 0.2])


def test_buckets_are_per_key_and_action() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert limiter.bucket("k", "A").reserve() == 0
    assert limiter.bucket("k", "B").reserve() == 0  # another action: its own budget
    assert limiter.bucket("k2", "A").reserve() == 0  # another key: its own budget
    assert limiter.bucket("k", "A").reserve() == pytest.approx(0.1)
    assert limiter.bucket("k", "A") is limiter.bucket("k", "A")


def test_throttle_cuts_the_rate_and_recovers_gradually() -> None:
    clock = FakeClock()
    settings = AdaptiveSettings(beta=0.5, scale=0.4, min_rate=0.5)
    bucket = AdaptiveTokenBucket(10, clock=clock, settings=settings)
    sent = clock.now
    clock.now += 0.05
    assert bucket.on_throttle(sent)
    assert bucket.current_rate() == pytest.approx(5.0)
    samples = []
    for _ in range(40):
        clock.now += 0.1
        samples.append(bucket.current_rate())
    assert all(b >= a for a, b in zip(samples, samples[1:]))  # monotone recovery
    assert 5.0 < samples[5] < 10.0  # gradual, not a jump back
    assert samples[-1] == pytest.approx(10.0)  # back at the maximum after K = cbrt(12.5) ≈ 2.3 s
    assert max(samples) <= 10.0


def test_throttle_pauses_the_bucket() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, clock=clock)
    bucket.reserve()
    assert bucket.on_throttle(clock.now)
    assert bucket.reserve() == pytest.approx(1 / 5.0)  # one interval at the halved rate


def test_a_throttle_on_a_request_sent_before_the_last_cut_does_not_cut_again() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, clock=clock)
    early = clock.now
    clock.now += 0.01
    assert bucket.on_throttle(early)
    assert not bucket.on_throttle(early)  # it was in flight with the first one
    assert bucket.current_rate() == pytest.approx(5.0)
    clock.now += 0.01
    assert bucket.on_throttle(clock.now)  # sent after the cut: new information
    assert 2.5 <= bucket.current_rate() < 2.6  # halved again (plus 10 ms of recovery)


def test_rate_never_falls_below_the_floor() -> None:
    clock = FakeClock()
    bucket = AdaptiveTokenBucket(10, clock=clock, settings=AdaptiveSettings(min_rate=0.5))
    for _ in range(20):
        clock.now += 0.001
        bucket.on_throttle(clock.now)
    assert bucket.current_rate() == pytest.approx(0.5)


def test_limiter_paces_concurrent_tasks_and_rereserves_after_a_cut() -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)
        clock.now = max(clock.now, start + sum_by_task[asyncio.current_task()] + delay)
        sum_by_task[asyncio.current_task()] += delay
        await asyncio.sleep(0)

    sum_by_task: dict = {}
    start = clock.now
    limiter = RateLimiter(10, clock=clock, sleep=fake_sleep)

    async def one() -> float:
        sum_by_task[asyncio.current_task()] = 0.0
        return await limiter.acquire("k", "A")

    async def main() -> list[float]:
        tasks = [asyncio.create_task(one()) for _ in range(5)]
        await asyncio.sleep(0)  # all five reserve at t=0: slots 0, .1, .2, .3, .4
        limiter.on_throttle("k", "A", clock.now)  # a cut while four of them wait
        return await asyncio.gather(*tasks)

    asyncio.run(main())
    # The waiting four took new slots on the 5/s schedule: the total wait grew beyond the 10/s plan.
    assert sum(sum_by_task.values()) > 0.1 + 0.2 + 0.3 + 0.4
    assert limiter.rates()[("k", "A")] < 10


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        AdaptiveTokenBucket(0)
    with pytest.raises(ValueError):
        RateLimiter(-1)
