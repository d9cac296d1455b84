"""Plan at scale. Prints figures; asserts nothing about time (see the 'verdict' lines).

1. Fetch: 200 spaces, 1,000 numbers (half declaring a business profile), against the strict emulator
   (at most --qps requests in any trailing second per account and action) at the documented 10/s, 100 ms
   latency, client at the same qps. The plan's wall time is compared with its floor, the busiest action's
   calls / qps: it must be within 1.05x, with no throttled answer and every space read.
2. Computation alone for 10,000 numbers: load + validate the YAML, diff against an in-memory actual state,
   render every format. Must take under 3 s.

The large estate (``run_all.py`` row 6) is the fetch at 2,000 spaces / 20,000 numbers, one number in 20
declaring a profile, with the emulator as its own process (``--emulator-process``) and the client in a
fresh one, so the peak memory reported is the plan's own:

    python benchmarks/plan_scale.py [--spaces 200] [--numbers 1000] [--qps 10] [--latency-ms 100]
        [--profile-every 2] [--limiter window|bucket] [--emulator-process] [--big 10000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import emulator_process, peak_rss_mb

from reconciler.client import CamsClient, Credentials
from reconciler.core.model import DesiredState, Number, Space
from reconciler.core.plan import Plan, PlannedSpace, Preflight
from reconciler.core.source import Source
from reconciler.emulator import start_emulator
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import diff_space
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.planner import make_plan
from reconciler.kinds.business_profile import BusinessProfile
from reconciler.kinds.expect import Expect
from reconciler.kinds.webhooks import Webhooks
from reconciler.render import FORMATS, render

QPS = 10.0
LATENCY_MS = 100.0
#: the fetch bound: the plan's wall time within this factor of its floor (issue 12)
FLOOR_FACTOR = 1.05


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


def emulator_state(per_space: list[list[int]], profile_every: int = 2) -> dict[str, Any]:
    spaces: dict[str, Any] = {}
    for s, idx in enumerate(per_space):
        spaces[space_id(s)] = {
            "phone_numbers": [api_item(s, i, stale=i % 7 == 0) for i in idx],
            "business_profiles": {phone(i): api_profile(s, i) for i in idx if i % profile_every == 0},
        }
    return {"keys": [{"access_key_id": "bench", "access_key_secret": "bench-secret"}],
            "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": spaces}


def desired_number(s: int, i: int, file: str, line: int, profile_every: int = 2) -> Number:
    return Number.of(
        phone(i), "+" + phone(i), Source(file, line, 5),
        webhooks=Webhooks(status_url(s), f"https://hooks.example/{s}/inbound"),
        business_profile=BusinessProfile(vertical="RETAIL", about=f"Shop {s}", email=f"ops{s}@example.com",
                                         websites=(f"https://s{s}.example",)) if i % profile_every == 0 else None,
        expect=Expect(status=("CONNECTED",), quality_rating=("GREEN",)),
    )


def desired_state(per_space: list[list[int]], profile_every: int = 2) -> DesiredState:
    spaces = []
    for s, idx in enumerate(per_space):
        file = f"spaces/space-{s}.yaml"
        spaces.append(Space(f"space-{s}", space_id(s), Source(file, 1),
                            tuple(desired_number(s, i, file, 10 + 12 * k, profile_every)
                                  for k, i in enumerate(idx))))
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
    throttled: int  # throttling answers the client received (and absorbed)
    retries: int
    failed: int  # calls that ended in an error
    failed_reads: int  # spaces the plan could not read
    summary: str
    peak_rss_mb: float = 0.0  # of the process that planned (meaningful in a fresh process)
    limiter: str = "window"

    @property
    def busiest(self) -> tuple[str, int]:
        return max(self.calls.items(), key=lambda kv: kv[1])

    @property
    def ideal(self) -> float:
        """The floor: the least wall time the API budget allows, the busiest action's calls at ``qps``."""
        return self.busiest[1] / self.qps

    @property
    def ok(self) -> bool:
        return (self.wall <= FLOOR_FACTOR * self.ideal and self.failed == 0 and self.failed_reads == 0
                and self.throttled == 0)

    def lines(self) -> list[str]:
        busiest, calls = self.busiest
        return [
            f"[fetch] {self.spaces} spaces, {self.numbers} numbers; {self.limiter} limiter at {self.qps:g}/s, "
            f"latency {self.latency_ms:g} ms; calls: " + ", ".join(f"{a} {n}" for a, n in sorted(self.calls.items())),
            f"[fetch] wall {self.wall:.2f} s; floor {self.ideal:.2f} s ({busiest} {calls} / {self.qps:g} qps); "
            f"ratio {self.wall / self.ideal:.3f}; throttled answers {self.throttled}, retries {self.retries}, "
            f"failed calls {self.failed}, spaces not read {self.failed_reads}; peak memory {self.peak_rss_mb:.0f} MB",
            f"[fetch] {self.summary}",
            f"[fetch] verdict: {'PASS' if self.ok else 'FAIL'} (ratio <= {FLOOR_FACTOR}, no throttled answer, "
            "every space read)",
        ]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "calls": dict(self.calls)}


