"""The templates block's pure parts: model, comparison with what the API shows, health, the write params."""

from __future__ import annotations

from reconciler.kinds import template_model as tm

BLOCK = tm.build_block({
    "prune": True, "max_templates": 6000, "expect": {"status": ["APPROVED"]},
    "items": [{"name": "order_update", "language": "en_US", "category": "UTILITY",
               "components": [{"Type": "BODY", "Text": "Hi {{1}} there"}], "example": {"{{1}}": "Al"},
               "message_send_ttl_seconds": 600, "expect": {"quality": ["GREEN"]}},
              {"name": "welcome", "language": "de", "category": "MARKETING",
               "components": [{"Type": "BODY", "Text": "Hallo"}]}],
})
ORDER, WELCOME = BLOCK.items
DETAIL = {"Name": "order_update", "Language": "en_US", "Category": "UTILITY", "TemplateCode": "c1",
          "AuditStatus": "pass", "QualityScore": "GREEN", "MessageSendTtlSeconds": 600,
          "Components": [{"Type": "BODY", "Text": "Hi {{1}} there", "Buttons": [], "Cards": [], "Url": None}],
          "Example": {"{{1}}": "Al"}}


def test_block() -> None:
    assert BLOCK.prune and BLOCK.max_templates == 6000 and ORDER.key == "order_update/en_US"
    assert BLOCK.get("welcome/de") is WELCOME and BLOCK.get("welcome/en") is None
    assert BLOCK.expect_of(ORDER) == tm.TemplateExpect(None, ("GREEN",))
    assert BLOCK.expect_of(WELCOME) == tm.TemplateExpect(("APPROVED",), None)
    assert tm.build_block({}).max_templates == tm.DEFAULT_MAX_TEMPLATES


def test_the_sdks_empty_lists_and_nulls_are_not_differences() -> None:
    assert tm.differing(ORDER, DETAIL) == []
    assert tm.differing(ORDER, {**DETAIL, "Example": {"{{1}}": "Bo"}}) == ["example"]
    assert tm.differing(ORDER, {**DETAIL, "Category": "MARKETING", "MessageSendTtlSeconds": 900}) == [
        "category", "message_send_ttl_seconds"]
    changed = {**DETAIL, "Components": [{"Type": "BODY", "Text": "Hi {{1}}!"}]}
    assert tm.differing(ORDER, changed) == ["components"]
    assert tm.clean({"hasExpiration": True, "x": ""}) == {"HasExpiration": True}


def test_health() -> None:
    expect = tm.TemplateExpect(("APPROVED",), ("GREEN", "YELLOW"))
    assert tm.health_findings(expect, DETAIL) == []
    assert tm.health_findings(expect, {**DETAIL, "AuditStatus": "auditing"}) == []  # review is not drift
    ((field, actual, _, why),) = tm.health_findings(expect, {**DETAIL, "AuditStatus": "fail", "Reason": "SPAM"})
    assert (field, actual) == ("status", "REJECTED") and "(SPAM)" in why
    found = tm.health_findings(expect, {**DETAIL, "AuditStatus": "paused", "QualityScore": "RED"})
    assert [f[0] for f in found] == ["status", "quality"]
    assert tm.health_findings(None, {**DETAIL, "AuditStatus": "disabled"}) == []
    assert tm.status_name("weird") == "WEIRD" and tm.status_name(None) == "UNKNOWN"


def test_write_params_send_only_what_is_declared() -> None:
    assert tm.create_params("1", WELCOME) == {
        "CustSpaceId": "1", "Name": "welcome", "Language": "de", "Category": "MARKETING", "TemplateType": "WHATSAPP",
        "Components": [{"Type": "BODY", "Text": "Hallo"}]}
    params = tm.modify_params("1", ORDER, "c1", ["components"])
    assert "Category" not in params and "MessageSendTtlSeconds" not in params and params["Example"] == {"{{1}}": "Al"}
    assert tm.modify_params("1", ORDER, "c1", ["category"])["Category"] == "UTILITY"
    assert tm.delete_params("1", "c1", "de") == {"CustSpaceId": "1", "TemplateCode": "c1", "Language": "de",
                                                 "TemplateType": "WHATSAPP"}


def test_import_item_plans_clean() -> None:
    item = tm.import_item(DETAIL)
    assert item["components"] == [{"Type": "BODY", "Text": "Hi {{1}} there"}]
    again = tm.build_block({"items": [item]}).items[0]
    assert tm.differing(again, DETAIL) == []


