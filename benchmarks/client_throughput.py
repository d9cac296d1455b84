"""Client throughput against the in-process emulator: how close to the API's rate bound do we get?

    python benchmarks/client_throughput.py [--qps 10] [--latency-ms 150] [--calls 200] [--fault-rate 0]

The emulator enforces ``--qps`` per (access key, action), like CAMS (10/s), and answers after
``--latency-ms`` (Singapore is 100-300 ms away). Phase 1 makes ``--calls`` calls of one action, all issued
at once; phase 2 makes ``--calls`` calls each of two actions at once. Each phase gets a fresh emulator.
``run_all.py`` calls ``measure_phase`` and compares it with ``sdk_baseline.py``. The bound is ``qps`` per action, so a
client that keeps several requests in flight reaches ~1.0 of it; one that waits for each answer before
sending the next gets 1000/latency_ms calls/s at best (6.7/s at 150 ms).

Prints, per phase: calls/s, ratio to the bound, retries, throttled answers, errors surfaced, and the
largest number of requests in flight at once. Exit status 1 if any call failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.client import CamsClient, ClientError, Credentials
from reconciler.emulator import start_emulator

REPO = Path(__file__).resolve().parent.parent
SPACE, NUMBER = "293483938849003", "14155550123"  # globex-support in examples/emulator-state.yaml


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport to record how many requests are in flight at once."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class PhaseResult:
    name: str
    calls: int
    seconds: float
    bound: float
    retries: int
    throttled: int
    errors: int
    max_in_flight: int

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def line(self) -> str:
        return (f"{self.name:<28} {self.calls:>4} calls in {self.seconds:6.2f} s = {self.rate:6.2f} calls/s  "
                f"ratio to bound {self.rate / self.bound:5.3f} (bound {self.bound:g}/s)  retries {self.retries}  "
                f"throttled {self.throttled}  errors {self.errors}  max in flight {self.max_in_flight}")


async def run_phase(name: str, url: str, credentials: Credentials, qps: float, actions: list[str],
                    calls: int) -> PhaseResult:
    transport = CountingTransport()
    async with CamsClient(credentials, endpoint=url, qps=qps, transport=transport) as client:
        def one(action: str):
            if action == "QueryChatappPhoneNumbers":
                return client.query_phone_numbers(SPACE)
            return client.call("QueryPhoneBusinessProfile", {"CustSpaceId": SPACE, "PhoneNumber": NUMBER})

        coros = [one(action) for action in actions for _ in range(calls)]
        start = time.perf_counter()
        results = await asyncio.gather(*coros, return_exceptions=True)
        seconds = time.perf_counter() - start
        errors = [r for r in results if isinstance(r, BaseException)]
        for err in errors[:3]:
            print(f"  error: {err}", file=sys.stderr)
        total = client.stats.total()
        return PhaseResult(name, len(coros), seconds, qps * len(actions), total.retries, total.throttled,
                           len(errors), transport.max_in_flight)


def measure_phase(state: str | Path | dict, name: str, actions: list[str], *, qps: float, latency_ms: float,
                  calls: int, fault_rate: float = 0.0, seed: int | None = 1,
                  audit_log: Path | None = None) -> PhaseResult:
    """One phase against a fresh emulator (so one phase's rate-limit state cannot help or hurt the next).

    ``audit_log``: where the emulator writes its request log, for a server-side count of the requests.
    """
    with start_emulator(state, qps=qps, latency_ms=latency_ms, fault_rate=fault_rate, seed=seed,
                        audit_log=audit_log) as emu:
        return asyncio.run(run_phase(name, emu.url, Credentials(*emu.credentials), qps, actions, calls))


ONE_ACTION = ["QueryChatappPhoneNumbers"]
TWO_ACTIONS = ["QueryChatappPhoneNumbers", "QueryPhoneBusinessProfile"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qps", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--calls", type=int, default=200, help="calls per action (default 200)")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state", default=str(REPO / "examples" / "emulator-state.yaml"))
    args = parser.parse_args()
    print(f"emulator: qps {args.qps:g} per (key, action), latency {args.latency_ms:g} ms, "
          f"fault rate {args.fault_rate:g}; client qps {args.qps:g}")
    try:
        phases = [measure_phase(args.state, name, actions, qps=args.qps, latency_ms=args.latency_ms,
                                calls=args.calls, fault_rate=args.fault_rate, seed=args.seed)
                  for name, actions in (("one action", ONE_ACTION), ("two actions concurrently", TWO_ACTIONS))]
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for phase in phases:
        print(phase.line())
    return 1 if any(p.errors for p in phases) else 0


if __name__ == "__main__":
    sys.exit(main())
