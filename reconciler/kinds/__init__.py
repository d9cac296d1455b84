"""The catalogue of what the reconciler manages: one module per kind, registered on import.

After octoDNS's ``Record.register_type``: each kind of managed thing (a number's membership of its space,
its webhooks, its business profile, ...) is declared once, in its own module, as a ``Kind`` subclass
(``kinds/base.py``: the contract) decorated with ``@register``. Everything else reads the catalogue by the
kind named in a change's address (``kind_for``): ``config`` builds and checks blocks (``Kind.rules``),
``engine`` reads, plans and writes instances (``Kind.read``/``plan``/``create``/``update``/``delete``, in
the order ``depends_on`` gives), ``import`` asks ``Kind.importer``, the renderers ``Kind.presenter``.

Adding a field to a kind is one ``Field`` entry in its module (plus the JSON Schema); adding a kind is one
module (plus its JSON Schema block and its import line at the end of this file). docs/ARCHITECTURE.md walks
through both. A test may add a kind for its own duration: ``with registered(MyKind()): ...``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, TypeVar

from reconciler.core.plan import Change
from reconciler.kinds.base import Api, Block, Importer, Kind, Presenter, Recorder, Rules, Scope, Write
from reconciler.kinds.fields import Field

__all__ = ["Api", "Block", "Field", "Importer", "Kind", "Presenter", "Recorder", "Rules", "Scope", "Write",
           "register", "registered", "get", "kinds", "number_kinds", "space_kinds", "kind_for", "read_actions",
           "write_actions", "registry", "dependencies"]

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


def registry() -> Mapping[str, AnyKind]:
    """Kind name → kind, read-only (a view: kinds registered later show up)."""
    return _VIEW


def read_actions() -> tuple[str, ...]:
    """The API actions the kinds read (beyond the space's number list), in catalogue order."""
    return tuple(dict.fromkeys(a for k in _REGISTRY.values() for a in k.api.read_actions()))


def write_actions() -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for k in _REGISTRY.values() for a in k.api.write_actions()))


# The built-in kinds (octoDNS registers its types the same way: on import); a kind after what it depends on.
from reconciler.kinds import membership  # noqa: E402, F401, I001
from reconciler.kinds import webhooks, queues, business_profile, expect  # noqa: E402, F401, I001
from reconciler.kinds import flows  # noqa: E402, F401, I001
from reconciler.kinds import templates  # noqa: E402, F401, I001
from reconciler.kinds import commerce, automation, encryption_key, qr_codes, health, account_webhook  # noqa: E402, F401, I001
