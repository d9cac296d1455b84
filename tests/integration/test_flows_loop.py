"""WhatsApp Flows as code, end to end: the CLI in-process against the emulator over loopback HTTP (its
object storage taking the official OSS SDK's upload).

create (a draft, uploaded) → publish as its own change → empty plan; a draft's JSON edited (the diff by
screen, the preview link); a published Flow's JSON edited (refused without the opt-in, replaced with it, the
template naming it repointed and back to review); deprecate; prune of drafts; invalid JSON caught offline;
import round trip; the read-only key; no temporary credential in any output."""

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
from reconciler.emulator.catalog import ACTIONS as EMULATED
from tests.helpers.paths import REPO_ROOT

SPACE = "293483938849301"
PHONE = "8613800007101"
SIGNUP = json.loads((REPO_ROOT / "tests/fixtures/flows/signup.json").read_text(encoding="utf-8"))
#: the read-only key: every read action, no write (GetChatappUploadAuthorization is a write)
READS = sorted(a for a, spec in EMULATED.items() if not spec.write)


def state(flows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    space: dict[str, Any] = {"subscribed": True, "phone_numbers": [{
        "PhoneNumber": PHONE, "Status": "CONNECTED", "QualityRating": "GREEN"}], "flows": flows or [],
        "template_settings": {"review": "immediate"}}
    return {"keys": [{"access_key_id": "demo", "access_key_secret": "demo-secret"},
                     {"access_key_id": "readonly", "access_key_secret": "readonly-secret", "actions": READS}],
            "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": {SPACE: space}}


def join_template() -> dict[str, Any]:
    return {"name": "join", "language": "en_US", "category": "MARKETING",
            "components": [{"Type": "BODY", "Text": "Join Acme Rewards"},
                           {"Type": "BUTTONS", "Buttons": [{"Type": "FLOW", "Text": "Sign up", "flow": "signup",
                                                            "FlowAction": "NAVIGATE", "NavigateScreen": "DETAILS"}]}]}


class Loop:
    def __init__(self, emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]):
        self.emulator, self.tmp, self.capsys, self.monkeypatch = emulator, tmp_path, capsys, monkeypatch
        self.audit = tmp_path / "audit.jsonl"
        self.handle: Any = None
        monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
        monkeypatch.setenv("CAMS_RECONCILER_LOG", "debug")
        self.key("demo", "demo-secret")

    def key(self, key_id: str, secret: str) -> None:
        self.monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
        self.monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)

    def start(self, flows: list[dict[str, Any]] | None = None) -> Loop:
        self.handle = self.emulator(state(flows), qps=0, audit_log=self.audit)
        return self

    def yaml(self, flows: dict[str, Any], *, prune: bool = False, templates: list[dict[str, Any]] | None = None,
             doc: Any = None) -> Path:
        (self.tmp / "flows").mkdir(exist_ok=True)
        (self.tmp / "flows" / "signup.json").write_text(json.dumps(doc or SIGNUP, indent=2), encoding="utf-8")
        space: dict[str, Any] = {"name": "acme", "cust_space_id": SPACE, "unmanaged_numbers": "ignore",
                                 "numbers": [{"phone_number": f"+{PHONE}"}], "flows": {"prune": prune, "items": flows}}
        if templates:
            space["templates"] = {"items": templates}
        path = self.tmp / "spaces.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "spaces": [space]}, sort_keys=False), encoding="utf-8")
        return path

    def run(self, *argv: str, endpoint: bool = True) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([*argv, *(["--endpoint", self.handle.url] if endpoint else [])])
        out, err = self.capsys.readouterr()
        self.seen = getattr(self, "seen", "") + out + err
        return code, out + err

    def plan(self, path: Path, *extra: str) -> tuple[int, str]:
        return self.run("plan", str(path), "--detailed-exitcode", *extra)

    def apply(self, path: Path) -> tuple[int, str]:
        return self.run("apply", str(path), "--auto-approve")

    def writes(self) -> list[str]:
        lines = [json.loads(x) for x in self.audit.read_text().splitlines() if x.strip()] if self.audit.exists() else []
        self.audit.write_text("")
        return [e["action"] for e in lines if e.get("code") == "OK" and ACTIONS[e["action"]].is_write]

    def flows(self) -> dict[str, dict[str, Any]]:
        return {f["FlowName"]: f for f in self.handle.backend.snapshot()["spaces"][SPACE]["flows"]}

    def no_credential_shown(self) -> None:
        for grant in self.handle.backend.objects._grants.values():
            assert grant.access_key_secret not in self.seen and grant.security_token not in self.seen


