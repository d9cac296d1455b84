"""The catalogue's registry: ``@register`` adds a kind, the rest read it (``reconciler.kinds`` exports these
names and imports the built-in kinds, which register themselves here on import)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TypeVar

from reconciler.kinds.base import Kind, Scope

_REGISTRY: dict[str, Kind] = {}
_VIEW: Mapping[str, Kind] = MappingProxyType(_REGISTRY)

K = TypeVar("K", bound=type[Kind])


def register(cls: K) -> K:
    """Class decorator: add one instance of ``cls`` to the catalogue under ``cls.name`` (once)."""
    name = cls.name
    if not name or name in _REGISTRY:
        raise ValueError(f"kind {name!r} is registered twice or has no name")
    _REGISTRY[name] = cls()
    return cls


def kinds() -> Iterator[Kind]:
    """Every kind, in registration order (the order of changes within a number, and of apply's writes)."""
    return iter(_REGISTRY.values())


def number_kinds() -> tuple[Kind, ...]:
    return tuple(k for k in _REGISTRY.values() if k.scope is Scope.NUMBER)


def space_kinds() -> tuple[Kind, ...]:
    return tuple(k for k in _REGISTRY.values() if k.scope is Scope.SPACE)


def get(name: str) -> Kind:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown kind {name!r}; known: {', '.join(_REGISTRY)}") from None


def kind_named(name: str | None) -> Kind | None:
    """The kind whose name is the first segment of ``name`` (a change's field or a block path), or None."""
    if not name:
        return None
    return _REGISTRY.get(name.split(".", 1)[0])


def kind_of(change: object) -> Kind | None:
    """The kind a change is about (by its ``field``'s first segment), or None for membership changes."""
    return kind_named(getattr(change, "field", None))


def registry() -> Mapping[str, Kind]:
    """Kind name → kind, read-only (a view: kinds registered later show up)."""
    return _VIEW


def read_actions() -> tuple[str, ...]:
    """The API actions the kinds read (beyond the space's number list), in catalogue order."""
    return tuple(dict.fromkeys(a for k in _REGISTRY.values() for a in k.read_actions()))


def write_actions() -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for k in _REGISTRY.values() for a in k.write_actions()))
