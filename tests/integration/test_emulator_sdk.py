"""Conformance: the official Alibaba Cloud SDKs, pointed at the emulator over loopback HTTP, perform every
action the reconciler uses, and read back what they wrote."""

from __future__ import annotations

from alibabacloud_bssopenapi20171214 import models as bss_models
from alibabacloud_cams20200606 import models as cams
from alibabacloud_cams20200606.client import Client as CamsClient

from tests.helpers.sdk import bss_client, cams_client, error_of

RETAIL = "293483938849001"
TRAVEL = "293483938849002"
GLOBEX = "293483938849003"
UNSUBSCRIBED = "293483938849009"


def numbers(client: CamsClient, space: str, status: str | None = None) -> list[str]:
    body = client.query_chatapp_phone_numbers(
        cams.QueryChatappPhoneNumbersRequest(cust_space_id=space, status=status)
    ).body
    assert body.code == "OK" and body.request_id
    return [n.phone_number for n in body.phone_numbers or []]


def test_query_numbers_returns_documented_fields_and_hides_internal_ones(emulator):
    emu = emulator()
    body = cams_client(emu).query_chatapp_phone_numbers(
        cams.QueryChatappPhoneNumbersRequest(cust_space_id=RETAIL)
    ).body
    first = body.phone_numbers[0].to_map()
    # the response model's other fields, with the defaults of a number nobody set them for
    assert first.pop("IsOfficial") == "" and first.pop("CallingConfigure")["MaxTalkTime"] == 0
    assert first == {
        "PhoneNumber": "8613800001234", "VerifiedName": "Acme Retail", "Status": "CONNECTED",
        "QualityRating": "GREEN", "CodeVerificationStatus": "VERIFIED", "NameStatus": "Approval",
        "NewNameStatus": "Approval", "MessagingLimitTier": "TIER_10K",
        "StatusCallbackUrl": "https://hooks.acme.example/cams/status",
        "UpCallbackUrl": "https://hooks.acme.example/cams/inbound",
        "StatusQueue": "Alicom-Queue-1-ChatAppStatus", "UpQueue": "Alicom-Queue-1-ChatAppInbound",
    }
    assert "8613800005678" not in [n.phone_number for n in body.phone_numbers]  # pending sync


def test_status_filter(emulator):
    emu = emulator()
    client = cams_client(emu)
    assert len(numbers(client, RETAIL)) == 5
    assert len(numbers(client, RETAIL, status="CONNECTED")) == 5
    assert numbers(client, RETAIL, status="BANNED") == []


def test_business_profile_and_number_setting(emulator):
    emu = emulator()
    client = cams_client(emu)
    data = client.query_phone_business_profile(
        cams.QueryPhoneBusinessProfileRequest(cust_space_id=RETAIL, phone_number="8613800001234")
    ).body.data
    assert data.vertical == "RETAIL" and data.websites == ["https://acme.example"]
    assert data.email == "support@acme.example"
    setting = client.get_chatapp_phone_number_setting(
        cams.GetChatappPhoneNumberSettingRequest(cust_space_id=RETAIL, phone_number="8613800001299")
    ).body
    assert setting.success is True and setting.model.marketing_paused == "Y"
    assert setting.model.phone_number == "8613800001299"


def test_update_webhook_then_read_back(emulator):
    emu = emulator()
    client = cams_client(emu)
    body = client.update_phone_webhook(cams.UpdatePhoneWebhookRequest(
        cust_space_id=RETAIL, phone_number="8613800001235",
        status_callback_url="https://hooks.acme.example/cams/status",
        up_callback_url="https://hooks.acme.example/cams/inbound?token=a b+c", http_flag="Y", queue_flag="N",
    )).body
    assert body.code == "OK" and body.request_id
    listed = {n.phone_number: n for n in client.query_chatapp_phone_numbers(
        cams.QueryChatappPhoneNumbersRequest(cust_space_id=RETAIL)).body.phone_numbers}
    assert listed["8613800001235"].status_callback_url == "https://hooks.acme.example/cams/status"
    assert listed["8613800001235"].up_callback_url == "https://hooks.acme.example/cams/inbound?token=a b+c"
    # The flags cannot be read back through the API, but the emulator keeps them.
    entry = next(n for n in emu.backend.snapshot()["spaces"][RETAIL]["phone_numbers"]
                 if n["PhoneNumber"] == "8613800001235")
    assert (entry["HttpFlag"], entry["QueueFlag"]) == ("Y", "N")


