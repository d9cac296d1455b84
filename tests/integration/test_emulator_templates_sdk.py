"""Message templates in the emulator, driven by the official SDK over loopback HTTP (and by our client's
generic ``call``): the SDK's exact parameters are accepted, and the review lifecycle, pagination, limits and
refusals behave as docs/emulator.md describes. One emulator for the module, reset per test."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import yaml
from alibabacloud_cams20200606 import models as cams
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_tea_openapi.utils_models import Config

from reconciler.client import CamsClient as OurClient
from reconciler.client import Credentials
from reconciler.core.client_errors import ApiError, ParameterError
from reconciler.emulator import EmulatorHandle
from tests.helpers.paths import EXAMPLE_STATE_PATH

SPACE = "293483938849001"
ORDER_BODY = "Hello {{1}}, your order {{2}} has shipped."
ORDER = [
    {"Type": "HEADER", "Format": "TEXT", "Text": "Order update"},
    {"Type": "BODY", "Text": ORDER_BODY},
    {"Type": "FOOTER", "Text": "Acme Retail"},
    {"Type": "BUTTONS", "Buttons": [
        {"Type": "URL", "Text": "Track it", "Url": "https://acme.example/track/{{3}}", "UrlType": "dynamic"},
        {"Type": "PHONE_NUMBER", "Text": "Call us", "PhoneNumber": "+8613800001234"},
    ]},
]
ORDER_EXAMPLE = {"{{1}}": "Alice", "{{2}}": "A-1001", "{{3}}": "A-1001"}


def base_state(**settings: Any) -> dict[str, Any]:
    state = yaml.safe_load(EXAMPLE_STATE_PATH.read_text(encoding="utf-8"))
    space = state["spaces"][SPACE]
    space["templates"] = [{
        "Name": "welcome", "Language": "en_US", "Category": "MARKETING", "AuditStatus": "pass",
        "QualityScore": "GREEN", "Components": [{"Type": "BODY", "Text": "Welcome to Acme, {{1}}!"}],
        "Example": {"{{1}}": "Alice"},
    }]
    if settings:
        space["template_settings"] = settings
    return state


@pytest.fixture(scope="module")
def emu_state() -> dict[str, Any]:
    return base_state()


def sdk(emu: EmulatorHandle, key: str = "demo", secret: str = "demo-secret") -> CamsClient:
    return CamsClient(Config(access_key_id=key, access_key_secret=secret, endpoint=emu.endpoint, protocol="http"))


def components(raw: list[dict[str, Any]]) -> list[cams.CreateChatappTemplateRequestComponents]:
    return [cams.CreateChatappTemplateRequestComponents().from_map(copy.deepcopy(c)) for c in raw]


def create(client: CamsClient, name: str = "order_update", language: str = "en_US", raw: list[dict[str, Any]] = ORDER,
           example: dict[str, str] | None = None, category: str = "UTILITY", **extra: Any) -> Any:
    return client.create_chatapp_template(cams.CreateChatappTemplateRequest(
        cust_space_id=SPACE, name=name, language=language, category=category, template_type="WHATSAPP",
        components=components(raw), example=ORDER_EXAMPLE if example is None else example, **extra)).body


def detail(client: CamsClient, name: str = "order_update", language: str = "en_US") -> Any:
    return client.get_chatapp_template_detail(cams.GetChatappTemplateDetailRequest(
        cust_space_id=SPACE, template_name=name, language=language)).body.data


def modify(client: CamsClient, code: str, raw: list[dict[str, Any]], example: dict[str, str] | None = None,
           language: str = "en_US", **extra: Any) -> Any:
    return client.modify_chatapp_template(cams.ModifyChatappTemplateRequest(
        cust_space_id=SPACE, template_code=code, language=language, template_type="WHATSAPP",
        components=[cams.ModifyChatappTemplateRequestComponents().from_map(copy.deepcopy(c)) for c in raw],
        example=example, **extra)).body


def clean(value: Any) -> Any:
    """The answer without the response model's defaults the emulator fills in (``[]``, ``""``, false, 0)."""
    if isinstance(value, dict):
        cleaned = {k: clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ([], "", {}) and v is not False
                and not (type(v) is int and v == 0)}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def error_of(call: Any) -> Any:
    with pytest.raises(Exception) as info:
        call()
    assert getattr(info.value, "code", None), f"not an API error: {info.value!r}"
    return info.value


