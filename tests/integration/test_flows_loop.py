"""WhatsApp Flows as code, end to end: the CLI in-process against the emulator over loopback HTTP (its
object storage taking the official OSS SDK's upload).

create (a draft, uploaded) → publish as its own change → empty plan; a draft's JSON edited (the diff by
screen, the preview link); a published Flow's JSON edited (refused without the opt-in, replaced with it, the
template naming it repointed and back to review); deprecate; prune of drafts; invalid JSON caught offline;
import round trip; the read-only key; no temporary credential in any output."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.client.actions import ACTIONS
from tests.conftest import REPO_ROOT

SPACE = "293483938849301"
PHONE = "8613800007101"
SIGNUP = json.loads((REPO_ROOT / "tests/fixtures/flows/signup.json").read_text(encoding="utf-8"))
READS = ["QueryChatappPhoneNumbers", "GetCustomerAccountInfo", "ListFlow", "GetFlow", "GetFlowJSONAssest",
         "GetFlowPreviewUrl", "ListChatappTemplate", "GetChatappTemplateDetail"]


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

    def run(self, *argv: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([*argv, "--endpoint", self.handle.url])
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
