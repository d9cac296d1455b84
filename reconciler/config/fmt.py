"""``fmt``: desired-state YAML written in one canonical layout, comments kept, meaning never changed.

The layout (docs/config.md, "Formatting"):

- keys in the order of the JSON Schema (``version``, ``spaces``, ``accounts``; in a space ``name``,
  ``cust_space_id``, ...); keys the schema does not know keep their order, after the known ones. A mapping
  with comments among its entries keeps its own order (a comment above a key must stay with that key; the
  command says which mappings it left);
- two spaces per level; a list's ``-`` indented two spaces under its key;
- one quote style: double quotes (a single-quoted string is rewritten with double quotes; a plain string
  that the loader would read as something else, such as ``yes`` or ``0777`` meant as text, is quoted);
  booleans ``true``/``false``; block scalars (``|``, ``>``) and flow collections (``[GREEN, YELLOW]``)
  stay as written; no line is wrapped;
- comments stay where they were, with the key or item they follow; one newline at the end.

It goes through ruamel.yaml, a round-trip library that keeps comments, set to YAML 1.1: the loader
(PyYAML) reads YAML 1.1, where ``yes``, ``on`` and ``0777`` are a boolean, a boolean and an octal number,
and a formatter reading YAML 1.2 would write them so that the loader reads them differently. Whatever the
library does, ``format_text`` then loads the original and the result with the loader itself
(``loader.parse_yaml``) and refuses to return a result whose data differ (``FormatError``): ``fmt`` never
changes what the loader reads (tests/reliability/test_fmt_properties.py checks it over generated files).
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from reconciler.config.errors import ConfigError, Problem
from reconciler.config.loader import parse_yaml

_SCHEMA = "schemas/cams-desired-state.schema.json"
_HEADER = "%YAML 1.1\n---\n"
_PYYAML_STRINGS = frozenset({"y", "Y", "n", "N"})  # booleans to ruamel's YAML 1.1, strings to PyYAML


class FormatError(ConfigError):
    """A file ``fmt`` cannot format: it does not parse, or formatting would change what it means."""


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resources.files("reconciler").joinpath(_SCHEMA).read_text(encoding="utf-8"))
    return schema


def _resolve(node: Any) -> Mapping[str, Any]:
    schema = _schema()
    while isinstance(node, Mapping) and "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        target: Any = schema
        for part in path:
            target = target[part]
        node = target
    return node if isinstance(node, Mapping) else {}


def _child(node: Mapping[str, Any], key: Any) -> Mapping[str, Any]:
    """The schema of ``node``'s value under ``key`` (a mapping's key, or a list index)."""
    if isinstance(key, int):
        return _resolve(node.get("items", {}))
    props = node.get("properties", {})
    if key in props:
        return _resolve(props[key])
    extra = node.get("additionalProperties")
    return _resolve(extra) if isinstance(extra, Mapping) else {}


def _comment_between_keys(value: Any, lines: list[str]) -> bool:
    """Whether a full-line comment sits among the mapping's own keys (at their indentation or less, between
    its first key and its last): ruamel keeps such a comment with the entry *before* it, so moving keys
    would move it onto the wrong key. Comments deeper inside an entry move with their entry."""
    lc = getattr(value, "lc", None)
    if lc is None or not value:
        return False
    where = [lc.key(k) for k in value]
    first, last = min(line for line, _ in where), max(line for line, _ in where)
    col = min(c for _, c in where)
    for text in lines[first + 1:last]:
        stripped = text.lstrip()
        if stripped.startswith("#") and len(text) - len(stripped) <= col:
            return True
    return False


def _reorder(value: Any, schema: Mapping[str, Any], path: str, lines: list[str], kept: list[str]) -> None:
    """Keys in schema order, recursively, in place. A mapping with comments between its own keys keeps its
    order (its path is added to ``kept``): a comment stays with the key it was written for."""
    if isinstance(value, dict):
        order = list(schema.get("properties", {}))
        wanted = [k for k in order if k in value] + [k for k in value if k not in order]
        if wanted != list(value):
            if _comment_between_keys(value, lines):
                kept.append(path or "(top level)")
            else:
                for key in wanted:
                    value.move_to_end(key)  # type: ignore[attr-defined]  # a CommentedMap (an ordered dict)
        for key, item in value.items():
            _reorder(item, _child(schema, key), f"{path}.{key}" if path else str(key), lines, kept)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _reorder(item, _child(schema, i), f"{path}[{i}]", lines, kept)


def _double_quotes(value: Any) -> Any:
    """One quote style: single-quoted strings become double-quoted; double-quoted and plain ones stay (the
    emitter quotes a plain one that the YAML 1.1 resolver would read as something else, in double quotes
    too: ``_Emitter``). Block scalars (``|``, ``>``) keep their style."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _double_quotes(item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _double_quotes(item)
    elif isinstance(value, SingleQuotedScalarString):
        return DoubleQuotedScalarString(str(value))
    return value


def _yaml() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.emitter import Emitter
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    class _Emitter(Emitter):
        """Where a string must be quoted, double quotes (ruamel's default is single)."""

        def choose_scalar_style(self) -> Any:
            style = super().choose_scalar_style()
            return '"' if style == "'" else style

    class _Resolver(VersionedResolver):
        """ruamel's YAML 1.1 reads ``y``/``n`` as booleans; the loader (PyYAML) reads them as strings."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode and implicit[0] and value in _PYYAML_STRINGS:
                return Tag(suffix="tag:yaml.org,2002:str")
            return super().resolve(kind, value, implicit)

    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.Resolver = _Resolver
    yaml.version = (1, 1)  # the loader's YAML: `yes`, `on`, `0777` read as it reads them
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 1_000_000  # never wrap a line: a long URL stays one line
    yaml.preserve_quotes = True  # double-quoted strings stay so; single-quoted ones become double (below)
    return yaml


def format_text(text: str, file: str, kept: list[str] | None = None) -> str:
    """``text`` in the canonical layout. ``FormatError`` (file:line) when it does not parse or when the
    result would not load as the same data. ``kept``: gets the paths of mappings left in their own key
    order because comments sit between their keys."""
    before, problems = parse_yaml(text, file)
    if before is None or problems:
        raise FormatError(problems or [Problem(file, 1, 1, "not a desired-state YAML document")])
    from ruamel.yaml.error import YAMLError, YAMLWarning

    yaml = _yaml()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", YAMLWarning)  # 1.1 readings it notes (`1e3` is a string): kept as they are
        try:
            data = yaml.load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            raise FormatError([Problem(file, line, col, f"cannot format: {getattr(exc, 'problem', exc)}")]) from None
        _reorder(data, _schema(), "", text.splitlines(), kept if kept is not None else [])
        data = _double_quotes(data)
        out = io.StringIO()
        yaml.dump(data, out)
    result = out.getvalue().removeprefix(_HEADER).rstrip("\n") + "\n"
    after, problems = parse_yaml(result, file)
    if after is None or problems or after.data != before.data or _types(after.data) != _types(before.data):
        raise FormatError([Problem(file, 1, 1, "cannot format without changing what the file means; "
                                               "left as it is (please report this file's layout)")])
    return result


def _types(value: Any) -> Any:
    """The data with each scalar's type: ``1 == 1.0 == True`` in Python, not in the YAML."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return (type(value).__name__, value)
