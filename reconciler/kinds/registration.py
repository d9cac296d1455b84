"""The catalogue's registry: ``@register`` adds a kind, the rest read it (``reconciler.kinds`` exports these
names and imports the built-in kinds, which register themselves here on import; a kind module imports
``register`` from here, not from the package, so no module waits on the package that imports it)."""


from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, TypeVar

from reconciler.core.plan import Change
from reconciler.kinds.base import Kind, Scope

AnyKind = Kind[Any]
_REGISTRY: dict[str, AnyKind] = {}
_VIEW: Mapping[str, AnyKind] = MappingProxyType(_REGISTRY)

K = TypeVar("K", bound=type[AnyKind])


def _add(kind: AnyKind) -> None:
    if not kind.name or kind.name in _REGISTRY:
        raise ValueError(f"kind {kind.name!r} is registered twice or has no name")
    unknown = [d for d in kind.depends_on if d not in _REGISTRY]
    if unknown:  # registered after what it waits for: the order of the catalogue is a valid order of work
        raise ValueError(f"kind {kind.name!r} depends on {', '.join(unknown)}, which is not registered")
    _REGISTRY[kind.name] = kind


def register(cls: K) -> K:
    """Class decorator: add one instance of ``cls`` to the catalogue under ``cls.name`` (once)."""
    _add(cls())
    return cls


@contextmanager
def registered(kind: AnyKind) -> Iterator[AnyKind]:
    """``kind`` in the catalogue for the ``with`` block only (a test's own kind), removed afterwards."""
    _add(kind)
    try:
        yield kind
    finally:
        del _REGISTRY[kind.name]


def kinds() -> Iterator[AnyKind]:
    """Every kind, in registration order (a kind after those it depends on)."""
    return iter(list(_REGISTRY.values()))


def number_kinds() -> tuple[AnyKind, ...]:
    """The kinds of a number's YAML blocks (``numbers[].webhooks``)."""
    return tuple(k for k in _REGISTRY.values() if k.scope is Scope.NUMBER and k.block)


def space_kinds() -> tuple[AnyKind, ...]:
    """The kinds of a space's YAML blocks (``templates``)."""
    return tuple(k for k in _REGISTRY.values() if k.scope is Scope.SPACE and k.block)


def get(name: str) -> AnyKind:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown kind {name!r}; known: {', '.join(_REGISTRY)}") from None


def kind_for(change: Change) -> AnyKind | None:
    """The kind a change is about (its address names it); None for a finding of no kind (endpoint checks)."""
    return _REGISTRY.get(change.kind)


def dependencies(name: str) -> tuple[str, ...]:
    """Every kind ``name`` waits for, directly or not."""
    out: list[str] = []
    todo = list(get(name).depends_on)
    while todo:
        dep = todo.pop()
        if dep not in out:
            out.append(dep)
            todo.extend(get(dep).depends_on)
    return tuple(out)


def precedes(first: Change, then: Change) -> bool:
    """Whether ``first`` is to be done before ``then`` when both are at the same place: the kind of ``then``
    depends on that of ``first`` (``depends_on``, directly or not), unless one of the two changes says it goes
    the other way (``Kind.goes_before``). The one ordering rule apply follows."""
    first_kind, then_kind = _REGISTRY.get(first.kind), _REGISTRY.get(then.kind)
    if first_kind is not None and then.kind in first_kind.goes_before(first):
        return True
    if then_kind is None or first.kind in then_kind.goes_before(then):
        return False
    return first.kind in dependencies(then.kind)


def registry() -> Mapping[str, AnyKind]:
    """Kind name → kind, read-only (a view: kinds registered later show up)."""
    return _VIEW


def read_actions() -> tuple[str, ...]:
    """The API actions the kinds read (beyond the space's number list), in catalogue order."""
    return tuple(dict.fromkeys(a for k in _REGISTRY.values() for a in k.api.read_actions()))


def write_actions() -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for k in _REGISTRY.values() for a in k.api.write_actions()))
