"""Conformance of the number-settings actions (issue 16): the official SDK (alibabacloud_cams20200606),
pointed at the emulator over loopback HTTP, writes each setting and reads it back in the SDK's own models;
the emulator refuses what the platform refuses. One emulator for the module, its state reset per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_cams20200606 import models as cams

from reconciler.emulator import EmulatorHandle, load_state
from tests.helpers.sdk import cams_client, error_of
from tests.helpers.settings import KEYS, NUMBER, RETAIL, default_settings_state

TRAVEL = "293483938849002"
STATE = default_settings_state()


@pytest.fixture(scope="module")
def emu_state() -> dict[str, Any]:
    return STATE


def pem(name: str) -> str:
    return (KEYS / name).read_text(encoding="ascii")


def settings_of(emu: EmulatorHandle, space: str = RETAIL, number: str = NUMBER) -> dict[str, Any]:
    found: dict[str, Any] = emu.backend.snapshot()["spaces"][space].get("number_settings", {}).get(number, {})
    return found


# --- commerce ---------------------------------------------------------------------------------------------

def test_commerce_defaults_update_and_read_back(emu: EmulatorHandle) -> None:
    client = cams_client(emu)
    get = cams.GetCommerceSettingRequest(cust_space_id=RETAIL, phone_number=NUMBER)
    body = client.get_commerce_setting(get).body
    assert body.code == "OK" and body.success is True and body.request_id
    assert (body.data.cart_enable, body.data.catalog_visible) == (True, False)  # the platform's defaults
    assert client.update_commerce_setting(cams.UpdateCommerceSettingRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, cart_enable=False, catalog_visible=True)).body.code == "OK"
    data = client.get_commerce_setting(get).body.data
    assert (data.cart_enable, data.catalog_visible) == (False, True)
    # The SDK's booleans (True/False on the wire) are stored as booleans, in the state file's form.
    assert settings_of(emu)["commerce"] == {"CartEnable": False, "CatalogVisible": True}


def test_commerce_update_needs_both_values(emu: EmulatorHandle) -> None:
    exc = error_of(lambda: cams_client(emu).update_commerce_setting(cams.UpdateCommerceSettingRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, cart_enable=True)))
    assert exc.code == "MissingParameter" and "CatalogVisible" in exc.data["Message"]
    assert "commerce" not in settings_of(emu)


# --- conversational automation ----------------------------------------------------------------------------

def test_automation_update_and_read_back(emu: EmulatorHandle) -> None:
    client = cams_client(emu)
    empty = client.get_conversational_automation(cams.GetConversationalAutomationRequest(
        cust_space_id=RETAIL, phone_number=NUMBER)).body
    assert empty.success is True and empty.data.phone_number == NUMBER
    assert (empty.data.enable_welcome_message, empty.data.prompts, empty.data.commands) == (False, [], [])
    commands = [cams.UpdateConversationalAutomationRequestCommands(command_name="order",
                                                                    command_description="Track an order"),
                cams.UpdateConversationalAutomationRequestCommands(command_name="hours",
                                                                    command_description="Öffnungszeiten, 9–21")]
    assert client.update_conversational_automation(cams.UpdateConversationalAutomationRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, enable_welcome_message=True,
        prompts=["Where is my order?", "Talk to a person"], commands=commands)).body.success is True
    data = client.get_conversational_automation(cams.GetConversationalAutomationRequest(
        cust_space_id=RETAIL, phone_number=NUMBER)).body.data
    assert data.enable_welcome_message is True
    assert data.prompts == ["Where is my order?", "Talk to a person"]
    assert [(c.command_name, c.command_description) for c in data.commands] == [
        ("order", "Track an order"), ("hours", "Öffnungszeiten, 9–21")]
    # Only what is given changes: a later update of the prompts keeps the commands and the welcome switch.
    client.update_conversational_automation(cams.UpdateConversationalAutomationRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, prompts=["Opening hours"]))
    again = settings_of(emu)["automation"]
    assert again["Prompts"] == ["Opening hours"] and len(again["Commands"]) == 2
    assert again["EnableWelcomeMessage"] is True


@pytest.mark.parametrize("prompts, commands, fragment", [
    (["a", "b", "c", "d", "e"], None, "at most 4"),
    (["x" * 81], None, "at most 80"),
    (["Hi 👋"], None, "emoji"),
    ([""], None, "empty"),
    (None, [{"CommandName": "n" * 33, "CommandDescription": "d"}], "at most 32"),
    (None, [{"CommandName": "n", "CommandDescription": "d" * 257}], "at most 256"),
    (None, [{"CommandName": f"c{i}", "CommandDescription": "d"} for i in range(31)], "at most 30"),
    (None, [{"CommandName": "same", "CommandDescription": "a"}, {"CommandName": "same", "CommandDescription": "b"}],
     "used twice"),
    (None, [{"CommandName": "help"}], "CommandDescription is required"),
])
def test_automation_limits_are_the_platforms(emu: EmulatorHandle, prompts: Any, commands: Any,
                                             fragment: str) -> None:
    request = cams.UpdateConversationalAutomationRequest(cust_space_id=RETAIL, phone_number=NUMBER, prompts=prompts)
    if commands is not None:
        request.commands = [cams.UpdateConversationalAutomationRequestCommands(
            command_name=c.get("CommandName"), command_description=c.get("CommandDescription")) for c in commands]
    exc = error_of(lambda: cams_client(emu).update_conversational_automation(request))
    assert exc.code == "InvalidParameter" and fragment in exc.data["Message"]
    assert "automation" not in settings_of(emu)  # nothing changed


# --- the Flows encryption key -----------------------------------------------------------------------------

def test_encryption_key_upload_and_read_back(emu: EmulatorHandle) -> None:
    client = cams_client(emu)
    get = cams.GetPhoneEncryptionPublicKeyRequest(cust_space_id=RETAIL, phone_number=NUMBER)
    none = client.get_phone_encryption_public_key(get).body
    assert none.code == "OK" and none.data.phone_number == NUMBER
    # no key uploaded: the response model's fields with their empty defaults (docs/emulator.md)
    assert none.data.encryption_public_key == "" and none.data.encryption_public_key_status == ""
    key = pem("flows-2048.pem")
    assert client.update_phone_encryption_public_key(cams.UpdatePhoneEncryptionPublicKeyRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, encryption_public_key=key)).body.code == "OK"
    data = client.get_phone_encryption_public_key(get).body.data
    assert data.encryption_public_key == key and data.encryption_public_key_status == "VALID"
    emu.backend.set_number_settings(RETAIL, NUMBER, "encryption_key",
                                    {"EncryptionPublicKey": key, "EncryptionPublicKeyStatus": "MISMATCH"})
    assert client.get_phone_encryption_public_key(get).body.data.encryption_public_key_status == "MISMATCH"


@pytest.mark.parametrize("name, fragment", [
    ("weak-1024.pem", "1024-bit"), ("ec-p256.pem", "not an RSA key"), ("pkcs1-2048.pem", "not a PEM public key"),
])
def test_encryption_key_must_be_a_2048_bit_rsa_public_key(emu: EmulatorHandle, name: str, fragment: str) -> None:
    exc = error_of(lambda: cams_client(emu).update_phone_encryption_public_key(
        cams.UpdatePhoneEncryptionPublicKeyRequest(cust_space_id=RETAIL, phone_number=NUMBER,
                                                   encryption_public_key=pem(name))))
    assert exc.code == "InvalidParameter" and fragment in exc.data["Message"]


def test_encryption_key_refuses_a_private_key_without_echoing_it(emu: EmulatorHandle) -> None:
    private = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    exc = error_of(lambda: cams_client(emu).update_phone_encryption_public_key(
        cams.UpdatePhoneEncryptionPublicKeyRequest(cust_space_id=RETAIL, phone_number=NUMBER,
                                                   encryption_public_key=private)))
    assert exc.code == "InvalidParameter" and "private key" in exc.data["Message"]
    assert "MIIEvQ" not in str(exc.data)


def test_encryption_key_without_space_reaches_no_space(emu: EmulatorHandle) -> None:
    # CustSpaceId is optional in the SDK (a direct customer's own instance): the emulator models none.
    exc = error_of(lambda: cams_client(emu).get_phone_encryption_public_key(
        cams.GetPhoneEncryptionPublicKeyRequest(phone_number=NUMBER)))
    assert exc.code == "Unknown.ResourceOwnerId"


# --- message QR codes -------------------------------------------------------------------------------------

def test_qrdl_create_list_update_delete(emu: EmulatorHandle) -> None:
    client = cams_client(emu)
    created = client.create_phone_message_qrdl(cams.CreatePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, prefilled_message="Hi, I saw your poster", generate_qr_image="PNG",
    )).body
    assert created.code == "OK"
    code = created.data.qrdl_code
    assert len(code) == 14 and code.isalnum() and code.isupper()
    assert created.data.deep_link_url == f"https://wa.me/message/{code}"
    assert created.data.qr_image_url.endswith(".png") and created.data.generate_qr_image == "PNG"
    second = client.create_phone_message_qrdl(cams.CreatePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, prefilled_message="Hi, I saw your poster", generate_qr_image="SVG",
    )).body.data.qrdl_code
    assert second != code  # the same message twice is two codes
    listed = client.list_phone_message_qrdl(cams.ListPhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER)).body.data
    assert [q.qrdl_code for q in listed] == [code, second]
    updated = client.update_phone_message_qrdl(cams.UpdatePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, qrdl_code=code, prefilled_message="Hello from the shop window",
        generate_qr_image="SVG")).body.data
    assert updated.qrdl_code == code and updated.deep_link_url == f"https://wa.me/message/{code}"  # the link stays
    assert updated.prefilled_message == "Hello from the shop window" and updated.qr_image_url.endswith(".svg")
    assert client.delete_phone_message_qrdl(cams.DeletePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, qrdl_code=code)).body.code == "OK"
    assert [q.qrdl_code for q in client.list_phone_message_qrdl(cams.ListPhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER)).body.data] == [second]
    gone = error_of(lambda: client.delete_phone_message_qrdl(cams.DeletePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, qrdl_code=code)))
    assert gone.code == "Qrdl.NotFound"


def test_qrdl_codes_are_the_same_on_every_run(emu: EmulatorHandle) -> None:
    def create() -> str:
        code: str = cams_client(emu).create_phone_message_qrdl(cams.CreatePhoneMessageQrdlRequest(
            cust_space_id=RETAIL, phone_number=NUMBER, prefilled_message="Hi", generate_qr_image="PNG",
        )).body.data.qrdl_code
        return code

    first = create()
    emu.backend.reset(STATE)
    assert create() == first


@pytest.mark.parametrize("message, image, code", [
    ("x" * 141, "PNG", "InvalidParameter"), ("Hi", "JPG", "InvalidParameter"), ("Hi", None, "MissingParameter"),
    (None, "PNG", "MissingParameter"),
])
def test_qrdl_values_are_checked(emu: EmulatorHandle, message: Any, image: Any, code: str) -> None:
    exc = error_of(lambda: cams_client(emu).create_phone_message_qrdl(cams.CreatePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, prefilled_message=message, generate_qr_image=image)))
    assert exc.code == code
    assert "qrdls" not in settings_of(emu)


def test_qrdl_update_of_an_unknown_code(emu: EmulatorHandle) -> None:
    exc = error_of(lambda: cams_client(emu).update_phone_message_qrdl(cams.UpdatePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, qrdl_code="NOSUCHCODE0000", prefilled_message="Hi",
        generate_qr_image="PNG")))
    assert exc.code == "Qrdl.NotFound"


# --- the account webhook ----------------------------------------------------------------------------------

def test_account_webhook_is_kept_but_not_readable(emu: EmulatorHandle) -> None:
    client = cams_client(emu)
    assert client.update_account_webhook(cams.UpdateAccountWebhookRequest(
        cust_space_id=RETAIL, status_callback_url="https://hooks.acme.example/cams/account?token=s3cret",
        http_flag="Y", queue_flag="N")).body.code == "OK"
    assert emu.backend.snapshot()["spaces"][RETAIL]["account_webhook"] == {
        "StatusCallbackUrl": "https://hooks.acme.example/cams/account?token=s3cret", "HttpFlag": "Y", "QueueFlag": "N"}
    # Only what is given changes.
    client.update_account_webhook(cams.UpdateAccountWebhookRequest(cust_space_id=RETAIL, queue_flag="Y"))
    hook = emu.backend.snapshot()["spaces"][RETAIL]["account_webhook"]
    assert hook["QueueFlag"] == "Y" and hook["HttpFlag"] == "Y"
    assert "account_webhook" not in emu.backend.snapshot()["spaces"][TRAVEL]


@pytest.mark.parametrize("field, value", [("http_flag", "true"), ("queue_flag", "yes"),
                                          ("status_callback_url", "ftp://hooks.example/")])
def test_account_webhook_values_are_checked(emu: EmulatorHandle, field: str, value: str) -> None:
    request = cams.UpdateAccountWebhookRequest(cust_space_id=RETAIL)
    setattr(request, field, value)
    assert error_of(lambda: cams_client(emu).update_account_webhook(request)).code == "InvalidParameter"
    assert "account_webhook" not in emu.backend.snapshot()["spaces"][RETAIL]


# --- health -----------------------------------------------------------------------------------------------

def test_health_of_a_connected_number(emu: EmulatorHandle) -> None:
    body = cams_client(emu).get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="phone", phone_number=NUMBER)).body
    assert body.code == "OK" and body.success is True and body.data.can_send_message == "AVAILABLE"
    kinds = [e.entity_type for e in body.data.entities]
    assert kinds == ["PHONE_NUMBER", "WABA", "BUSINESS"]
    assert body.data.entities[0].phone_number == NUMBER and not body.data.entities[0].errors


def test_health_blocked_with_errors_and_solutions(emu: EmulatorHandle) -> None:
    emu.backend.set_number_settings(RETAIL, NUMBER, "health", {"CanSendMessage": "BLOCKED", "Errors": [
        {"ErrorCode": "141006", "ErrorDescription": "There is an error with the payment method.",
         "PossibleSolution": "Add a new payment method to the account."}]})
    data = cams_client(emu).get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="phone", phone_number=NUMBER)).body.data
    assert data.can_send_message == "BLOCKED"  # the worst entity decides
    error = data.entities[0].errors[0]
    assert (error.error_code, error.possible_solution) == ("141006", "Add a new payment method to the account.")


def test_health_follows_the_number_status_by_default(emu: EmulatorHandle) -> None:
    emu.backend.set_number_fields(RETAIL, NUMBER, Status="BANNED")
    data = cams_client(emu).get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="phone", phone_number=NUMBER)).body.data
    assert data.can_send_message == "BLOCKED" and "BANNED" in data.entities[0].errors[0].error_description


def test_health_of_the_waba_and_bad_node_types(emu: EmulatorHandle) -> None:
    client = cams_client(emu)
    phone = client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="phone", phone_number=NUMBER)).body.data
    waba_id = phone.entities[1].waba_id
    waba = client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="waba", waba_id=waba_id)).body.data
    assert [e.entity_type for e in waba.entities] == ["WABA", "BUSINESS"]
    assert error_of(lambda: client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="waba", waba_id="1"))).code == "Unknown.ResourceOwnerId"
    assert error_of(lambda: client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="PHONE", phone_number=NUMBER))).code == "InvalidParameter"
    missing = error_of(lambda: client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        cust_space_id=RETAIL, node_type="phone")))
    assert missing.code == "MissingParameter" and "PhoneNumber" in missing.data["Message"]
    assert error_of(lambda: client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
        node_type="phone", phone_number=NUMBER))).code == "MissingParameter"  # CustSpaceId is required here


# --- permissions, ownership and the state file round trip -------------------------------------------------

def test_read_only_key_cannot_write_settings(emu: EmulatorHandle) -> None:
    client = cams_client(emu, "readonly", "readonly-secret")
    exc = error_of(lambda: client.update_commerce_setting(cams.UpdateCommerceSettingRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, cart_enable=False, catalog_visible=False)))
    assert exc.code == "Ram.PermissionDeny"
    assert exc.data["AccessDeniedDetail"]["AuthAction"] == "cams:UpdateCommerceSetting"


def test_a_number_of_another_space_is_not_reached(emu: EmulatorHandle) -> None:
    assert error_of(lambda: cams_client(emu).get_commerce_setting(cams.GetCommerceSettingRequest(
        cust_space_id=TRAVEL, phone_number=NUMBER))).code == "Unknown.ResourceOwnerId"


def test_snapshot_with_every_setting_loads_again(emu: EmulatorHandle, tmp_path: Path) -> None:
    client = cams_client(emu)
    client.update_commerce_setting(cams.UpdateCommerceSettingRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, cart_enable=False, catalog_visible=True))
    client.update_conversational_automation(cams.UpdateConversationalAutomationRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, prompts=["Hi"]))
    client.update_phone_encryption_public_key(cams.UpdatePhoneEncryptionPublicKeyRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, encryption_public_key=pem("flows-2048.pem")))
    client.create_phone_message_qrdl(cams.CreatePhoneMessageQrdlRequest(
        cust_space_id=RETAIL, phone_number=NUMBER, prefilled_message="Hi", generate_qr_image="SVG"))
    client.update_account_webhook(cams.UpdateAccountWebhookRequest(cust_space_id=RETAIL, http_flag="N"))
    snapshot = emu.backend.snapshot()
    path = tmp_path / "state.yaml"
    path.write_text(yaml.safe_dump(snapshot, allow_unicode=True), encoding="utf-8")
    assert load_state(path) == load_state(snapshot)
    assert set(load_state(path)["spaces"][RETAIL]["number_settings"][NUMBER]) == {
        "commerce", "automation", "encryption_key", "qrdls"}
