"""Per-change results: outcomes, exit codes, rendering and the atomic results file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.core.plan import Action, Change
from reconciler.engine.results import ApplyReport, ChangeResult, Outcome, write_results
from reconciler.render import render_apply

SCHEMA = Path(__file__).resolve().parents[2] / "reconciler" / "schemas" / "results.schema.json"


def _change(phone: str, action: Action = Action.UPDATE) -> Change:
    return Change(action, "acme", "1001", phone, field="webhooks.status_callback_url",
                  before={"status_callback_url": "https://h.example/s?token=***"},
                  after={"status_callback_url": "https://h.example/t?token=***"})


def _report(*outcomes: Outcome, interrupted: str | None = None) -> ApplyReport:
    results = tuple(ChangeResult(_change(f"86138000{i:05d}"), o, f"msg {i}", "Ram.PermissionDeny"
                                 if o is Outcome.FAILED else None) for i, o in enumerate(outcomes))
    return ApplyReport(results, interrupted, calls={"UpdatePhoneWebhook": 2, "QueryChatappPhoneNumbers": 3})


def test_exit_codes() -> None:
    assert _report(Outcome.DONE, Outcome.DONE).exit_code == 0
    assert _report().exit_code == 0
    assert _report(Outcome.DONE, Outcome.FAILED).exit_code == 1
    assert _report(Outcome.SKIPPED).exit_code == 1
    assert _report(Outcome.SKIPPED).status == "incomplete"
    assert _report(Outcome.FAILED, Outcome.SKIPPED).status == "failed"
    assert _report(Outcome.DONE, interrupted="SIGTERM").exit_code == 143
    assert _report(Outcome.DONE, interrupted="SIGINT").exit_code == 130


def test_summary_counts_write_calls_only() -> None:
    line = _report(Outcome.DONE, Outcome.FAILED).summary_line()
    assert "1 done, 1 failed, 0 skipped; 2 write calls" in line and "again" in line


def test_text_and_markdown_tables_list_every_change() -> None:
    report = _report(Outcome.DONE, Outcome.FAILED, Outcome.SKIPPED)
    text = render_apply(report, "text")
    assert text.count("acme/") == 3 and "Ram.PermissionDeny: msg 1" in text
    md = render_apply(report, "markdown")
    assert "| change | result | detail |" in md and md.count("| `acme/") == 3


def test_results_file_is_valid_json_matching_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    out.write_text("old")
    write_results(out, _report(Outcome.DONE, Outcome.FAILED, interrupted="SIGTERM"))
    data = json.loads(out.read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert data["status"] == "interrupted" and data["counts"] == {"done": 1, "failed": 1, "skipped": 0}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left behind
