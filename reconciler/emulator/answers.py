"""Every answer in the SDK's whole response shape, with the defaults the cloud gives a field nobody set.

The backend's actions build the fields they know; ``complete`` fills in every other field of the action's
response model (``answer_shapes.ANSWERS``, generated from the official SDKs): an empty string, ``false``,
``0``, an empty list or map, and a nested model filled the same way. So every client of the emulator meets
what the cloud's answers hold — a button's ``IsOptOut: false``, a component's ``Duration: 0``, a number's
empty ``CallingConfigure`` — and not only the fields the state file happens to set. ``Success`` of a
successful answer is ``true``. docs/emulator.md ("Answer shapes") lists the defaults and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.emulator.answer_shapes import ANSWERS

_SCALAR_DEFAULTS: dict[str, Any] = {"str": "", "bool": False, "int": 0, "float": 0.0, "any": None}

Filler = Callable[[Any], Any]


def _default(shape: Any) -> Any:
    """A fresh default value of ``shape`` (a nested model is filled, a list is empty)."""
    if isinstance(shape, dict):
        return {k: _default(v) for k, v in shape.items()}
    if isinstance(shape, list) or shape == "map":
        return [] if isinstance(shape, list) else {}
    return _SCALAR_DEFAULTS.get(shape)


def _filler(shape: Any) -> Filler | None:
    """A function completing a value of ``shape`` (None: nothing to fill, keep the value as it is)."""
    if isinstance(shape, list):
        item = _filler(shape[0]) if shape else None
        if item is None:
            return None
        return lambda value: [item(v) for v in value] if isinstance(value, list) else value
    if not isinstance(shape, dict):
        return None
    scalars = {k: _SCALAR_DEFAULTS.get(v) for k, v in shape.items() if isinstance(v, str) and v != "map"}
    nested = {k: v for k, v in shape.items() if k not in scalars}
    fillers = {k: _filler(v) for k, v in nested.items()}

    def fill(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value  # not the model's type: left for the client to judge
        out = {**scalars, **value}
        for key, sub in nested.items():
            if key not in value or value[key] is None:
                out[key] = _default(sub)
            elif (f := fillers[key]) is not None:
                out[key] = f(value[key])
        return out

    return fill


_FILLERS: dict[str, Filler | None] = {
    action: _filler({k: v for k, v in shape.items() if k != "RequestId"}) for action, shape in ANSWERS.items()
}


def complete(action: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (a successful answer, without ``RequestId``: the HTTP layer adds it) with every field of the
    action's response model; ``Success`` true where the model has it and the action left it out."""
    fill = _FILLERS.get(action)
    if fill is None:
        return body
    if "Success" in ANSWERS[action] and "Success" not in body:
        body = {**body, "Success": True}
    out: dict[str, Any] = fill(body)
    return out
