"""The YAML text ``import`` writes for a space (``engine.importer.ImportedSpace``): version 1 of the format,
commented, every string double-quoted (JSON strings are valid YAML: safe for any text, numbers stay strings),
lists of enumeration values in flow style (``[CONNECTED]``), other lists one item a line."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reconciler.engine.importer import ImportedSpace
from reconciler.render.escape import json_text, printable

_TOKEN = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Plain scalars YAML 1.1 would read as something else than the string: quoted even when enum-like.
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NOT_PLAIN = frozenset({"Y", "N", "YES", "NO", "ON", "OFF", "TRUE", "FALSE", "NULL"})


def _q(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json_text(str(value))  # JSON escapes, plus those YAML would read as line breaks (U+2028, NEL)


def _enum_list(value: list[Any]) -> bool:
    return bool(value) and all(isinstance(v, str) and _TOKEN.match(v) and v not in _NOT_PLAIN for v in value)


def _block_lines(block: Mapping[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in block.items():
        key = key if _PLAIN_KEY.match(str(key)) else json_text(str(key))  # "{{1}}"
        comment = getattr(value, "comment", None)
        tail = f"  # {printable(comment)}" if comment else ""
        if isinstance(value, Mapping):
            lines.append(f"{pad}{key}:{tail}")
            lines += _block_lines(value, indent + 2)
        elif isinstance(value, list) and _enum_list(value):
            lines.append(f"{pad}{key}: [{', '.join(value)}]{tail}")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:{tail}" if value else f"{pad}{key}: []{tail}")
            for item in value:
                if isinstance(item, Mapping):
                    inner = _block_lines(item, indent + 4)
                    lines.append(f"{pad}  - {inner[0].strip()}")
                    lines += inner[1:]
                else:
                    lines.append(f"{pad}  - {_q(item)}")
        elif _enum_list([value]):  # an enumeration's value (vertical: RETAIL) reads as the schema spells it
            lines.append(f"{pad}{key}: {value}{tail}")
        else:
            lines.append(f"{pad}{key}: {_q(value)}{tail}")
    return lines


def space_yaml(space: ImportedSpace, *, schema_ref: str) -> str:
    out = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Imported from CAMS space {space.cust_space_id} by `cams-reconciler import`: every number as it is now.",
        "# Review it (expect blocks record today's health), commit it, and `plan` shows no change.",
        "version: 1",
        "spaces:",
        f"  - name: {_q(space.name)}",
        f"    cust_space_id: {_q(space.cust_space_id)}",
        "    unmanaged_numbers: report",
    ]
    if space.allow_http:
        out.append("    allow_http_callbacks: true  # the space has plain-http callbacks; move them to https")
    if space.blocks:
        out += _block_lines(space.blocks, 4)
    if space.defaults:
        out += ["    defaults:", *_block_lines(space.defaults, 6)]
    out.append("    numbers:" if space.numbers else "    numbers: []")
    for number in space.numbers:
        first, *rest = _block_lines(number, 8)
        out.append(f"      - {first.strip()}")
        out += rest
    return "\n".join(out) + "\n"
