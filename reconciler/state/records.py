"""A run's view of the store: its targets' records, read and merged by kind and account.

``RunState`` knows the store, the target of each account the run talks to (``targets``: account name in
the desired state → ``TargetId``) and which account each space belongs to. The engine asks it for a kind of
record of an account (``load``) and writes through it (``update``), always as a merge of what is in the store
*now*: the callers' merge functions change only the entries they mean to (a space's webhook record, a
journal entry, a space's drift findings), so two runs that write at once both keep their entries.

Records live at ``targets/<target key>/<kind>.json``. Today's unkeyed files (``journal.json``,
``account-webhooks.json`` at the top of a ``dir:`` store: the place of ``--journal`` /
``CAMS_RECONCILER_JOURNAL``) are **adopted once**, for the ``default`` account's target of the first run
against a real endpoint (never the in-process emulator, whose rehearsals must not take them): until that
target has a record of the kind, its legacy file is read in its place; the first write of the kind writes the
keyed record and renames the legacy file to ``<name>.adopted``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.state.store import Blob, StateError, Store, decode, encode, update
from reconciler.state.target import TargetId

JOURNAL = "journal"
ACCOUNT_WEBHOOKS = "account-webhooks"
DRIFT_STATE = "drift-state"
TEMPLATE_ARCHIVE = "template-archive"
KINDS = (JOURNAL, ACCOUNT_WEBHOOKS, DRIFT_STATE, TEMPLATE_ARCHIVE)
TARGETS = "targets/"

Merge = Callable[[Any], Any]  # the data in the store now (None: no record yet) → the data to write


def record_name(target: TargetId, kind: str) -> str:
    return f"{TARGETS}{target.key}/{kind}.json"


@dataclass
class RunState:
    store: Store
    targets: Mapping[str, TargetId]  # account name → its target
    space_accounts: Mapping[str, str] = field(default_factory=dict)  # space name → account name
    legacy: Mapping[str, Path] = field(default_factory=dict)  # kind → today's unkeyed file (dir: stores)
    adopt_legacy: bool = False  # the run may adopt them (a real endpoint, not the in-process emulator)

    def account_of(self, space: str) -> str:
        return self.space_accounts.get(space, DEFAULT_ACCOUNT)

    def target(self, account: str) -> TargetId:
        try:
            return self.targets[account]
        except KeyError:
            raise StateError(f"no target known for account {account!r}") from None

    def _legacy_for(self, kind: str, account: str) -> Path | None:
        path = self.legacy.get(kind)
        if path is None or not self.adopt_legacy or account != DEFAULT_ACCOUNT:
            return None
        return path if os.path.lexists(path) else None

    def _data(self, name: str, blob: Blob | None, kind: str, target: TargetId) -> Any:
        if blob is None:
            return None
        doc = decode(f"{self.store.url}: {name}", blob.data, kind)
        if TargetId.from_dict(doc["target"]) != target:
            raise StateError(f"{self.store.url}: {name} holds the record of another target "
                             f"({doc['target']!r}); it is not used for {target.describe()}")
        return doc["data"]

    def load(self, kind: str, account: str, read_legacy: Callable[[Path], Any] | None = None) -> Any:
        """The data of ``kind`` for ``account``'s target; None when there is none. ``read_legacy`` reads the
        kind's unkeyed file (strictly), used while the target has no record of its own."""
        target = self.target(account)
        name = record_name(target, kind)
        data = self._data(name, self.store.get(name), kind, target)
        if data is None and read_legacy is not None:
            path = self._legacy_for(kind, account)
            if path is not None:
                return read_legacy(path)
        return data

    def update(self, kind: str, account: str, merge: Merge, *, what: str,
               read_legacy: Callable[[Path], Any] | None = None) -> bool:
        """Write ``merge(current data)`` as ``account``'s record of ``kind``, merging again on every conflict.
        ``what``: a few words for the Git commit message."""
        target = self.target(account)
        name = record_name(target, kind)
        legacy = self._legacy_for(kind, account) if read_legacy is not None else None
        adopting = False

        def merged(blob: Blob | None) -> bytes | None:
            nonlocal adopting
            current = self._data(name, blob, kind, target)
            adopting = False
            if current is None and legacy is not None and read_legacy is not None:
                current = read_legacy(legacy)
                adopting = True
            new = merge(current)
            if new is None and not adopting:
                return None  # nothing to keep: no record (removed, if there was one)
            # adopting: the keyed record is written even when nothing of the file is kept, so that the file
            # is taken once and never read again
            return encode(kind, target.to_dict(), new)

        wrote = update(self.store, name, merged, message=f"{kind} of {target.describe()}: {what}")
        if adopting and legacy is not None:
            try:
                os.replace(legacy, legacy.with_name(legacy.name + ".adopted"))
            except OSError as exc:
                raise StateError(f"{legacy}: adopted into {self.store.url}, but cannot be renamed "
                                 f"({exc.strerror or exc}): move it away") from None
        return wrote


def records_of(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """Every record of the store (not the locks): (object name, document), for ``state list``."""
    out = []
    for name in store.names(TARGETS):
        blob = store.get(name)
        if blob is not None:
            out.append((name, decode(f"{store.url}: {name}", blob.data)))
    return out
