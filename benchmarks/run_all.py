"""Every figure the project promises, measured on this machine, in one table.

    /work/venv/bin/python benchmarks/run_all.py [--quick] [--no-baseline] [--json FILE]

Rows (see benchmarks/README.md for what each means and where its bound comes from):
  1. client throughput, one action      ≥ 0.95 × qps           (issue 3)   emulator qps 10, latency 150 ms
  2. client throughput, two actions     ≥ 0.95 × 2 × qps       (issue 3)
  3. plan wall time, 200 spaces         ≤ 1.05 × floor (busiest action's calls / qps), 0 throttled answers,
                                        every space read (issue 12)        strict emulator at 10/s, 100 ms
  4. plan compute, 10,000 numbers       < 3 s, Markdown comment < 60,000 chars (issue 5)
  5. validate, 10,000 numbers/500 files < 2 s                  (issue 4)
  6. plan, two accounts / one account   ≤ 1.15 × one account's wall time (issue 11): 200 spaces each
  7. large estate, 2,000 spaces / 20,000 numbers at 10/s: ≤ 1.05 × floor, every space read, peak memory
                                        (issue 12)  emulator and plan each in a process of their own
  8. start-up, --version and --help     ≤ 3 × `python -c pass` (issue 15)  the slower of the two, as a ratio
Every network row runs against the strict emulator (at most qps requests in any trailing second per account
and action, refusals counted). Rows 1–3 also show the naive baseline: the official SDK in a sequential loop
against the same emulator and latency (``sdk_baseline.py``), and the ratio ours / baseline.

``--quick`` runs every row at reduced sizes and latency, scaling the time bounds with the size: a smoke run
of the harness (a test calls it), not evidence. The full run takes about nine minutes: the large estate's
floor alone is 200 s, the baseline's sequential loops most of the rest (``--no-large`` skips row 7). Progress goes to stderr, the table to stdout. Exit status: 0 every figure met
its bound, 1 some did not, 2 a measurement failed to run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _common import EXAMPLE_STATE, Baseline, Bound, Row, ServerView, machine_lines, render_notes, render_table


@dataclass(frozen=True)
class Sizes:
    """One run's parameters: the full run uses the sizes the issues set; ``--quick`` shrinks them."""

    quick: bool
    throughput_qps: float = 10.0
    throughput_latency_ms: float = 150.0
    throughput_calls: int = 200
    baseline_calls: int = 200  # per action; a sequential loop's rate does not depend on it, its run time does
    plan_qps: float = 10.0
    plan_latency_ms: float = 100.0
    plan_spaces: int = 200
    plan_numbers: int = 1000
    estate_spaces: int = 2000
    estate_numbers: int = 20_000
    estate_profile_every: int = 20  # 1,000 profile reads: the 2,000 space listings are the busiest action
    estate_qps: float = 10.0
    estate_latency_ms: float = 100.0
    compute_numbers: int = 10_000
    validate_files: int = 500
    validate_per_file: int = 20
    validate_runs: int = 3
    accounts_spaces: int = 200  # per account
    accounts_qps: float = 50.0
    accounts_latency_ms: float = 50.0
    startup_runs: int = 15

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if not quick:
            return cls(quick=False)
        return cls(quick=True, throughput_calls=20, baseline_calls=6, plan_qps=50.0, plan_latency_ms=25.0,
                   plan_spaces=20, plan_numbers=100, estate_spaces=60, estate_numbers=600, estate_qps=50.0,
                   estate_latency_ms=25.0, compute_numbers=1000, validate_files=50, validate_runs=2,
                   accounts_spaces=20, accounts_latency_ms=25.0, startup_runs=3)

    @property
    def scale(self) -> float:
        """How much of the full-size work a time bound covers (1.0 for the full run)."""
        return self.compute_numbers / 10_000


