"""The state store: what a run must remember for the next one, keyed by target, and the writers' lock.

Layering: above ``client`` (it uses nothing of it but plain identity values), below ``engine`` and ``cli``,
which import it. docs/state.md explains the store, its backends, the record format, the lock and the
``state`` commands.

Which store (``choose``): ``--state-store URL`` on the command line; else ``--journal FILE`` (a ``dir:``
store at FILE's folder, FILE being today's journal file there); else ``CAMS_RECONCILER_STATE_STORE``; else
``CAMS_RECONCILER_JOURNAL`` (as ``--journal``); else a top-level ``state_store:`` in the YAML; else
``dir:.cams-reconciler``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.state.store import Conflict, StateError, Store

STATE_STORE_ENV = "CAMS_RECONCILER_STATE_STORE"
JOURNAL_ENV = "CAMS_RECONCILER_JOURNAL"
DEFAULT_DIR = ".cams-reconciler"
LEGACY_JOURNAL = "journal.json"
LEGACY_ACCOUNT_WEBHOOKS = "account-webhooks.json"

__all__ = ["STATE_STORE_ENV", "Conflict", "StateError", "Store", "StoreChoice", "choose", "open_store"]


@dataclass(frozen=True)
class StoreChoice:
    url: str
    origin: str  # where it came from, for messages: "--state-store", "CAMS_RECONCILER_STATE_STORE", ...
    legacy_journal: str = LEGACY_JOURNAL  # the name of today's journal file in a dir: store

    @property
    def explicit(self) -> bool:
        """Asked for by name (not the default place nor the journal's): drift keeps its transitions there."""
        return self.origin not in ("default", "--journal", JOURNAL_ENV)


def _from_journal(path: str, origin: str) -> StoreChoice:
    p = Path(path)
    return StoreChoice(f"dir:{p.parent if str(p.parent) else '.'}", origin, p.name or LEGACY_JOURNAL)


def choose(*, flag: str | None, journal_flag: str | None, env: Mapping[str, str],
           yaml_value: str | None = None, yaml_where: str = "the YAML") -> StoreChoice:
    if flag:
        return StoreChoice(flag, "--state-store")
    if journal_flag:
        return _from_journal(journal_flag, "--journal")
    if env.get(STATE_STORE_ENV, "").strip():
        return StoreChoice(env[STATE_STORE_ENV].strip(), STATE_STORE_ENV)
    if env.get(JOURNAL_ENV, "").strip():
        return _from_journal(env[JOURNAL_ENV].strip(), JOURNAL_ENV)
    if yaml_value:
        return StoreChoice(yaml_value, f"state_store: in {yaml_where}")
    return StoreChoice(f"dir:{DEFAULT_DIR}", "default")


def open_store(choice: StoreChoice, *, repo_dir: str | os.PathLike[str] = ".",
               env: Mapping[str, str] | None = None) -> Store:
    """The store ``choice`` names. ``repo_dir``: where the YAML is (the Git store's repository)."""
    url = choice.url
    scheme, sep, rest = url.partition(":")
    if scheme == "dir" and sep and rest:
        from reconciler.state.dir import DirStore
        return DirStore(rest)
    if scheme == "git" and sep and rest:
        from reconciler.state.git import GitStore
        return GitStore(rest, repo_dir, env)
    if scheme == "s3" and rest.startswith("//"):
        from reconciler.state.s3 import S3Store
        return S3Store(url, env)
    raise StateError(f"{choice.origin} {url!r}: a state store URL is dir:PATH, git:BRANCH, git:REMOTE/BRANCH or "
                     "s3://BUCKET/PREFIX")


def legacy_files(choice: StoreChoice, store: Store) -> dict[str, Path]:
    """Today's unkeyed files a ``dir:`` store adopts (``records.RunState``): none for the other backends."""
    from reconciler.state.dir import DirStore

    if not isinstance(store, DirStore):
        return {}
    return {"journal": store.root / choice.legacy_journal,
            "account-webhooks": store.root / LEGACY_ACCOUNT_WEBHOOKS}
