"""Two accounts read side by side: a plan of N spaces in each of two accounts takes about as long as a plan
of N spaces in one. Prints figures; asserts nothing about time (see the 'verdict' line).

CAMS counts its 10/s per account and API, so each account's spaces have their own budget: the reconciler
opens one client per account (``AccountClients``) sharing one rate limiter keyed by account, and the
emulator enforces its limit per account too. The figure is the ratio of the two plans' wall times; the
bound is 1.15 (the one account's plan is itself paced at ``spaces / qps``).

    /work/venv/bin/python benchmarks/accounts_plan.py [--spaces 200] [--qps 50] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from plan_scale import api_item, desired_number, space_id  # the scale benchmark's generators

from reconciler.client import CamsClient, Credentials
from reconciler.client.ratelimit import RateLimiter
from reconciler.client.stats import ClientStats
from reconciler.core.model import Account, DesiredState, Number, Space
from reconciler.core.source import Source
from reconciler.emulator import start_emulator
from reconciler.engine.accounts import AccountClients
from reconciler.engine.planner import make_plan

ACCOUNTS = ("north", "south")
NUMBERS_PER_SPACE = 3


def emulator_state(spaces: int) -> dict[str, Any]:
    """Both accounts, ``spaces`` spaces each, a few numbers per space (no profiles: one read per space)."""
    accounts: dict[str, Any] = {}
    for a, name in enumerate(ACCOUNTS):
        own = {}
        for s in range(a * spaces, (a + 1) * spaces):
            own[space_id(s)] = {"phone_numbers": [api_item(s, s * NUMBERS_PER_SPACE + k, stale=False)
                                                  for k in range(NUMBERS_PER_SPACE)]}
        accounts[name] = {"keys": [{"access_key_id": f"key-{name}", "access_key_secret": f"{name}-secret"}],
                          "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw"},
                          "spaces": own}
    return {"accounts": accounts}


def without_profile(number: Number) -> Number:
    return replace(number, blocks={k: v for k, v in number.blocks.items() if k != "business_profile"})


def desired_state(spaces: int, accounts: int) -> DesiredState:
    out = []
    for a in range(accounts):
        for s in range(a * spaces, (a + 1) * spaces):
            file = f"spaces/space-{s}.yaml"
            numbers = tuple(without_profile(desired_number(s, s * NUMBERS_PER_SPACE + k, file, 10 + 12 * k))
                            for k in range(NUMBERS_PER_SPACE))
            out.append(Space(f"space-{s}", space_id(s), Source(file, 1), numbers, account=ACCOUNTS[a]))
    declared = tuple(Account(name, Source("accounts.yaml", 3 + 3 * i), access_key_id_env="X",
                             access_key_secret_env="Y") for i, name in enumerate(ACCOUNTS[:accounts]))
    return DesiredState(tuple(out), tuple(sorted({s.file for s in out})), accounts=declared)


@dataclass(frozen=True)
class Timing:
    accounts: int
    spaces: int
    wall: float
    calls: dict[str, int]
    failed: int


async def _plan(url: str, desired: DesiredState, qps: float) -> tuple[float, dict[str, int], int]:
    limiter, stats = RateLimiter(qps), ClientStats()
    clients = {name: CamsClient(Credentials(f"key-{name}", f"{name}-secret"), endpoint=url, qps=qps,
                                limiter=limiter, stats=stats)
               for name in desired.account_names}
    try:
        started = time.perf_counter()
        plan = await make_plan(AccountClients.for_desired(clients, desired, stats=stats), desired)
        wall = time.perf_counter() - started
    finally:
        for client in clients.values():
            await client.aclose()
    return wall, dict(plan.calls), len(plan.errors)


def measure(spaces: int, accounts: int, *, qps: float, latency_ms: float,
            audit_log: str | Path | None = None) -> Timing:
    with start_emulator(emulator_state(spaces), qps=qps, latency_ms=latency_ms, audit_log=audit_log) as emu:
        wall, calls, failed = asyncio.run(_plan(emu.url, desired_state(spaces, accounts), qps))
    return Timing(accounts, spaces, wall, calls, failed)


def compare(spaces: int, *, qps: float, latency_ms: float) -> tuple[Timing, Timing]:
    return (measure(spaces, 1, qps=qps, latency_ms=latency_ms),
            measure(spaces, 2, qps=qps, latency_ms=latency_ms))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", type=int, default=200, help="spaces per account (default 200)")
    parser.add_argument("--qps", type=float, default=50.0, help="emulator and client qps (default 50)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="emulator latency (default 50 ms)")
    args = parser.parse_args()
    one, two = compare(args.spaces, qps=args.qps, latency_ms=args.latency_ms)
    for t in (one, two):
        print(f"[accounts] {t.accounts} account(s) x {t.spaces} spaces: wall {t.wall:.2f} s; calls "
              + ", ".join(f"{a} {n}" for a, n in sorted(t.calls.items())) + f"; failed spaces {t.failed}")
    ratio = two.wall / one.wall
    ok = ratio <= 1.15 and one.failed == two.failed == 0
    print(f"[accounts] two accounts / one account: {ratio:.3f} (bound <= 1.15)")
    print(f"[accounts] verdict: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
