"""A kind's comparison meets the response model's defaults either way the cloud may give them (issue 24):
sent (``false``, ``[]``, ``""``) or left out; an undeclared field never differs, whatever default it holds."""

from __future__ import annotations

from reconciler.kinds import get
from reconciler.kinds.automation import Automation, Command
from reconciler.kinds.business_profile import BusinessProfile


def test_a_declared_default_equals_an_answer_that_leaves_the_field_out() -> None:
    kind = get("automation")
    off = Automation(welcome_message=False, prompts=(), commands=())
    assert kind.differing(off, {}) == []
    assert kind.differing(off, {"EnableWelcomeMessage": False, "Prompts": [], "Commands": []}) == []
    assert [f.name for f in kind.differing(off, {"EnableWelcomeMessage": True, "Prompts": ["Hi"]})] == [
        "welcome_message", "prompts"]
    on = Automation(welcome_message=True, prompts=("Hi",), commands=(Command("order", "Track"),))
    assert [f.name for f in kind.differing(on, {})] == ["welcome_message", "prompts", "commands"]


def test_undeclared_profile_fields_never_differ_and_enums_ignore_case() -> None:
    kind = get("business_profile")
    declared = BusinessProfile(about="Acme", vertical="RETAIL")
    echoed = {"About": "Acme", "Vertical": "retail", "Description": "", "Email": "", "Address": "",
              "ProfilePictureUrl": "", "Websites": []}
    assert kind.differing(declared, echoed) == []
    assert [f.name for f in kind.differing(declared, {**echoed, "Vertical": "UNDEFINED"})] == ["vertical"]