@pytest.fixture
def loop(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Loop:
    return Loop(emulator, tmp_path, monkeypatch, capsys)


def signup(status: str = "draft", **extra: Any) -> dict[str, Any]:
    return {"signup": {"categories": ["SIGN_UP"], "json_file": "flows/signup.json", "status": status, **extra}}


def test_create_then_publish_as_its_own_change_then_an_empty_plan(loop: Loop) -> None:
    loop.start()
    path = loop.yaml(signup("published"))
    code, out = loop.plan(path)
    assert code == 2 and "+ create (space) flows.signup" in out, out
    assert "publishing is its own change" in out
    code, out = loop.apply(path)
    assert code == 0, out
    assert loop.writes() == ["CreateFlow", "GetChatappUploadAuthorization", "UpdateFlowJSONAsset"]
    assert loop.flows()["signup"]["Status"] == "DRAFT" and "preview: http" in out  # the outcome links the draft
    code, out = loop.plan(path)
    assert code == 2 and "publish" in out and "preview: http" in out, out  # the draft's preview, for review
    code, out = loop.apply(path)
    assert code == 0 and loop.writes() == ["PublishFlow"], out
    assert loop.flows()["signup"]["Status"] == "PUBLISHED"
    assert loop.plan(path)[0] == 0
    loop.no_credential_shown()


def edited(title: str = "Join us now") -> dict[str, Any]:
    doc = copy.deepcopy(SIGNUP)
    doc["screens"][0]["title"] = title
    return doc


def published(json_doc: Any = None, name: str = "signup") -> dict[str, Any]:
    return {"FlowName": name, "Categories": ["SIGN_UP"], "Status": "PUBLISHED", "JSON": json_doc or SIGNUP}


def test_a_drafts_json_edited_shows_the_diff_by_screen_and_its_preview(loop: Loop) -> None:
    loop.start([{**published(), "Status": "DRAFT"}])
    path = loop.yaml(signup("draft"), doc=edited())
    code, out = loop.plan(path)
    assert code == 2 and "~ update (space) flows.signup" in out, out
    assert 'json screen DETAILS: /title: "Join Acme Rewards" → "Join us now"' in out
    assert "preview: http" in out and "(the draft as uploaded now)" in out
    code, out = loop.apply(path)
    assert code == 0 and loop.writes() == ["GetChatappUploadAuthorization", "UpdateFlowJSONAsset"], out
    assert json.loads(loop.flows()["signup"]["JSON"])["screens"][0]["title"] == "Join us now"
    assert loop.plan(path)[0] == 0


def test_a_published_flows_change_is_refused_without_the_opt_in_and_replaced_with_it(loop: Loop) -> None:
    loop.start([published()])
    import time
    old = int(time.time() * 1000) - 3 * 24 * 3600 * 1000
    template = {"Name": "join", "Language": "en_US", "Category": "MARKETING", "AuditStatus": "pass",
                "QualityScore": "GREEN", "LastUpdateTime": old, "Components": [
                    {"Type": "BODY", "Text": "Join Acme Rewards"},
                    {"Type": "BUTTONS", "Buttons": [{"Type": "FLOW", "Text": "Sign up", "FlowAction": "NAVIGATE",
                                                     "NavigateScreen": "DETAILS",
                                                     "FlowId": loop.flows()["signup"]["FlowId"]}]}]}
    with_template = state([published()])
    with_template["spaces"][SPACE]["templates"] = [template]
    loop.handle.reset(with_template)
    old_id = loop.flows()["signup"]["FlowId"]
    path = loop.yaml(signup("published"), doc=edited(), templates=[join_template()])
    code, out = loop.plan(path)
    assert code == 1 and "a published Flow cannot change; set replace_published: true" in out, out
    code, out = loop.run("drift", str(path))
    assert code == 2 and "1 WhatsApp Flow differs from the YAML" in out, out
    code, out = loop.apply(path)
    assert code != 0 and loop.writes() == [], out
    path = loop.yaml(signup("published", replace_published=True), doc=edited(), templates=[join_template()])
    code, out = loop.plan(path)
    assert code == 2 and "~ replace (space) flows.signup" in out, out
    assert "replaced by: signup-v2" in out and "template join/en_US: repointed" in out
    assert "~ update (space) templates.join/en_US" in out and "known after apply" in out
    code, out = loop.apply(path)
    assert code == 0, out
    assert loop.writes() == ["CreateFlow", "GetChatappUploadAuthorization", "UpdateFlowJSONAsset", "PublishFlow",
                             "DeprecateFlow", "ModifyChatappTemplate"]
    flows = loop.flows()
    assert (flows["signup"]["Status"], flows["signup-v2"]["Status"]) == ("DEPRECATED", "PUBLISHED")
    button = loop.handle.backend.snapshot()["spaces"][SPACE]["templates"][0]["Components"][1]["Buttons"][0]
    assert button["FlowId"] == flows["signup-v2"]["FlowId"] != old_id
    assert loop.plan(path)[0] == 0
    loop.no_credential_shown()


def test_deprecate_and_prune_of_drafts(loop: Loop) -> None:
    loop.start([published(), {"FlowName": "old_draft", "Status": "DRAFT", "JSON": SIGNUP},
                {**published(name="old_live")}])
    path = loop.yaml(signup("deprecated"), prune=True)
    code, out = loop.plan(path)
    assert code == 2 and "~ deprecate (space) flows.signup" in out and "- delete (space) flows.old_draft" in out, out
    assert "flows.old_live" in out and "prune deletes drafts only" in out
    code, out = loop.apply(path)
    assert code == 0, out
    assert sorted(loop.writes()) == ["DeleteFlow", "DeprecateFlow"]
    assert {n: f["Status"] for n, f in loop.flows().items()} == {"signup": "DEPRECATED", "old_live": "PUBLISHED"}


def test_invalid_json_is_caught_offline_with_file_line_and_pointer(loop: Loop) -> None:
    loop.start()
    doc = copy.deepcopy(SIGNUP)
    doc["screens"][0]["layout"]["children"][3]["on-click-action"]["next"]["name"] = "NOWHERE"
    path = loop.yaml(signup(), doc=doc)
    code, out = loop.run("validate", str(path), endpoint=False)
    assert code != 0, out
    assert "flows/signup.json:" in out and "/screens/0/layout/children/3/on-click-action/next/name" in out
    assert "spaces.yaml:" in out  # and the YAML line that names the file


def test_the_read_only_key_plans_and_import_round_trips(loop: Loop) -> None:
    loop.start([published(), {"FlowName": "survey", "Categories": ["SURVEY"], "Status": "DRAFT", "JSON": SIGNUP}])
    loop.key("readonly", "readonly-secret")
    out_dir = loop.tmp / "imported"
    out_dir.mkdir()
    code, out = loop.run("import", "--space-id", SPACE, "--name", "acme", "--out", str(out_dir / "acme.yaml"))
    assert code == 0, out
    written = yaml.safe_load((out_dir / "acme.yaml").read_text(encoding="utf-8"))
    items = written["spaces"][0]["flows"]["items"]
    assert items["signup"] == {"categories": ["SIGN_UP"], "json_file": "flows/signup.json", "status": "published"}
    assert json.loads((out_dir / "flows" / "survey.json").read_text(encoding="utf-8")) == SIGNUP
    code, out = loop.plan(out_dir / "acme.yaml")
    assert code == 0, out


def test_a_hostile_flow_json_read_back_writes_no_line_of_its_own(loop: Loop) -> None:
    hostile = copy.deepcopy(SIGNUP)
    hostile["screens"][1]["id"] = "CONSENT\n::warning::pwned"
    loop.start([{"FlowName": "signup", "Categories": ["SIGN_UP"], "Status": "DRAFT", "JSON": hostile}])
    path = loop.yaml(signup("draft"))
    for fmt in ("text", "markdown"):
        code, out = loop.plan(path, "--format", fmt)
        assert code == 2 and "CONSENT\\n::warning::pwned" in out, out
        assert not any(line.lstrip().startswith("::warning::") for line in out.splitlines()), out