class Runner:
    """Measures each row, keeping going when one fails (the table then says ERROR for it)."""

    def __init__(self, sizes: Sizes, with_baseline: bool, workdir: Path) -> None:
        self.sizes = sizes
        self.with_baseline = with_baseline
        self.workdir = workdir
        self.errors = 0

    def audit_log(self, name: str) -> Path:
        return self.workdir / f"{name}.audit.jsonl"

    def measure(self, row: Row, fill: Callable[[Row], None]) -> Row:
        print(f"measuring: {row.figure} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            fill(row)
        except Exception as exc:  # one broken measurement must not hide the others
            row.value, row.error = None, f"{type(exc).__name__}: {exc}"
            self.errors += 1
        print(f"  done in {time.perf_counter() - started:.1f} s: {row.verdict}", file=sys.stderr, flush=True)
        return row

    # -- rows -----------------------------------------------------------------------------------------------

    def throughput(self, actions: list[str], label: str) -> Row:
        from client_throughput import measure_phase

        s = self.sizes
        row = Row(f"client throughput, {label}", "calls/s",
                  Bound("min", 0.95 * s.throughput_qps * len(actions), "issue 3"))

        def fill(row: Row) -> None:
            log = self.audit_log(f"throughput-{len(actions)}")
            phase = measure_phase(EXAMPLE_STATE, label, actions, qps=s.throughput_qps,
                                  latency_ms=s.throughput_latency_ms, calls=s.throughput_calls, audit_log=log)
            row.value = phase.rate
            row.conditions_ok = phase.errors == 0
            row.detail = (f"{phase.calls} calls issued at once ({s.throughput_calls} per action), emulator "
                          f"qps {s.throughput_qps:g} per action, latency {s.throughput_latency_ms:g} ms: "
                          f"{phase.seconds:.2f} s, {phase.rate / (s.throughput_qps * len(actions)):.3f} of the "
                          f"API budget; client retries {phase.retries}, throttled answers {phase.throttled}, "
                          f"errors {phase.errors}, max in flight {phase.max_in_flight}; "
                          f"{ServerView.from_audit_log(log).describe()}")
            if self.with_baseline:
                from sdk_baseline import measure_throughput

                blog = self.audit_log(f"baseline-throughput-{len(actions)}")
                base = measure_throughput(actions, qps=s.throughput_qps, latency_ms=s.throughput_latency_ms,
                                          calls=s.baseline_calls, audit_log=blog)
                row.baseline = Baseline(base.rate, f"{base.describe()}; {ServerView.from_audit_log(blog).describe()}")

        return self.measure(row, fill)

    def plan_wall(self) -> Row:
        from plan_scale import FLOOR_FACTOR, measure_fetch

        s = self.sizes
        # The bound is the measured floor (busiest action's calls / qps); until the plan has run, the expected
        # count (every number present, half of them declaring a profile) stands in for it.
        expected_floor = max(s.plan_spaces, s.plan_numbers // 2) / s.plan_qps
        row = Row(f"plan wall time, {s.plan_spaces} spaces / {s.plan_numbers:,} numbers", "s",
                  Bound("max", FLOOR_FACTOR * expected_floor, "issue 12"))

        def fill(row: Row) -> None:
            log = self.audit_log("plan")
            fetch = measure_fetch(s.plan_spaces, s.plan_numbers, qps=s.plan_qps, latency_ms=s.plan_latency_ms,
                                  audit_log=log)
            server = ServerView.from_audit_log(log)
            busiest, calls = fetch.busiest
            row.bound = Bound("max", FLOOR_FACTOR * fetch.ideal, "issue 12")
            row.value = fetch.wall
            row.conditions_ok = fetch.failed == 0 and fetch.failed_reads == 0 and fetch.throttled == 0 \
                and server.throttled == 0
            row.detail = (f"strict emulator (window) and client at {s.plan_qps:g}/s, latency {s.plan_latency_ms:g} ms; "
                          "calls " + ", ".join(f"{a} {n}" for a, n in sorted(fetch.calls.items()))
                          + f"; floor {fetch.ideal:.2f} s ({busiest} {calls} / {s.plan_qps:g} qps), wall / floor "
                          f"{fetch.wall / fetch.ideal:.3f}; throttled answers {fetch.throttled}, retries "
                          f"{fetch.retries}, failed calls {fetch.failed}, spaces not read {fetch.failed_reads}; "
                          f"{server.describe()}; {fetch.summary}")
            if self.with_baseline:
                from sdk_baseline import measure_plan_fetch

                blog = self.audit_log("baseline-plan")
                base = measure_plan_fetch(s.plan_spaces, s.plan_numbers, qps=s.plan_qps,
                                          latency_ms=s.plan_latency_ms, audit_log=blog)
                row.baseline = Baseline(base.seconds, f"the same reads: {base.describe()}; "
                                                      f"{ServerView.from_audit_log(blog).describe()}")

        return self.measure(row, fill)

    def large_estate(self) -> Row:
        from plan_scale import FLOOR_FACTOR, measure_fetch_isolated

        s = self.sizes
        expected_floor = max(s.estate_spaces, s.estate_numbers // s.estate_profile_every) / s.estate_qps
        row = Row(f"large estate, {s.estate_spaces:,} spaces / {s.estate_numbers:,} numbers", "s",
                  Bound("max", FLOOR_FACTOR * expected_floor, "issue 12"))

        def fill(row: Row) -> None:
            log = self.audit_log("estate")
            fetch = measure_fetch_isolated(s.estate_spaces, s.estate_numbers, qps=s.estate_qps,
                                           latency_ms=s.estate_latency_ms, profile_every=s.estate_profile_every,
                                           audit_log=log)
            server = ServerView.from_audit_log(log)
            busiest, calls = fetch.busiest
            row.bound = Bound("max", FLOOR_FACTOR * fetch.ideal, "issue 12")
            row.value = fetch.wall
            row.conditions_ok = fetch.failed == 0 and fetch.failed_reads == 0 and server.throttled == 0
            row.detail = (f"plan in a fresh process, emulator in another (strict window, {s.estate_qps:g}/s, latency "
                          f"{s.estate_latency_ms:g} ms), one number in {s.estate_profile_every} declaring a profile; "
                          "calls " + ", ".join(f"{a} {n}" for a, n in sorted(fetch.calls.items()))
                          + f"; floor {fetch.ideal:.1f} s ({busiest} {calls} / {s.estate_qps:g} qps), wall / floor "
                          f"{fetch.wall / fetch.ideal:.3f}; spaces read {s.estate_spaces - fetch.failed_reads:,} of "
                          f"{s.estate_spaces:,}; throttled answers {fetch.throttled}, retries {fetch.retries}, failed "
                          f"calls {fetch.failed}; peak memory of the planning process {fetch.peak_rss_mb:.0f} MB; "
                          f"{server.describe()}")

        return self.measure(row, fill)

    def compute(self) -> Row:
        from plan_scale import measure_compute

        s = self.sizes
        bound = 3.0 * s.scale
        row = Row(f"plan compute, {s.compute_numbers:,} numbers", "s", Bound("max", bound, "issue 5"))

        def fill(row: Row) -> None:
            result = measure_compute(s.compute_numbers)
            row.value = result.total
            row.conditions_ok = result.markdown_ok
            row.detail = (f"{result.numbers:,} numbers in {result.files} files: load+validate {result.load:.2f} s, "
                          f"diff+fingerprints {result.diff:.2f} s, render text/markdown/json/github "
                          f"{result.render:.2f} s; CPU time {result.cpu:.2f} s in all; {result.changes:,} changes; "
                          f"Markdown comment {result.sizes.get('markdown', 0):,} chars (must be < 60,000)")

        return self.measure(row, fill)

    def validate(self) -> Row:
        from validate_scale import measure

        s = self.sizes
        numbers = s.validate_files * s.validate_per_file
        row = Row(f"validate, {numbers:,} numbers / {s.validate_files} files", "s",
                  Bound("max", 2.0 * s.scale, "issue 4"))

        def fill(row: Row) -> None:
            root = self.workdir / "validate-spaces"
            root.mkdir()
            result = measure(root, s.validate_files, s.validate_per_file, s.validate_runs)
            row.value = result.best
            row.detail = (f"load_desired_state (parse, schema, rules, defaults) on {result.megabytes:.1f} MB of "
                          f"YAML: best of {len(result.times)} runs {result.best:.3f} s, mean {result.mean:.3f} s "
                          f"({result.numbers / result.best:,.0f} numbers/s); CPU time best "
                          f"{min(result.cpu_times):.3f} s (CPU time well below wall time means the machine was busy)")

        return self.measure(row, fill)


    def accounts(self) -> Row:
        from accounts_plan import compare

        s = self.sizes
        row = Row(f"plan, two accounts / one, {s.accounts_spaces} spaces each", "ratio",
                  Bound("max", 1.15, "issue 11"))

        def fill(row: Row) -> None:
            one, two = compare(s.accounts_spaces, qps=s.accounts_qps, latency_ms=s.accounts_latency_ms)
            row.value = two.wall / one.wall
            row.conditions_ok = one.failed == two.failed == 0
            row.detail = (f"emulator and client qps {s.accounts_qps:g} per account, latency {s.accounts_latency_ms:g} ms: "
                          f"one account {one.wall:.2f} s ({one.calls.get('QueryChatappPhoneNumbers', 0)} reads), "
                          f"two accounts {two.wall:.2f} s ({two.calls.get('QueryChatappPhoneNumbers', 0)} reads), "
                          "each account's client with its own budget")

        return self.measure(row, fill)

    def startup(self) -> list[Row]:
        """One row per start-up case (``benchmarks/startup.py``): each bounded at 3 × the floor."""
        from startup import BOUND, label, measure

        figures: list = []
        failed: list[BaseException] = []
        try:
            figures = measure(self.sizes.startup_runs, command_help=not self.sizes.quick)
        except Exception as exc:  # noqa: BLE001 - reported as a failed row below, like every measurement
            failed.append(exc)
        rows = []
        for fig in figures or [None]:
            # A ratio to the floor, not seconds: it holds on a fast laptop and a slow CI runner alike.
            name = f"start-up, {label(fig.args)}" if fig is not None else "start-up"
            row = Row(name, "× python -c pass", Bound("max", BOUND, "issue 29"))

            def fill(row: Row, fig=fig) -> None:  # noqa: ANN001 - a Figure
                if fig is None:
                    raise failed[0] if failed else RuntimeError("no start-up figure")
                row.value = fig.ratio
                row.detail = (f"median {fig.median_s * 1000:.0f} ms, floor {fig.floor_median_s * 1000:.0f} ms "
                              f"(median of {self.sizes.startup_runs} pair-by-pair ratios)")

            rows.append(self.measure(row, fill))
        return rows


def run(sizes: Sizes, with_baseline: bool, with_large: bool = True) -> tuple[list[Row], int]:
    with tempfile.TemporaryDirectory(prefix="cams-bench-") as tmp:
        runner = Runner(sizes, with_baseline, Path(tmp))
        rows = [
            runner.throughput(["QueryChatappPhoneNumbers"], "one action"),
            runner.throughput(["QueryChatappPhoneNumbers", "QueryPhoneBusinessProfile"], "two actions"),
            runner.plan_wall(),
            runner.compute(),
            runner.validate(),
            runner.accounts(),
        ]
        if with_large:
            rows.append(runner.large_estate())
        rows.extend(runner.startup())
        return rows, runner.errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="reduced sizes and latency, time bounds scaled to the size (a smoke run, ~15 s)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive SDK baseline")
    parser.add_argument("--no-large", action="store_true", help="skip the large estate (row 7, ~4 minutes)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args()
    sizes = Sizes.for_mode(args.quick)
    started = time.perf_counter()
    rows, errors = run(sizes, with_baseline=not args.no_baseline, with_large=not args.no_large)
    elapsed = time.perf_counter() - started

    header = machine_lines()
    mode = ("QUICK run: reduced sizes, time bounds scaled to the size; a smoke test of the harness, not evidence"
            if sizes.quick else "full run: the sizes and bounds the issues set")
    print("cams-reconciler benchmarks")
    print("\n".join(header))
    print(f"mode:    {mode}; took {elapsed:.0f} s")
    print()
    print(render_table(rows))
    print()
    print("ratio to bound: measured / bound (≥ 1 passes a ≥ bound, ≤ 1 a ≤ bound). ours / baseline: calls/s "
          "above 1 and seconds below 1 mean ours is faster.")
    print(render_notes(rows))
    passed = sum(r.passed for r in rows)
    print()
    print(f"{passed} of {len(rows)} figures met their bound" + (f"; {errors} failed to run" if errors else ""))

    if args.json:
        Path(args.json).write_text(json.dumps({"machine": header, "quick": sizes.quick,
                                               "rows": [r.to_dict() for r in rows]}, indent=2) + "\n",
                                   encoding="utf-8")
    if errors:
        return 2
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
