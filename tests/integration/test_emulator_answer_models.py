"""The emulator answers in the official SDKs' whole response shapes (issue 24).

- ``reconciler/emulator/answer_shapes.py`` is what ``scripts/gen_answer_shapes.py`` generates from the
  installed SDKs' response models, byte for byte (an SDK upgrade that changes a model fails here);
- for every read action the emulator serves (and the writes' answers), the answer over real HTTP has exactly
  the response model's fields, recursively (every object of every non-empty list is checked), with the
  model's types: nothing missing, nothing the model does not know;
- the templates kind's table of what CreateChatappTemplate can send is the SDK's request model's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.client import CamsClient, Credentials
from reconciler.emulator.answer_shapes import ANSWERS
from reconciler.emulator.catalog import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
SPACE, NUMBER = "293483938849001", "8613800001234"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_answer_shapes", ROOT / "scripts" / "gen_answer_shapes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_shapes_are_the_sdks() -> None:
    assert (ROOT / "reconciler/emulator/answer_shapes.py").read_text(encoding="utf-8") == _generator().render()
    assert set(ANSWERS) == set(ACTIONS)


_TYPES = {"str": str, "bool": bool, "int": int, "float": (int, float), "map": dict}


def shape_problems(value: Any, shape: Any, where: str) -> list[str]:
    """Every place ``value`` departs from ``shape``: a missing or unknown field, a wrong type."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, expected an object"]
        out = [f"{where}.{k}: missing" for k in sorted(set(shape) - set(value))]
        out += [f"{where}.{k}: not in the response model" for k in sorted(set(value) - set(shape))]
        for key in sorted(set(shape) & set(value)):
            out += shape_problems(value[key], shape[key], f"{where}.{key}")
        return out
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, expected a list"]
        return [p for i, item in enumerate(value) for p in shape_problems(item, shape[0], f"{where}[{i}]")]
    wanted = _TYPES.get(shape)
    if wanted is None:
        return []
    if isinstance(value, bool) and shape != "bool" or not isinstance(value, wanted):  # type: ignore[arg-type]
        return [f"{where}: {value!r} is not {shape}"]
    return []


def test_shape_problems_can_fail() -> None:
    shape = {"A": "str", "B": [{"C": "bool"}]}
    assert shape_problems({"A": "x", "B": [{"C": True}]}, shape, "") == []
    assert shape_problems({"A": 1, "B": [{"C": 0}], "D": 1}, shape, "") == [
        ".D: not in the response model", ".A: 1 is not str", ".B[0].C: 0 is not bool"]
    assert shape_problems({"B": []}, shape, "") == [".A: missing"]


def _rich_state(example_state: dict[str, Any]) -> dict[str, Any]:
    """The example state with every list the reads return non-empty: settings, QR codes, health errors,
    a template with buttons."""
    state = json.loads(json.dumps(example_state))
    space = state["spaces"][SPACE]
    settings: dict[str, Any] = {
        "commerce": {"CartEnable": True, "CatalogVisible": True},
        "automation": {"EnableWelcomeMessage": True, "Prompts": ["Where is my order?"],
                       "Commands": [{"CommandName": "order", "CommandDescription": "Track an order"}]},
        "qrdls": [{"QrdlCode": "4O4YGZEG3RIVE1", "PrefilledMessage": "Hi", "GenerateQrImage": "PNG"}],
        "health": {"CanSendMessage": "LIMITED",
                   "Errors": [{"ErrorCode": "141006", "ErrorDescription": "d", "PossibleSolution": "s"}]},
    }
    settings["encryption_key"] = {"EncryptionPublicKey": (ROOT / "tests/fixtures/keys/flows-2048.pem").read_text()}
    space.setdefault("number_settings", {})[NUMBER] = settings
    space["business_profiles"][NUMBER] = {"Vertical": "RETAIL", "About": "Hi", "Websites": ["https://a.example"]}
    space["usernames"] = {NUMBER: {"Username": "acmeretail", "Status": "approved"}}
    state["prevalidated_numbers"] = [{"PhoneNumber": "6598760001", "VerifyCode": "480213", "PhoneNumberId": "77"}]
    space["flows"] = [{"FlowId": "1001", "FlowName": "signup", "Categories": ["SIGN_UP"], "Status": "PUBLISHED",
                       "JSON": {"version": "7.0", "screens": []}}]
    return state


