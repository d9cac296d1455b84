"""The template rows of the client's action table: JSON where the official SDK sends a ``*_shrink`` field (the
rows' parameters are the SDK request models': tests/unit/test_field_declarations.py)."""

from __future__ import annotations

from reconciler.client.actions import ACTIONS, ParamType


def test_lists_and_objects_travel_as_json() -> None:
    assert ACTIONS["ListChatappTemplate"].param_type("Page") is ParamType.JSON_OBJECT
    for action in ("CreateChatappTemplate", "ModifyChatappTemplate"):
        assert ACTIONS[action].param_type("Components") is ParamType.JSON_LIST
        assert ACTIONS[action].param_type("Example") is ParamType.JSON_OBJECT
        assert ACTIONS[action].param_type("MessageSendTtlSeconds") is ParamType.INTEGER
    assert ACTIONS["ModifyChatappTemplateProperties"].param_type("AllowSend") is ParamType.BOOLEAN
