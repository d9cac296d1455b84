"""A fast yes/no pre-check for the desired-state schema, so ``jsonschema`` runs only on files with errors.

``jsonschema`` walks every value through its generic keyword machinery: on a 10,000-number repository
that is most of the load time (about 0.9 s of 2.7 s measured). Nearly every file in a real run is valid,
and for a valid file only the verdict matters. So the schema is compiled once into plain Python closures
for the keywords it uses; a file the closures accept is valid, and any other file goes through
``jsonschema.iter_errors`` for the exact, complete list of problems.

The contract is one-sided: ``compile_schema(s)(x)`` may be stricter than JSON Schema (answering False
sends the file to ``jsonschema``, which then decides), never looser. A keyword it does not know makes
``compile_schema`` return ``None`` (always use ``jsonschema``). Tests check the contract on random
documents against ``jsonschema`` itself.
"""

from __future__ import annotations

import re
from typing import Any, Callable

Check = Callable[[Any], bool]

# Keywords that carry no constraint (annotations, identifiers) and are ignored.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                          "errorMessage", "deprecated", "readOnly", "writeOnly"})

_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


class _Unsupported(Exception):
    pass


def _const_check(expected: Any) -> Check:
    if isinstance(expected, bool) or not isinstance(expected, (int, str)):
        raise _Unsupported("const")
    kind = type(expected)
    return lambda v: type(v) is kind and v == expected


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda v: True
    if not isinstance(schema, dict):
        raise _Unsupported(repr(schema))
    checks: list[Check] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS or key in ("properties", "additionalProperties", "required"):
            continue
        if key == "type":
            if not isinstance(value, str) or value not in _TYPES:
                raise _Unsupported("type")
            checks.append(_TYPES[value])
        elif key == "enum":
            allowed = frozenset(v for v in value if isinstance(v, str))
            if len(allowed) != len(value):
                raise _Unsupported("enum")
            checks.append(lambda v, a=allowed: isinstance(v, str) and v in a)
        elif key == "const":
            checks.append(_const_check(value))
        elif key == "pattern":
            search = re.compile(value).search
            checks.append(lambda v, s=search: not isinstance(v, str) or s(v) is not None)
        elif key in ("minLength", "maxLength"):
            lo, hi = (value, None) if key == "minLength" else (0, value)
            checks.append(lambda v, lo=lo, hi=hi: not isinstance(v, str)
                          or (len(v) >= lo and (hi is None or len(v) <= hi)))
        elif key in ("minItems", "maxItems"):
            lo, hi = (value, None) if key == "minItems" else (0, value)
            checks.append(lambda v, lo=lo, hi=hi: not isinstance(v, list)
                          or (len(v) >= lo and (hi is None or len(v) <= hi)))
        elif key in ("minimum", "maximum"):
            sign = 1 if key == "minimum" else -1
            checks.append(lambda v, b=value, s=sign: isinstance(v, bool) or not isinstance(v, (int, float))
                          or (s * (v - b) >= 0))
        elif key == "uniqueItems":
            if value is True:  # only lists of strings are judged here; anything else goes to jsonschema
                checks.append(lambda v: not isinstance(v, list)
                              or (all(isinstance(i, str) for i in v) and len(set(v)) == len(v)))
        elif key == "items":
            item = _compile(value)
            checks.append(lambda v, c=item: not isinstance(v, list) or all(c(i) for i in v))
        else:
            raise _Unsupported(key)
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        checks.append(_object_check(schema))
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)


def _object_check(schema: dict[str, Any]) -> Check:
    props = {k: _compile(s) for k, s in schema.get("properties", {}).items()}
    additional = schema.get("additionalProperties", True)
    if additional not in (True, False):
        raise _Unsupported("additionalProperties")
    required = tuple(schema.get("required", ()))
    closed = additional is False

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for r in required:
            if r not in v:
                return False
        for k, item in v.items():
            c = props.get(k)
            if c is None:
                if closed:
                    return False
            elif not c(item):
                return False
        return True

    return check


def compile_schema(schema: dict[str, Any]) -> Check | None:
    """A function that answers True only for documents valid against ``schema`` (refs already inlined),
    or ``None`` when the schema uses a keyword this pre-check does not know."""
    try:
        return _compile(schema)
    except (_Unsupported, re.error, TypeError):
        return None