def test_modify_profile_changes_only_given_fields(emulator):
    emu = emulator()
    client = cams_client(emu)
    about = "Acme Retail, open 9 to 9 ~ *all* week / 100% + more & \"quotes\" ünïcode"
    body = client.modify_phone_business_profile(cams.ModifyPhoneBusinessProfileRequest(
        cust_space_id=RETAIL, phone_number="8613800001236", about=about,
        websites=["https://acme.example", "https://shop.acme.example"],
    )).body
    assert body.code == "OK" and body.success is True
    data = client.query_phone_business_profile(
        cams.QueryPhoneBusinessProfileRequest(cust_space_id=RETAIL, phone_number="8613800001236")
    ).body.data
    assert data.about == about
    assert data.websites == ["https://acme.example", "https://shop.acme.example"]
    assert data.email == "support@acme.example" and data.vertical == "RETAIL"  # untouched


def test_sync_brings_pending_numbers_in(emulator):
    emu = emulator()
    client = cams_client(emu)
    body = client.chatapp_sync_phone_number(cams.ChatappSyncPhoneNumberRequest(cust_space_id=RETAIL)).body
    assert body.code == "OK"
    assert "8613800005678" in [n.phone_number for n in body.phone_numbers]
    assert "8613800005678" in numbers(client, RETAIL)


def test_migration_flow(emulator):
    emu = emulator()
    client = cams_client(emu)
    number = "8613800009999"
    sent = client.get_migration_verify_code(cams.GetMigrationVerifyCodeRequest(
        cust_space_id=TRAVEL, phone_number=number, locale="en_US", method="sms")).body
    assert sent.code == "OK" and sent.data.phone_number == number and sent.data.id == "82828893401"

    register = lambda: client.chatapp_migration_register(  # noqa: E731
        cams.ChatappMigrationRegisterRequest(cust_space_id=TRAVEL, phone_number=number))
    assert error_of(register).code == "Migration.NotVerified"  # before verification

    wrong = error_of(lambda: client.chatapp_migration_verified(cams.ChatappMigrationVerifiedRequest(
        cust_space_id=TRAVEL, phone_number=number, verify_code="000000")))
    assert wrong.code == "Migration.VerifyCodeError" and wrong.status_code == 400
    assert number not in numbers(client, TRAVEL)

    status = lambda: client.get_phone_number_verification_status(  # noqa: E731
        cams.GetPhoneNumberVerificationStatusRequest(cust_space_id=TRAVEL, phone_number=number)).body
    before = status()
    # every field of the SDK's response model, filled
    assert before.code == "OK" and before.data.to_map() == {
        "CodeVerificationStatus": "NOT_VERIFIED", "Id": "82828893401", "PhoneNumber": number}

    verified = client.chatapp_migration_verified(cams.ChatappMigrationVerifiedRequest(
        cust_space_id=TRAVEL, phone_number=number, verify_code="828712")).body
    assert verified.code == "OK" and verified.data.phone_number == number and verified.data.id == "82828893401"
    assert number in numbers(client, TRAVEL)
    assert status().data.code_verification_status == "VERIFIED"
    assert number in numbers(client, TRAVEL, status="PENDING")  # verified, not registered yet

    assert register().body.code == "OK"
    assert error_of(register).code == "Migration.NotVerified"  # once only
    assert number in numbers(client, TRAVEL, status="CONNECTED")
    unknown = error_of(lambda: client.get_phone_number_verification_status(
        cams.GetPhoneNumberVerificationStatusRequest(cust_space_id=TRAVEL, phone_number="8613800000000")))
    assert unknown.code == "Unknown.ResourceOwnerId"


