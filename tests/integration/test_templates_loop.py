"""Templates as code, end to end: the CLI in-process against the emulator over loopback HTTP.

create → pending → approved → empty plan; modifying an approved template (the warning, the re-review);
rejection and pause as drift; pagination beyond one page; prune only with its opt-in; the guards before the
write; the read-only key; the offline validator's file:line:field errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.client.actions import ACTIONS

SPACE = "293483938849201"
PHONE = "8613800007001"
BODY = "Hello {{1}}, your order {{2}} has shipped."


def state(templates: list[dict[str, Any]] | None = None, **settings: Any) -> dict[str, Any]:
    space: dict[str, Any] = {"subscribed": True, "phone_numbers": [{
        "PhoneNumber": PHONE, "Status": "CONNECTED", "QualityRating": "GREEN",
        "StatusCallbackUrl": "https://hooks.t.example/status", "UpCallbackUrl": "https://hooks.t.example/inbound"}],
        "templates": templates or []}
    if settings:
        space["template_settings"] = settings
    return {"keys": [{"access_key_id": "demo", "access_key_secret": "demo-secret"},
                     {"access_key_id": "readonly", "access_key_secret": "readonly-secret",
                      "actions": ["QueryChatappPhoneNumbers", "ListChatappTemplate", "GetChatappTemplateDetail",
                                  "GetCustomerAccountInfo"]}],
            "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": {SPACE: space}}


def order(body: str = BODY, **extra: Any) -> dict[str, Any]:
    return {"name": "order_update", "language": "en_US", "category": "UTILITY",
            "components": [{"Type": "HEADER", "Format": "TEXT", "Text": "Your order"},
                           {"Type": "BODY", "Text": body},
                           {"Type": "BUTTONS", "Buttons": [{"Type": "URL", "Text": "Track it",
                                                            "Url": "https://acme.example/t/{{3}}",
                                                            "UrlType": "dynamic"}]}],
            "example": {"{{1}}": "Alice", "{{2}}": "A-1001", "{{3}}": "A-1001"}, **extra}


def approved(name: str = "welcome", body: str = "Welcome to Acme, {{1}}!", **extra: Any) -> dict[str, Any]:
    """A template the platform holds, in the emulator's state format."""
    return {"Name": name, "Language": "en_US", "Category": "MARKETING", "AuditStatus": "pass",
            "QualityScore": "GREEN", "Components": [{"Type": "BODY", "Text": body}],
            "Example": {"{{1}}": "Alice"}, **extra}


def welcome_item(body: str = "Welcome to Acme, {{1}}!") -> dict[str, Any]:
    return {"name": "welcome", "language": "en_US", "category": "MARKETING",
            "components": [{"Type": "BODY", "Text": body}], "example": {"{{1}}": "Alice"}}


