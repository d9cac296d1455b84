"""The naive baseline: what a user would otherwise write — the official SDK in a sequential loop.

    /work/venv/bin/python benchmarks/sdk_baseline.py [--quick]

``alibabacloud_cams20200606`` (and ``alibabacloud_bssopenapi20171214`` for the account call; both in the
``test`` extra) against the same emulator, rate limit and latency as our client's benchmarks. One call after
another, as the SDK's examples do: the SDK has no rate limiter and, with its default options, retries
nothing, so a throttled call is simply an error. Our own benchmarks keep many calls in flight under a
per-action token bucket; this is the number they are compared with in ``run_all.py``.

Two measurements:
- throughput: N sequential ``QueryChatappPhoneNumbers`` (one action), then N of each of two actions,
  alternating (what ``client_throughput.py`` does concurrently). At 150 ms latency a sequential loop cannot
  exceed ~6.7 calls/s, whatever the API's budget.
- plan fetch: the same reads ``plan`` makes for ``plan_scale.py``'s generated repository (one
  ``GetCustomerAccountInfo``, one ``QueryChatappPhoneNumbers`` per space, one ``QueryPhoneBusinessProfile``
  per present number that declares a profile), sequentially. Its wall time and its throttling errors.

The loop keeps going after an error (a real script would stop at the first one) so the figures cover
every call; the errors are counted, with the throttling ones apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import EXAMPLE_STATE, THROTTLING_CODES
from alibabacloud_bssopenapi20171214 import models as bss_models
from alibabacloud_bssopenapi20171214.client import Client as BssSdk
from alibabacloud_cams20200606 import models as cams_models
from alibabacloud_cams20200606.client import Client as CamsSdk
from alibabacloud_tea_openapi.utils_models import Config

from reconciler.emulator import start_emulator

# globex-support in examples/emulator-state.yaml, as client_throughput.py uses.
SPACE, NUMBER = "293483938849003", "14155550123"


@dataclass(frozen=True)
class BaselineResult:
    """``calls`` made one after another in ``seconds``; ``errors`` of them failed, ``throttled`` of those by
    the API's rate limit."""

    calls: int
    seconds: float
    errors: int
    throttled: int

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def describe(self) -> str:
        return (f"{self.calls} sequential SDK calls in {self.seconds:.2f} s = {self.rate:.2f} calls/s; "
                f"{self.errors} failed, {self.throttled} of them throttled (the SDK retries nothing)")


class SequentialLoop:
    """Runs SDK calls one at a time and tallies the outcome of each."""

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.throttled = 0

    def call(self, fn: Callable[[], Any]) -> Any | None:
        """The call's response, or None if it raised (counted; a throttling code is counted apart)."""
        self.calls += 1
        try:
            return fn()
        except Exception as exc:  # the SDK's exceptions carry .code; anything else is a plain failure
            self.errors += 1
            if getattr(exc, "code", None) in THROTTLING_CODES:
                self.throttled += 1
            return None

    def result(self, seconds: float) -> BaselineResult:
        return BaselineResult(self.calls, seconds, self.errors, self.throttled)


def sdk_config(endpoint: str, credentials: tuple[str, str]) -> Config:
    """The SDK's config for the emulator: ``endpoint`` is ``host:port``; the SDK signs ``host`` with it."""
    key, secret = credentials
    return Config(access_key_id=key, access_key_secret=secret, endpoint=endpoint, protocol="http")


def throughput(endpoint: str, credentials: tuple[str, str], actions: Sequence[str], calls: int) -> BaselineResult:
    """``calls`` sequential calls of each of ``actions`` (interleaved)."""
    sdk = CamsSdk(sdk_config(endpoint, credentials))
    numbers = cams_models.QueryChatappPhoneNumbersRequest(cust_space_id=SPACE)
    profile = cams_models.QueryPhoneBusinessProfileRequest(cust_space_id=SPACE, phone_number=NUMBER)
    do: dict[str, Callable[[], Any]] = {
        "QueryChatappPhoneNumbers": lambda: sdk.query_chatapp_phone_numbers(numbers),
        "QueryPhoneBusinessProfile": lambda: sdk.query_phone_business_profile(profile),
    }
    loop = SequentialLoop()
    start = time.perf_counter()
    for _ in range(calls):
        for action in actions:
            loop.call(do[action])
    return loop.result(time.perf_counter() - start)


