"""The fault matrix of malformed answers: a tampering proxy between the real CLI and the emulator rewrites
one action's successful answer (the shapes found by the adversarial pass: ``PhoneNumbers`` as a string or
``[null]``, missing or null, a number listed twice, profile ``Data`` as a list, ``HostingStatus`` as a list,
100,000-deep JSON, a 5,000-digit integer…).

In ``plan`` the space becomes unreadable (the account check: unavailable, never "not frozen"): exit 1, a one-line error naming the action
and the field, never a traceback, never a sync planned from a list that was not read. In ``apply`` (the
tampering starts after planning) every change of the space ends ``failed`` in the results file, and nothing
the plan did not show is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.client.actions import ACTIONS
from tests.helpers.reliability import emulator_state, number_entry
from tests.helpers.tamper_proxy import TamperProxy

SPACE = "293483938800001"
HOOKS = "https://hooks.shape.example"
PHONES = ("8613800300001", "8613800300002")


def _json(fn: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], bytes]:
    def edit(raw: bytes) -> bytes:
        body = json.loads(raw)
        fn(body)
        return json.dumps(body).encode()
    return edit


def _set(path: tuple[Any, ...], value: Any) -> Callable[[bytes], bytes]:
    def fn(body: dict[str, Any]) -> None:
        target: Any = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return _json(fn)


def _drop(key: str) -> Callable[[bytes], bytes]:
    return _json(lambda body: body.pop(key, None))


def _duplicate_first(body: dict[str, Any]) -> None:
    body["PhoneNumbers"].append(dict(body["PhoneNumbers"][0]))


DEEP = b'{"Code":"OK","RequestId":"deep","PhoneNumbers":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
HUGE_INT = b'{"Code":"OK","RequestId":"big","PhoneNumbers":[],"Total":' + b"9" * 5000 + b"}"

#: (case id, action, rewrite of the answer's bytes, what the error must name)
MATRIX: list[tuple[str, str, Callable[[bytes], bytes], str]] = [
    ("numbers-string", "QueryChatappPhoneNumbers", _set(("PhoneNumbers",), "8613800300001"), "PhoneNumbers is a string"),
    ("numbers-null-item", "QueryChatappPhoneNumbers", _set(("PhoneNumbers",), [None]), "PhoneNumbers[0] is null"),
    ("numbers-null", "QueryChatappPhoneNumbers", _set(("PhoneNumbers",), None), "PhoneNumbers is null"),
    ("numbers-missing", "QueryChatappPhoneNumbers", _drop("PhoneNumbers"), "PhoneNumbers is missing"),
    ("numbers-object", "QueryChatappPhoneNumbers", _set(("PhoneNumbers",), {"a": 1}), "PhoneNumbers is an object"),
    ("numbers-duplicate", "QueryChatappPhoneNumbers", _json(_duplicate_first), "listed twice"),
    ("number-int", "QueryChatappPhoneNumbers", _set(("PhoneNumbers", 0, "PhoneNumber"), 8613800300001),
     "PhoneNumbers[0].PhoneNumber is a number"),
    ("number-missing", "QueryChatappPhoneNumbers", _json(lambda b: b["PhoneNumbers"][0].pop("PhoneNumber")),
     "PhoneNumbers[0].PhoneNumber is missing"),
    ("callback-list", "QueryChatappPhoneNumbers", _set(("PhoneNumbers", 1, "StatusCallbackUrl"), ["x"]),
     "PhoneNumbers[1].StatusCallbackUrl is a list"),
    ("status-object", "QueryChatappPhoneNumbers", _set(("PhoneNumbers", 0, "Status"), {"v": 1}),
     "PhoneNumbers[0].Status is an object"),
    ("numbers-deep-json", "QueryChatappPhoneNumbers", lambda _raw: DEEP, "JSON"),
    ("numbers-huge-int", "QueryChatappPhoneNumbers", lambda _raw: HUGE_INT, "JSON"),
    ("numbers-not-json", "QueryChatappPhoneNumbers", lambda _raw: b"<html>proxy</html>", "JSON"),
    ("profile-list", "QueryPhoneBusinessProfile", _set(("Data",), [{"About": "x"}]), "Data is a list"),
    ("profile-null", "QueryPhoneBusinessProfile", _set(("Data",), None), "Data is null"),
    ("profile-websites-string", "QueryPhoneBusinessProfile", _set(("Data", "Websites"), "https://a.example"),
     "Data.Websites is a string"),
    ("profile-website-number", "QueryPhoneBusinessProfile", _set(("Data", "Websites"), [1]),
     "Data.Websites[0] is a number"),
    ("profile-about-object", "QueryPhoneBusinessProfile", _set(("Data", "About"), {"t": "x"}),
     "Data.About is an object"),
    ("account-hosting-list", "GetCustomerAccountInfo", _set(("Data", "HostingStatus"), ["FREEZE"]),
     "Data.HostingStatus is a list"),
    ("account-credit-number", "GetCustomerAccountInfo", _set(("Data", "CreditLimitStatus"), 0),
     "Data.CreditLimitStatus is a number"),
    ("account-data-list", "GetCustomerAccountInfo", _set(("Data",), ["FREEZE"]), "Data is a list"),
    ("account-certified-string", "GetCustomerAccountInfo", _set(("Data", "IsCertified"), "false"),
     "Data.IsCertified is a string"),
]
CASES = [pytest.param(*case[1:], id=case[0]) for case in MATRIX]


def _state() -> dict[str, Any]:
    return emulator_state({SPACE: {"subscribed": True, "phone_numbers": [
        number_entry(PHONES[0], f"{HOOKS}/old-status", f"{HOOKS}/inbound"),
        number_entry(PHONES[1], f"{HOOKS}/status", f"{HOOKS}/inbound"),
    ], "business_profiles": {PHONES[1]: {"Vertical": "RETAIL", "About": "old", "Websites": ["https://a.example"]}}}})


def _yaml(tmp_path: Path) -> Path:
    path = tmp_path / "spaces.yaml"
    path.write_text(f"""version: 1
