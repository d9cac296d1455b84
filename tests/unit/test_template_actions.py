"""The template rows of the client's action table and the emulator's catalogue agree with the official SDK's
request models: the same required parameters, only parameter names the SDK has, JSON where the SDK sends a
``*_shrink`` field."""

from __future__ import annotations

import inspect
import re

import pytest
from alibabacloud_cams20200606 import models as cams

from reconciler.client.actions import ACTIONS, Kind, ParamType
from reconciler.emulator.catalog import ACTIONS as EMULATED

TEMPLATE_ACTIONS = ("ListChatappTemplate", "GetChatappTemplateDetail", "CreateChatappTemplate",
                    "ModifyChatappTemplate", "ModifyChatappTemplateProperties", "DeleteChatappTemplate")
SDK_ONLY = {"OwnerId", "ResourceOwnerAccount", "ResourceOwnerId"}  # account plumbing the reconciler never sends


def sdk_fields(action: str) -> tuple[set[str], set[str]]:
    """(every wire name of the SDK request model, the ones its comments mark required)."""
    model = getattr(cams, f"{action}Request")
    source = inspect.getsource(model.__init__)
    required_attrs = re.findall(r"This parameter is required\.\n(?:\s*#.*\n)*\s*self\.(\w+) =", source)
    names = inspect.signature(model.__init__).parameters
    wire: dict[str, str] = {}
    always = set(model().to_map())  # list fields the SDK's to_map emits even when unset
    for attr in names:
        if attr == "self":
            continue
        probe = model()
        setattr(probe, attr, "x")
        try:
            keys = set(probe.to_map()) - always
        except (AttributeError, TypeError):  # a nested model (Page, Components): the capitalised name
            keys = {"".join(part.capitalize() for part in attr.split("_"))}
        wire[attr] = next(iter(keys))
    return set(wire.values()), {wire[a] for a in required_attrs}


@pytest.mark.parametrize("action", TEMPLATE_ACTIONS)
def test_the_tables_match_the_sdk(action: str) -> None:
    every, required = sdk_fields(action)
    spec = ACTIONS[action]
    assert set(spec.required) == required, action
    assert set(spec.params) <= every and every - set(spec.params) <= SDK_ONLY, action
    assert set(EMULATED[action].required) == required
    assert EMULATED[action].write is (spec.kind is Kind.WRITE)


def test_lists_and_objects_travel_as_json() -> None:
    assert ACTIONS["ListChatappTemplate"].param_type("Page") is ParamType.JSON_OBJECT
    for action in ("CreateChatappTemplate", "ModifyChatappTemplate"):
        assert ACTIONS[action].param_type("Components") is ParamType.JSON_LIST
        assert ACTIONS[action].param_type("Example") is ParamType.JSON_OBJECT
        assert ACTIONS[action].param_type("MessageSendTtlSeconds") is ParamType.INTEGER
    assert ACTIONS["ModifyChatappTemplateProperties"].param_type("AllowSend") is ParamType.BOOLEAN
