"""Plan at scale. Prints figures; asserts nothing about time (see the 'verdict' lines).

1. Fetch bound: 200 spaces, 1,000 numbers (half declaring a business profile), emulator at --qps 50
   --latency-ms 50, client at 50 qps. The plan's wall time is compared with the bound set by the busiest
   action (its calls / qps): it must be within 1.15x, and no throttling error may surface.
2. Computation alone for 10,000 numbers: load + validate the YAML, diff against an in-memory actual state,
   render every format. Must take under 3 s.

    /work/venv/bin/python benchmarks/plan_scale.py [--spaces 200] [--numbers 1000] [--big 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reconciler.client import CamsClient, Credentials
from reconciler.config.model import BusinessProfile, DesiredState, Expect, Number, Source, Space, Webhooks
from reconciler.emulator import start_emulator
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import diff_space
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.plan import Plan, PlannedSpace, Preflight
from reconciler.engine.planner import make_plan
from reconciler.render import FORMATS, render

QPS = 50.0


def phone(i: int) -> str:
    return f"86139{i:08d}"


def space_id(s: int) -> str:
    return f"{500000000000000 + s}"


def status_url(s: int) -> str:
    return f"https://hooks.example/{s}/status?token=t{s}"


def api_item(s: int, i: int, *, stale: bool) -> dict[str, Any]:
    return {"PhoneNumber": phone(i), "VerifiedName": f"Space {s}", "Status": "CONNECTED",
            "QualityRating": "YELLOW" if i % 97 == 0 else "GREEN", "CodeVerificationStatus": "VERIFIED",
            "NameStatus": "Approval", "NewNameStatus": "Approval", "MessagingLimitTier": "TIER_10K",
            "StatusCallbackUrl": "https://old.example/status" if stale else status_url(s),
            "UpCallbackUrl": f"https://hooks.example/{s}/inbound",
            "StatusQueue": f"Alicom-Queue-{s}-ChatAppStatus", "UpQueue": f"Alicom-Queue-{s}-ChatAppInbound"}


def api_profile(s: int, i: int) -> dict[str, Any]:
    return {"Vertical": "RETAIL", "About": f"Shop {s}" if i % 10 else "Old about", "Email": f"ops{s}@example.com",
            "Websites": [f"https://s{s}.example"]}


def layout(spaces: int, numbers: int) -> list[list[int]]:
    """Number indexes per space, spread evenly."""
    per = [[] for _ in range(spaces)]
    for i in range(numbers):
        per[i % spaces].append(i)
    return per


def emulator_state(per_space: list[list[int]]) -> dict[str, Any]:
    spaces: dict[str, Any] = {}
    for s, idx in enumerate(per_space):
        spaces[space_id(s)] = {
            "phone_numbers": [api_item(s, i, stale=i % 7 == 0) for i in idx],
            "business_profiles": {phone(i): api_profile(s, i) for i in idx if i % 2 == 0},
        }
    return {"keys": [{"access_key_id": "bench", "access_key_secret": "bench-secret"}],
            "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": spaces}


def desired_number(s: int, i: int, file: str, line: int) -> Number:
    return Number(
        phone(i), "+" + phone(i), Source(file, line, 5),
        webhooks=Webhooks(status_url(s), f"https://hooks.example/{s}/inbound"),
        business_profile=BusinessProfile(vertical="RETAIL", about=f"Shop {s}", email=f"ops{s}@example.com",
                                         websites=(f"https://s{s}.example",)) if i % 2 == 0 else None,
        expect=Expect(status=("CONNECTED",), quality_rating=("GREEN",)),
    )


def desired_state(per_space: list[list[int]]) -> DesiredState:
    spaces = []
    for s, idx in enumerate(per_space):
        file = f"spaces/space-{s}.yaml"
        spaces.append(Space(f"space-{s}", space_id(s), Source(file, 1),
                            tuple(desired_number(s, i, file, 10 + 12 * k) for k, i in enumerate(idx))))
    return DesiredState(tuple(spaces), tuple(f"spaces/space-{s}.yaml" for s in range(len(per_space))))


def bench_fetch(n_spaces: int, n_numbers: int) -> bool:
    per_space = layout(n_spaces, n_numbers)
    desired = desired_state(per_space)
    with start_emulator(emulator_state(per_space), qps=QPS, latency_ms=50) as emu:
        async def go() -> tuple[Plan, Any, float]:
            async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=QPS) as client:
                t0 = time.perf_counter()
                plan = await make_plan(client, desired, env={})
                return plan, client.stats, time.perf_counter() - t0

        plan, stats, wall = asyncio.run(go())
    busiest, calls = max(plan.calls.items(), key=lambda kv: kv[1])
    bound = calls / QPS
    ratio = wall / bound
    total = stats.total()
    print(f"[fetch] {n_spaces} spaces, {n_numbers} numbers; calls: "
          + ", ".join(f"{a} {n}" for a, n in sorted(plan.calls.items())))
    print(f"[fetch] wall {wall:.2f} s; bound {bound:.2f} s ({busiest} {calls} / {QPS:g} qps); "
          f"ratio {ratio:.3f}; throttled answers {total.throttled}, retries {total.retries}, failed {total.failed}")
    print(f"[fetch] {plan.summary_line()}")
    ok = ratio <= 1.15 and total.failed == 0
    print(f"[fetch] verdict: {'PASS' if ok else 'FAIL'} (ratio <= 1.15 and no failed call)")
    return ok


def spaces_yaml(per_space: list[list[int]]) -> dict[str, str]:
    """One YAML file per space, in the examples' format (see examples/spaces)."""
    files: dict[str, str] = {}
    for s, idx in enumerate(per_space):
        lines = ["version: 1", "spaces:", f"  - name: space-{s}", f'    cust_space_id: "{space_id(s)}"',
                 "    defaults:", "      webhooks:", f"        status_callback_url: {status_url(s)}",
                 f"        up_callback_url: https://hooks.example/{s}/inbound",
                 "      expect:", "        status: [CONNECTED]", "        quality_rating: [GREEN]", "    numbers:"]
        for i in idx:
            lines.append(f'      - phone_number: "+{phone(i)}"')
            if i % 2 == 0:
                lines += ["        business_profile:", "          vertical: RETAIL", f"          about: Shop {s}",
                          f"          email: ops{s}@example.com", "          websites:",
                          f"            - https://s{s}.example"]
        files[f"space-{s:04d}.yaml"] = "\n".join(lines) + "\n"
    return files


