"""The per-(account, action) budgets, on a fake clock: window-safe pacing with a jitter margin, independence,
the actual-send-time check, throttle cuts and CUBIC recovery, retry-after pauses, a run's time budget."""

from __future__ import annotations

import asyncio
import random

import pytest

from reconciler.client.ratelimit import ActionBudget, AdaptiveSettings, RateLimiter, SlotUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def send_times(budget: ActionBudget, clock: FakeClock, n: int) -> list[float]:
    """A caller that sends as soon as the budget lets it, one after another."""
    times = []
    for _ in range(n):
        clock.now += budget.reserve()
        clock.now += budget.window_delay(clock.now)
        budget.record(clock.now)
        times.append(clock.now)
    return times


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most sends in any trailing window (t - window, t], as a strict server counts."""
    return max(sum(1 for u in times if t - window < u <= t) for t in times)


def strict_server_accepts(arrivals: list[float], qps: int, window: float = 1.0) -> int:
    """How many arrivals a sliding-window server (at most qps in any trailing window, refused ones
    counted too) accepts."""
    seen: list[float] = []
    accepted = 0
    for t in sorted(arrivals):
        if sum(1 for u in seen if t - window < u) < qps:
            accepted += 1
        seen.append(t)
    return accepted


def test_sends_are_spaced_at_the_rate_plus_the_margin_share() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.03))
    delays = [budget.reserve() for _ in range(4)]  # four callers at the same instant
    assert delays == pytest.approx([0.0, 0.103, 0.206, 0.309])


def test_never_more_than_qps_in_any_window_and_the_rate_is_the_bound_less_the_margin() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.03))
    times = send_times(budget, clock, 300)
    assert max_in_window(times, 1.0 + 0.03 - 1e-9) <= 10
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate == pytest.approx(10 / 1.03, rel=1e-6)


def test_a_strict_window_server_accepts_every_send_despite_jitter_up_to_the_margin() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.03))
    rng = random.Random(5)
    sends = send_times(budget, clock, 500)
    arrivals = [t + rng.uniform(0.0, 0.029) for t in sends]  # each request delayed differently on the way
    assert strict_server_accepts(arrivals, 10) == 500
    # Pacing at exactly 1/qps (the old bucket) meets the same server and jitter with refusals.
    exact = [100.0 + i * 0.1 for i in range(500)]
    assert strict_server_accepts([t + rng.uniform(0.0, 0.029) for t in exact], 10) < 500


def test_a_late_wake_up_cannot_bring_later_sends_closer_than_the_window() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.03))
    times = []
    for i in range(30):
        clock.now += budget.reserve()
        if i == 3:
            clock.now += 0.25  # the event loop woke this sender late
        clock.now += budget.window_delay(clock.now)
        budget.record(clock.now)
        times.append(clock.now)
    assert max_in_window(times, 1.03 - 1e-9) <= 10


def test_non_integer_rates_keep_their_own_window() -> None:
    clock = FakeClock()
    budget = ActionBudget(2.5, clock=clock, settings=AdaptiveSettings(margin=0.0))
    assert (budget.window_calls, budget.window) == (2, pytest.approx(0.8))
    times = send_times(budget, clock, 50)
    assert max_in_window(times, 0.8 - 1e-9) <= 2
    assert (len(times) - 1) / (times[-1] - times[0]) == pytest.approx(2.5)


def test_idle_time_does_not_bank_a_burst() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.0))
    budget.reserve()
    clock.now += 60
    assert [budget.reserve() for _ in range(3)] == pytest.approx([0.0, 0.1, 0.2])


def test_budgets_are_per_account_and_action() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, settings=AdaptiveSettings(margin=0.0))
    assert limiter.bucket("acme", "A").reserve() == 0
    assert limiter.bucket("acme", "B").reserve() == 0  # another action: its own budget
    assert limiter.bucket("globex", "A").reserve() == 0  # another account: its own budget
    assert limiter.bucket("acme", "A").reserve() == pytest.approx(0.1)
    assert limiter.bucket("acme", "A") is limiter.bucket("acme", "A")


def test_throttle_cuts_the_rate_gently_and_recovers_within_seconds() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(beta=0.8, scale=0.4, margin=0.03,
                                                                     margin_step=0.01))
    sent = clock.now
    clock.now += 0.05
    assert budget.on_throttle(sent)
    assert budget.current_rate() == pytest.approx(8.0)
    assert budget.margin == pytest.approx(0.04)  # the jitter was larger than assumed
    samples = []
    for _ in range(25):
        clock.now += 0.1
        samples.append(budget.current_rate())
    assert all(b >= a for a, b in zip(samples, samples[1:]))  # monotone recovery
    assert 8.0 < samples[5] < 10.0  # gradual, not a jump back
    assert samples[-1] == pytest.approx(10.0)  # back at the maximum after K = cbrt(5) ≈ 1.7 s
    assert max(samples) <= 10.0


def test_a_throttle_on_a_request_sent_before_the_last_cut_does_not_cut_again() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock)
    early = clock.now
    clock.now += 0.01
    assert budget.on_throttle(early)
    assert not budget.on_throttle(early)  # it was in flight with the first one
    assert budget.current_rate() == pytest.approx(8.0)
    clock.now += 0.01
    assert budget.on_throttle(clock.now)  # sent after the cut: new information
    assert 6.4 <= budget.current_rate() < 6.5


def test_rate_never_falls_below_the_floor() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(min_rate=0.5))
    for _ in range(40):
        clock.now += 0.001
        budget.on_throttle(clock.now)
    assert budget.current_rate() == pytest.approx(0.5)
    assert budget.margin == pytest.approx(AdaptiveSettings().max_margin)


def test_a_retry_after_hint_pauses_every_queued_sender() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, settings=AdaptiveSettings(margin=0.0))
    budget = limiter.bucket("acme", "A")
    budget.reserve()
    limiter.on_throttle("acme", "A", clock.now, retry_after=12.0)
    assert budget.reserve() >= 12.0  # honoured in full, however long


def test_a_slot_beyond_the_run_budget_is_refused_and_not_taken() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.0))
    for _ in range(10):
        budget.reserve(not_after=clock.now + 1.0)
    with pytest.raises(SlotUnavailable) as info:
        budget.reserve(not_after=clock.now + 0.95)
    assert info.value.delay == pytest.approx(1.0)
    assert budget.reserve() == pytest.approx(1.0)  # the refused slot was not consumed


def test_limiter_records_actual_sends_and_rereserves_after_a_cut() -> None:
    clock = FakeClock()
    wake: dict = {}

    async def fake_sleep(delay: float) -> None:
        # Each task's own timeline: it wakes at its own "now + delay" (tasks run in turn).
        clock.now = max(clock.now, wake.get(asyncio.current_task(), clock.now)) + delay
        wake[asyncio.current_task()] = clock.now
        await asyncio.sleep(0)

    limiter = RateLimiter(10, clock=clock, sleep=fake_sleep, settings=AdaptiveSettings(margin=0.0))

    async def main() -> list[float]:
        tasks = [asyncio.create_task(limiter.acquire("acme", "A")) for _ in range(5)]
        await asyncio.sleep(0)  # all five reserve at t=100: slots 0, .1, .2, .3, .4 later
        limiter.on_throttle("acme", "A", clock.now)  # a cut while four of them wait
        return await asyncio.gather(*tasks)

    times = asyncio.run(main())
    assert limiter.rates()[("acme", "A")] < 10
    assert times[-1] - times[0] > 0.4  # the waiting four took new slots on the slower schedule


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        ActionBudget(0)
    with pytest.raises(ValueError):
        RateLimiter(-1)


def test_a_round_trip_slower_than_the_fastest_delays_the_sends_a_window_later() -> None:
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.0))
    sends = send_times(budget, clock, 10)
    for i, sent in enumerate(sends):
        budget.settle(sent, sent + (0.3 if i == 0 else 0.1))  # the first reached the server 0.2 s late
    clock.now += budget.reserve()  # one window after the first send: on time, it could go now
    # but the first may have arrived at +0.2, among the nine after it: ten arrivals since the second's
    # at +0.1, so the next waits until one window after that
    assert budget.window_delay(clock.now) == pytest.approx(sends[1] + 1.0 - clock.now)
    assert budget.window_delay(clock.now) == pytest.approx(0.1)


def test_delays_the_round_trips_show_are_absorbed_beyond_the_margin() -> None:
    """Requests held up by up to 200 ms on the way (ten times the margin), visibly: a strict server still
    accepts every one, because each slow round trip pushes the sends a window later."""
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.02))
    rng = random.Random(11)
    arrivals = []
    for _ in range(400):
        clock.now += budget.reserve()
        clock.now += budget.window_delay(clock.now)
        budget.record(clock.now)
        delay = rng.choice([0.0, 0.0, 0.0, rng.uniform(0.0, 0.2)])
        arrivals.append(clock.now + 0.05 + delay)
        budget.settle(clock.now, clock.now + 0.1 + delay)
    assert strict_server_accepts(arrivals, 10) == 400


def test_a_request_stalled_on_the_way_delays_the_sends_while_still_unanswered() -> None:
    """The first request is held up 0.9 s before the server counts it, and answered only then: the sends a
    window after it must not wait for that answer to learn of the stall (a strict server would refuse the
    eleventh), since its time out so far already says it may arrive late."""
    clock = FakeClock()
    budget = ActionBudget(10, clock=clock, settings=AdaptiveSettings(margin=0.02))
    arrivals: list[float] = []
    answers: list[tuple[float, float]] = []  # (answered at, sent at), settled once the clock passes them
    for i in range(40):
        clock.now += budget.reserve()
        while (wait := budget.window_delay(clock.now)) > 0:
            clock.now += wait
            for answered, sent in [a for a in answers if a[0] <= clock.now]:
                budget.settle(sent, answered)
                answers.remove((answered, sent))
        for answered, sent in [a for a in answers if a[0] <= clock.now]:
            budget.settle(sent, answered)
            answers.remove((answered, sent))
        budget.record(clock.now)
        held = 0.9 if i == 0 else 0.0
        arrivals.append(clock.now + 0.025 + held)
        answers.append((clock.now + 0.05 + held, clock.now))
    assert strict_server_accepts(arrivals, 10) == 40


def test_an_action_documented_at_a_lower_rate_is_paced_at_it() -> None:
    """ListChatappTemplate and GetWhatsappHealthStatus are documented at 5/s per account: at --qps 10 their
    sends stay 5 in any second, while the number list keeps the full 10."""
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, settings=AdaptiveSettings(margin=0.0))
    for action, most in (("ListChatappTemplate", 5), ("GetWhatsappHealthStatus", 5), ("QueryChatappPhoneNumbers", 10)):
        times = send_times(limiter.bucket("acme", action), clock, 30)
        assert max_in_window(times) == most, action
    slow = RateLimiter(3, clock=clock, settings=AdaptiveSettings(margin=0.0))  # a lower --qps still wins
    assert max_in_window(send_times(slow.bucket("acme", "ListChatappTemplate"), clock, 12)) == 3