spaces:
  - name: shapes
    cust_space_id: "{SPACE}"
    defaults:
      webhooks:
        status_callback_url: {HOOKS}/status
        up_callback_url: {HOOKS}/inbound
    numbers:
      - phone_number: "+{PHONES[0]}"
      - phone_number: "+{PHONES[1]}"
        business_profile:
          about: new
""")
    return path


class Tampering:
    """Rewrites ``action``'s answers from its ``after``-th call on (0: every call)."""

    def __init__(self, action: str, rewrite: Callable[[bytes], bytes], after: int = 0) -> None:
        self.action, self.rewrite, self.after, self.seen = action, rewrite, after, 0

    def __call__(self, action: str, raw: bytes) -> bytes | None:
        if action != self.action:
            return None
        self.seen += 1
        return self.rewrite(raw) if self.seen > self.after else None


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("action", "rewrite", "named"), CASES)
def test_plan_reads_a_malformed_answer_as_unreadable_never_as_data(
        emulator: Any, demo_credentials: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        action: str, rewrite: Callable[[bytes], bytes], named: str) -> None:
    emu = emulator(_state(), qps=0, audit_log=tmp_path / "audit.jsonl")
    tamper = Tampering(action, rewrite)
    with TamperProxy(emu.url, tamper) as proxy:
        code, out, err = _run(capsys, "plan", str(_yaml(tmp_path)), "--format", "json", "--out",
                              str(tmp_path / "plan.json"), "--endpoint", proxy.url)
    assert tamper.seen >= 1
    assert "Traceback" not in out + err
    plan = json.loads((tmp_path / "plan.json").read_text())
    if action == "GetCustomerAccountInfo":
        # never read as "not frozen": the check could not be made (the account-check rule decides what then)
        assert plan["preflight"]["status"] in {"unavailable", "error"}, plan["preflight"]
        assert "MalformedAnswer" in plan["preflight"]["detail"]
    else:
        assert code == 1, out + err
        assert named in out + err, out + err
        assert action in out + err  # the action is named next to the field
    # nothing is planned from an answer that was not read: no sync, no update of the tampered space
    if action != "GetCustomerAccountInfo":
        assert not [c for c in plan["changes"] if c["label"] in {"sync", "update-webhook", "update-profile"}]
    lines = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert not [e for e in lines if ACTIONS[e["action"]].is_write]


@pytest.mark.parametrize(("action", "rewrite", "named"),
                         [c for c in CASES if c.values[0] != "GetCustomerAccountInfo"])
def test_apply_records_a_malformed_answer_as_failed_changes_in_the_results_file(
        emulator: Any, demo_credentials: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        action: str, rewrite: Callable[[bytes], bytes], named: str) -> None:
    emu = emulator(_state(), qps=0, audit_log=tmp_path / "audit.jsonl")
    tamper = Tampering(action, rewrite, after=1)  # planning reads well; apply's own reads are tampered
    results = tmp_path / "results.json"
    with TamperProxy(emu.url, tamper) as proxy:
        code, out, err = _run(capsys, "apply", str(_yaml(tmp_path)), "--auto-approve", "--force",
                              "--results", str(results), "--endpoint", proxy.url)
    assert tamper.seen >= 2, "apply never re-read through the proxy"
    assert code == 1, out + err
    assert "Traceback" not in out + err
    report = json.loads(results.read_text())
    statuses = {r["address"]: r["status"] for r in report["results"]}
    assert "failed" in statuses.values(), report
    assert report["status"] == "failed"
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert any(named in r["message"] for r in failed), failed