def bench_compute(n_numbers: int) -> bool:
    from reconciler.config import load_desired_state

    n_spaces = max(1, n_numbers // 25)
    per_space = layout(n_spaces, n_numbers)
    state = emulator_state(per_space)
    actual = {space_id(s): ActualSpace(space_id(s), index_numbers(v["phone_numbers"]),
                                       {p: d for p, d in v["business_profiles"].items()})
              for s, v in enumerate(state["spaces"].values())}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in spaces_yaml(per_space).items():
            Path(tmp, name).write_text(text, encoding="utf-8")
        t0 = time.perf_counter()
        desired = load_desired_state([tmp])
        t1 = time.perf_counter()
        changes = [c for sp in desired.spaces for c in diff_space(sp, actual[sp.cust_space_id], env=os.environ)]
        planned = tuple(PlannedSpace(sp.name, sp.cust_space_id, sp.file, actual[sp.cust_space_id].fingerprint())
                        for sp in desired.spaces)
        plan = Plan(tuple(changes), planned, desired_fingerprint(desired.spaces), Preflight("ok"),
                    {"QueryChatappPhoneNumbers": n_spaces})
        t2 = time.perf_counter()
        sizes = {fmt: len(render(plan, fmt, plan_json_path="plan.json")) for fmt in FORMATS}
        t3 = time.perf_counter()
    total = t3 - t0
    print(f"[compute] {n_numbers} numbers in {n_spaces} files: load+validate {t1 - t0:.2f} s, "
          f"diff+fingerprints {t2 - t1:.2f} s, render all formats {t3 - t2:.2f} s; total {total:.2f} s")
    print(f"[compute] {len(plan.changes)} changes; output sizes: "
          + ", ".join(f"{k} {v:,} chars" for k, v in sizes.items()))
    ok = total < 3.0 and sizes["markdown"] < 60_000
    print(f"[compute] verdict: {'PASS' if ok else 'FAIL'} (< 3 s, markdown < 60,000 chars)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spaces", type=int, default=200)
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--skip-fetch", action="store_true")
    parser.add_argument("--skip-compute", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_fetch:
        ok &= bench_fetch(args.spaces, args.numbers)
    if not args.skip_compute:
        ok &= bench_compute(args.big)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
