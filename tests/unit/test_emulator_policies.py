"""Rate limiter (fake clock), fault injector and audit masking: pure logic, no network, no sleeping."""

from __future__ import annotations

import json

import pytest

from reconciler.emulator.audit import AuditLog, mask_params, mask_url
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.ratelimit import SlidingWindowLimiter, TokenBucketLimiter, make_limiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_capacity_and_refill():
    clock = FakeClock()
    limiter = TokenBucketLimiter(10, clock=clock)
    assert [limiter.allow("k", "A") for _ in range(11)] == [True] * 10 + [False]
    assert limiter.allow("k", "B") and limiter.allow("other", "A")  # separate buckets
    clock.now += 0.1
    assert limiter.allow("k", "A") and not limiter.allow("k", "A")
    clock.now += 60
    assert sum(limiter.allow("k", "A") for _ in range(20)) == 10  # capacity caps the refill


def test_token_bucket_lets_almost_twice_qps_into_one_second():
    clock = FakeClock()
    limiter = TokenBucketLimiter(10, clock=clock)
    allowed = sum(limiter.allow("k", "A") for _ in range(10))
    clock.now += 0.99
    allowed += sum(limiter.allow("k", "A") for _ in range(10))
    assert allowed == 19  # why it is only the lenient option


def test_sliding_window_never_allows_more_than_qps_in_any_second():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, clock=clock)
    assert [limiter.allow("k", "A") for _ in range(11)] == [True] * 10 + [False]
    assert limiter.allow("k", "B") and limiter.allow("other", "A")  # separate windows
    clock.now += 0.99
    assert not limiter.allow("k", "A")  # the bucket would have refilled 9.9 tokens by now
    clock.now += 0.02
    assert limiter.allow("k", "A")


def test_sliding_window_counts_refused_requests():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, clock=clock)
    assert limiter.allow("k", "A") and limiter.allow("k", "A")
    clock.now += 0.5
    assert not limiter.allow("k", "A")  # refused, and counted
    clock.now += 0.6  # the first two left the window; the refusal at +0.5 has not
    assert limiter.allow("k", "A")
    assert not limiter.allow("k", "A")


def test_sliding_window_retry_after_is_the_time_until_room():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, clock=clock)
    for _ in range(10):
        limiter.allow("k", "A")
        clock.now += 0.05
    assert limiter.retry_after("k", "A") == pytest.approx(0.5)
    assert limiter.retry_after("k", "B") == 0.0


def test_documented_rate_is_never_throttled_by_either_model():
    for cls in (SlidingWindowLimiter, TokenBucketLimiter):
        clock = FakeClock()
        limiter = cls(10, clock=clock)
        results = []
        for i in range(100):
            clock.now = 100.0 + i * 0.1
            results.append(limiter.allow("k", "A"))
        assert all(results), cls


def test_zero_qps_disables_limiting():
    for kind in ("window", "bucket"):
        limiter = make_limiter(0, kind)
        assert all(limiter.allow("k", "A") for _ in range(1000))
    with pytest.raises(ValueError):
        make_limiter(10, "leaky")


def test_throttle_shapes_and_retry_after_hints():
    assert FaultInjector().throttle().code == "System.LimitControl"
    gateway = FaultInjector(throttle_shape="gateway", retry_after_ms=2500).throttle()
    assert (gateway.http_status, gateway.code, gateway.style) == (400, "Throttling.User", "gateway")
    assert gateway.headers == {"x-acs-retry-after": "2500"}
    assert FaultInjector(throttle_shape="xml").throttle().style == "xml"
    assert FaultInjector(throttle_shape="429").throttle().http_status == 429
    assert FaultInjector(retry_after_ms="auto").throttle(0.3204).headers == {"x-acs-retry-after": "321"}
    with pytest.raises(ValueError):
        FaultInjector(throttle_shape="soap")


def test_faults_deterministic():
    def seq(seed, rate=0.25):
        f = FaultInjector(rate, seed)
        return [(e.http_status if e else 200) for e in (f.next_fault() for _ in range(200))]
    assert seq(1) == seq(1) and seq(1) != seq(2)
    assert 20 < sum(s != 200 for s in seq(1)) < 80
    assert set(seq(3, 0.0)) == {200} and set(seq(3, 1.0)) == {500, 503}


def test_masking():
    assert mask_url("https://u:pw@h.example/p?token=abc&x=1#frag") == "https://u:***@h.example/p?token=***&x=***#***"
    assert mask_url("https://h.example/p") == "https://h.example/p"
    masked = mask_params({"VerifyCode": "828712", "SecurityToken": "t", "UpCallbackUrl": "https://h/?k=v",
                          "PhoneNumber": "8613800001234"})
    assert masked == {"VerifyCode": "***", "SecurityToken": "***", "UpCallbackUrl": "https://h/?k=***",
                      "PhoneNumber": "8613800001234"}


def test_audit_log_appends_json_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    for _ in range(2):
        log = AuditLog(path)
        log.record(request_id="R", access_key_id="demo", action="ChatappMigrationVerified", version="2020-06-06",
                   params={"VerifyCode": "828712"}, http_status=200, code="OK")
        log.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["parameters"] == {"VerifyCode": "***"} and lines[0]["time"].endswith("Z")


def test_emulator_imports_nothing_of_the_reconciler_but_common():
    import subprocess
    import sys

    code = ("import sys, reconciler.emulator; "
            "print(sorted(m for m in sys.modules if m.startswith('reconciler.') "
            "and not m.startswith(('reconciler.emulator', 'reconciler.common'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("make", [SlidingWindowLimiter, TokenBucketLimiter], ids=["window", "bucket"])
def test_actions_documented_at_five_per_second_are_refused_beyond_it(make):
    """At --qps 10, GetWhatsappHealthStatus (documented at 5/s) gets 5 a second and the number list 10."""
    clock = FakeClock()
    limiter = make(10, clock=clock)
    assert [limiter.allow("k", "GetWhatsappHealthStatus") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.retry_after("k", "GetWhatsappHealthStatus") > 0
    assert all(limiter.allow("k", "QueryChatappPhoneNumbers") for _ in range(10))
    assert make(3, clock=clock).allow("k", "ListChatappTemplate")  # a lower --qps still applies
