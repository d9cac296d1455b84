"""A kind's comparison meets the response model's defaults either way the cloud may give them (issue 24):
sent (``false``, ``[]``, ``""``) or left out; an undeclared field never differs, whatever default it holds."""

from __future__ import annotations

from typing import Any

from reconciler.core.model import Number, Source, Space
from reconciler.core.plan import Address
from reconciler.kinds import get
from reconciler.kinds.automation import Automation, Command
from reconciler.kinds.base import Block
from reconciler.kinds.business_profile import BusinessProfile


def differing(kind_name: str, model: Any, current: dict[str, Any]) -> list[str]:
    """The fields the kind's default plan finds different, for one number holding ``model``."""
    src = Source("a.yaml", 1)
    number = Number.of("8613800001234", "+8613800001234", src, **{kind_name: model})
    block = Block(Address(kind_name, "a", number.phone_number), Space("a", "1", src, (number,)), number, model)
    changes = get(kind_name).plan(block, current)
    return [name for c in changes for name in (c.before or {})]


def test_a_declared_default_equals_an_answer_that_leaves_the_field_out() -> None:
    off = Automation(welcome_message=False, prompts=(), commands=())
    assert differing("automation", off, {}) == []
    assert differing("automation", off, {"EnableWelcomeMessage": False, "Prompts": [], "Commands": []}) == []
    assert differing("automation", off, {"EnableWelcomeMessage": True, "Prompts": ["Hi"]}) == [
        "welcome_message", "prompts"]
    on = Automation(welcome_message=True, prompts=("Hi",), commands=(Command("order", "Track"),))
    assert differing("automation", on, {}) == ["welcome_message", "prompts", "commands"]


def test_undeclared_profile_fields_never_differ_and_enums_ignore_case() -> None:
    declared = BusinessProfile(about="Acme", vertical="RETAIL")
    echoed = {"About": "Acme", "Vertical": "retail", "Description": "", "Email": "", "Address": "",
              "ProfilePictureUrl": "", "Websites": []}
    assert differing("business_profile", declared, echoed) == []
    assert differing("business_profile", declared, {**echoed, "Vertical": "UNDEFINED"}) == ["vertical"]