def _reads(templates: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    number = {"CustSpaceId": SPACE, "PhoneNumber": NUMBER}
    tmpl = templates[0]
    return {
        "QueryChatappPhoneNumbers": {"CustSpaceId": SPACE},
        "QueryPhoneBusinessProfile": number,
        "GetChatappPhoneNumberSetting": number,
        "GetPhoneNumberVerificationStatus": number,
        "GetCustomerAccountInfo": {},
        "LookupEvents": {},
        "GetCommerceSetting": number,
        "GetConversationalAutomation": number,
        "GetPhoneEncryptionPublicKey": number,
        "ListPhoneMessageQrdl": number,
        "GetWhatsappHealthStatus": {**number, "NodeType": "phone"},
        "ListChatappTemplate": {"CustSpaceId": SPACE},
        "GetChatappTemplateDetail": {"CustSpaceId": SPACE, "TemplateCode": tmpl["TemplateCode"],
                                     "Language": tmpl["Language"], "TemplateType": "WHATSAPP"},
        "GetWhatsappUserName": number,
        "GetWhatsappUserNameSuggestions": number,
        "GetPreValidatePhoneId": {"PhoneNumber": "6598760001", "VerifyCode": "480213"},
        "ListFlow": {"CustSpaceId": SPACE},
        "GetFlow": {"CustSpaceId": SPACE, "FlowId": "1001"},
        "GetFlowJSONAssest": {"CustSpaceId": SPACE, "FlowId": "1001"},
        "GetFlowPreviewUrl": {"CustSpaceId": SPACE, "FlowId": "1001"},
    }


def test_every_read_answers_the_response_models_whole_shape(emulator: Any, example_state: dict[str, Any]) -> None:
    emu = emulator(_rich_state(example_state), qps=0)
    templates = emu.backend.snapshot()["spaces"][SPACE]["templates"]

    async def run() -> dict[str, Any]:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=1000) as client:
            # one write first, so that LookupEvents has an event to show
            await client.call("UpdatePhoneWebhook", {"CustSpaceId": SPACE, "PhoneNumber": NUMBER,
                                                     "StatusCallbackUrl": "https://hooks.acme.example/s"})
            return {action: await client.call(action, params) for action, params in _reads(templates).items()}

    answers = asyncio.run(run())
    assert {a for a, spec in ACTIONS.items() if not spec.write} == set(answers)
    problems = [p for action, body in answers.items() for p in shape_problems(body, ANSWERS[action], action)]
    assert problems == []
    # the lists this test relies on to reach the nested models are not empty
    detail = answers["GetChatappTemplateDetail"]["Data"]
    assert any(c["Buttons"] for c in detail["Components"]), "the example template needs a button"
    assert answers["GetWhatsappHealthStatus"]["Data"]["Entities"][0]["Errors"]
    assert answers["LookupEvents"]["Events"] and answers["QueryPhoneBusinessProfile"]["Data"]["Websites"]
    assert answers["GetWhatsappUserNameSuggestions"]["Data"] and answers["GetWhatsappUserName"]["Data"]["Username"]
    # the defaults the cloud fills in for what nobody set
    button = next(b for c in detail["Components"] for b in c["Buttons"])
    assert button["IsOptOut"] is False and button["SupportedApps"] == []
    assert detail["Components"][0]["Duration"] == 0 and detail["Components"][0]["hasExpiration"] is False


@pytest.mark.parametrize("action", sorted(a for a, spec in ACTIONS.items() if spec.write))
def test_every_write_answers_the_response_models_whole_shape(action: str) -> None:
    from reconciler.emulator.answers import complete

    body = complete(action, {"Code": "OK", "Message": "SUCCESS"})
    assert shape_problems({**body, "RequestId": "r"}, ANSWERS[action], action) == []


def test_the_templates_sendable_fields_are_the_create_requests() -> None:
    from alibabacloud_cams20200606 import models

    from reconciler.kinds import template_model as tm

    def keys(tree: Any) -> Any:
        if isinstance(tree, dict):
            return {k: keys(v) for k, v in tree.items()}
        if isinstance(tree, list):
            return [keys(tree[0])]
        return None

    sdk = keys(_generator().sdk_tree(models.CreateChatappTemplateRequestComponents))
    assert keys(tm.SENDABLE_COMPONENT) == sdk