def measure_fetch(n_spaces: int, n_numbers: int, *, qps: float = QPS, latency_ms: float = LATENCY_MS,
                  audit_log: Path | None = None, profile_every: int = 2, limiter: str = "window",
                  separate_emulator: bool = False) -> FetchResult:
    """``make_plan`` (fetch + diff) of ``n_spaces``/``n_numbers`` against an emulator at ``qps``/``latency_ms``.

    ``separate_emulator``: run the emulator as its own process (else in-process, on a thread).
    """
    per_space = layout(n_spaces, n_numbers)
    desired = desired_state(per_space, profile_every)
    state = emulator_state(per_space, profile_every)
    if separate_emulator:
        server = emulator_process(state, qps=qps, latency_ms=latency_ms, limiter=limiter, audit_log=audit_log)
    else:
        server = start_emulator(state, qps=qps, latency_ms=latency_ms, audit_log=audit_log, limiter=limiter)
    del state
    with server as emu:
        async def go() -> tuple[Plan, Any, float]:
            async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=qps) as client:
                t0 = time.perf_counter()
                plan = await make_plan(client, desired, env={})
                return plan, client.stats, time.perf_counter() - t0

        plan, stats, wall = asyncio.run(go())
    total = stats.total()
    return FetchResult(n_spaces, n_numbers, qps, latency_ms, wall, dict(plan.calls), total.throttled,
                       total.retries, total.failed, len(plan.errors), plan.summary_line(), peak_rss_mb(), limiter)


def measure_fetch_isolated(n_spaces: int, n_numbers: int, *, qps: float, latency_ms: float, profile_every: int,
                           audit_log: Path | None = None) -> FetchResult:
    """``measure_fetch`` in a fresh Python process with the emulator in another: the peak memory is the
    plan's own, not whatever the calling process held before."""
    with tempfile.TemporaryDirectory(prefix="cams-bench-fetch-") as tmp:
        out = Path(tmp) / "fetch.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--spaces", str(n_spaces), "--numbers",
                str(n_numbers), "--qps", f"{qps:g}", "--latency-ms", f"{latency_ms:g}", "--profile-every",
                str(profile_every), "--emulator-process", "--skip-compute", "--json", str(out)]
        if audit_log is not None:
            argv += ["--audit-log", str(audit_log)]
        proc = subprocess.run(argv, capture_output=True, text=True)
        if not out.exists():
            raise RuntimeError(f"the fetch benchmark failed (exit {proc.returncode}): "
                               f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
        data = json.loads(out.read_text(encoding="utf-8"))
    return FetchResult(**data)


def bench_fetch(args: argparse.Namespace) -> bool:
    result = measure_fetch(args.spaces, args.numbers, qps=args.qps, latency_ms=args.latency_ms,
                           profile_every=args.profile_every, limiter=args.limiter,
                           separate_emulator=args.emulator_process,
                           audit_log=Path(args.audit_log) if args.audit_log else None)
    for line in result.lines():
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
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
                                       {"business_profile": dict(v["business_profiles"])})
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
    parser.add_argument("--qps", type=float, default=QPS)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--profile-every", type=int, default=2, help="one number in N declares a business profile")
    parser.add_argument("--limiter", choices=("window", "bucket"), default="window",
                        help="the emulator's flow-control model (default: the strict window)")
    parser.add_argument("--emulator-process", action="store_true", help="run the emulator as its own process")
    parser.add_argument("--audit-log", help="where the emulator writes its request log")
    parser.add_argument("--json", help="write the fetch figures as JSON to this file")
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--skip-fetch", action="store_true")
    parser.add_argument("--skip-compute", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_fetch:
        ok &= bench_fetch(args)
    if not args.skip_compute:
        ok &= bench_compute(args.big)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
