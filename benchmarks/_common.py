"""What the benchmark scripts share: the machine description, the emulator's own count of what it was sent,
and the result table ``run_all.py`` prints.

A figure is only evidence next to its bound and the machine it was measured on, so every row carries its
bound (and the issue that set it), the ratio to that bound and a verdict; and the table header names the
CPU, the core count, Python, the date and the load average (the benchmarks share the machine with whatever
else runs on it, and a loaded machine explains a slow figure).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_STATE = REPO / "examples" / "emulator-state.yaml"

#: The throttling answers CAMS and its gateway give; the emulator answers ``System.LimitControl`` by default.
THROTTLING_CODES = frozenset({"System.LimitControl", "Throttling", "Throttling.User", "Throttling.Api"})


@dataclass(frozen=True)
class RunningEmulator:
    url: str
    credentials: tuple[str, str]


@contextmanager
def emulator_process(state: dict[str, Any], *, qps: float, latency_ms: float, limiter: str = "window",
                     audit_log: Path | None = None) -> Iterator[RunningEmulator]:
    """The emulator as its own process (``_emulator_server.py``), for the large estate: an independent
    server, so the client's CPU work cannot delay how the server stamps arrivals, and the benchmark's peak
    memory is the client's alone. ``state`` goes over as a JSON file."""
    with tempfile.TemporaryDirectory(prefix="cams-bench-emu-") as tmp:
        path = Path(tmp) / "state.json"
        path.write_text(json.dumps(state), encoding="utf-8")
        argv = [sys.executable, str(Path(__file__).with_name("_emulator_server.py")), str(path), "--qps",
                f"{qps:g}", "--latency-ms", f"{latency_ms:g}", "--limiter", limiter]
        if audit_log is not None:
            argv += ["--audit-log", str(audit_log)]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line.startswith("listening on "):
                proc.kill()
                raise RuntimeError(f"the emulator did not start: {line.strip()} {proc.stderr.read() if proc.stderr else ''}")
            # a state of several accounts (``accounts:``) has no top-level key: its callers hold each account's keys
            key = (state.get("keys") or [{"access_key_id": "", "access_key_secret": ""}])[0]
            yield RunningEmulator(line.split()[-1], (key["access_key_id"], key["access_key_secret"]))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports ru_maxrss in KB, macOS in bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_lines() -> list[str]:
    """Where and when the figures were measured, one fact per line."""
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average n/a"
    return [
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {load}",
        f"python:  {platform.python_implementation()} {platform.python_version()}",
        f"date:    {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
    ]


@dataclass(frozen=True)
class ServerView:
    """What the emulator saw, read from its audit log: every HTTP request, and how many it throttled.

    Independent of the client's own counters, so the two sides of a comparison are counted the same way.
    """

    requests: int
    throttled: int

    @classmethod
    def from_audit_log(cls, path: Path) -> ServerView:
        codes: Counter[str] = Counter()
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        codes[str(json.loads(line).get("code"))] += 1
        throttled = sum(n for code, n in codes.items() if code in THROTTLING_CODES)
        return cls(sum(codes.values()), throttled)

    def describe(self) -> str:
        return f"server saw {self.requests} requests, {self.throttled} throttled"


@dataclass(frozen=True)
class Bound:
    """``kind`` "min": the figure must be at least ``value``; "max": at most ``value``."""

    kind: Literal["min", "max"]
    value: float
    source: str  # where the bound comes from, e.g. "issue 3"

    def text(self, unit: str) -> str:
        return f"{'≥' if self.kind == 'min' else '≤'} {fmt_number(self.value)} {unit}"


@dataclass(frozen=True)
class Baseline:
    """The naive SDK loop's figure for the same measurement (same unit as the row)."""

    value: float
    detail: str


@dataclass
class Row:
    """One figure of the table. ``value`` None means the measurement itself failed (``error`` says why)."""

    figure: str
    unit: str
    bound: Bound
    value: float | None = None
    conditions_ok: bool = True  # side conditions of the bound (e.g. "no throttling error surfaced")
    detail: str = ""
    baseline: Baseline | None = None
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.value is None else self.value / self.bound.value

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        within = self.value >= self.bound.value if self.bound.kind == "min" else self.value <= self.bound.value
        return within and self.conditions_ok

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "ERROR"
        return "pass" if self.passed else "FAIL"

    def to_dict(self) -> dict[str, object]:
        return {
            "figure": self.figure, "unit": self.unit, "value": self.value,
            "bound": {"kind": self.bound.kind, "value": self.bound.value, "source": self.bound.source},
            "ratio_to_bound": self.ratio, "conditions_ok": self.conditions_ok, "verdict": self.verdict,
            "detail": self.detail, "error": self.error,
            "baseline": None if self.baseline is None else {
                "value": self.baseline.value, "detail": self.baseline.detail,
                "ours_over_baseline": None if self.value is None else self.value / self.baseline.value},
        }


def fmt_number(value: float) -> str:
    """Three significant figures at most, no exponent: 9.87, 19.6, 10.2, 0.412, 1.15."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


TABLE_COLUMNS = ("figure", "measured", "bound", "ratio to bound", "result", "naive SDK baseline",
                 "ours / baseline")


def table_cells(row: Row) -> tuple[str, ...]:
    measured = "—" if row.value is None else f"{fmt_number(row.value)} {row.unit}"
    ratio = "—" if row.ratio is None else f"{row.ratio:.3f}"
    bound = f"{row.bound.text(row.unit)} ({row.bound.source})"
    if row.baseline is None:
        base, versus = "—", "—"
    else:
        base = f"{fmt_number(row.baseline.value)} {row.unit}"
        versus = "—" if row.value is None else f"{row.value / row.baseline.value:.2f}"
    return (row.figure, measured, bound, ratio, row.verdict, base, versus)


def render_table(rows: list[Row]) -> str:
    """A Markdown pipe table with padded columns: readable in a terminal, pasteable into a README."""
    cells = [TABLE_COLUMNS] + [table_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(TABLE_COLUMNS))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    out = [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells[1:]]
    return "\n".join(out)


def render_notes(rows: list[Row]) -> str:
    """Per row: what exactly was measured, and the baseline's own detail (counts of calls and throttling)."""
    out = []
    for n, row in enumerate(rows, 1):
        out.append(f"{n}. {row.figure}: {row.error if row.error is not None else row.detail}")
        if row.baseline is not None:
            out.append(f"   naive SDK baseline: {row.baseline.detail}")
    return "\n".join(out)
