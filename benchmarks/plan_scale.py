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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FetchResult:
    """A plan of a generated repository against the emulator: its wall time and what it cost."""

    spaces: int
    numbers: int
    qps: float
    latency_ms: float
    wall: float
    calls: dict[str, int]
    throttled: int
    retries: int
    failed: int
    summary: str

    @property
    def busiest(self) -> tuple[str, int]:
        return max(self.calls.items(), key=lambda kv: kv[1])

    @property
    def ideal(self) -> float:
        """The least wall time the API budget allows: the busiest action's calls at ``qps``."""
        return self.busiest[1] / self.qps

    @property
    def ok(self) -> bool:
        return self.wall <= 1.15 * self.ideal and self.failed == 0

    def lines(self) -> list[str]:
        busiest, calls = self.busiest
        return [
            f"[fetch] {self.spaces} spaces, {self.numbers} numbers; calls: "
            + ", ".join(f"{a} {n}" for a, n in sorted(self.calls.items())),
            f"[fetch] wall {self.wall:.2f} s; bound {self.ideal:.2f} s ({busiest} {calls} / {self.qps:g} qps); "
            f"ratio {self.wall / self.ideal:.3f}; throttled answers {self.throttled}, retries {self.retries}, "
            f"failed {self.failed}",
            f"[fetch] {self.summary}",
            f"[fetch] verdict: {'PASS' if self.ok else 'FAIL'} (ratio <= 1.15 and no failed call)",
        ]


def measure_fetch(n_spaces: int, n_numbers: int, *, qps: float = QPS, latency_ms: float = 50.0,
                  audit_log: Path | None = None) -> FetchResult:
    """``make_plan`` (fetch + diff) of ``n_spaces``/``n_numbers`` against an emulator at ``qps``/``latency_ms``."""
    per_space = layout(n_spaces, n_numbers)
    desired = desired_state(per_space)
    with start_emulator(emulator_state(per_space), qps=qps, latency_ms=latency_ms, audit_log=audit_log) as emu:
        async def go() -> tuple[Plan, Any, float]:
            async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=qps) as client:
                t0 = time.perf_counter()
                plan = await make_plan(client, desired, env={})
                return plan, client.stats, time.perf_counter() - t0

        plan, stats, wall = asyncio.run(go())
    total = stats.total()
    return FetchResult(n_spaces, n_numbers, qps, latency_ms, wall, dict(plan.calls), total.throttled,
                       total.retries, total.failed, plan.summary_line())


def bench_fetch(n_spaces: int, n_numbers: int) -> bool:
    result = measure_fetch(n_spaces, n_numbers)
    for line in result.lines():
        print(line)
    return result.ok


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


@dataclass(frozen=True)
class ComputeResult:
    """Plan computation alone (no network) for a generated repository, by stage."""

    numbers: int
    files: int
    load: float
    diff: float
    render: float
    changes: int
    sizes: dict[str, int]
    cpu: float  # this process's CPU seconds for the three stages: far below the wall total = a busy machine

    @property
    def total(self) -> float:
        return self.load + self.diff + self.render

    @property
    def markdown_ok(self) -> bool:
        """A GitHub PR comment holds at most 65,536 characters; the renderer aims under 60,000."""
        return self.sizes.get("markdown", 0) < 60_000

    def lines(self, bound: float = 3.0) -> list[str]:
        return [
            f"[compute] {self.numbers} numbers in {self.files} files: load+validate {self.load:.2f} s, "
            f"diff+fingerprints {self.diff:.2f} s, render all formats {self.render:.2f} s; total {self.total:.2f} s "
            f"(CPU {self.cpu:.2f} s)",
            f"[compute] {self.changes} changes; output sizes: "
            + ", ".join(f"{k} {v:,} chars" for k, v in self.sizes.items()),
            f"[compute] verdict: {'PASS' if self.total < bound and self.markdown_ok else 'FAIL'} "
            f"(< {bound:g} s, markdown < 60,000 chars)",
        ]


def measure_compute(n_numbers: int) -> ComputeResult:
    """Load + validate YAML files, diff against an in-memory actual state, render every format."""
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
        t0, cpu0 = time.perf_counter(), time.process_time()
        desired = load_desired_state([tmp])
        t1 = time.perf_counter()
        changes = [c for sp in desired.spaces for c in diff_space(sp, actual[sp.cust_space_id], env=os.environ)]
        planned = tuple(PlannedSpace(sp.name, sp.cust_space_id, sp.file, actual[sp.cust_space_id].fingerprint())
                        for sp in desired.spaces)
        plan = Plan(tuple(changes), planned, desired_fingerprint(desired.spaces), Preflight("ok"),
                    {"QueryChatappPhoneNumbers": n_spaces})
        t2 = time.perf_counter()
        sizes = {fmt: len(render(plan, fmt, plan_json_path="plan.json")) for fmt in FORMATS}
        t3, cpu3 = time.perf_counter(), time.process_time()
    return ComputeResult(n_numbers, n_spaces, t1 - t0, t2 - t1, t3 - t2, len(plan.changes), sizes, cpu3 - cpu0)


def bench_compute(n_numbers: int) -> bool:
    result = measure_compute(n_numbers)
    for line in result.lines():
        print(line)
    return result.total < 3.0 and result.markdown_ok


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