def test_create_is_pending_then_approved_by_the_review_hook_and_reads_back_exactly(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    body = create(client, message_send_ttl_seconds=3600, category_change_paused=True)
    assert body.code == "OK" and body.success is True and body.data.template_name == "order_update"
    code = body.data.template_code
    data = detail(client)
    assert (data.audit_status, data.reason, data.template_code, data.category) == ("auditing", "", code, "UTILITY")
    # The components the SDK sent, key for key (its models add an empty Buttons and Cards to every component).
    assert [clean(c.to_map()) for c in data.components] == ORDER
    assert data.example == ORDER_EXAMPLE and data.message_send_ttl_seconds == 3600
    assert data.category_change_paused is True and data.template_type == "WHATSAPP"
    emu.backend.review_template(SPACE, "order_update", "en_US", "pass")
    assert detail(client).audit_status == "pass"
    by_code = client.get_chatapp_template_detail(cams.GetChatappTemplateDetailRequest(
        cust_space_id=SPACE, template_code=code, language="en_US")).body.data
    assert by_code.name == "order_update"


def test_a_second_language_shares_the_code_and_a_duplicate_is_refused(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    code = create(client).data.template_code
    assert create(client, language="de").data.template_code == code
    err = error_of(lambda: create(client))
    assert err.code == "Template.AlreadyExists"


def test_immediate_and_delayed_review_and_rejection_with_its_reason(emu: EmulatorHandle) -> None:
    emu.reset(base_state(review="immediate", review_outcome="fail", review_reason="INVALID_FORMAT"))
    client = sdk(emu)
    create(client)
    data = detail(client)
    assert (data.audit_status, data.reason) == ("fail", "INVALID_FORMAT")
    emu.reset(base_state(review="delayed", review_delay_ms=60_000))
    create(client)
    assert detail(client).audit_status == "auditing"
    emu.backend.advance_template_clock(61)
    assert detail(client).audit_status == "pass"


def test_review_hook_rejects_with_a_reason_and_a_rejected_template_may_be_edited_freely(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    code = create(client).data.template_code
    emu.backend.review_template(SPACE, "order_update", "en_US", "fail", "TAG_CONTENT_MISMATCH")
    listed = client.list_chatapp_template(cams.ListChatappTemplateRequest(
        cust_space_id=SPACE, audit_status="fail")).body
    assert [(t.template_name, t.reason) for t in listed.list_template] == [("order_update", "TAG_CONTENT_MISMATCH")]
    for _ in range(3):  # no edit limit outside approval
        modify(client, code, ORDER)
        emu.backend.review_template(SPACE, "order_update", "en_US", "fail", "INVALID_FORMAT")


def test_an_edit_in_review_is_refused_and_an_approved_template_goes_back_to_review(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    code = create(client).data.template_code
    assert error_of(lambda: modify(client, code, ORDER)).code == "Template.NotEditable"
    emu.backend.review_template(SPACE, "order_update", "en_US")
    changed = copy.deepcopy(ORDER)
    changed[1]["Text"] = "Hi {{1}}, order {{2}} is on its way."
    body = modify(client, code, changed)
    assert body.code == "OK" and body.data.template_code == code
    data = detail(client)
    assert data.audit_status == "auditing" and data.components[1].text == "Hi {{1}}, order {{2}} is on its way."
    assert data.example == ORDER_EXAMPLE  # no Example sent: the old one stays


def test_approved_edit_limits_once_a_day_ten_a_month_and_no_category_change(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    code = sdk(emu).list_chatapp_template(cams.ListChatappTemplateRequest(
        cust_space_id=SPACE, name="welcome")).body.list_template[0].template_code
    raw = [{"Type": "BODY", "Text": "Welcome, {{1}}!"}]
    err = error_of(lambda: modify(client, code, raw, category="UTILITY"))
    assert err.code == "Template.CategoryNotModifiable"
    for day in range(10):
        modify(client, code, raw)
        emu.backend.review_template(SPACE, "welcome", "en_US")
        if day == 0:  # a second edit within 24 hours
            assert error_of(lambda: modify(client, code, raw)).code == "Template.EditLimitExceeded"
        emu.backend.advance_template_clock(24 * 3600 + 1)
    err = error_of(lambda: modify(client, code, raw))  # the eleventh within 30 days
    assert err.code == "Template.EditLimitExceeded" and "10 times in 30 days" in err.message
    emu.backend.set_template_fields(SPACE, "welcome", "en_US", AuditStatus="paused")
    modify(client, code, raw)  # paused: no limit


def test_pagination_beyond_one_page_and_filters(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    for i in range(12):
        create(client, name=f"promo_{i:02d}", raw=[{"Type": "BODY", "Text": "Sale today"}], example={},
               category="MARKETING")
    first = client.list_chatapp_template(cams.ListChatappTemplateRequest(cust_space_id=SPACE)).body
    assert first.total == 13 and len(first.list_template) == 10  # the documented default page size
    seen: list[str] = []
    for index in (1, 2, 3):
        page = client.list_chatapp_template(cams.ListChatappTemplateRequest(
            cust_space_id=SPACE, page=cams.ListChatappTemplateRequestPage(index=index, size=5))).body
        assert page.total == 13
        seen += [t.template_name for t in page.list_template]
    assert len(seen) == 13 == len(set(seen))
    item = first.list_template[0].to_map()
    assert set(item) == {"AuditStatus", "Category", "Language", "LastUpdateTime", "Reason", "TemplateCode",
                         "TemplateName", "TemplateType"}
    only = client.list_chatapp_template(cams.ListChatappTemplateRequest(
        cust_space_id=SPACE, category="MARKETING", audit_status="auditing")).body
    assert only.total == 12


@pytest.mark.parametrize("page, problem", [
    ({"Index": 0, "Size": 5}, "Page.Index"), ({"Index": 1, "Size": 1000}, "Page.Size"), ({"Size": 5}, "Page.Index"),
])
def test_bad_pages_are_refused(emu: EmulatorHandle, page: dict[str, int], problem: str) -> None:
    err = error_of(lambda: sdk(emu).list_chatapp_template(cams.ListChatappTemplateRequest(
        cust_space_id=SPACE, page=cams.ListChatappTemplateRequestPage().from_map(page))))
    assert err.code == "InvalidParameter" and problem in err.message


@pytest.mark.parametrize("raw, example, problem", [
    ([{"Type": "BODY", "Text": "x" * 1025}], {}, "at most 1024"),
    ([{"Type": "BODY", "Text": "Hi {{1}} and {{3}} ok"}], {"{{1}}": "a", "{{3}}": "c"}, "missing {{2}}"),
    ([{"Type": "BODY", "Text": "Hi {{1}} ok"}], {}, "needs an example"),
    ([{"Type": "BODY", "Text": "Hi ok"}, {"Type": "BUTTONS", "Buttons": [
        {"Type": "PHONE_NUMBER", "Text": "a", "PhoneNumber": "+1"},
        {"Type": "PHONE_NUMBER", "Text": "b", "PhoneNumber": "+2"}]}], {}, "PHONE_NUMBER"),
    ([{"Type": "HEADER", "Format": "TEXT", "Text": "h"}], {}, "needs a BODY"),
])
def test_content_rules_are_enforced(emu: EmulatorHandle, raw: list[dict[str, Any]], example: dict[str, str],
                                    problem: str) -> None:
    err = error_of(lambda: create(sdk(emu), raw=raw, example=example))
    assert err.code == "InvalidParameter" and problem in err.message, err.message


def test_required_parameters_and_bad_names(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    err = error_of(lambda: client.create_chatapp_template(cams.CreateChatappTemplateRequest(
        cust_space_id=SPACE, name="x", language="en_US", category="UTILITY", components=components(ORDER))))
    assert err.code == "MissingParameter" and "TemplateType" in err.message
    assert error_of(lambda: create(client, name="Order Update")).code == "InvalidParameter"
    err = error_of(lambda: client.get_chatapp_template_detail(cams.GetChatappTemplateDetailRequest(
        cust_space_id=SPACE, language="en_US")))
    assert err.code == "MissingParameter" and "TemplateCode" in err.message
    err = error_of(lambda: detail(client, name="nope"))
    assert err.code == "Template.NotFound"


def test_count_and_creation_rate_limits(emu: EmulatorHandle) -> None:
    emu.reset(base_state(max_templates=2, max_creates_per_hour=100))
    client = sdk(emu)
    create(client)
    assert error_of(lambda: create(client, name="another")).code == "Template.CountLimitExceeded"
    emu.reset(base_state(max_creates_per_hour=1))
    create(client)
    assert error_of(lambda: create(client, name="another")).code == "Template.CreateLimitExceeded"
    emu.backend.advance_template_clock(3601)
    create(client, name="another")


def test_delete_one_language_then_all_and_the_name_cannot_be_reused_for_30_days(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    code = create(client).data.template_code
    create(client, language="de")
    err = error_of(lambda: client.delete_chatapp_template(cams.DeleteChatappTemplateRequest(
        cust_space_id=SPACE, template_code=code, language="de")))
    assert err.code == "MissingParameter" and "TemplateType" in err.message
    body = client.delete_chatapp_template(cams.DeleteChatappTemplateRequest(
        cust_space_id=SPACE, template_code=code, language="de", template_type="WHATSAPP")).body
    assert body.code == "OK" and detail(client).name == "order_update"
    client.delete_chatapp_template(cams.DeleteChatappTemplateRequest(cust_space_id=SPACE, template_code=code))
    assert error_of(lambda: detail(client)).code == "Template.NotFound"
    assert error_of(lambda: create(client)).code == "Template.NameRecentlyDeleted"
    emu.backend.advance_template_clock(30 * 24 * 3600 + 1)
    create(client)
    snapshot = emu.backend.snapshot()["spaces"][SPACE]
    assert {d["Language"] for d in snapshot["deleted_templates"]} == {"en_US", "de"}


def test_properties_and_pause_hook(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    code = client.list_chatapp_template(cams.ListChatappTemplateRequest(
        cust_space_id=SPACE)).body.list_template[0].template_code
    body = client.modify_chatapp_template_properties(cams.ModifyChatappTemplatePropertiesRequest(
        cust_space_id=SPACE, template_code=code, language="en_US", template_type="WHATSAPP", allow_send=False)).body
    assert body.code == "OK" and body.model["AllowSend"] is False
    emu.backend.set_template_fields(SPACE, "welcome", "en_US", AuditStatus="paused", QualityScore="RED")
    data = detail(client, "welcome")
    assert (data.allow_send, data.audit_status, data.quality_score) == (False, "paused", "RED")


def test_the_read_only_key_may_not_write_templates(emu: EmulatorHandle) -> None:
    state = base_state()
    state["keys"][1]["actions"] += ["ListChatappTemplate", "GetChatappTemplateDetail"]
    emu.reset(state)
    ro = sdk(emu, "readonly", "readonly-secret")
    assert ro.list_chatapp_template(cams.ListChatappTemplateRequest(cust_space_id=SPACE)).body.total == 1
    err = error_of(lambda: create(ro))
    assert err.code == "Ram.PermissionDeny"
    assert "order_update" not in str(emu.backend.snapshot())


def test_state_round_trips_through_the_snapshot(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    create(client)
    snap = emu.backend.snapshot()
    emu.reset(snap)
    assert detail(sdk(emu)).audit_status == "auditing"


def test_our_clients_generic_call_speaks_the_same_wire_format(emu: EmulatorHandle) -> None:
    async def run() -> None:
        async with OurClient(Credentials(*emu.credentials), endpoint=emu.url) as client:
            body = await client.call("CreateChatappTemplate", {
                "CustSpaceId": SPACE, "Name": "order_update", "Language": "en_US", "Category": "UTILITY",
                "TemplateType": "WHATSAPP", "Components": ORDER, "Example": ORDER_EXAMPLE,
                "AllowCategoryChange": False, "MessageSendTtlSeconds": 600})
            assert body["Data"]["TemplateName"] == "order_update"
            listed = await client.call("ListChatappTemplate", {"CustSpaceId": SPACE, "Page": {"Index": 1, "Size": 1}})
            assert listed["Total"] == 2 and len(listed["ListTemplate"]) == 1
            data = (await client.call("GetChatappTemplateDetail", {
                "CustSpaceId": SPACE, "TemplateName": "order_update", "Language": "en_US"}))["Data"]
            assert clean(data["Components"]) == ORDER and data["Example"] == ORDER_EXAMPLE
            with pytest.raises(ParameterError, match="Components"):
                await client.call("ModifyChatappTemplate", {"CustSpaceId": SPACE, "Language": "en_US"})
            with pytest.raises(ApiError) as info:
                await client.call("ModifyChatappTemplate", {
                    "CustSpaceId": SPACE, "TemplateName": "order_update", "Language": "en_US", "Components": ORDER})
            assert info.value.code == "Template.NotEditable"
    asyncio.run(run())
