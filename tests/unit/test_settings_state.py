"""The emulator's state-file sections for the number settings (``number_settings``, ``account_webhook``) and
how the action table's rows for their APIs send and retry (the rows' parameters are the SDK request models':
tests/unit/test_field_declarations.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_cams20200606 import models as cams

from reconciler.client.actions import ACTIONS, Kind, ParamType, RetryMode
from reconciler.emulator import StateFileError, load_state
from reconciler.emulator.settings_state import has_emoji, rsa_public_key_bits
from tests.helpers.settings import KEYS

SETTINGS_ACTIONS = {
    "GetCommerceSetting": cams.GetCommerceSettingRequest,
    "UpdateCommerceSetting": cams.UpdateCommerceSettingRequest,
    "GetConversationalAutomation": cams.GetConversationalAutomationRequest,
    "UpdateConversationalAutomation": cams.UpdateConversationalAutomationRequest,
    "GetPhoneEncryptionPublicKey": cams.GetPhoneEncryptionPublicKeyRequest,
    "UpdatePhoneEncryptionPublicKey": cams.UpdatePhoneEncryptionPublicKeyRequest,
    "ListPhoneMessageQrdl": cams.ListPhoneMessageQrdlRequest,
    "CreatePhoneMessageQrdl": cams.CreatePhoneMessageQrdlRequest,
    "UpdatePhoneMessageQrdl": cams.UpdatePhoneMessageQrdlRequest,
    "DeletePhoneMessageQrdl": cams.DeletePhoneMessageQrdlRequest,
    "UpdateAccountWebhook": cams.UpdateAccountWebhookRequest,
    "GetWhatsappHealthStatus": cams.GetWhatsappHealthStatusRequest,
}


def test_rows_say_how_values_travel_and_when_to_retry() -> None:
    assert ACTIONS["UpdateCommerceSetting"].param_type("CartEnable") is ParamType.BOOLEAN
    assert ACTIONS["UpdateConversationalAutomation"].param_type("Commands") is ParamType.JSON_LIST
    assert ACTIONS["UpdateConversationalAutomation"].param_type("Prompts") is ParamType.JSON_LIST
    assert ACTIONS["UpdateAccountWebhook"].param_type("HttpFlag") is ParamType.YN_FLAG
    # A create makes a new QR code each time it is carried out: never repeated after the server may have acted.
    assert ACTIONS["CreatePhoneMessageQrdl"].retry is RetryMode.UNSENT_ONLY
    assert ACTIONS["DeletePhoneMessageQrdl"].retry is RetryMode.UNSENT_ONLY
    assert ACTIONS["UpdatePhoneMessageQrdl"].retry is RetryMode.TRANSIENT
    reads = {a for a in SETTINGS_ACTIONS if ACTIONS[a].kind is Kind.READ}
    assert reads == {"GetCommerceSetting", "GetConversationalAutomation", "GetPhoneEncryptionPublicKey",
                     "ListPhoneMessageQrdl", "GetWhatsappHealthStatus"}
    assert all(ACTIONS[a].ram_action == f"cams:{a}" for a in SETTINGS_ACTIONS)


# --- the state file ---------------------------------------------------------------------------------------

SPACE = "293483938849001"
NUMBER = "8613800001234"


def state_with(settings: dict[str, Any] | None = None, **space: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"phone_numbers": [{"PhoneNumber": NUMBER, "Status": "CONNECTED"}], **space}
    if settings is not None:
        entry["number_settings"] = {NUMBER: settings}
    return {"keys": [{"access_key_id": "k", "access_key_secret": "s"}], "spaces": {SPACE: entry}}


def test_a_state_without_settings_loads_as_before() -> None:
    loaded = load_state(state_with())
    assert "number_settings" not in loaded["spaces"][SPACE] and "account_webhook" not in loaded["spaces"][SPACE]


def test_every_section_loads_with_defaults_filled() -> None:
    pem = (KEYS / "flows-2048.pem").read_text(encoding="ascii")
    loaded = load_state(state_with({
        "commerce": {"CatalogVisible": True},
        "automation": {"Prompts": ["Hi"], "Commands": [{"CommandName": "a", "CommandDescription": "b"}]},
        "encryption_key": {"EncryptionPublicKey": pem},
        "qrdls": [{"QrdlCode": "ABCDEFGH123456", "PrefilledMessage": "Hi"}],
        "health": {"CanSendMessage": "LIMITED"},
    }, account_webhook={"StatusCallbackUrl": "https://h.example/a", "HttpFlag": "Y"}))
    settings = loaded["spaces"][SPACE]["number_settings"][NUMBER]
    assert settings["commerce"] == {"CartEnable": True, "CatalogVisible": True}
    assert settings["automation"]["EnableWelcomeMessage"] is False
    assert settings["encryption_key"]["EncryptionPublicKeyStatus"] == "VALID"
    assert settings["qrdls"][0]["GenerateQrImage"] == "PNG"
    assert settings["health"] == {"CanSendMessage": "LIMITED", "Errors": []}


@pytest.mark.parametrize("settings, space, fragment", [
    ({"commerce": {"CartEnable": "yes"}}, {}, "'CartEnable' must be true or false"),
    ({"automation": {"Prompts": ["x" * 81]}}, {}, "at most 80"),
    ({"automation": {"Welcome": True}}, {}, "unknown field 'Welcome'"),
    ({"encryption_key": {"EncryptionPublicKey": "not a key"}}, {}, "not a PEM public key"),
    ({"qrdls": [{"QrdlCode": "abc", "PrefilledMessage": "Hi"}]}, {}, "upper-case"),
    ({"qrdls": [{"QrdlCode": "ABCDEFGH", "PrefilledMessage": "Hi"}] * 2}, {}, "listed twice"),
    ({"health": {"Errors": []}}, {}, "'CanSendMessage' is required"),
    ({"colour": "blue"}, {}, "unknown field 'colour'"),
    (None, {"account_webhook": {"HttpFlag": True}}, "'HttpFlag' must be \"Y\" or \"N\""),
    (None, {"number_settings": {"8613899999999": {}}}, "not a number of this space"),
])
def test_bad_sections_name_the_field(settings: Any, space: dict[str, Any], fragment: str) -> None:
    with pytest.raises(StateFileError, match=re.escape(fragment)) as info:
        load_state(state_with(settings, **space))
    assert "spaces." in str(info.value)


def test_a_bad_section_in_a_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(yaml.safe_dump(state_with({"commerce": {"CartEnable": "yes"}})), encoding="utf-8")
    with pytest.raises(StateFileError) as info:
        load_state(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "CartEnable" in text)
    assert str(info.value).startswith(f"{path}:{line}:")
    assert "number_settings" in str(info.value)


def test_an_unknown_health_or_key_status_loads() -> None:
    """A value the platform may add tomorrow reaches the reconciler (a finding there), not a state error."""
    pem = (KEYS / "flows-2048.pem").read_text(encoding="ascii")
    loaded = load_state(state_with({"health": {"CanSendMessage": "THROTTLED_NEW"},
                                    "encryption_key": {"EncryptionPublicKey": pem,
                                                       "EncryptionPublicKeyStatus": "PENDING_NEW"}}))
    assert loaded["spaces"][SPACE]["number_settings"][NUMBER]["health"]["CanSendMessage"] == "THROTTLED_NEW"


def test_pem_parser_reads_the_modulus_size() -> None:
    assert rsa_public_key_bits((KEYS / "flows-2048.pem").read_text()) == 2048
    assert rsa_public_key_bits((KEYS / "weak-1024.pem").read_text()) == 1024
    body = (KEYS / "flows-2048.pem").read_text().splitlines()
    broken = "\n".join([body[0], body[1][:10] + "=" + body[1][11:], *body[2:]])  # padding mid-body
    with pytest.raises(ValueError, match="base64"):
        rsa_public_key_bits(broken)
    truncated = "\n".join([body[0], body[1], body[-1]])
    with pytest.raises(ValueError, match="DER"):
        rsa_public_key_bits(truncated)


def test_emoji_detection() -> None:
    assert has_emoji("Hi 👋") == "👋" and has_emoji("☕") == "☕"
    assert has_emoji("Öffnungszeiten 9–21, 营业时间") is None
