"""Start-up: ``cams-reconciler --version``, ``--help``, every command's ``--help`` and a completion request
(what each TAB on ``--target`` runs), each against a bare interpreter's start.

    python benchmarks/startup.py [--runs N]

The floor is ``python -c pass`` with the same interpreter (and so the same site-packages and editable-install
hooks): nothing can start faster. Each command runs as a whole process, in turn with the floor (A B A B ...),
and the figure is the median of the pair-by-pair ratios, so a machine whose speed drifts during the run
(shared CI runners) moves both sides of each pair alike. Every row is bounded at ``BOUND`` × the floor: a
command's parser is built from light modules only (the engine, the client, httpx, jsonschema and the YAML
loader load when the command runs), and the completion helper reads only the names of the spaces.
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
BOUND = 3.0  # × the floor, every row
REPO = Path(__file__).resolve().parents[1]
#: What the bash script runs at each TAB after ``plan examples/spaces --target``.
COMPLETION = ["__complete", "spaces", "--", "cams-reconciler", "plan", str(REPO / "examples" / "spaces"), "--target"]


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


def cases(*, every_command: bool = True) -> list[list[str]]:
    """``--version``, ``--help``, each listed command's ``--help`` (only ``plan``'s, the heaviest, unless
    ``every_command``) and a completion request."""
    from reconciler.cli import COMMANDS

    commands = [n for n, c in COMMANDS.items() if c.help is not None] if every_command else ["plan"]
    return [["--version"], ["--help"], *([name, "--help"] for name in commands), COMPLETION]


def measure(runs: int = 15, *, command_help: bool = True) -> list[Figure]:
    return [measure_one(args, runs) for args in cases(every_command=command_help)]


def label(args: tuple[str, ...] | list[str]) -> str:
    return "completion (TAB on plan --target)" if args and args[0] == "__complete" else " ".join(args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="pairs of runs per command (default 15)")
    args = parser.parse_args()
    print(f"floor: {' '.join(FLOOR)}; bound: {BOUND:g} × the floor")
    worst = 0.0
    for fig in measure(args.runs):
        worst = max(worst, fig.ratio)
        verdict = "ok" if fig.ratio <= BOUND else "OVER"
        print(f"cams-reconciler {label(fig.args):<34} median {fig.median_s * 1000:6.0f} ms   floor "
              f"{fig.floor_median_s * 1000:4.0f} ms   ratio {fig.ratio:.2f}  {verdict}")
    return 0 if worst <= BOUND else 1


if __name__ == "__main__":
    sys.exit(main())
