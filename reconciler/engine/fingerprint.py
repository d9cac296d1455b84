"""Fingerprints: what a saved plan was computed from, so ``apply --plan`` can refuse a stale one.

- the desired fingerprint covers the *semantic* content of the planned spaces (what the YAML means, not
  where it is written: moving a line or adding a comment does not make a plan stale). A migration's
  ``verify_code_env`` name is included; an environment variable's value never is.
- one actual fingerprint per space (``ActualSpace.fingerprint``) covers everything CAMS reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.model import Number, Space
from reconciler.core.source import Source
from reconciler.engine.actual import canonical_digest

_NOT_SEMANTIC = frozenset({"source", "sources", "declared_as"})
#: Fields added since format version 1, left out of the content while they hold their default, so a plan
#: saved before them stays fresh: a number's onboarding and retire, a space's deregistration threshold.
_LATER_NUMBER_FIELDS = {"onboarding": None, "retire": False}
_LATER_SAFETY_FIELDS = {"max_deregister_fraction": 0.1}
#: A block's fields added since, by kind: left out while unset (``expect.username_status``).
_LATER_BLOCK_FIELDS = {"expect": {"username_status": None}}
#: Fields of a block's items added since, by the item's model: left out while unset (a template's ``archived``).
_LATER_ITEM_FIELDS = {"Template": {"archived": None}}


def _semantic(value: Any, skip: frozenset[str] = _NOT_SEMANTIC) -> Any:
    """A model value as plain JSON data without ``Source`` fields or source maps (or the ``skip`` fields)."""
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        out: dict[str, Any] = {}
        later = _LATER_ITEM_FIELDS.get(type(value).__name__, {})
        for name in fields:
            if name in skip:
                continue
            item = getattr(value, name)
            if isinstance(item, Source) or (name in later and later[name] == item):
                continue
            out[name] = _semantic(item)
        return out
    if isinstance(value, (tuple, list)):
        return [_semantic(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _semantic(v) for k, v in value.items()}
    template = getattr(value, "template", None) if isinstance(value, str) else None
    if isinstance(template, str):
        return template  # a URL resolved from ${env:NAME} (config/env_refs.py): its reference, never the token
    return value


def space_content(space: Space, always: tuple[str, ...] = ()) -> dict[str, Any]:
    """The semantic content of one space: equal for two YAML files that mean the same thing. Each number's
    blocks are under their kinds' names; ``always``: kinds shown (None) even where not declared (the form
    a saved plan of format 1 was fingerprinted in: ``plan.V1_BLOCKS``).

    Numbers are ordered by phone number, so reordering entries changes nothing.
    """
    content: dict[str, Any] = _semantic(space, _NOT_SEMANTIC | {"numbers", "blocks"})
    if content.get("account") == DEFAULT_ACCOUNT:  # as before accounts existed: old saved plans stay fresh
        del content["account"]
    safety = content.get("safety")
    if isinstance(safety, dict):
        content["safety"] = {k: v for k, v in safety.items() if _LATER_SAFETY_FIELDS.get(k, object()) != v}
    content.update({name: _semantic(block) for name, block in space.blocks.items()})
    content["numbers"] = [_number_content(n, always) for n in sorted(space.numbers, key=_phone)]
    return content


def _number_content(number: Number, always: tuple[str, ...]) -> dict[str, Any]:
    content: dict[str, Any] = _semantic(number, _NOT_SEMANTIC | {"blocks"})
    content = {k: v for k, v in content.items() if k not in _LATER_NUMBER_FIELDS or _LATER_NUMBER_FIELDS[k] != v}
    content.update({name: None for name in always})
    for name, block in number.blocks.items():
        later = _LATER_BLOCK_FIELDS.get(name, {})
        value = _semantic(block)
        content[name] = {k: v for k, v in value.items() if k not in later or later[k] != v} \
            if isinstance(value, dict) else value
    return content


def _phone(number: Number) -> str:
    return number.phone_number


def desired_fingerprint(spaces: Iterable[Space], always: tuple[str, ...] = ()) -> str:
    """``sha256:…`` of the semantic content of ``spaces`` (order-independent)."""
    return canonical_digest(sorted((space_content(s, always) for s in spaces), key=lambda c: c["name"]))

