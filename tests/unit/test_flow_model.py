"""The flows block's pure parts (reconciler/kinds/flow_model.py): which Flow is the declared one, the
replacement's name, and the JSON diff by screen."""

from __future__ import annotations

import copy
import json

from reconciler.kinds.flow_model import ActualFlow, FlowSpec, current, replacement_for, screen_diff
from tests.helpers.paths import REPO_ROOT

SIGNUP = json.loads((REPO_ROOT / "tests/fixtures/flows/signup.json").read_text(encoding="utf-8"))


def spec(**kw: object) -> FlowSpec:
    return FlowSpec(**{"name": "signup", "categories": ("SIGN_UP",), "json_file": "f.json", "document": {}, **kw})  # type: ignore[arg-type]


def flow(name: str, status: str, order: int) -> ActualFlow:
    return ActualFlow(flow_id=str(order), name=name, categories=(), status=status, order=order)


def test_the_declared_flow_is_the_newest_live_one_of_its_names() -> None:
    flows = [flow("signup", "deprecated", 1), flow("signup-v2", "published", 2), flow("signup-v10", "draft", 3),
             flow("signup-vx", "draft", 4), flow("other", "draft", 5)]
    assert current(spec(), flows) == flows[2]
    assert current(spec(), flows[:1]) == flows[0]          # only deprecated: that one
    assert current(spec(), flows[4:]) is None
    named = spec(replacement_name="signup_2026")
    assert current(named, [*flows, flow("signup_2026", "published", 6)]).name == "signup_2026"  # type: ignore[union-attr]
    assert current(named, flows[:3]) == flows[0]  # with a replacement name the derived names are not its own


def test_the_replacement_name() -> None:
    assert replacement_for(spec(), ["signup", "signup-v2", "signup-v4"]) == "signup-v3"
    assert replacement_for(spec(replacement_name="signup_b"), ["signup"]) == "signup_b"


def test_the_json_diff_is_by_screen() -> None:
    after = copy.deepcopy(SIGNUP)
    after["screens"][1]["layout"]["children"][0]["text"] = "Thanks!"
    after["screens"].insert(1, {"id": "EXTRA", "layout": {"type": "SingleColumnLayout", "children": []}})
    after["screens"] = [s for s in after["screens"] if s["id"] != "DETAILS"]
    after["version"] = "7.1"
    lines = [d.text() for d in screen_diff(SIGNUP, after)]
    assert lines == [
        'flow: /version: "7.0" → "7.1"',
        "screen EXTRA: added",
        'screen CONSENT: /layout/children/0/text: "Thanks, ${data.first_name}. We will write to ${data.email}." → "Thanks!"',
        "screen DETAILS: removed",
    ]
    assert screen_diff(SIGNUP, copy.deepcopy(SIGNUP)) == []


def test_a_template_flow_button_gets_the_flow_id() -> None:
    from reconciler.kinds.template_model import Template, flow_ids_pending, with_flow_ids

    button = {"Type": "FLOW", "Text": "Join", "flow": "signup", "NavigateScreen": "DETAILS"}
    t = Template("join", "en_US", "MARKETING", ({"Type": "BODY", "Text": "Hi"}, {"Type": "BUTTONS", "Buttons": [button]}))
    assert t.flows == ("signup",)
    resolved = with_flow_ids(t, {"signup": "1001"})
    assert resolved.components[1]["Buttons"] == [{"Type": "FLOW", "Text": "Join", "NavigateScreen": "DETAILS",
                                                   "FlowId": "1001"}]
    assert not flow_ids_pending(resolved) and t.components[1]["Buttons"][0]["flow"] == "signup"
    assert flow_ids_pending(with_flow_ids(t, {}))


def test_import_declares_a_flow_and_its_replacements_as_one() -> None:
    from reconciler.kinds.flow_model import import_flows

    flows = [flow("signup", "deprecated", 1), flow("signup-v2", "published", 2), flow("old", "deprecated", 3),
             flow("Sign up / EU", "draft", 4), flow("empty", "draft", 5)]
    block, files, notes = import_flows(flows, {"2": '{"version": "7.0"}', "4": "{}"})
    assert block == {"items": {
        "signup": {"categories": ["OTHER"], "json_file": "flows/signup.json", "status": "published"},
        "Sign up / EU": {"categories": ["OTHER"], "json_file": "flows/Sign_up_EU.json", "status": "draft"}}}
    assert files == {"flows/signup.json": '{"version": "7.0"}', "flows/Sign_up_EU.json": "{}"}
    assert any("old" in n for n in notes) and any("empty" in n for n in notes)


def test_the_platforms_errors_are_shown_by_screen() -> None:
    from reconciler.kinds.flow_model import errors_by_screen

    message = ("The Flow JSON is not valid: /screens/1/layout/children/0/text: ${data.x}: no such field; "
               "/screens: no screen is terminal; /screens/0/id: bad")
    assert errors_by_screen(message, SIGNUP) == [
        "The Flow JSON is not valid:", "flow: /screens: no screen is terminal",
        "screen CONSENT: /layout/children/0/text: ${data.x}: no such field", "screen DETAILS: /id: bad"]
    assert errors_by_screen("no JSON uploaded", SIGNUP) == ["no JSON uploaded"]