def plan_fetch(endpoint: str, credentials: tuple[str, str],
               spaces: Iterable[tuple[str, frozenset[str]]]) -> BaselineResult:
    """The reads a plan makes, one after another. ``spaces``: (cust space id, the phone numbers that declare
    a business profile); a profile is read only for a number the space actually has, as ``plan`` does."""
    cams = CamsSdk(sdk_config(endpoint, credentials))
    bss = BssSdk(sdk_config(endpoint, credentials))
    loop = SequentialLoop()
    start = time.perf_counter()
    loop.call(lambda: bss.get_customer_account_info(bss_models.GetCustomerAccountInfoRequest()))
    for space_id, with_profile in spaces:
        request = cams_models.QueryChatappPhoneNumbersRequest(cust_space_id=space_id)
        response = loop.call(lambda request=request: cams.query_chatapp_phone_numbers(request))
        present = [n.phone_number for n in (response.body.phone_numbers or [])] if response is not None else []
        for phone in present:
            if phone in with_profile:
                ask = cams_models.QueryPhoneBusinessProfileRequest(cust_space_id=space_id, phone_number=phone)
                loop.call(lambda ask=ask: cams.query_phone_business_profile(ask))
    return loop.result(time.perf_counter() - start)


def measure_throughput(actions: Sequence[str], *, qps: float, latency_ms: float, calls: int,
                       state: str | Path = EXAMPLE_STATE, audit_log: Path | None = None) -> BaselineResult:
    """``throughput`` against a fresh emulator at ``qps``/``latency_ms``."""
    with start_emulator(state, qps=qps, latency_ms=latency_ms, audit_log=audit_log) as emu:
        return throughput(emu.endpoint, emu.credentials, actions, calls)


def measure_plan_fetch(n_spaces: int, n_numbers: int, *, qps: float, latency_ms: float,
                       audit_log: Path | None = None) -> BaselineResult:
    """``plan_fetch`` of ``plan_scale.py``'s generated repository against a fresh emulator."""
    from plan_scale import desired_state, emulator_state, layout

    per_space = layout(n_spaces, n_numbers)
    desired = desired_state(per_space)
    spaces = [(s.cust_space_id, frozenset(n.phone_number for n in s.numbers if n.block("business_profile") is not None))
              for s in desired.spaces]
    with start_emulator(emulator_state(per_space), qps=qps, latency_ms=latency_ms, audit_log=audit_log) as emu:
        return plan_fetch(emu.endpoint, emu.credentials, spaces)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and low latency (a smoke run)")
    args = parser.parse_args()
    calls, latency = (20, 50.0) if args.quick else (200, 150.0)
    spaces, numbers, plan_latency = (20, 100, 10.0) if args.quick else (200, 1000, 50.0)
    one = measure_throughput(["QueryChatappPhoneNumbers"], qps=10, latency_ms=latency, calls=calls)
    print(f"[throughput] one action, qps 10, latency {latency:g} ms: {one.describe()}")
    two = measure_throughput(["QueryChatappPhoneNumbers", "QueryPhoneBusinessProfile"], qps=10,
                             latency_ms=latency, calls=calls)
    print(f"[throughput] two actions, qps 10, latency {latency:g} ms: {two.describe()}")
    fetch = measure_plan_fetch(spaces, numbers, qps=50, latency_ms=plan_latency)
    print(f"[plan fetch] {spaces} spaces, {numbers} numbers, qps 50, latency {plan_latency:g} ms: "
          f"{fetch.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
