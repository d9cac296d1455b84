"""WhatsApp's business-username format, as the shared table applies it (reconciler/common/username_rules.py)."""

from __future__ import annotations

import pytest

from reconciler.common.username_rules import MAX_LENGTH, RULES, username_key, username_problems


@pytest.mark.parametrize("name", ["acmesupport", "acme.support", "acme_support", "Acme_Retail2", "a1b",
                                  "x" * MAX_LENGTH, "acme.comfort", "shop.in.town", "_acme_"])
def test_well_formed_names_pass(name: str) -> None:
    assert username_problems(name) == []


@pytest.mark.parametrize(("name", "broken"), [
    ("ab", "length"), ("x" * (MAX_LENGTH + 1), "length"), ("acme-support", "characters"),
    ("acme support", "characters"), ("ácme", "characters"), ("12345", "letter"), ("_.1", "letter"),
    (".acme", "period-edge"), ("acme.", "period-edge"), ("acme..support", "period-pair"),
    ("wwwacme", "www"), ("WWW.acme", "www"), ("acme.com", "domain"), ("acme.ORG", "domain"),
    ("acme.html", "domain"),
])
def test_each_rule_can_refuse(name: str, broken: str) -> None:
    rule = next(r for r in RULES if r.code == broken)
    assert rule.message in username_problems(name)


def test_every_problem_is_reported_at_once_and_case_is_ignored_when_comparing() -> None:
    assert len(username_problems("..w.com")) == 3  # a period first, two in a row, a domain suffix
    assert username_key("Acme.Support") == username_key("acme.support") != username_key("acme_support")
