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


def _token_places(url: str, *, query: bool) -> list[str]:
    """Where ``url`` holds what every output masks, other than what a reference can replace: userinfo, a
    fragment, and (``query``) query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ["an unparsable URL"]
    places = []
    if "@" in parts.netloc:
        places.append("userinfo")
    if parts.fragment:
        places.append("a fragment")
    if query and parts.query:
        places.append("query values")
    return places


def tokens_to_references(imported: Any, prefix: str) -> tuple[Any, dict[str, str]]:
    """``imported`` (an ``engine.importer.ImportedSpace``) with its callback query values as references, and
    variable name → which URL's value it must hold (no value).

    A reference stands only for a whole query value of a callback URL (``config.env_refs``). A callback URL
    with a token elsewhere (userinfo, a fragment), and a profile URL (websites, the picture) with any token,
    cannot be written without the token: that field is left out (the space keeps it; the YAML does not
    manage it) and named in ``tokens_left_out`` with where its token was, so that nothing masked is written."""
    from reconciler import kinds as catalogue

    names: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    notes: dict[str, str] = {}
    left_out: list[str] = []

    def blocks(holder: dict[str, Any], where: str) -> dict[str, Any]:
        out = dict(holder)
        for kind in catalogue.number_kinds():
            block = out.get(kind.name)
            url_fields = [f for f in kind.fields if f.url]
            if not isinstance(block, dict) or not url_fields:
                continue
            block = dict(block)
            for f in url_fields:
                value = block.get(f.name)
                urls = [str(v) for v in value] if isinstance(value, list) else [value] if isinstance(value, str) else []
                places = sorted({p for u in urls for p in _token_places(u, query=not f.callback)})
                if places:
                    del block[f.name]
                    left_out.append(f"{where} {kind.name}.{f.name} ({', '.join(places)})")
                elif f.callback and isinstance(value, str):
                    block[f.name] = _rewrite(value, prefix, names, taken, f"{where} {kind.name}.{f.name}", notes)
            if block:
                out[kind.name] = block
            else:
                out.pop(kind.name, None)
        return out

    defaults = blocks(imported.defaults, "the space's defaults")
    numbers = tuple(blocks(n, str(n.get("phone_number"))) for n in imported.numbers)
    return dataclasses.replace(imported, defaults=defaults, numbers=numbers, numbers_with_tokens=(),
                               tokens_left_out=tuple(left_out)), notes
