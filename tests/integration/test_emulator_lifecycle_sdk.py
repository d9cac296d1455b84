"""A number's life in the emulator, driven by the official SDK over loopback HTTP: onboarding (add, code,
verify and register; pre-validated numbers), deregistration, business usernames and template archive, with
the refusals docs/emulator.md lists. One emulator for the module, reset per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from alibabacloud_cams20200606 import models as cams
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_tea_openapi.utils_models import Config

from reconciler.emulator import EmulatorHandle, start_emulator
from reconciler.emulator.state import load_state
from tests.conftest import EXAMPLE_STATE_PATH

SPACE, OTHER_SPACE = "293483938849001", "293483938849002"
NUMBER, SECOND = "8613800001234", "8613800001235"
NEW_CC, NEW_NATIONAL = "65", "81110042"
NEW = NEW_CC + NEW_NATIONAL
PREVALIDATED = "6598760001"


def base_state() -> dict[str, Any]:
    state = yaml.safe_load(EXAMPLE_STATE_PATH.read_text(encoding="utf-8"))
    state["prevalidated_numbers"] = [{"PhoneNumber": PREVALIDATED, "VerifyCode": "480213", "PhoneNumberId": "7781"}]
    state["spaces"][SPACE]["taken_usernames"] = ["globex"]
    return state


@pytest.fixture(scope="module")
def shared() -> Iterator[EmulatorHandle]:
    with start_emulator(base_state(), qps=0) as emu:
        yield emu


@pytest.fixture
def emu(shared: EmulatorHandle) -> EmulatorHandle:
    shared.reset(base_state())
    return shared


def sdk(emu: EmulatorHandle, key: str = "demo", secret: str = "demo-secret") -> CamsClient:
    return CamsClient(Config(access_key_id=key, access_key_secret=secret, endpoint=emu.endpoint, protocol="http"))


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(Exception) as info:
        call()
    code = getattr(info.value, "code", None)
    assert code, f"not an API error: {info.value!r}"
    return str(code)


def listed(client: CamsClient, phone_number: str, space: str = SPACE) -> Any:
    numbers = client.query_chatapp_phone_numbers(cams.QueryChatappPhoneNumbersRequest(cust_space_id=space)).body
    return next(n for n in numbers.phone_numbers if n.phone_number == phone_number)


def verification(client: CamsClient, phone_number: str) -> str:
    body = client.get_phone_number_verification_status(cams.GetPhoneNumberVerificationStatusRequest(
        cust_space_id=SPACE, phone_number=phone_number)).body
    return str(body.data.code_verification_status)


def add(client: CamsClient, cc: str = NEW_CC, national: str = NEW_NATIONAL, name: str = "Acme Singapore",
        **extra: Any) -> Any:
    return client.add_chatapp_phone_number(cams.AddChatappPhoneNumberRequest(
        cust_space_id=SPACE, cc=cc, phone_number=national, verified_name=name, **extra)).body


def request_code(client: CamsClient, phone_number: str = NEW, method: str = "SMS") -> Any:
    return client.get_chatapp_verify_code(cams.GetChatappVerifyCodeRequest(
        cust_space_id=SPACE, phone_number=phone_number, locale="en_US", method=method)).body


def verify(client: CamsClient, code: str, phone_number: str = NEW) -> Any:
    return client.chatapp_verify_and_register(cams.ChatappVerifyAndRegisterRequest(
        cust_space_id=SPACE, phone_number=phone_number, verify_code=code)).body


def test_onboarding_moves_add_code_verify_and_register(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    body = add(client)
    assert (body.code, body.success) == ("OK", True)
    entry = listed(client, NEW)  # known by its whole number (country code first) from here on
    assert (entry.status, entry.code_verification_status, entry.verified_name) == ("PENDING", "NOT_VERIFIED",
                                                                                   "Acme Singapore")
    assert verification(client, NEW) == "NOT_VERIFIED"
    assert code_of(lambda: verify(client, "123456")) == "PhoneNumber.NoCodeSent"
    assert request_code(client).success is True
    sent = emu.backend.sent_verify_codes(SPACE, NEW)
    assert len(sent) == 1 and (sent[0]["Method"], sent[0]["Locale"]) == ("SMS", "en_US")
    wrong = "000000" if sent[0]["Code"] != "000000" else "111111"
    assert code_of(lambda: verify(client, wrong)) == "PhoneNumber.VerifyCodeError"
    assert verify(client, sent[0]["Code"]).success is True
    entry = listed(client, NEW)
    assert (entry.status, entry.code_verification_status) == ("CONNECTED", "VERIFIED")
    # a used code never verifies again, and a verified number gets no new code
    assert code_of(lambda: verify(client, sent[0]["Code"])) == "PhoneNumber.AlreadyVerified"
    assert code_of(lambda: request_code(client)) == "PhoneNumber.AlreadyVerified"
    assert len(emu.backend.sent_verify_codes(SPACE, NEW)) == 1
    # the whole journey is state the emulator can save and load again
    load_state(emu.backend.snapshot())


def test_codes_expire_cannot_be_resent_at_once_and_burn_after_three_wrong_tries(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    add(client)
    request_code(client)
    assert code_of(lambda: request_code(client, method="VOICE")) == "PhoneNumber.CodeRequestTooFrequent"
    emu.backend.advance_template_clock(61)
    request_code(client, method="VOICE")
    first, second = (s["Code"] for s in emu.backend.sent_verify_codes(SPACE, NEW))
    if first != second:  # a new code voids the one delivered before
        assert code_of(lambda: verify(client, first)) == "PhoneNumber.VerifyCodeError"
    emu.backend.advance_template_clock(601)
    assert verification(client, NEW) == "EXPIRED"
    assert code_of(lambda: verify(client, second)) == "PhoneNumber.VerifyCodeExpired"
    request_code(client)
    third = emu.backend.sent_verify_codes(SPACE, NEW)[-1]["Code"]
    wrong = "000000" if third != "000000" else "111111"
    for _ in range(3):
        assert code_of(lambda: verify(client, wrong)) == "PhoneNumber.VerifyCodeError"
    assert code_of(lambda: verify(client, third)) == "PhoneNumber.NoCodeSent"


@pytest.mark.parametrize(("cc", "national", "name", "expected"), [
    ("86", "13800001234", "Acme Retail", "PhoneNumber.AlreadyExists"),  # listed in the space already
    ("86", "13800001299", "Acme Retail", "PhoneNumber.AlreadyExists"),
    ("065", NEW_NATIONAL, "Acme", "InvalidParameter"),                   # not a country code
    (NEW_CC, "9123-4567", "Acme", "InvalidParameter"),                  # not digits
    (NEW_CC, NEW_NATIONAL, "Ac", "InvalidParameter"),                   # display name too short
    (NEW_CC, NEW_NATIONAL, "Acme on WhatsApp", "InvalidParameter"),     # names the platform
])
def test_add_refuses_what_whatsapp_would(emu: EmulatorHandle, cc: str, national: str, name: str,
                                         expected: str) -> None:
    client = sdk(emu)
    assert code_of(lambda: add(client, cc, national, name)) == expected
    assert NEW not in {n["PhoneNumber"] for n in emu.backend.snapshot()["spaces"][SPACE]["phone_numbers"]}


def test_a_prevalidated_number_is_added_verified_and_registered_without_a_code(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    ask = cams.GetPreValidatePhoneIdRequest(phone_number=PREVALIDATED, verify_code="999999")
    assert code_of(lambda: client.get_pre_validate_phone_id(ask)) == "PhoneNumber.VerifyCodeError"
    data = client.get_pre_validate_phone_id(cams.GetPreValidatePhoneIdRequest(
        phone_number=PREVALIDATED, verify_code="480213")).body.data
    assert (data.phone_number, data.phone_number_id) == (PREVALIDATED, "7781")
    assert code_of(lambda: add(client, "65", "98760001", "Acme Express", pre_validate_id="1")) == "InvalidParameter"
    add(client, "65", "98760001", "Acme Express", pre_validate_id="7781")
    assert (listed(client, PREVALIDATED).status, verification(client, PREVALIDATED)) == ("PENDING", "VERIFIED")
    assert code_of(lambda: request_code(client, PREVALIDATED)) == "PhoneNumber.AlreadyVerified"
    register = cams.ChatappPhoneNumberRegisterRequest(cust_space_id=SPACE, phone_number=PREVALIDATED)
    assert client.chatapp_phone_number_register(register).body.code == "OK"
    assert listed(client, PREVALIDATED).status == "CONNECTED"
    assert code_of(lambda: client.chatapp_phone_number_register(register)) == "PhoneNumber.AlreadyRegistered"


def test_register_refuses_a_number_not_verified(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    add(client)
    register = cams.ChatappPhoneNumberRegisterRequest(cust_space_id=SPACE, phone_number=NEW)
    assert code_of(lambda: client.chatapp_phone_number_register(register)) == "PhoneNumber.NotVerified"


def test_deregister_keeps_the_number_listed_disconnected_and_register_brings_it_back(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    deregister = cams.ChatappPhoneNumberDeregisterRequest(cust_space_id=SPACE, phone_number=SECOND)
    assert client.chatapp_phone_number_deregister(deregister).body.code == "OK"
    assert listed(client, SECOND).status == "DISCONNECTED"
    assert code_of(lambda: client.chatapp_phone_number_deregister(deregister)) == "PhoneNumber.NotRegistered"
    update = cams.UpdateWhatsappUserNameRequest(cust_space_id=SPACE, phone_number=SECOND, username="acmeshop")
    assert code_of(lambda: client.update_whatsapp_user_name(update)) == "PhoneNumber.NotRegistered"
    client.chatapp_phone_number_register(cams.ChatappPhoneNumberRegisterRequest(cust_space_id=SPACE,
                                                                                 phone_number=SECOND))
    assert listed(client, SECOND).status == "CONNECTED"


def set_name(client: CamsClient, phone_number: str, name: str, transfer: str | None = None,
             space: str = SPACE) -> Any:
    return client.update_whatsapp_user_name(cams.UpdateWhatsappUserNameRequest(
        cust_space_id=space, phone_number=phone_number, username=name, transfer_action=transfer)).body


def get_name(client: CamsClient, phone_number: str) -> tuple[str, str]:
    data = client.get_whatsapp_user_name(cams.GetWhatsappUserNameRequest(cust_space_id=SPACE,
                                                                         phone_number=phone_number)).body.data
    return data.username, data.status


def test_usernames_are_unique_transfer_is_explicit_and_statuses_move(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    assert get_name(client, NUMBER) == ("", "")
    for bad in ("ab", "www.acme", "acme..support", ".acme", "acme.com", "1234", "acme-support", "ácme"):
        assert code_of(lambda b=bad: set_name(client, NUMBER, b)) == "InvalidParameter", bad
    assert set_name(client, NUMBER, "acme.support").data.status == "reserved"
    assert get_name(client, NUMBER) == ("acme.support", "reserved")
    emu.backend.set_username_status(SPACE, NUMBER, "approved")
    assert set_name(client, NUMBER, "acme.support").data.status == "approved"  # the same name: unchanged
    # held by another number of the same portfolio: 147005 unless force_transfer, compared without case
    assert code_of(lambda: set_name(client, SECOND, "Acme.Support")) == "147005"
    assert code_of(lambda: set_name(client, SECOND, "acme.support", "move")) == "InvalidParameter"
    assert set_name(client, SECOND, "acme.support", "force_transfer").data.status == "reserved"
    assert get_name(client, NUMBER) == ("", "") and get_name(client, SECOND) == ("acme.support", "reserved")
    # held outside the portfolio (another space, or elsewhere on WhatsApp): not available, even with transfer
    other_number = client.query_chatapp_phone_numbers(cams.QueryChatappPhoneNumbersRequest(
        cust_space_id=OTHER_SPACE)).body.phone_numbers[0].phone_number
    set_name(client, other_number, "acmeglobal", space=OTHER_SPACE)
    assert code_of(lambda: set_name(client, NUMBER, "acmeglobal", "force_transfer")) == "147001"
    assert code_of(lambda: set_name(client, NUMBER, "Globex")) == "147001"
    suggestions = client.get_whatsapp_user_name_suggestions(cams.GetWhatsappUserNameSuggestionsRequest(
        cust_space_id=SPACE, phone_number=NUMBER)).body.data
    assert suggestions and "acmeretail" in suggestions and all(s != "acme.support" for s in suggestions)
    delete = cams.DeleteWhatsappUserNameRequest(cust_space_id=SPACE, phone_number=SECOND)
    assert client.delete_whatsapp_user_name(delete).body.data is True
    assert code_of(lambda: client.delete_whatsapp_user_name(delete)) == "PhoneNumber.NoUsername"
    load_state(emu.backend.snapshot())


def test_a_read_only_key_reads_usernames_but_cannot_onboard_or_rename(emu: EmulatorHandle) -> None:
    state = base_state()
    state["keys"][1]["actions"] += ["GetWhatsappUserName", "GetPhoneNumberVerificationStatus"]
    emu.reset(state)
    client = sdk(emu, "readonly", "readonly-secret")
    assert get_name(client, NUMBER) == ("", "")
    assert code_of(lambda: add(client)) == "Ram.PermissionDeny"
    assert code_of(lambda: set_name(client, NUMBER, "acmeretail")) == "Ram.PermissionDeny"


def archive(client: CamsClient, kind: str, *items: tuple[str, str]) -> Any:
    return client.archive_chatapp_template(cams.ArchiveChatappTemplateRequest(
        cust_space_id=SPACE, channel_type="WHATSAPP", archive_type=kind,
        template_list=[cams.ArchiveChatappTemplateRequestTemplateList(template_code=c, language=lang)
                       for c, lang in items])).body


def test_archive_and_unarchive_templates_all_or_none(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    templates = emu.backend.snapshot()["spaces"][SPACE]["templates"]
    approved = next(t for t in templates if t["AuditStatus"] == "pass")
    in_review = next(t for t in templates if t["AuditStatus"] == "auditing")
    one = (approved["TemplateCode"], approved["Language"])
    assert code_of(lambda: archive(client, "ARCHIVE", one)) == "InvalidParameter"
    assert code_of(lambda: archive(client, "ARCHIVED", one, ("nope", "en_US"))) == "Template.NotFound"
    assert code_of(lambda: archive(client, "ARCHIVED", one, (in_review["TemplateCode"], in_review["Language"]))) \
        == "Template.NotArchivable"
    assert not any(t.get("Archived") for t in emu.backend.snapshot()["spaces"][SPACE]["templates"])
    body = archive(client, "ARCHIVED", one)
    assert (body.code, body.success, body.data.code) == ("OK", True, "OK")
    assert archive(client, "ARCHIVED", one).code == "OK"  # naming the state it has is accepted
    modify = cams.ModifyChatappTemplateRequest(
        cust_space_id=SPACE, template_code=one[0], language=one[1], template_type="WHATSAPP",
        components=[cams.ModifyChatappTemplateRequestComponents(type="BODY", text="Hello again")])
    assert code_of(lambda: client.modify_chatapp_template(modify)) == "Template.Archived"

    def health() -> Any:
        return client.get_whatsapp_health_status(cams.GetWhatsappHealthStatusRequest(
            cust_space_id=SPACE, node_type="template", template_code=one[0], language=one[1])).body.data
    blocked = health()
    assert blocked.can_send_message == "BLOCKED"
    assert blocked.entities[0].errors[0].error_code == "TEMPLATE_ARCHIVED"
    archive(client, "NOT_ARCHIVED", one)
    assert health().can_send_message == "AVAILABLE"
    assert not any(t.get("Archived") for t in emu.backend.snapshot()["spaces"][SPACE]["templates"])
