"""Start-up: ``cams-reconciler --version`` and ``--help`` against a bare interpreter's start.

    python benchmarks/startup.py [--runs N]

The floor is ``python -c pass`` with the same interpreter (and so the same site-packages and editable-install
hooks): nothing can start faster. Each command runs as a whole process, in turn with the floor (A B A B ...),
and the figure is the median of the pair-by-pair ratios, so a machine whose speed drifts during the run
(shared CI runners) moves both sides of each pair alike. A command's ``--help`` is shown beside it, as a
note: the commands import what they need to build their parsers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

FLOOR = [sys.executable, "-c", "pass"]


def cli() -> list[str]:
    """The installed console script when there is one (what users run), else its exact equivalent."""
    script = Path(sys.executable).parent / "cams-reconciler"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from reconciler.cli import main; sys.exit(main())"]


def _time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env={**os.environ, "NO_COLOR": "1"})
    return time.perf_counter() - started


@dataclass(frozen=True)
class Figure:
    args: tuple[str, ...]
    median_s: float
    floor_median_s: float
    ratio: float  # median of the pair-by-pair ratios command / floor


def measure_one(args: list[str], runs: int) -> Figure:
    argv = cli() + args
    _time(argv), _time(FLOOR)  # warm the page cache: the first run of anything reads its files from disk
    ours, floor = [], []
    for _ in range(runs):
        floor.append(_time(FLOOR))
        ours.append(_time(argv))
    ratio = statistics.median(o / f for o, f in zip(ours, floor))
    return Figure(tuple(args), statistics.median(ours), statistics.median(floor), ratio)


def measure(runs: int = 15, *, command_help: bool = True) -> list[Figure]:
    """``--version``, ``--help`` and (``command_help``) ``plan --help``, the heaviest command's."""
    cases = [["--version"], ["--help"]] + ([["plan", "--help"]] if command_help else [])
    return [measure_one(args, runs) for args in cases]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="pairs of runs per command (default 15)")
    args = parser.parse_args()
    print(f"floor: {' '.join(FLOOR)}")
    for fig in measure(args.runs):
        print(f"cams-reconciler {' '.join(fig.args):<12} median {fig.median_s * 1000:6.0f} ms   floor "
              f"{fig.floor_median_s * 1000:4.0f} ms   ratio {fig.ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
