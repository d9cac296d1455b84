"""The number-settings actions through our own client's generic ``call`` (the path the kinds use), against the
emulator over HTTP: parameters checked before sending, sent as the official SDK sends them (compared on the
emulator's audit log with the SDK's own requests), answers and errors as the client reports them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_cams20200606 import models as cams

from reconciler.client import CamsClient, ClientError, Credentials, InvalidRequestError, ParameterError
from reconciler.emulator import EmulatorHandle, load_state
from tests.helpers.sdk import cams_client
from tests.helpers.settings import KEYS, NUMBER, RETAIL, default_settings_state

STATE = default_settings_state()


@pytest.fixture(scope="module")
def emu_state() -> dict[str, Any]:
    return STATE


@pytest.fixture(scope="module")
def audit_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit") / "audit.jsonl"


@pytest.fixture(scope="module")
def emu_options(audit_log: Path) -> dict[str, Any]:
    return {"qps": 0, "audit_log": audit_log}


def call(emu: EmulatorHandle, action: str, params: dict[str, Any], key: tuple[str, str] | None = None) -> Any:
    async def main() -> Any:
        async with CamsClient(Credentials(*(key or emu.credentials)), endpoint=emu.url) as client:
            return await client.call(action, params)

    return asyncio.run(main())


def audit_params(log: Path, action: str) -> list[dict[str, str]]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line["parameters"] for line in lines if line["action"] == action]


def test_every_setting_round_trips_through_call(emu: EmulatorHandle) -> None:
    number = {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER}
    call(emu, "UpdateCommerceSetting", {**number, "CartEnable": False, "CatalogVisible": True})
    assert call(emu, "GetCommerceSetting", number)["Data"] == {"CartEnable": False, "CatalogVisible": True}

    commands = [{"CommandName": "order", "CommandDescription": "Track an order"}]
    call(emu, "UpdateConversationalAutomation", {**number, "EnableWelcomeMessage": True, "Prompts": ["Hi there"],
                                                 "Commands": commands})
    data = call(emu, "GetConversationalAutomation", number)["Data"]
    assert (data["EnableWelcomeMessage"], data["Prompts"], data["Commands"]) == (True, ["Hi there"], commands)

    pem = (KEYS / "flows-2048.pem").read_text(encoding="ascii")
    call(emu, "UpdatePhoneEncryptionPublicKey", {**number, "EncryptionPublicKey": pem})
    key = call(emu, "GetPhoneEncryptionPublicKey", number)["Data"]
    assert key["EncryptionPublicKey"] == pem and key["EncryptionPublicKeyStatus"] == "VALID"

    created = call(emu, "CreatePhoneMessageQrdl", {**number, "PrefilledMessage": "Hi ☕ & more",
                                                   "GenerateQrImage": "PNG"})["Data"]
    assert created["DeepLinkUrl"] == f"https://wa.me/message/{created['QrdlCode']}"
    call(emu, "UpdatePhoneMessageQrdl", {**number, "QrdlCode": created["QrdlCode"], "PrefilledMessage": "Hello",
                                         "GenerateQrImage": "SVG"})
    listed = call(emu, "ListPhoneMessageQrdl", number)["Data"]
    assert [(q["QrdlCode"], q["PrefilledMessage"]) for q in listed] == [(created["QrdlCode"], "Hello")]
    call(emu, "DeletePhoneMessageQrdl", {**number, "QrdlCode": created["QrdlCode"]})
    assert call(emu, "ListPhoneMessageQrdl", number)["Data"] == []

    call(emu, "UpdateAccountWebhook", {"CustSpaceId": RETAIL, "StatusCallbackUrl": "https://hooks.acme.example/a",
                                       "HttpFlag": True, "QueueFlag": False})
    assert emu.backend.snapshot()["spaces"][RETAIL]["account_webhook"] == {
        "StatusCallbackUrl": "https://hooks.acme.example/a", "HttpFlag": "Y", "QueueFlag": "N"}

    health = call(emu, "GetWhatsappHealthStatus", {"CustSpaceId": RETAIL, "NodeType": "phone",
                                                   "PhoneNumber": NUMBER})["Data"]
    assert health["CanSendMessage"] == "AVAILABLE"


def test_our_wire_form_is_the_sdks(audit_log: Path, emu: EmulatorHandle) -> None:
    """The same requests through the SDK and through ``call`` reach the emulator with the same parameters."""
    log = audit_log
    before = {a: len(audit_params(log, a)) for a in ("UpdateConversationalAutomation", "UpdateCommerceSetting")}
    commands = [{"CommandName": "hours", "CommandDescription": "Öffnungszeiten 9–21 \"quoted\""}]
    cams_client(emu).update_conversational_automation(cams.UpdateConversationalAutomationRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, enable_welcome_message=False, prompts=["Où est ma commande ?"],
        commands=[cams.UpdateConversationalAutomationRequestCommands(**{
            "command_name": c["CommandName"], "command_description": c["CommandDescription"]}) for c in commands]))
    # the SDK puts CommandDescription before CommandName (its to_map order); the order is the caller's in ours
    ours = [{"CommandDescription": c["CommandDescription"], "CommandName": c["CommandName"]} for c in commands]
    call(emu, "UpdateConversationalAutomation", {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER,
                                                 "EnableWelcomeMessage": False, "Prompts": ["Où est ma commande ?"],
                                                 "Commands": ours})
    cams_client(emu).update_commerce_setting(cams.UpdateCommerceSettingRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, cart_enable=True, catalog_visible=False))
    call(emu, "UpdateCommerceSetting", {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER, "CartEnable": True,
                                        "CatalogVisible": False})
    for action, start in before.items():
        sdk, mine = audit_params(log, action)[start:]
        assert mine == sdk, action
    assert audit_params(log, "UpdateCommerceSetting")[-1]["CartEnable"] == "True"


@pytest.mark.parametrize("action, params, fragment", [
    ("UpdateCommerceSetting", {"CartEnable": True}, "needs CatalogVisible"),
    ("UpdateCommerceSetting", {"CartEnable": "yes", "CatalogVisible": False}, "takes a boolean"),
    ("UpdateConversationalAutomation", {"Prompts": "not json"}, "not valid JSON"),
    ("UpdateConversationalAutomation", {"Commands": {"CommandName": "x"}}, "takes a JSON list"),
    ("CreatePhoneMessageQrdl", {"PrefilledMessage": "Hi"}, "needs GenerateQrImage"),
    ("DeletePhoneMessageQrdl", {}, "needs QrdlCode"),
    ("UpdateAccountWebhook", {"HttpFlag": "true"}, "takes Y or N"),
    ("GetWhatsappHealthStatus", {}, "needs NodeType"),
    ("GetCommerceSetting", {"Prompts": []}, "has no parameter Prompts"),
])
def test_bad_parameters_are_refused_before_sending(audit_log: Path, emu: EmulatorHandle,
                                                   action: str, params: dict[str, Any], fragment: str) -> None:
    log = audit_log
    sent = len(audit_params(log, action))
    with pytest.raises(ParameterError, match=fragment):
        call(emu, action, {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER, **params}
             if action != "UpdateAccountWebhook" else {"CustSpaceId": RETAIL, **params})
    assert len(audit_params(log, action)) == sent  # nothing was sent


def test_the_emulators_refusals_reach_the_caller(emu: EmulatorHandle) -> None:
    with pytest.raises(InvalidRequestError) as info:
        call(emu, "UpdateConversationalAutomation", {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER,
                                                     "Prompts": ["a", "b", "c", "d", "e"]})
    assert info.value.code == "InvalidParameter" and info.value.request_id
    with pytest.raises(ClientError) as gone:
        call(emu, "DeletePhoneMessageQrdl", {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER, "QrdlCode": "ABCDEFGH"})
    assert gone.value.code == "Qrdl.NotFound"


def test_read_only_key_reads_settings_and_cannot_write(emu: EmulatorHandle, example_state: dict[str, Any]) -> None:
    state = dict(example_state)
    state["keys"] = [*state["keys"], {"access_key_id": "settings-reader", "access_key_secret": "r",
                                      "actions": ["GetCommerceSetting", "GetConversationalAutomation",
                                                  "GetPhoneEncryptionPublicKey", "ListPhoneMessageQrdl",
                                                  "GetWhatsappHealthStatus"]}]
    emu.backend.reset(load_state(state))
    reader = ("settings-reader", "r")
    number = {"CustSpaceId": RETAIL, "PhoneNumber": NUMBER}
    for action in ("GetCommerceSetting", "GetConversationalAutomation", "GetPhoneEncryptionPublicKey",
                   "ListPhoneMessageQrdl"):
        assert call(emu, action, number, key=reader)["Code"] == "OK"
    with pytest.raises(ClientError) as info:
        call(emu, "UpdateCommerceSetting", {**number, "CartEnable": True, "CatalogVisible": True}, key=reader)
    assert info.value.code == "Ram.PermissionDeny"
