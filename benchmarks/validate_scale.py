"""How long `load_desired_state` takes on a large repository: 10,000 numbers across 500 files.

Generates the files in a temporary directory (20 numbers per file, one space per file, defaults plus
per-number overrides, like a real repository), then times the loader (best of a few runs, and a profile
of where the time goes with --profile) and the `cams-reconciler validate` CLI once as a subprocess.
Prints figures; asserts nothing. Target: under 2 s for the loader.

    /work/venv/bin/python benchmarks/validate_scale.py [--files 500] [--per-file 20] [--runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reconciler.config import load_desired_state

NUMBER = """\
      - phone_number: "+86 139 {a:04d} {b:04d}"
        business_profile:
          about: Store {n}
          websites: [https://acme.example/stores/{n}]
        expect:
          quality_rating: [GREEN, YELLOW]
"""

SPACE = """\
# yaml-language-server: $schema=../schemas/cams-desired-state.schema.json
version: 1
spaces:
  - name: store-group-{i:03d}
    cust_space_id: "{csid}"
    unmanaged_numbers: report
    defaults:
      webhooks:
        status_callback_url: https://hooks.acme.example/cams/status?token=t{i}
        up_callback_url: https://hooks.acme.example/cams/inbound
      business_profile:
        vertical: RETAIL
        email: support@acme.example
      expect:
        status: [CONNECTED]
        messaging_limit_tier: [TIER_10K, TIER_100K, TIER_UNLIMITED]
    numbers:
"""


def generate(root: Path, files: int, per_file: int) -> int:
    n = 0
    for i in range(files):
        parts = [SPACE.format(i=i, csid=293483938840000 + i)]
        for _ in range(per_file):
            parts.append(NUMBER.format(a=n // 10000, b=n % 10000, n=n))
            n += 1
        (root / f"space-{i:03d}.yaml").write_text("".join(parts), encoding="utf-8")
    return n


@dataclass(frozen=True)
class ValidateResult:
    numbers: int
    files: int
    megabytes: float
    times: tuple[float, ...]  # wall seconds, one per run of the loader
    cpu_times: tuple[float, ...]  # this process's CPU seconds for the same runs: far below wall = a busy machine

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def mean(self) -> float:
        return sum(self.times) / len(self.times)


def measure(root: Path, files: int, per_file: int, runs: int) -> ValidateResult:
    """Generate the repository under ``root`` (an empty directory) and time the loader ``runs`` times."""
    total = generate(root, files, per_file)
    size = sum(p.stat().st_size for p in root.iterdir())
    times, cpu_times = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        state = load_desired_state([str(root)])
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        if state.number_count != total:
            raise RuntimeError(f"loaded {state.number_count} numbers, generated {total}")
    return ValidateResult(total, files, size / 1e6, tuple(times), tuple(cpu_times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--per-file", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cams-validate-bench-") as tmp:
        root = Path(tmp) / "spaces"
        root.mkdir()
        result = measure(root, args.files, args.per_file, args.runs)
        print(f"generated {result.numbers} numbers in {result.files} files ({result.megabytes:.1f} MB)")
        print(f"load_desired_state: best {result.best:.3f} s, mean {result.mean:.3f} s "
              f"over {args.runs} runs ({result.numbers / result.best:,.0f} numbers/s); "
              f"CPU time best {min(result.cpu_times):.3f} s, "
              f"mean {sum(result.cpu_times) / len(result.cpu_times):.3f} s")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(root)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        print(f"cams-reconciler validate (subprocess, incl. interpreter start): "
              f"{time.perf_counter() - start:.3f} s, exit {proc.returncode}: {proc.stdout.strip()}")
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(load_desired_state, [str(root)])
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