class Loop:
    def __init__(self, emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]):
        self.emulator, self.tmp, self.capsys = emulator, tmp_path, capsys
        self.monkeypatch = monkeypatch
        self.audit = tmp_path / "audit.jsonl"
        self.handle: Any = None
        monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
        self.key("demo", "demo-secret")

    def key(self, key_id: str, secret: str) -> None:
        self.monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
        self.monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)

    def start(self, st: dict[str, Any]) -> Loop:
        self.handle = self.emulator(st, qps=0, audit_log=self.audit)
        return self

    def yaml(self, items: list[dict[str, Any]], **block: Any) -> Path:
        doc = {"version": 1, "spaces": [{"name": "acme", "cust_space_id": SPACE, "unmanaged_numbers": "ignore",
                                         "numbers": [{"phone_number": f"+{PHONE}"}],
                                         "templates": {**block, "items": items}}]}
        path = self.tmp / "spaces.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path

    def run(self, *argv: str, endpoint: bool = True) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([*argv, *(["--endpoint", self.handle.url] if endpoint else [])])
        out, err = self.capsys.readouterr()
        return code, out, err

    def plan(self, path: Path, *extra: str) -> tuple[int, str, str]:
        return self.run("plan", str(path), "--detailed-exitcode", *extra)

    def apply(self, path: Path) -> tuple[int, str, str]:
        return self.run("apply", str(path), "--auto-approve")

    def writes(self) -> list[str]:
        if not self.audit.exists():
            return []
        lines = [json.loads(x) for x in self.audit.read_text().splitlines() if x.strip()]
        return [e["action"] for e in lines if e.get("code") == "OK" and ACTIONS[e["action"]].is_write]

    def attempted(self) -> list[str]:
        """Every write request that reached the emulator, accepted or refused."""
        if not self.audit.exists():
            return []
        lines = [json.loads(x) for x in self.audit.read_text().splitlines() if x.strip()]
        return [e["action"] for e in lines if e["action"] in ACTIONS and ACTIONS[e["action"]].is_write]

    def template(self, name: str = "order_update", language: str = "en_US") -> dict[str, Any] | None:
        found = [t for t in self.handle.backend.snapshot()["spaces"][SPACE]["templates"]
                 if t["Name"] == name and t["Language"] == language]
        return found[0] if found else None


