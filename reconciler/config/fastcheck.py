"""A fast yes/no pre-check for the desired-state schema, so ``jsonschema`` runs only on files with errors.

``jsonschema`` walks every value through its generic keyword machinery: on a 10,000-number repository that
is most of the load time. Nearly every file in a real run is valid, and for a valid file only the verdict
matters. So the schema is also compiled to plain Python by ``fastjsonschema`` (code generation); a file it
accepts is valid, and any other file goes through ``jsonschema.iter_errors`` for the exact, complete list of
problems with their positions.

``fastjsonschema`` implements drafts 4, 6 and 7, not 2020-12, so the pre-check is built only when every
keyword the schema uses means the same in draft 7 and 2020-12 (``SAME_IN_DRAFT_7``); otherwise
``compile_schema`` returns None and ``jsonschema`` alone decides. The contract is one-sided: the pre-check
may be stricter than the schema (answering False sends the file to ``jsonschema``), never looser. Tests
check it on random documents against ``jsonschema`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema

Check = Callable[[Any], bool]

SAME_IN_DRAFT_7 = frozenset({
    "$schema", "$id", "$comment", "$ref", "$defs", "definitions", "title", "description", "default",
    "examples", "errorMessage", "deprecated", "type", "properties", "additionalProperties", "required",
    "items", "minItems", "maxItems", "uniqueItems", "enum", "const", "pattern", "minLength", "maxLength",
    "minimum", "maximum",
})
_NAMED_SUBSCHEMAS = frozenset({"properties", "$defs", "definitions"})
_VALUES = frozenset({"const", "enum", "default", "examples"})  # hold data, not subschemas


def keywords(schema: Any) -> set[str]:
    """Every keyword used anywhere in ``schema``."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                found.add(key)
                if key in _NAMED_SUBSCHEMAS and isinstance(value, dict):
                    stack.extend(value.values())
                elif key not in _VALUES:
                    stack.append(value)
    return found


def compile_schema(schema: dict[str, Any]) -> Check | None:
    """A yes/no check never looser than ``schema``, or None when ``fastjsonschema`` cannot stand in for it."""
    if keywords(schema) - SAME_IN_DRAFT_7:
        return None
    validate = fastjsonschema.compile({**schema, "$schema": "http://json-schema.org/draft-07/schema#"})

    def check(doc: Any) -> bool:
        try:
            validate(doc)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check
