"""Attribution (``drift --attribution``): when a webhook was changed behind the repository's back (the
previous read, from the state file) and who (ActionTrail LookupEvents), against one running emulator that
records every write as an ActionTrail event. Also LookupEvents itself, through the official SDK and strict
to its request model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_actiontrail20200706 import models as trail
from alibabacloud_actiontrail20200706.client import Client as TrailClient
from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_tea_util.models import RuntimeOptions

from reconciler.cli import main
from reconciler.client import CamsClient, Credentials

NUMBERS = ("8613800001234", "8613800001235")
STATUS = "https://hooks.example/s"


@pytest.fixture
def world(emulator, example_state, tmp_path: Path, monkeypatch) -> tuple[Any, Path]:
    state = dict(example_state)
    state["keys"] = [*example_state["keys"], {"access_key_id": "console-alice", "access_key_secret": "alice-secret"}]
    state["spaces"] = {"900400": {"phone_numbers": [
        {"PhoneNumber": n, "Status": "CONNECTED", "VerifiedName": "Shop", "StatusCallbackUrl": STATUS} for n in NUMBERS]}}
    emu = emulator(state, qps=0)
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    (spaces / "shop.yaml").write_text(yaml.safe_dump({"version": 1, "spaces": [{
        "name": "shop", "cust_space_id": "900400",
        "numbers": [{"phone_number": n, "webhooks": {"status_callback_url": STATUS}} for n in NUMBERS]}]}))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    return emu, spaces


def repoint_in_the_console(emu: Any) -> None:
    async def go() -> None:
        async with CamsClient(Credentials("console-alice", "alice-secret"), endpoint=emu.url, qps=50) as c:
            await c.call("UpdatePhoneWebhook", {"CustSpaceId": "900400", "PhoneNumber": NUMBERS[1],
                                                "StatusCallbackUrl": "https://console.example/s?token=t0ps3cret"})
    asyncio.run(go())


def test_who_changed_the_webhook(world, tmp_path: Path, capsys) -> None:
    emu, spaces = world
    state = tmp_path / "drift-state.json"
    argv = ["drift", str(spaces), "--endpoint", emu.url, "--state", str(state), "--attribution"]
    assert main(argv) == 0
    capsys.readouterr()
    repoint_in_the_console(emu)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "changed after " in out
    who = [line.strip() for line in out.splitlines() if line.strip().startswith("who: ")]
    assert len(who) == 1 and who[0].startswith("who: console-alice (ram-user) called UpdatePhoneWebhook at "), out
    assert "t0ps3cret" not in out + err


def test_without_the_permission_the_finding_says_so(world, tmp_path: Path, capsys, monkeypatch) -> None:
    emu, spaces = world
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "readonly")  # its policy has no LookupEvents
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "readonly-secret")
    state = tmp_path / "drift-state.json"
    argv = ["drift", str(spaces), "--endpoint", emu.url, "--state", str(state), "--attribution"]
    assert main(argv) == 0
    repoint_in_the_console(emu)
    assert main(argv) == 2  # the finding, not an error
    out = capsys.readouterr().out
    assert "who: unknown: ActionTrail lookup failed" in out and "Ram.PermissionDeny" in out


def _sdk(emu: Any) -> TrailClient:
    return TrailClient(Config(access_key_id="demo", access_key_secret="demo-secret", endpoint=emu.endpoint,
                              protocol="http"))


def test_lookup_events_through_the_official_sdk(world) -> None:
    emu, _ = world
    repoint_in_the_console(emu)
    attribute = trail.LookupEventsRequestLookupAttribute(key="EventName", value="UpdatePhoneWebhook")
    answer = _sdk(emu).lookup_events_with_options(
        trail.LookupEventsRequest(lookup_attribute=[attribute], max_results="10"), RuntimeOptions())
    [event] = answer.body.events
    assert event["eventName"] == "UpdatePhoneWebhook" and event["userIdentity"]["accessKeyId"] == "console-alice"
    assert event["requestParameters"] == {"CustSpaceId": "900400", "PhoneNumber": NUMBERS[1]}  # never the URL
    assert answer.body.request_id


@pytest.mark.parametrize("request_model,words", [
    (trail.LookupEventsRequest(max_results="51"), "MaxResults"),
    (trail.LookupEventsRequest(start_time="2026-12-02 06:00:00"), "StartTime"),
    (trail.LookupEventsRequest(start_time="2026-12-02T06:00:00Z", end_time="2026-12-01T06:00:00Z"), "StartTime"),
    (trail.LookupEventsRequest(direction="SIDEWAYS"), "Direction"),
    (trail.LookupEventsRequest(lookup_attribute=[trail.LookupEventsRequestLookupAttribute(key="Colour", value="x")]),
     "LookupAttribute.1.Key"),
    (trail.LookupEventsRequest(lookup_attribute=[trail.LookupEventsRequestLookupAttribute(key="User", value="a"),
                                                 trail.LookupEventsRequestLookupAttribute(key="EventRW", value="Write")]),
     "only one query condition"),
    (trail.LookupEventsRequest(next_token="forged"), "NextToken"),
])
def test_lookup_events_is_strict(world, request_model, words) -> None:
    emu, _ = world
    with pytest.raises(Exception) as caught:
        _sdk(emu).lookup_events_with_options(request_model, RuntimeOptions())
    assert "InvalidParameter" in str(caught.value) and words in str(caught.value)
