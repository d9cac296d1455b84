"""Rate limiter (fake clock), fault injector and audit masking: pure logic, no network, no sleeping."""

from __future__ import annotations

import json

from reconciler.emulator.audit import AuditLog, mask_params, mask_url
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_capacity_and_refill():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert [limiter.allow("k", "A") for _ in range(11)] == [True] * 10 + [False]
    assert limiter.allow("k", "B") and limiter.allow("other", "A")  # separate buckets
    clock.now += 0.1
    assert limiter.allow("k", "A") and not limiter.allow("k", "A")
    clock.now += 60
    assert sum(limiter.allow("k", "A") for _ in range(20)) == 10  # capacity caps the refill


def test_documented_rate_is_never_throttled():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    results = []
    for _ in range(100):
        results.append(limiter.allow("k", "A"))
        clock.now += 0.1
    assert all(results)


def test_zero_qps_disables_limiting():
    limiter = RateLimiter(0)
    assert all(limiter.allow("k", "A") for _ in range(1000))


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


def test_emulator_imports_nothing_of_the_reconciler():
    import subprocess
    import sys

    code = ("import sys, reconciler.emulator; "
            "print(sorted(m for m in sys.modules if m.startswith('reconciler.') "
            "and not m.startswith('reconciler.emulator')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