@pytest.fixture
def loop(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Loop:
    return Loop(emulator, tmp_path, monkeypatch, capsys)


def test_create_is_pending_review_then_approved_and_the_next_plan_is_empty(loop: Loop) -> None:
    loop.start(state())
    path = loop.yaml([order()], expect={"status": ["APPROVED"]})
    code, out, _ = loop.plan(path)
    assert code == 2 and "+ create (space) templates.order_update/en_US" in out, out
    assert "| Hello Alice, your order A-1001 has shipped." in out  # the message as it will read
    assert "| [Track it] → https://acme.example/t/A-1001" in out
    code, out, err = loop.apply(path)
    assert code == 0, out + err
    assert loop.writes() == ["CreateChatappTemplate"]
    assert "verified by re-read; pending review by Meta" in out  # in review: done, not failed
    created = loop.template()
    assert created is not None and created["AuditStatus"] == "auditing"
    assert created["Components"][1]["Text"] == BODY and created["Example"]["{{3}}"] == "A-1001"
    code, out, _ = loop.plan(path)
    assert code == 0, out  # pending review is neither a change nor drift
    loop.handle.backend.review_template(SPACE, "order_update", "en_US", "pass")
    code, out, _ = loop.plan(path)
    assert code == 0, out


def test_modifying_an_approved_template_warns_and_sends_it_back_to_review(loop: Loop) -> None:
    loop.start(state([approved()]))
    path = loop.yaml([welcome_item("Welcome to Acme, {{1}}!\nEnjoy 10% off today.")])
    code, out, _ = loop.plan(path)
    assert code == 2 and "~ update (space) templates.welcome/en_US" in out, out
    assert "sends it back to review" in out and "status: APPROVED" in out
    assert "before:" in out and "after:" in out and "  + Enjoy 10% off today." in out
    code, out, err = loop.apply(path)
    assert code == 0, out + err
    assert loop.writes() == ["ModifyChatappTemplate"]
    entry = loop.template("welcome")
    assert entry is not None and entry["AuditStatus"] == "auditing" and "Enjoy" in entry["Components"][0]["Text"]
    assert loop.plan(path)[0] == 0


def test_an_approved_template_edited_today_is_refused_before_the_write(loop: Loop) -> None:
    import time
    loop.start(state([approved(LastUpdateTime=int(time.time() * 1000) - 3600_000)]))
    path = loop.yaml([welcome_item("Welcome back, {{1}}!")])
    code, out, err = loop.apply(path)
    assert code == 1 and "once in 24 hours" in out + err, out + err
    assert loop.attempted() == []  # refused before the write, not by the API


def test_a_category_change_of_an_approved_template_is_refused_before_the_write(loop: Loop) -> None:
    loop.start(state([approved()]))
    item = welcome_item()
    item["category"] = "UTILITY"
    code, out, err = loop.apply(loop.yaml([item]))
    assert code == 1 and "category of an approved template cannot change" in out + err, out + err
    assert loop.attempted() == []


def test_the_waba_limit_is_a_guard_before_the_write(loop: Loop) -> None:
    loop.start(state([approved()]))
    code, out, err = loop.apply(loop.yaml([welcome_item(), order()], max_templates=1))
    assert code == 1 and "max_templates is 1" in out + err, out + err
    assert loop.attempted() == []


def test_rejection_and_pause_are_drift_with_the_reason(loop: Loop) -> None:
    loop.start(state([approved(AuditStatus="fail", Reason="INVALID_FORMAT"),
                      approved("promo", "Sale, {{1}}!", AuditStatus="paused", QualityScore="RED")]))
    promo = welcome_item("Sale, {{1}}!")
    promo["name"] = "promo"
    path = loop.yaml([welcome_item(), promo], expect={"status": ["APPROVED"], "quality": ["GREEN", "YELLOW"]})
    code, out, _ = loop.plan(path)
    assert code == 0, out  # --detailed-exitcode: report-only findings, nothing for apply to write
    assert "templates.welcome/en_US.status" in out and "is REJECTED (INVALID_FORMAT)" in out
    assert "templates.promo/en_US.status" in out and "is PAUSED" in out
    assert "templates.promo/en_US.quality" in out and "quality is RED" in out
    code, out, _ = loop.run("drift", str(path))
    assert code == 2, out


def test_pagination_beyond_one_page_and_prune_only_with_its_opt_in(loop: Loop) -> None:
    extra = [approved(f"old_{i:02d}", f"Old offer {i}, {{{{1}}}}!") for i in range(55)]
    loop.start(state([approved(), *extra]))
    path = loop.yaml([welcome_item()])
    code, out, _ = loop.plan(path, "--format", "json")
    assert code == 0, out  # 56 templates (two pages of 50), only one declared: nothing to do without prune
    calls = json.loads(out)["calls"]
    assert calls["ListChatappTemplate"] == 2 and calls["GetChatappTemplateDetail"] == 1, calls
    pruned = loop.yaml([welcome_item()], prune=True)
    code, out, _ = loop.plan(pruned)
    assert code == 2 and out.count("- delete (space) templates.old_") == 55, out
    assert "templates.welcome" not in out
    code, out, err = loop.apply(pruned)
    assert code == 0, out + err
    assert loop.writes() == ["DeleteChatappTemplate"] * 55
    assert [t["Name"] for t in loop.handle.backend.snapshot()["spaces"][SPACE]["templates"]] == ["welcome"]
    assert loop.plan(pruned)[0] == 0


def test_the_read_only_key_plans_templates_and_cannot_write_them(loop: Loop) -> None:
    loop.start(state())
    loop.key("readonly", "readonly-secret")
    path = loop.yaml([order()])
    code, out, _ = loop.plan(path)
    assert code == 2 and "create (space) templates.order_update/en_US" in out
    code, out, err = loop.apply(path)
    assert code == 1 and "Ram.PermissionDeny" in out + err, out + err
    assert loop.template() is None


def test_the_markdown_comment_shows_the_message_before_and_after(loop: Loop) -> None:
    loop.start(state([approved()]))
    path = loop.yaml([welcome_item("Welcome to Acme, {{1}}! See you soon.")])
    code, out, _ = loop.plan(path, "--format", "markdown")
    assert code == 2
    assert "Welcome to Acme, Alice!" in out and "Welcome to Acme, Alice! See you soon." in out
    assert "- Welcome to Acme, {{1}}!" in out and "+ Welcome to Acme, {{1}}! See you soon." in out


def test_validate_reports_every_template_problem_with_file_line_and_field(loop: Loop, tmp_path: Path) -> None:
    loop.start(state())
    bad = order("{{1}} hi {{4}}")
    bad["components"][2]["Buttons"][0]["Text"] = "x" * 30
    dup = copy.deepcopy(order())
    path = loop.yaml([bad, dup])
    code, out, err = loop.run("validate", str(path), endpoint=False)
    err += out
    assert code == 1
    lines = [line for line in err.splitlines() if "error:" in line]
    assert any("start or end with a placeholder" in line and "templates.items[0].components[1].Text" in line
               for line in lines), err
    assert any("at most 25 characters" in line for line in lines), err
    assert any("needs an example" in line for line in lines), err
    assert any("declared twice" in line and "templates.items[1].name" in line for line in lines), err
    assert all(line.startswith(f"{path}:") for line in lines), err


def test_import_writes_templates_that_plan_clean(loop: Loop) -> None:
    sdk_style = [{"Type": "HEADER", "Format": "TEXT", "Text": "Your order", "Buttons": [], "Cards": []},
                 {"Type": "BODY", "Text": BODY, "Buttons": [], "Cards": []},
                 {"Type": "BUTTONS", "Cards": [], "Buttons": [
                     {"Type": "URL", "Text": "Track it", "Url": "https://acme.example/t/{{3}}", "UrlType": "dynamic"},
                     {"Type": "QUICK_REPLY", "Text": "Stop"}]}]
    loop.start(state([approved(), approved("order_update", Category="UTILITY", Components=sdk_style,
                                            Example={"{{1}}": "Alice", "{{2}}": "A-1001", "{{3}}": "A-1001"},
                                            MessageSendTtlSeconds=3600),
                      approved("welcome", "Willkommen, {{1}}!", Language="de")]))
    out = loop.tmp / "imported.yaml"
    code, stdout, err = loop.run("import", "--space-id", SPACE, "--name", "acme", "--out", str(out))
    assert code == 0, stdout + err
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    items = doc["spaces"][0]["templates"]["items"]
    assert [(i["name"], i["language"]) for i in items] == [("order_update", "en_US"), ("welcome", "de"),
                                                          ("welcome", "en_US")]
    assert items[0]["components"][2]["Buttons"][1] == {"Type": "QUICK_REPLY", "Text": "Stop"}  # no empty lists
    assert items[0]["example"] == {"{{1}}": "Alice", "{{2}}": "A-1001", "{{3}}": "A-1001"}
    assert items[0]["message_send_ttl_seconds"] == 3600
    code, stdout, err = loop.plan(out)
    assert code == 0, stdout + err


def test_a_saved_plan_applies_and_a_template_changed_since_the_review_is_refused(loop: Loop) -> None:
    loop.start(state([approved()]))
    path = loop.yaml([welcome_item("Welcome back, {{1}}!"), order()])
    saved = loop.tmp / "plan.json"
    code, out, err = loop.run("plan", str(path), "--out", str(saved))
    assert code == 0, out + err
    # the platform moves the approved template after the review: its update is stale, the create is not
    loop.handle.backend.set_template_fields(SPACE, "welcome", "en_US",
                                            Components=[{"Type": "BODY", "Text": "Changed in the console, {{1}}"}])
    code, out, err = loop.run("apply", str(path), "--plan", str(saved), "--auto-approve")
    assert code == 1, out + err
    assert "stale" in (out + err).lower() or "moved" in (out + err).lower(), out + err
    assert "ModifyChatappTemplate" not in loop.writes()
    loop2 = loop.yaml([order()])
    saved2 = loop.tmp / "plan2.json"
    assert loop.run("plan", str(loop2), "--out", str(saved2))[0] == 0
    code, out, err = loop.run("apply", str(loop2), "--plan", str(saved2), "--auto-approve")
    assert code == 0, out + err
    assert loop.writes()[-1] == "CreateChatappTemplate"
