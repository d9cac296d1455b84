"""The benchmark harness runs and prints its table: ``benchmarks/run_all.py --quick`` as a user runs it.

No timed assertion: the quick run's verdicts depend on the machine, so only the table's shape, its
arithmetic (ratio = measured / bound, ours / baseline) and the absence of a crashed measurement are checked.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"

ROWS = (
    "client throughput, one action",
    "client throughput, two actions",
    "plan wall time, 20 spaces / 100 numbers",
    "plan compute, 1,000 numbers",
    "validate, 1,000 numbers / 50 files",
    "plan, two accounts / one, 20 spaces each",
    "large estate, 60 spaces / 600 numbers",
    "start-up, --version",
    "start-up, --help",
    "start-up, plan --help",  # --quick: only the heaviest command's (the full run has every command's)
    "start-up, completion (TAB on plan --target)",
)
WITH_BASELINE = ROWS[:3]
NUMBER = r"([0-9][0-9,]*(?:\.[0-9]+)?)"


def number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "run_all.py"), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    return proc, out


def table_rows(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| figure"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


def test_quick_run_completes_every_measurement(quick_run):
    proc, _ = quick_run
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 2 = a measurement failed to run
    assert "ERROR" not in proc.stdout


def test_header_names_machine_python_date_and_quick_mode(quick_run):
    stdout = quick_run[0].stdout
    assert re.search(r"^machine: .+, \d+ cores", stdout, re.M)
    assert re.search(r"^python:  CPython 3\.\d+", stdout, re.M)
    assert re.search(r"^date:    \d{4}-\d\d-\d\d \d\d:\d\d UTC", stdout, re.M)
    assert "QUICK run" in stdout


def test_table_has_every_row_with_consistent_figures(quick_run):
    rows = table_rows(quick_run[0].stdout)
    assert list(rows) == list(ROWS)
    for name, (_, measured, bound, ratio, verdict, baseline, versus) in rows.items():
        value = number(re.match(NUMBER, measured).group(1))
        limit_match = re.match(r"([≥≤]) " + NUMBER + r" .*\(issue \d+\)$", bound)
        assert limit_match, bound
        limit = number(limit_match.group(2))
        assert math.isclose(float(ratio), value / limit, rel_tol=0.02, abs_tol=0.002), (name, ratio)
        assert verdict in ("pass", "FAIL")
        if name in WITH_BASELINE:
            base = number(re.match(NUMBER, baseline).group(1))
            assert base > 0 and math.isclose(float(versus), value / base, rel_tol=0.03, abs_tol=0.01), name
        else:
            assert (baseline, versus) == ("—", "—")


def test_notes_report_server_side_counts_for_ours_and_the_baseline(quick_run):
    stdout = quick_run[0].stdout
    assert len(re.findall(r"server saw \d+ requests, \d+ throttled", stdout)) == 7
    assert stdout.count("naive SDK baseline: ") == 3
    assert "the SDK retries nothing" in stdout


def test_network_rows_report_throttles_failed_reads_and_the_estates_memory(quick_run):
    stdout = quick_run[0].stdout
    plan = next(line for line in stdout.splitlines() if line.startswith("3. plan wall time"))
    assert re.search(r"throttled answers \d+, retries \d+, failed calls \d+, spaces not read \d+", plan)
    assert re.search(r"wall / floor \d\.\d{3}", plan)
    estate = next(line for line in stdout.splitlines() if line.startswith("7. large estate"))
    assert re.search(r"spaces read 60 of 60", estate) and re.search(r"peak memory of the planning process \d+ MB",
                                                                     estate)


def test_json_output_matches_the_table(quick_run):
    proc, path = quick_run
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["quick"] is True
    assert [r["figure"] for r in data["rows"]] == list(ROWS)
    table = table_rows(proc.stdout)
    for row in data["rows"]:
        assert row["verdict"] == table[row["figure"]][4]
        assert (row["baseline"] is not None) == (row["figure"] in WITH_BASELINE)


def test_verdict_logic() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _common import Bound, Row
    finally:
        sys.path.remove(str(BENCHMARKS))
    at_least = Bound("min", 9.5, "issue 3")
    at_most = Bound("max", 2.0, "issue 4")
    assert Row("a", "calls/s", at_least, value=9.5).verdict == "pass"
    assert Row("a", "calls/s", at_least, value=9.49).verdict == "FAIL"
    assert Row("b", "s", at_most, value=2.01).verdict == "FAIL"
    assert Row("b", "s", at_most, value=1.0).verdict == "pass"
    assert Row("b", "s", at_most, value=1.0, conditions_ok=False).verdict == "FAIL"  # e.g. a call failed
    assert Row("b", "s", at_most, error="boom").verdict == "ERROR"