def test_customer_account_info(emulator):
    emu = emulator()
    body = bss_client(emu).get_customer_account_info(bss_models.GetCustomerAccountInfoRequest()).body
    assert body.code == "Success" and body.success is True and body.request_id
    assert body.data.mpk == 1051360339779133 and body.data.is_certified is True
    assert (body.data.hosting_status, body.data.credit_limit_status, body.data.account_type) == (
        "TRUSTEESHIP", "Thaw", "1")


def test_account_without_reseller_data_and_key_not_allowed(emulator, example_state):
    example_state.pop("account")
    example_state["keys"].append({"access_key_id": "camsonly", "access_key_secret": "x",
                                  "actions": ["QueryChatappPhoneNumbers"]})
    emu = emulator(example_state)
    request = bss_models.GetCustomerAccountInfoRequest()
    no_data = error_of(lambda: bss_client(emu).get_customer_account_info(request))
    assert (no_data.code, no_data.status_code) == ("VnoNoDataError", 401)
    denied = error_of(lambda: bss_client(emu, "camsonly", "x").get_customer_account_info(request))
    assert (denied.code, denied.status_code) == ("NoPermission", 403)


def test_wrong_secret_is_refused(emulator):
    emu = emulator()
    exc = error_of(lambda: numbers(cams_client(emu, "demo", "not-the-secret"), RETAIL))
    assert (exc.code, exc.status_code) == ("SignatureDoesNotMatch", 400)
    unknown = error_of(lambda: numbers(cams_client(emu, "nobody", "x"), RETAIL))
    assert (unknown.code, unknown.status_code) == ("InvalidAccessKeyId.NotFound", 404)


def test_read_only_key_reads_but_cannot_write(emulator):
    emu = emulator()
    client = cams_client(emu, "readonly", "readonly-secret")
    assert len(numbers(client, RETAIL)) == 5
    exc = error_of(lambda: client.update_phone_webhook(cams.UpdatePhoneWebhookRequest(
        cust_space_id=RETAIL, phone_number="8613800001235", status_callback_url="https://evil.example/")))
    assert (exc.code, exc.status_code) == ("Ram.PermissionDeny", 400)
    assert exc.data["AccessDeniedDetail"]["AuthAction"] == "cams:UpdatePhoneWebhook"
    assert error_of(lambda: client.chatapp_sync_phone_number(
        cams.ChatappSyncPhoneNumberRequest(cust_space_id=RETAIL))).code == "Ram.PermissionDeny"
    entry = emu.backend.snapshot()["spaces"][RETAIL]["phone_numbers"][1]
    assert entry["StatusCallbackUrl"] == "https://old-hooks.acme.example/cams/status"  # unchanged


def test_ownership_and_subscription(emulator):
    emu = emulator()
    demo, readonly = cams_client(emu), cams_client(emu, "readonly", "readonly-secret")
    assert error_of(lambda: numbers(demo, "999999999999999")).code == "Unknown.ResourceOwnerId"
    assert error_of(lambda: demo.query_phone_business_profile(cams.QueryPhoneBusinessProfileRequest(
        cust_space_id=RETAIL, phone_number="8613899999999"))).code == "Unknown.ResourceOwnerId"
    assert error_of(lambda: demo.update_phone_webhook(cams.UpdatePhoneWebhookRequest(
        cust_space_id=GLOBEX, phone_number="8613800001234",  # a number of another space
        status_callback_url="https://x.example/"))).code == "Unknown.ResourceOwnerId"
    assert error_of(lambda: numbers(demo, UNSUBSCRIBED)).code == "Product.Unsubscript"
    assert error_of(lambda: numbers(readonly, UNSUBSCRIBED)).code == "Unknown.ResourceOwnerId"  # owner_keys


def test_missing_required_parameter(emulator):
    emu = emulator()
    exc = error_of(lambda: cams_client(emu).query_phone_business_profile(
        cams.QueryPhoneBusinessProfileRequest(cust_space_id=RETAIL)))
    assert exc.code == "MissingParameter" and "PhoneNumber" in exc.data["Message"]