# --- the cloud's defaults and case (issue 24) ---------------------------------------------------------------

MARKETING = tm.build_block({"items": [{
    "name": "spring_sale", "language": "en_US", "category": "MARKETING",
    "components": [{"Type": "BODY", "Text": "Spring sale: {{1}} off"},
                   {"Type": "BUTTONS", "Buttons": [{"Type": "QUICK_REPLY", "Text": "Stop promotions"}]}],
    "example": {"{{1}}": "20%"}}]}).items[0]
#: the same template as GetChatappTemplateDetail's response model fills it: every boolean false, every
#: integer 0, every string empty, every list empty, and the enum values in another case
ECHOED = {"Name": "spring_sale", "Language": "en_US", "Category": "marketing", "TemplateCode": "c2",
          "AuditStatus": "pass", "QualityScore": "GREEN", "MessageSendTtlSeconds": 0, "AllowSend": False,
          "CategoryChangePaused": False, "ProductSetId": "", "Reason": "", "TemplateType": "WHATSAPP",
          "Example": {"{{1}}": "20%"},
          "Components": [
              {"Type": "body", "Text": "Spring sale: {{1}} off", "AddSecretRecommendation": False,
               "hasExpiration": False, "CodeExpirationMinutes": 0, "Duration": 0, "Buttons": [], "Cards": [],
               "Caption": "", "FileName": "", "FileType": "", "Format": "", "Latitude": "", "Longitude": "",
               "LocationAddress": "", "LocationName": "", "OfferExpirationTimeMs": "", "ThumbUrl": "", "Url": ""},
              {"Type": "Buttons", "AddSecretRecommendation": False, "hasExpiration": False,
               "CodeExpirationMinutes": 0, "Duration": 0, "Cards": [], "Text": "",
               "Buttons": [{"Type": "quick_reply", "Text": "Stop promotions", "IsOptOut": False, "Url": "",
                            "UrlType": "", "SupportedApps": [], "AutofillText": "", "CouponCode": "",
                            "FlowAction": "", "FlowId": "", "NavigateScreen": "", "PackageName": "",
                            "PhoneNumber": "", "SignatureHash": "",
                            "ExtendAttrs": {"Action": "", "IntentCode": "", "NextLanguageCode": "",
                                            "NextTemplateCode": "", "NextTemplateName": ""}}]}]}


def test_an_unchanged_template_echoed_with_the_clouds_defaults_and_case_does_not_differ() -> None:
    assert tm.differing(MARKETING, ECHOED) == []
    # a real change still shows: the opt-out flag set, the text changed, another category
    opt_out = [dict(ECHOED["Components"][0]), {**ECHOED["Components"][1], "Buttons": [
        {**ECHOED["Components"][1]["Buttons"][0], "IsOptOut": True}]}]
    assert tm.differing(MARKETING, {**ECHOED, "Components": opt_out}) == ["components"]
    assert tm.differing(MARKETING, {**ECHOED, "Category": "UTILITY"}) == ["category"]


def test_import_writes_only_what_the_create_can_send() -> None:
    detail = {**ECHOED, "Components": [{**ECHOED["Components"][0], "Latitude": "52.5", "LocationName": "HQ"},
                                       ECHOED["Components"][1]]}
    item = tm.import_item(detail)
    assert item == {"name": "spring_sale", "language": "en_US", "category": "MARKETING",
                    "components": [{"Type": "BODY", "Text": "Spring sale: {{1}} off"},
                                   {"Type": "BUTTONS", "Buttons": [{"Type": "QUICK_REPLY", "Text": "Stop promotions"}]}],
                    "example": {"{{1}}": "20%"}}


def test_a_component_field_the_create_cannot_send_is_refused_offline() -> None:
    from reconciler.kinds import get

    block = {"items": [{"name": "at_hq", "language": "en_US", "category": "UTILITY",
                        "components": [{"Type": "BODY", "Text": "See you at HQ", "Latitude": "52.5"},
                                       {"Type": "BUTTONS", "Buttons": [{"Type": "QUICK_REPLY", "Text": "Ok",
                                                                        "ExtendAttrs": {"Action": "x"}}]}]}]}
    assert get("templates").rules.check(block, "space.yaml") == [
        (("items", 0, "components", 0, "Latitude"), "Latitude is not a field CreateChatappTemplate can send"),
        (("items", 0, "components", 1, "Buttons", 0, "ExtendAttrs"),
         "ExtendAttrs is not a field CreateChatappTemplate can send")]
