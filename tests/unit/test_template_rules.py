"""The template rules (one module in ``reconciler.common``, used by the offline validator and the emulator)
and the reviewer's rendering of a template change."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.common import template_rules as rules
from reconciler.kinds import template_render as render

GOOD = [
    {"Type": "HEADER", "Format": "TEXT", "Text": "Order {{1}}"},
    {"Type": "BODY", "Text": "Hello {{2}}, your order {{1}} has shipped."},
    {"Type": "FOOTER", "Text": "Acme Retail"},
    {"Type": "BUTTONS", "Buttons": [
        {"Type": "URL", "Text": "Track it", "Url": "https://acme.example/t/{{3}}", "UrlType": "dynamic"},
        {"Type": "PHONE_NUMBER", "Text": "Call us", "PhoneNumber": "+8613800001234"},
    ]},
]
GOOD_EXAMPLE = {"{{1}}": "A-1001", "{{2}}": "Alice", "{{3}}": "A-1001"}


def test_a_good_template_has_no_problem() -> None:
    assert rules.problems("UTILITY", GOOD, GOOD_EXAMPLE) == []
    assert rules.check_name("order_update_2") == [] and rules.check_language("pt_BR") == []
    assert rules.check_ttl("UTILITY", 43200) == [] and rules.check_ttl("MARKETING", None) == []


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    bad = [
        {"Type": "HEADER", "Format": "TEXT", "Text": "{{1}} and {{2}} " + "x" * 60},
        {"Type": "BODY", "Text": "{{1}} hi {{4}}"},
        {"Type": "FOOTER", "Text": "f" * 61},
        {"Type": "BUTTONS", "Buttons": [
            {"Type": "QUICK_REPLY", "Text": "yes"},
            {"Type": "URL", "Text": "u1", "Url": "https://a.example/"},
            {"Type": "QUICK_REPLY", "Text": "no" * 13},
            {"Type": "URL", "Text": "u2", "Url": "https://b.example/{{5}}"},
            {"Type": "URL", "Text": "u3", "Url": "ftp://c.example/"},
            {"Type": "PHONE_NUMBER", "Text": "p"},
            {"Type": "TELEPORT", "Text": "t"},
        ]},
        {"Type": "BODY", "Text": "again"},
    ]
    found = rules.problems("UTILITY", bad, {"{{1}}": "a", "{{7}}": "x"})
    paths = [path for path, _ in found]
    messages = " | ".join(m for _, m in found)
    assert ("components", 0, "Text") in paths and "at most 60" in messages and "at most one placeholder" in messages
    assert ("components", 1, "Text") in paths and "start or end with a placeholder" in messages
    assert ("components", 2, "Text") in paths
    assert ("components", 3, "Buttons", 2, "Text") in paths and "at most 25" in messages
    assert ("components", 3, "Buttons", 3, "UrlType") in paths  # a placeholder in a static URL
    assert ("components", 3, "Buttons", 4, "Url") in paths  # not http(s)
    assert ("components", 3, "Buttons", 5, "PhoneNumber") in paths
    assert ("components", 3, "Buttons", 6, "Type") in paths
    assert "grouped together" in messages and "at most 2 URL buttons" in messages
    assert ("components", 4, "Type") in paths and "a second BODY" in messages
    assert "missing {{3}}" in messages
    assert ("example",) in paths and "{{4}} needs an example" in messages
    assert ("example", "{{7}}") in paths
    assert len(found) >= 14


def test_authentication_templates() -> None:
    ok = [{"Type": "BODY"}, {"Type": "FOOTER", "CodeExpirationMinutes": 5},
          {"Type": "BUTTONS", "Buttons": [{"Type": "COPY_CODE", "Text": "Copy code"}]}]
    assert rules.problems("AUTHENTICATION", ok, None) == []
    bad = [{"Type": "HEADER", "Text": "h"}, {"Type": "BODY", "Text": "Your code"},
           {"Type": "BUTTONS", "Buttons": [{"Type": "URL", "Text": "x", "Url": "https://x.example"},
                                           {"Type": "ONE_TAP", "Text": "Fill"}]}]
    messages = " | ".join(m for _, m in rules.problems("AUTHENTICATION", bad, None))
    for part in ("has no HEADER", "BODY has no text", "exactly one button", "(AUTHENTICATION)", "AutofillText",
                 "SupportedApps"):
        assert part in messages
    assert rules.check_ttl("AUTHENTICATION", 901) and not rules.check_ttl("AUTHENTICATION", 900)
    assert "documented for" in rules.check_ttl("MARKETING", 60)[0][1]


@pytest.mark.parametrize("name, ok", [("order_update", True), ("Order", False), ("a-b", False), ("", False),
                                      ("x" * 512, True), ("x" * 513, False)])
def test_names(name: str, ok: bool) -> None:
    assert (rules.check_name(name) == []) is ok


@pytest.mark.parametrize("category, comps, example", [
    ("PROMO", GOOD, GOOD_EXAMPLE), ("UTILITY", [], {}), ("UTILITY", "BODY", {}),
    ("UTILITY", [{"Type": "BODY", "Text": "Hi {{name}} there"}], {"{{name}}": "x"}),
    ("UTILITY", [{"Type": "BODY", "Text": "Hi {{1}} there"}], {"{{1}}": "  "}),
    ("UTILITY", [{"Type": "HEADER", "Format": "IMAGE"}, {"Type": "BODY", "Text": "b"}], {}),
    ("UTILITY", [{"Type": "BODY", "Text": "b"}, {"Type": "BUTTONS", "Buttons": [{"Type": "QUICK_REPLY", "Text": "q"}] * 11}], {}),
])
def test_each_rule_can_fail(category: str, comps: Any, example: dict[str, str]) -> None:
    assert rules.problems(category, comps, example)


def test_render_fills_examples_and_lists_buttons() -> None:
    lines = render.render(GOOD, GOOD_EXAMPLE)
    assert lines == ["*Order A-1001*", "Hello Alice, your order A-1001 has shipped.", "_Acme Retail_",
                     "[Track it] → https://acme.example/t/A-1001", "[Call us] ☎ +8613800001234"]
    assert render.fill("Hi {{1}} {{2}}", {"{{1}}": "Al"}) == "Hi Al {{2}}"  # a missing example stays visible


def test_review_lines_show_before_after_and_a_line_diff_of_the_body() -> None:
    after = [dict(c) for c in GOOD]
    after[1] = {"Type": "BODY", "Text": "Hello {{2}},\nyour order {{1}} is on its way.\nThanks!"}
    before = [dict(c) for c in GOOD]
    before[1] = {"Type": "BODY", "Text": "Hello {{2}},\nyour order {{1}} has shipped."}
    lines = render.review_lines({"components": before, "example": GOOD_EXAMPLE},
                                {"components": after, "example": GOOD_EXAMPLE})
    assert lines[0] == "before:" and "  | your order A-1001 has shipped." in lines
    assert "after:" in lines and "  | your order A-1001 is on its way." in lines
    diff = lines[lines.index("body diff:") + 1:]
    assert diff == ["    Hello {{2}},", "  - your order {{1}} has shipped.", "  + your order {{1}} is on its way.",
                    "  + Thanks!"]
    assert render.body_diff(GOOD, GOOD) == []
    created = render.review_lines(None, {"components": GOOD, "example": GOOD_EXAMPLE})
    assert created[0] == "message:" and "body diff:" not in created
