"""Drift over a week, against the emulator: transitions (``--state``), acknowledgements, ``--fail-on``, the
issue operations and the chat notification — the walk-through of docs/drift.md, run for real.

One space, two numbers. Each "day" edits the emulator's state (what happened in the console) and/or the
YAML, then runs ``cams-reconciler drift`` with ``--now`` set to that day.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main

NUMBERS = ("8613800001234", "8613800001235")
STATUS = "https://hooks.example/s"


def space_yaml(acknowledge: list[dict[str, str]] | None = None) -> dict[str, Any]:
    space: dict[str, Any] = {
        "name": "shop", "cust_space_id": "900200", "unmanaged_numbers": "report",
        "numbers": [{"phone_number": n, "webhooks": {"status_callback_url": STATUS},
                     "expect": {"quality_rating": ["GREEN"]}} for n in NUMBERS]}
    if acknowledge:
        space["acknowledge"] = acknowledge
    return {"version": 1, "spaces": [space]}


def emulator_state(example_state: dict[str, Any], *, rating: str = "GREEN", status_url: str = STATUS) -> dict[str, Any]:
    state = dict(example_state)
    state["spaces"] = {"900200": {"phone_numbers": [
        {"PhoneNumber": NUMBERS[0], "Status": "CONNECTED", "VerifiedName": "Shop", "QualityRating": rating,
         "StatusCallbackUrl": STATUS},
        {"PhoneNumber": NUMBERS[1], "Status": "CONNECTED", "VerifiedName": "Shop", "QualityRating": "GREEN",
         "StatusCallbackUrl": status_url}]}}
    return state


class World:
    def __init__(self, tmp_path: Path, example_state: dict[str, Any]) -> None:
        self.dir = tmp_path
        self.example = example_state
        self.spaces = tmp_path / "spaces"
        self.spaces.mkdir()
        self.state_file = tmp_path / "drift-state.json"
        self.emu = tmp_path / "emulator.yaml"
        self.issues = tmp_path / "issues.json"
        self.set_yaml()
        self.set_account()

    def set_yaml(self, acknowledge: list[dict[str, str]] | None = None) -> None:
        (self.spaces / "shop.yaml").write_text(yaml.safe_dump(space_yaml(acknowledge), sort_keys=False))

    def set_account(self, **kwargs: Any) -> None:
        self.emu.write_text(yaml.safe_dump(emulator_state(self.example, **kwargs)))

    def drift(self, day: str, *extra: str) -> int:
        return main(["drift", str(self.spaces), "--emulator", str(self.emu), "--state", str(self.state_file),
                     "--now", f"2026-12-{day}T06:00:00Z", "--issues-out", str(self.issues), *extra])

    def operations(self) -> dict[str, Any]:
        return json.loads(self.issues.read_text())["operations"][0]


@pytest.fixture
def world(tmp_path: Path, example_state: dict[str, Any]) -> World:
    return World(tmp_path, example_state)


RATING = "shop/8613800001234/drift/expect.quality_rating"


def test_a_week_of_drift(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    # Monday: all in sync. The first run: no state yet, nothing found, the space's issue (if any) is closed.
    assert world.drift("07") == 0
    out = capsys.readouterr().out
    assert "Since no earlier run: 0 new, 0 changed, 0 ongoing, 0 resolved." in out
    assert world.operations()["state"] == "closed"
    state = json.loads(world.state_file.read_text())
    assert state["spaces"]["shop"]["read_at"] == "2026-12-07T06:00:00Z"

    # Tuesday: the quality rating drops to YELLOW. New: the job fails, the issue opens.
    world.set_account(rating="YELLOW")
    assert world.drift("08") == 2
    out = capsys.readouterr().out
    assert "1 new, 0 changed, 0 ongoing, 0 resolved." in out
    new_line = next(line for line in out.splitlines() if line.lstrip().startswith("new "))
    assert "shop ! drift 8613800001234 expect.quality_rating" in new_line
    assert "changed after 2026-12-07T06:00:00Z (the last run that saw the old value)" in out
    op = world.operations()
    assert op["state"] == "open" and op["title"] == "cams drift: shop"
    assert "**new** `! drift 8613800001234 expect.quality_rating`" in op["body"]
    assert op["comment"].startswith("Drift run 2026-12-08T06:00:00Z: 1 new, 0 resolved.")

    # Wednesday: still YELLOW. Ongoing: --fail-on new passes, the default still fails; no new comment.
    assert world.drift("09", "--fail-on", "new") == 0
    assert "0 new, 0 changed, 1 ongoing, 0 resolved." in capsys.readouterr().out
    assert world.operations()["state"] == "open" and world.operations()["comment"] is None
    assert world.drift("09") == 2
    capsys.readouterr()

    # Thursday: the team acknowledges it until Friday. Shown as acknowledged, does not fail the job.
    world.set_yaml([{"finding": "8613800001234/drift/expect.quality_rating", "reason": "Meta review pending",
                     "until": "2026-12-11"}])
    assert world.drift("10") == 0
    out = capsys.readouterr().out
    assert "acknowledged until 2026-12-11: Meta review pending" in out
    assert "0 new, 0 changed, 1 ongoing, 0 resolved; 1 acknowledged." in out
    assert "**acknowledged**" in world.operations()["body"]
    saved = json.loads(world.state_file.read_text())["spaces"]["shop"]["findings"][RATING]
    assert saved["acknowledged"] is True and saved["first_seen"] == "2026-12-08T06:00:00Z"

    # Friday is the last day it holds; Saturday it has expired: the finding is back (new again, fails even
    # with --fail-on new), and the expired acknowledgement is a finding of its own.
    assert world.drift("11", "--fail-on", "new") == 0
    capsys.readouterr()
    assert world.drift("12", "--fail-on", "new") == 2
    out = capsys.readouterr().out
    assert "back: its acknowledgement ended" in out
    assert "! acknowledgement expired 8613800001234/drift/expect.quality_rating (until 2026-12-11)" in out
    assert "2 new, 0 changed, 0 ongoing, 0 resolved." in out

    # Sunday: the rating is GREEN again and the acknowledgement is removed: both findings are resolved, the
    # job passes and the issue is closed with a comment naming them.
    world.set_account(rating="GREEN")
    world.set_yaml()
    assert world.drift("13") == 0
    out = capsys.readouterr().out
    assert "0 new, 0 changed, 0 ongoing, 2 resolved." in out
    op = world.operations()
    assert op["state"] == "closed" and "2 resolved" in op["comment"]
    assert json.loads(world.state_file.read_text())["spaces"]["shop"]["findings"] == {}


def test_changed_value_is_a_transition_and_unread_spaces_keep_their_findings(world: World, capsys) -> None:
    world.set_account(status_url="https://console.example/s")
    assert world.drift("07") == 2
    world.set_account(status_url="https://other.example/s")  # repointed again: the same address, new values
    assert world.drift("08", "--fail-on", "new") == 2
    assert "0 new, 1 changed, 0 ongoing, 0 resolved." in capsys.readouterr().out
    before = json.loads(world.state_file.read_text())
    # A run that cannot read the space (unsubscribed) fails, and resolves nothing.
    state = emulator_state(world.example)
    state["spaces"]["900200"]["subscribed"] = False
    world.emu.write_text(yaml.safe_dump(state))
    assert world.drift("09") == 1
    after = json.loads(world.state_file.read_text())
    assert after["spaces"]["shop"] == before["spaces"]["shop"]
    assert json.loads(world.issues.read_text())["operations"] == []  # an unread space: no issue operation


def test_json_report_holds_the_state_and_stands_in_for_it(world: World, capsys) -> None:
    world.set_account(rating="YELLOW")
    assert main(["drift", str(world.spaces), "--emulator", str(world.emu), "--format", "json",
                 "--now", "2026-12-07T06:00:00Z", "--state", str(world.state_file)]) == 2
    report = capsys.readouterr().out
    doc = json.loads(report)
    assert doc["transitions"]["counts"]["new"] == 1 and doc["state"]["spaces"]["shop"]["findings"][RATING]
    last = world.dir / "last-report.json"
    last.write_text(report)
    assert main(["drift", str(world.spaces), "--emulator", str(world.emu), "--format", "json",
                 "--now", "2026-12-08T06:00:00Z", "--state", str(last), "--fail-on", "new"]) == 0
    assert json.loads(capsys.readouterr().out)["transitions"]["counts"]["ongoing"] == 1


def test_markdown_shows_the_transitions(world: World, capsys) -> None:
    world.set_account(rating="YELLOW")
    assert world.drift("07", "--format", "markdown") == 2
    out = capsys.readouterr().out
    assert "#### Since the last run" in out and "| new | shop | `! drift 8613800001234 expect.quality_rating` |" in out


def test_bad_state_file_is_one_line(world: World, capsys) -> None:
    world.state_file.write_text('{"format": "something else"}')
    assert world.drift("07") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --state ") and "not a drift state file" in err and "Traceback" not in err


def test_acknowledgement_errors_name_file_and_line(world: World, capsys) -> None:
    world.set_yaml([{"finding": "8613800001234/drfit", "reason": "typo", "until": "2026-02-30"}])
    assert main(["validate", str(world.spaces)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert any("shop.yaml:" in line and "'2026-02-30' is not a calendar date" in line
               and "spaces[0].acknowledge[0].until" in line for line in lines), err
    assert any("unknown action 'drfit'" in line and "spaces[0].acknowledge[0].finding" in line for line in lines), err
    world.set_yaml([{"finding": "*/drift", "until": "2026-12-01"}])  # no reason: the schema's message
    assert main(["validate", str(world.spaces)]) == 1
    assert "reason" in capsys.readouterr().err


# -- the chat notification: only new and resolved, to a local webhook, URL never printed -----------------------

class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    answer: bytes = b'{"ok": true}'

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def chat_hook() -> Any:
    class Hook(_Hook):
        received: list[dict[str, Any]] = []

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Hook, f"http://127.0.0.1:{server.server_port}/hook?access_token=s3cr3t-chat-token"
    server.shutdown()
    server.server_close()


def test_chat_notification_new_and_resolved_only(world: World, chat_hook, capsys, monkeypatch) -> None:
    hook, url = chat_hook
    monkeypatch.setenv("CHAT_WEBHOOK", url)
    notify = ("--notify-url-env", "CHAT_WEBHOOK", "--notify-format", "dingtalk")
    assert world.drift("07", *notify) == 0  # nothing new or resolved: nothing posted
    world.set_account(rating="YELLOW")
    assert world.drift("08", *notify) == 2
    assert world.drift("09", *notify) == 2  # ongoing: nothing posted
    world.set_account()
    assert world.drift("10", *notify) == 0
    out, err = capsys.readouterr()
    assert len(hook.received) == 2
    first, second = (m["text"]["content"] for m in hook.received)
    assert hook.received[0]["msgtype"] == "text"
    assert first.startswith("cams-reconciler drift 2026-12-08T06:00:00Z: 1 new, 0 resolved")
    assert "new: shop ! drift 8613800001234 expect.quality_rating" in first
    assert "resolved: shop ! drift 8613800001234 expect.quality_rating" in second
    assert "s3cr3t-chat-token" not in out + err and "127.0.0.1:" not in out + err


def test_chat_refusal_is_an_error_without_the_url(world: World, chat_hook, capsys, monkeypatch) -> None:
    hook, url = chat_hook
    hook.answer = b'{"errcode": 310000, "errmsg": "keywords not in content"}'
    monkeypatch.setenv("CHAT_WEBHOOK", url)
    world.set_account(rating="YELLOW")
    assert world.drift("08", "--notify-url-env", "CHAT_WEBHOOK", "--notify-format", "dingtalk") == 1
    err = capsys.readouterr().err
    assert "refused the message: errcode 310000" in err and "s3cr3t" not in err and "127.0.0.1" not in err
    monkeypatch.delenv("CHAT_WEBHOOK")
    assert world.drift("09", "--notify-url-env", "CHAT_WEBHOOK") == 1  # before any read
    assert "--notify-url-env CHAT_WEBHOOK: the variable is not set" in capsys.readouterr().err


def test_empty_chat_variable_means_not_configured(world: World, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CHAT_WEBHOOK", "")  # how a workflow passes a secret nobody set
    world.set_account(rating="YELLOW")
    assert world.drift("08", "--notify-url-env", "CHAT_WEBHOOK") == 2
    assert "$CHAT_WEBHOOK is empty: no chat notification is sent" in capsys.readouterr().err
