"""Drift keeps a bounded history of each number's health in its state (``drift --state``), and the drift
issue of a space draws its numbers' quality ratings over those runs as Mermaid charts GitHub renders."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from reconciler.cli import main
from reconciler.engine.drift_state import HEALTH_RUNS, DriftState, compare, health_snapshot

REPO = Path(__file__).resolve().parents[2]
GLOBEX = REPO / "examples" / "spaces" / "globex-support.yaml"
NUMBER = "14155550123"


def _run_drift(tmp_path: Path, rating: str, when: str) -> int:
    state = yaml.safe_load((REPO / "examples" / "emulator-state.yaml").read_text())
    for item in state["spaces"]["293483938849003"]["phone_numbers"]:
        if item["PhoneNumber"] == NUMBER:
            item["QualityRating"] = rating
    emulator = tmp_path / "emulator.yaml"
    emulator.write_text(yaml.safe_dump(state))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["drift", str(GLOBEX), "--emulator", str(emulator), "--state", str(tmp_path / "state.json"),
                     "--issues-out", str(tmp_path / "issues.json"), "--now", when, "--no-endpoint-checks"])


def test_the_state_keeps_each_numbers_health_and_the_issue_charts_it(tmp_path: Path) -> None:
    hostile = 'GREEN"]\n```\n<script>alert(1)</script>'
    ratings = ["GREEN", "YELLOW", "RED", hostile]
    for i, rating in enumerate(ratings):
        assert _run_drift(tmp_path, rating, f"2026-12-0{i + 1}T06:00:00Z") in (0, 2)
    saved = json.loads((tmp_path / "state.json").read_text())
    history = saved["spaces"]["globex-support"]["health"][NUMBER]
    assert [p["quality_rating"] for p in history] == ["GREEN", "YELLOW", "RED", "OTHER"]  # hostile: a token
    assert [p["at"] for p in history] == [f"2026-12-0{i}T06:00:00Z" for i in range(1, 5)]
    assert {p["status"] for p in history} == {"CONNECTED"} and "script" not in json.dumps(saved)
    issues = json.loads((tmp_path / "issues.json").read_text())
    body = next(op["body"] for op in issues["operations"] if op["space"] == "globex-support")
    assert body is not None and "<script" not in body
    html = MarkdownIt("commonmark", {"html": True}).render(body)
    charts = re.findall(r'<pre><code class="language-mermaid">(.*?)</code></pre>', html, re.S)
    ours = next(c for c in charts if f'title &quot;+{NUMBER}&quot;' in c)
    assert "xychart-beta" in ours and "line [3, 2, 1, 0]" in ours
    assert '"12-01 06:00", "12-02 06:00", "12-03 06:00", "12-04 06:00"' in ours.replace("&quot;", '"')
    assert ours.index(NUMBER) < html.index("This issue is kept")  # the chart before the footer
    assert body.index(f"+{NUMBER}") < body.index(f"+{'12025550143'}")  # the number that moved first


def test_the_history_is_bounded_and_follows_the_space() -> None:
    state: DriftState | None = None
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    for run in range(HEALTH_RUNS + 5):
        numbers = {"8613800001234": {"QualityRating": "GREEN" if run % 2 else "YELLOW", "Status": "CONNECTED"}}
        if run < 3:
            numbers["8613800009999"] = {"QualityRating": "RED"}
        _, state = compare((), {}, state, ["s"], start + dt.timedelta(hours=6 * run),
                           health={"s": health_snapshot(numbers)})
    assert state is not None
    history = state.spaces["s"].health
    assert list(history) == ["8613800001234"]  # a number no longer in the space drops out
    assert len(history["8613800001234"]) == HEALTH_RUNS
    last = start + dt.timedelta(hours=6 * (HEALTH_RUNS + 4))
    assert history["8613800001234"][-1].at == last.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert DriftState.from_dict(json.loads(json.dumps(state.to_dict()))) == state  # saved and read back
    _, unread = compare((), {}, state, [], start + dt.timedelta(days=30), health={})
    assert unread.spaces["s"].health == history  # a space not read keeps its history as it was
