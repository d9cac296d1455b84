"""``import --token-env-prefix PREFIX``: an imported space's callback tokens become ``${env:NAME}`` references
(config/env_refs.py), so adopting a space does not write its secrets into the repository.

Every query value of every imported callback URL is taken for a token (the platform cannot say which are):
``?token=abc`` becomes ``?token=${env:PREFIXTOKEN}``. The same value under the same parameter name gets the
same variable (numbers sharing a callback share its token); another value gets a numbered one
(``PREFIXTOKEN_2``). The caller is told which variables to set, and for which URL, never their values:
the values are what the operator copies into the CI secrets from wherever they keep them (or from the
console), not from this tool's output.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from reconciler.config.env_refs import callback_fields

_NAME_PART = re.compile(r"[^A-Z0-9_]+")


def _variable(prefix: str, key: str, value: str, names: dict[tuple[str, str], str], taken: set[str]) -> str:
    found = names.get((key, value))
    if found:
        return found
    base = prefix + (_NAME_PART.sub("_", key.upper()).strip("_") or "TOKEN")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    names[(key, value)] = name
    taken.add(name)
    return name


def _rewrite(url: str, prefix: str, names: dict[tuple[str, str], str], taken: set[str],
             where: str, notes: dict[str, str]) -> str:
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url
    if not pairs:
        return url
    query = []
    for key, value in pairs:
        if not value:
            query.append(quote(key, safe="") + "=")
            continue
        name = _variable(prefix, key, value, names, taken)
        notes.setdefault(name, f"the {key!r} value of {where}")
        query.append(f"{quote(key, safe='')}=${{env:{name}}}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(query), parts.fragment))


def tokens_to_references(imported: Any, prefix: str) -> tuple[Any, dict[str, str]]:
    """``imported`` (an ``engine.importer.ImportedSpace``) with its callback query values as references, and
    variable name → which URL's value it must hold (no value)."""
    names: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    notes: dict[str, str] = {}

    def blocks(holder: dict[str, Any], where: str) -> dict[str, Any]:
        out = dict(holder)
        for block, fields in callback_fields().items():
            value = out.get(block)
            if isinstance(value, dict):
                out[block] = {k: (_rewrite(v, prefix, names, taken, f"{where} {block}.{k}", notes)
                                  if k in fields and isinstance(v, str) else v) for k, v in value.items()}
        return out

    defaults = blocks(imported.defaults, "the space's defaults")
    numbers = tuple(blocks(n, str(n.get("phone_number"))) for n in imported.numbers)
    still = tuple(str(n.get("phone_number", "")).lstrip("+") for n in numbers  # userinfo or fragment: not rewritten
                  if any(_other_secret(u) for u in _urls({**defaults, **n})))
    return dataclasses.replace(imported, defaults=defaults, numbers=numbers, numbers_with_tokens=still), notes


def _urls(holder: dict[str, Any]) -> list[str]:
    return [v for block, fields in callback_fields().items() if isinstance(holder.get(block), dict)
            for k, v in holder[block].items() if k in fields and isinstance(v, str)]


def _other_secret(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.fragment or "@" in parts.netloc)
