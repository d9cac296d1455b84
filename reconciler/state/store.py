"""The state store: the interface every backend implements, the record format, and the merge loop.

A store is a flat set of named objects (``targets/<target>/journal.json``, ``locks/<account>.json``), each
read with a version token and written only *conditionally*: ``put(name, data, expect=version)`` fails with
``Conflict`` when someone else wrote the object since it was read (``expect=None``: it must not exist yet).
Nothing is ever overwritten blindly; ``update`` turns that into "re-read, merge, try again" (the caller's
merge function decides, record by record, what survives). The three backends (``dir.py``, ``git.py``,
``s3.py``) differ only in where the objects live and how the condition is enforced.

Every record is one JSON object::

    {"format": "cams-reconciler/state", "version": 1, "kind": "journal",
     "target": {"account": "acct:1051…", "region": "ap-southeast-1", "endpoint": "cams.ap-southeast-1…"},
     "data": {...}}

``kind`` says what ``data`` holds (``journal``, ``account-webhooks``, ``drift-state``); ``target`` says
whose it is (``target.py``); a record whose target is not the run's is never used. docs/state.md describes
the format; ``FORMAT_VERSION`` changes when a reader of the old one would misread the new one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.core.errors import ReconcilerError

FORMAT = "cams-reconciler/state"
FORMAT_VERSION = 1
MAX_RECORD_BYTES = 32 * 1024 * 1024
#: How often ``update`` re-reads and merges before giving up (each round means another writer won a race).
MAX_ROUNDS = 20


class StateError(ReconcilerError):
    """The state store cannot be used: one line naming the store and the object."""


class Conflict(Exception):  # noqa: N818 - a condition, not an error: ``update`` handles it
    """A conditional write lost: the object changed (or appeared, or went) since it was read."""


@dataclass(frozen=True)
class Blob:
    data: bytes
    version: str  # opaque: what ``put``/``delete`` compare with (an mtime+inode, a Git blob id, an ETag)


class Store(Protocol):
    """One state store. ``url`` names it in messages (never with a credential)."""

    url: str

    def get(self, name: str) -> Blob | None: ...

    def put(self, name: str, data: bytes, *, expect: str | None, message: str) -> str:
        """Write ``name`` if its version is still ``expect`` (None: it must not exist); the new version, or
        ``Conflict``. ``message`` says why (the Git backend's commit message)."""
        ...

    def delete(self, name: str, *, expect: str, message: str) -> None:
        """Remove ``name`` if its version is still ``expect``; ``Conflict`` otherwise (gone already too)."""
        ...

    def names(self, prefix: str = "") -> list[str]:
        """Every object name under ``prefix``, sorted."""
        ...


def encode(kind: str, target: dict[str, Any] | None, data: Any) -> bytes:
    doc = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind, "target": target, "data": data}
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def decode(where: str, raw: bytes, kind: str | None = None) -> dict[str, Any]:
    """The record document in ``raw`` (its ``kind``, ``target``, ``data``), or ``StateError`` naming ``where``.
    A record of another format version is refused, never guessed at."""
    if len(raw) > MAX_RECORD_BYTES:
        raise StateError(f"{where}: larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB: not a state record")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise StateError(f"{where}: not a cams-reconciler state record (not JSON: {type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StateError(f"{where}: not a cams-reconciler state record (no \"format\": \"{FORMAT}\")")
    if doc.get("version") != FORMAT_VERSION:
        raise StateError(f"{where}: state format version {json.dumps(doc.get('version'))[:20]} is not supported "
                         f"(this cams-reconciler reads version {FORMAT_VERSION}); upgrade cams-reconciler")
    if kind is not None and doc.get("kind") != kind:
        raise StateError(f"{where}: a {doc.get('kind')!r} record where a {kind!r} record belongs")
    for name in ("kind", "target", "data"):
        if name not in doc:
            raise StateError(f"{where}: the record has no {name!r}")
    return doc


def update(store: Store, name: str, merge: Callable[[Blob | None], bytes | None], *, message: str) -> bool:
    """Read ``name``, let ``merge`` compute the new content from what is there now (None: delete it, or
    leave it absent), write it conditionally, and on ``Conflict`` do it all again on the newer content.
    False when ``merge`` left the content as it was (nothing written)."""
    for _ in range(MAX_ROUNDS):
        current = store.get(name)
        new = merge(current)
        if (new is None and current is None) or (current is not None and new == current.data):
            return False
        try:
            if new is None:
                assert current is not None
                store.delete(name, expect=current.version, message=message)
            else:
                store.put(name, new, expect=None if current is None else current.version, message=message)
            return True
        except Conflict:
            continue
    raise StateError(f"{store.url}: {name}: still changing under this run after {MAX_ROUNDS} attempts to merge; "
                     "try again")
