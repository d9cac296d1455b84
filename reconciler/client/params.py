"""API parameters → their wire strings, checked against the action's table before anything is sent.

Every value travels as one query-string parameter. The spellings are the official SDK's (tea-openapi,
``alibabacloud_cams20200606``): a list or object the SDK models as a ``*_shrink`` field is compact JSON
(``json.dumps(v, ensure_ascii=False, separators=(",", ":"))``, keys in the caller's order), a boolean is
``str(bool)`` (``True``/``False``), and a flag the API documents as ``Y``/``N`` is exactly ``Y`` or ``N``.

Why check here and not let the server answer: a refusal from the API costs one request of the action's
10/s budget and, for a write, leaves the reader guessing whether anything happened. A parameter the SDK's
request model marks required, a name the action does not have, ``HttpFlag=true`` or a ``Websites`` value
that is not a JSON list is refused locally, with the action and field named, and nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.client.actions import ActionSpec, ParamType
from reconciler.core.client_errors import ParameterError

ParamValue = str | int | float | bool | list[Any] | tuple[Any, ...] | dict[str, Any] | None

_TRUE_WORDS = {"true": "True", "false": "False"}


def compact_json(value: Any) -> str:
    """The SDK's JSON for a ``*_shrink`` parameter (DaraCore.to_json_string)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _refuse(spec: ActionSpec, name: str, wanted: str, value: Any) -> ParameterError:
    shown = type(value).__name__ if not isinstance(value, str) else "a string that is not one"
    return ParameterError(f"{spec.name}: parameter {name} takes {wanted}, got {shown}; nothing was sent",
                          action=spec.name)


def _json_text(spec: ActionSpec, name: str, value: Any, kind: type, wanted: str) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ParameterError(f"{spec.name}: parameter {name} takes {wanted}, and its value is not valid "
                                 "JSON; nothing was sent", action=spec.name) from None
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, kind):
        raise _refuse(spec, name, wanted, value)
    return compact_json(value)


def encode_param(spec: ActionSpec, name: str, value: ParamValue) -> str | None:
    """One parameter's wire string (None: not sent). Raises ``ParameterError`` for a value of the wrong type."""
    if value is None:
        return None
    kind = spec.param_type(name)
    if kind is ParamType.JSON_LIST:
        return _json_text(spec, name, value, list, "a JSON list")
    if kind is ParamType.JSON_OBJECT:
        return _json_text(spec, name, value, dict, "a JSON object")
    if kind is ParamType.YN_FLAG:
        if isinstance(value, bool):
            return "Y" if value else "N"
        if value in ("Y", "N"):
            return str(value)
        raise _refuse(spec, name, "Y or N", value)
    if kind is ParamType.BOOLEAN:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.lower() in _TRUE_WORDS:
            return _TRUE_WORDS[value.lower()]
        raise _refuse(spec, name, "a boolean (true or false)", value)
    if kind is ParamType.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return value.strip()
        raise _refuse(spec, name, "an integer", value)
    if isinstance(value, bool) or isinstance(value, (list, tuple, dict)):
        raise _refuse(spec, name, "a string", value)
    return str(value)


def encode_params(spec: ActionSpec, params: Mapping[str, ParamValue] | None) -> dict[str, str]:
    """Every parameter's wire string, after checking names, types and required parameters.

    A required parameter given as None or an empty string counts as missing: the SDK would not send None,
    and the API answers ``MissingParameter`` for an empty value.
    """
    given = dict(params or {})
    unknown = [k for k in given if k not in spec.params]
    if unknown:
        known = ", ".join(spec.params) or "none"
        raise ParameterError(f"{spec.name} has no parameter {', '.join(unknown)}; its parameters: {known}; "
                             "nothing was sent", action=spec.name)
    wire = {k: s for k, v in given.items() if (s := encode_param(spec, k, v)) is not None}
    missing = [name for name in spec.required if not wire.get(name)]
    if missing:
        raise ParameterError(f"{spec.name} needs {', '.join(missing)} (required by the API); nothing was sent",
                             action=spec.name)
    return wire


__all__ = ["ParamValue", "compact_json", "encode_param", "encode_params"]
