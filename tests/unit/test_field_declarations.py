"""Each field is declared once, in its kind's ``Field``; what must repeat a field elsewhere is checked against
that declaration here, through the catalogue (``reconciler.kinds.kinds()``), so a new kind or field is checked
without a line of this file changing:

- the kind's block in the desired-state JSON Schema: the same keys as the kind's model, and for each field the
  same list-ness (``Field.many``) and URL-ness (``Field.url``);
- the official SDK (``alibabacloud_cams20200606``): the field's API name (``Field.api``) is a parameter of the
  request model of the kind's write, and a field of the answer it is compared with;
- the client's action table (``client/actions.py``) and the emulator's catalogue: every CAMS row is its SDK
  request model, whole (every parameter, the same required ones), so a field the SDK already has needs no new
  row or parameter there.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

import pytest

from reconciler.client.actions import ACTIONS, Product
from reconciler.emulator.answer_shapes import ANSWERS
from reconciler.emulator.catalog import ACTIONS as EMULATED
from reconciler.kinds import Field, Kind, Scope, kinds
from tests.helpers.sdk import request_fields

SCHEMA = json.loads(resources.files("reconciler").joinpath("schemas/cams-desired-state.schema.json")
                    .read_text(encoding="utf-8"))
#: how the schema spells "an absolute http(s) URL" (config.rules adds the callback rules offline)
URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://"
#: the answer a kind without a read of its own is compared with: the number list's items, read anyway
NUMBER_LIST = "QueryChatappPhoneNumbers"

KINDS = {kind.name: kind for kind in kinds() if kind.block}  # (membership has no YAML block of its own)
FIELDS = [(kind, f) for kind in KINDS.values() for f in kind.fields]


def _actions(kind: Kind, which: str) -> tuple[str, ...]:
    """The kind's read or write actions (``which``: "read_actions" or "write_actions"): on the kind itself,
    or on its ``api`` part where the kind declares one."""
    api = getattr(kind, "api", None)
    owner = api if hasattr(api, which) else kind
    actions: tuple[str, ...] = getattr(owner, which)()
    return actions


def _block(kind: Kind) -> dict[str, Any]:
    block: dict[str, Any] = SCHEMA["$defs"][kind.name]
    return block


def _property(kind: Kind, f: Field) -> dict[str, Any]:
    found: dict[str, Any] = _block(kind)["properties"][f.name]
    return found


def _data(shape: Any) -> dict[str, Any]:
    """The object an answer carries (``Data``, ``Model`` or a list's item), as the SDK's response model has it."""
    for key in ("Data", "Model", "PhoneNumbers"):
        inner = shape.get(key)
        if isinstance(inner, list):
            inner = inner[0]
        if isinstance(inner, dict):
            return inner
    raise AssertionError(f"no data object in {sorted(shape)}")


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_the_schema_block_has_the_models_keys(kind: Kind) -> None:
    """Config builds the model from the block as written (``Kind.build``): the schema allows exactly its keys."""
    assert kind.name in SCHEMA["$defs"], f"no $defs/{kind.name} block in the schema"
    where = SCHEMA["$defs"]["number" if kind.scope is Scope.NUMBER else "space"]["properties"]
    assert where.get(kind.name) == {"$ref": f"#/$defs/{kind.name}"}, f"{kind.name} is not a key of a {kind.scope.value}"
    assert _block(kind).get("additionalProperties") is False
    assert set(_block(kind).get("properties", {})) == {f.name for f in dataclasses.fields(kind.model)}


@pytest.mark.parametrize(("kind", "f"), FIELDS, ids=[f"{k.name}.{f.name}" for k, f in FIELDS])
def test_the_schema_says_what_the_field_declares(kind: Kind, f: Field) -> None:
    assert f.name in _block(kind).get("properties", {}), f"{kind.name}.{f.name} is not in the schema"
    prop = _property(kind, f)
    listed = prop.get("type") == "array"
    item = prop.get("items", {}) if listed else prop
    if f.many:  # a list of strings in the API: a list of strings in the YAML
        assert listed and item.get("type") == "string", f"{kind.name}.{f.name} is many, the schema is not a list of strings"
    elif listed:  # one API value: a YAML list is the values accepted (an enum) or a structure the field converts
        assert "enum" in item or item.get("type") == "object", \
            f"{kind.name}.{f.name}: the schema has a list, the field is one value (declare many=True?)"
    url = str(item.get("pattern", "")).startswith(URL_PATTERN)
    assert url == f.url, f"{kind.name}.{f.name}: url={f.url} but the schema {'has' if url else 'lacks'} the URL pattern"


@pytest.mark.parametrize(("kind", "f"), FIELDS, ids=[f"{k.name}.{f.name}" for k, f in FIELDS])
def test_the_api_name_is_the_sdks(kind: Kind, f: Field) -> None:
    writes = _actions(kind, "write_actions")
    if writes:
        sent = set().union(*(request_fields(action)[0] for action in writes))
        assert f.api in sent, f"{kind.name}.{f.name}: {f.api} is no parameter of {', '.join(writes)} in the SDK"
    reads = _actions(kind, "read_actions") or (NUMBER_LIST,)
    answered = set().union(*(_data(ANSWERS[action]) for action in reads))
    assert f.api in answered, f"{kind.name}.{f.name}: {f.api} is in no answer of {', '.join(reads)} in the SDK"


@pytest.mark.parametrize("action", sorted(a for a, spec in ACTIONS.items() if spec.product is Product.CAMS))
def test_each_cams_row_is_the_sdks_request_model(action: str) -> None:
    every, required = request_fields(action)
    spec = ACTIONS[action]
    assert set(spec.params) == every, f"{action}: the table's parameters are not the SDK's"
    assert set(spec.required) == required, f"{action}: the table's required parameters are not the SDK's"
    assert set(EMULATED[action].required) == required, f"{action}: the emulator requires other parameters"
    assert EMULATED[action].write == spec.is_write
