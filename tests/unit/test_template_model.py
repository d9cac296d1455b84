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
