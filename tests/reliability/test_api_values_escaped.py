"""Values read from the API are data in every rendering: a newline, a carriage return, a C1 "next line", a
Unicode line separator or an escape sequence inside one never starts a line of a CI log or a PR comment
(``::add-mask::…``, ``::warning::…``) nor reaches the output raw. Hypothesis plants hostile values in every
place of a plan, a drift report, an apply report and an import that holds an API value, and renders them in
every registered format (``render.formats``) and the import YAML.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core.plan import Action, Blocker, BlockerKind, Change, Plan, PlannedSpace, Preflight, Severity
from reconciler.engine.importer import import_space
from reconciler.engine.results import ApplyReport, ChangeResult, Outcome
from reconciler.render.formats import PlanOptions, format_names, get_format
from reconciler.render.import_yaml import space_yaml

MARK = "PWNED"
#: Pieces of a hostile value: every way to start a new line, workflow commands, terminal and bidi controls.
FRAGMENTS = ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1b[2J", "\x9b31m", "\u202e",
             f"::add-mask::{MARK}", f"::warning::{MARK}", f"::error file=x::{MARK}", f"::set-output name=a::{MARK}",
             "|", "`", "<br>", "%0A", "ACTIVE"]
hostile = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), min_size=1, max_size=8).map(
    lambda parts: "\n" + "".join(parts) + f"\n::add-mask::{MARK}")
# What a line of ours may start with before a planted command would be obeyed (leading blanks included).
COMMAND_AT_LINE_START = re.compile(rf"^\s*::[a-z-]+(?: [^:]*)?::{MARK}", re.M)
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _plan(value: str) -> Plan:
    changes = (
        Change(Action.DRIFT, "shop", "1", value, field="expect.status", before=value, after=["CONNECTED"],
               reason=f"status is {value}"),
        Change(Action.DRIFT, "shop", "1", "8613800000001", field="queues.up_queue", before=value, after="Q",
               reason=value),
        Change(Action.UNMANAGED, "shop", "1", value, severity=Severity.ERROR, reason=value),
        Change(Action.UPDATE, "shop", "1", "8613800000002", field="webhooks.status_callback_url",
               before={"status_callback_url": value}, after={"status_callback_url": "https://a.example/s"},
               reason=value, kind="webhooks", label="update-webhook"),
    )
    spaces = (PlannedSpace("shop", "1", "shop.yaml", "sha256:" + "0" * 64, present=3),
              PlannedSpace("down", "2", "down.yaml", None, error=value, error_code=value))
    return Plan(changes, spaces, "sha256:" + "1" * 64, Preflight("unavailable", value, {"HostingStatus": value}),
                blockers=(Blocker(BlockerKind.UNMANAGED, f"space shop: {value}", "shop"),))


def _report(plan: Plan, value: str) -> ApplyReport:
    writes = [c for c in plan.changes if c.action.writes]
    results = tuple(ChangeResult(c, outcome, value, code=value) for c in writes
                    for outcome in (Outcome.FAILED, Outcome.SKIPPED))
    follow = (Change(Action.UPDATE, "shop", "1", value, field="webhooks.up_callback_url", reason=value, kind="webhooks", label="update-webhook"),)
    return ApplyReport(results=results, follow_up=follow, error=value)


def _check(text: str, *, strict: bool) -> None:
    assert not COMMAND_AT_LINE_START.search(text), text
    if strict:
        assert not RAW_CONTROL.search(text), repr(text)


@SETTINGS
@given(value=hostile)
def test_plan_drift_and_apply_reports_escape_api_values_in_every_format(value: str) -> None:
    plan = _plan(value)
    report = _report(plan, value)
    for name in format_names():
        fmt = get_format(name)
        # JSON escapes C0 itself (a document for machines); github has the workflow-command encoding, where
        # only \r and \n end a line (so a C1 or U+2028 is harmless there). Neither may start a command line.
        strict = name not in ("json", "github")
        options = PlanOptions(color=False)
        _check(fmt.plan(plan, options), strict=strict)
        _check(fmt.drift(plan, options), strict=strict)
        _check(fmt.apply(report, plan=plan), strict=strict)
        preview = fmt.apply_preview(plan, options)
        if preview is not None:
            _check(preview, strict=strict)


def test_apply_notes_on_stderr_escape_api_values(capsys: Any) -> None:
    """The notes apply prints beside its report (a re-read's difference not in the plan) quote the API's
    values too: stderr is the same CI log."""
    import argparse

    from reconciler.cli.apply import _print_report

    value = f"\n::add-mask::{MARK}\u2028::warning::{MARK}\x1b[2J"
    plan = _plan(value)
    for name in format_names():
        _print_report(argparse.Namespace(format=name), plan, _report(plan, value), nothing_to_do=False)
        out, err = capsys.readouterr()
        _check(err, strict=True)


@SETTINGS
@given(value=hostile)
def test_import_yaml_keeps_api_values_as_one_quoted_line(value: str) -> None:
    items = [{"PhoneNumber": "8613800000001", "Status": value, "QualityRating": value, "StatusQueue": value,
              "UpQueue": value, "StatusCallbackUrl": "https://a.example/s?t=" + value.strip(),
              "CodeVerificationStatus": value}]
    reads: dict[str, Any] = {"business_profile": {"8613800000001": {"About": value, "Address": value}}}
    imported = import_space("shop", "1", items, reads, record_health=True)
    text = space_yaml(imported, schema_ref="schema.json")
    _check(text, strict=True)
    loaded = yaml.safe_load(text)
    number = loaded["spaces"][0]["numbers"][0]
    # escaped in the file, the same value (as import keeps it) once read
    assert number["queues"]["up_queue"] == imported.numbers[0]["queues"]["up_queue"]


#: Commands run through a proxy that answers QueryChatappPhoneNumbers with a failure whose Message is hostile:
#: the error line on stderr (one line by contract) and every rendering must keep it on its line.
SERVER_MESSAGE_CASES = [["call", "QueryChatappPhoneNumbers", "CustSpaceId=293483938849003"],
                        ["plan", "{spaces}"], ["plan", "{spaces}", "--format", "markdown"],
                        ["apply", "{spaces}", "--auto-approve"]]


def test_a_hostile_server_message_stays_on_its_line(emulator: Any, tmp_path: Any, monkeypatch: Any,
                                                    capsys: Any) -> None:
    import json
    from pathlib import Path

    from reconciler.cli import main
    from tests.helpers.tamper_proxy import TamperProxy

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    hostile_body = json.dumps({"RequestId": "r-1", "Code": "Hostile.Code\r\n::warning::" + MARK,
                               "Message": f"no\n::add-mask::{MARK}\u2028::error::{MARK}\x1b[2J"}).encode()
    emu = emulator(str(repo / "examples" / "emulator-state.yaml"), qps=0)
    with TamperProxy(emu.url, lambda action, body: hostile_body if action == "QueryChatappPhoneNumbers" else None) \
            as proxy:
        for argv in SERVER_MESSAGE_CASES:
            capsys.readouterr()
            code = main([a.format(spaces=repo / "examples" / "spaces" / "globex-support.yaml") for a in argv]
                        + ["--endpoint", proxy.url])
            out, err = capsys.readouterr()
            assert code == 1 and "Traceback" not in err, (argv, err)
            _check(out, strict=True)
            _check(err, strict=True)
            assert "Hostile.Code" in out + err, (argv, out, err)  # the server's answer is shown, escaped
