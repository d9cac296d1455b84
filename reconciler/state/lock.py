"""The lock: one writer per account at a time (``apply``, ``migration send-code``).

A lock is the object ``locks/<account>.json`` of the store, created only if it does not exist (the store's
conditional write: ``O_EXCL`` under ``flock`` in a directory, a rejected push on a Git branch, ``If-None-Match``
on S3), and removed by its holder only if it is still the one it created. It says who holds it::

    {"id": "7c0e…", "who": "octocat", "where": "https://github.com/acme/cams/actions/runs/42", "host": "…",
     "pid": 4242, "command": "apply", "since": "2026-12-06T05:02:11Z", "target": {...}}

A second writer retries until ``--lock-timeout`` (``CAMS_RECONCILER_LOCK_TIMEOUT``; ``90s``, ``5m``, ``1h`` or
bare seconds; default 0: refuse at once), then refuses with one line naming the holder. A lock left by a run
that was killed (``kill -9``, a cancelled runner) stays until someone breaks it on purpose: ``state lock``
shows it, ``state unlock LOCK_ID`` removes it (Terraform's ``force-unlock``). It never expires by itself:
a run still writing on a stalled runner is indistinguishable from a dead one.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.core.signals import signals_held
from reconciler.state.store import Blob, Conflict, StateError, Store, decode, encode
from reconciler.state.target import TargetId

LOCK_TIMEOUT_ENV = "CAMS_RECONCILER_LOCK_TIMEOUT"
LOCKS = "locks/"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h)?")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600}
POLL_SECONDS = 1.0


class LockError(StateError):
    """The lock is held by another run (or cannot be taken): one line naming the holder."""


def parse_duration(text: str, what: str = "--lock-timeout") -> float:
    """``90s``, ``5m``, ``1h``, ``30`` (seconds) → seconds."""
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise StateError(f"{what} {text!r}: a duration is expected, e.g. 90s, 5m, 1h or a number of seconds")
    return float(m.group(1)) * _UNITS[m.group(2)]


def lock_timeout(flag: str | None, env: Mapping[str, str]) -> float:
    if flag is not None:
        return parse_duration(flag)
    text = env.get(LOCK_TIMEOUT_ENV, "").strip()
    return parse_duration(text, f"environment variable {LOCK_TIMEOUT_ENV}") if text else 0.0


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def holder_info(command: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Who is taking the lock: the user, the CI run's URL (GitHub Actions) or else this host, the command."""
    run = None
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        run = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    try:
        who = env.get("GITHUB_ACTOR") or getpass.getuser()
    except (OSError, KeyError):
        who = "unknown"
    host = socket.gethostname()
    return {"who": who, "where": run or host, "host": host, "pid": os.getpid(), "command": command}


@dataclass(frozen=True)
class LockInfo:
    name: str  # the object's name in the store
    id: str
    who: str
    where: str
    command: str
    since: str
    pid: int | None
    target: TargetId | None
    version: str

    def line(self) -> str:
        return f"{self.id}: held by {self.who} at {self.where} ({self.command}) since {self.since}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "who": self.who, "where": self.where, "command": self.command, "since": self.since,
                "pid": self.pid, "target": self.target.to_dict() if self.target else None, "object": self.name}


def _info(store: Store, name: str, blob: Blob) -> LockInfo:
    doc = decode(f"{store.url}: {name}", blob.data, "lock")
    data = doc["data"] if isinstance(doc["data"], dict) else {}

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else "?"

    pid = data.get("pid")
    return LockInfo(name, text("id"), text("who"), text("where"), text("command"), text("since"),
                    pid if isinstance(pid, int) else None, TargetId.from_dict(doc["target"]), blob.version)


def held_locks(store: Store) -> list[LockInfo]:
    out = []
    for name in store.names(LOCKS):
        blob = store.get(name)
        if blob is not None:
            out.append(_info(store, name, blob))
    return out


class Lock:
    """A held lock; ``release()`` (idempotent) removes it if it is still ours."""

    def __init__(self, store: Store, name: str, lock_id: str, version: str) -> None:
        self.store, self.name, self.id, self._version = store, name, lock_id, version
        self.released = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        try:
            self.store.delete(self.name, expect=self._version, message=f"unlock {self.name} ({self.id})")
        except Conflict:
            pass  # broken on purpose (state unlock) while we ran: it is not ours to remove any more


def acquire(store: Store, target: TargetId, *, command: str, timeout: float, env: Mapping[str, str],
            sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
            on_wait: Callable[[LockInfo], None] | None = None,
            taken: Callable[[Lock], None] | None = None) -> Lock:
    """Take the account's lock, waiting up to ``timeout`` seconds for its holder to release it. ``taken``
    receives the lock while SIGINT/SIGTERM are held: a signal during the write that takes it (a Git push, an
    S3 put) is delivered only once the caller holds the lock and can release it."""
    name = f"{LOCKS}{target.lock_key}.json"
    lock_id = str(uuid.uuid4())
    data = {"id": lock_id, **holder_info(command, env), "since": now()}
    body = encode("lock", target.to_dict(), data)
    deadline = clock() + timeout
    told = False
    while True:
        try:
            with signals_held():
                version = store.put(name, body, expect=None, message=f"lock {name} for {command} ({lock_id})")
                lock = Lock(store, name, lock_id, version)
                if taken is not None:
                    taken(lock)
            return lock
        except Conflict:
            pass
        blob = store.get(name)
        if blob is None:
            continue  # released between the two looks: try again at once
        holder = _info(store, name, blob)
        if clock() >= deadline:
            waited = f" after waiting {timeout:g} s" if timeout else ""
            raise LockError(
                f"the state lock of {target.account} is held{waited}: {holder.line()}; {store.url}. Wait for that "
                f"run, or pass --lock-timeout; if it was killed, break the lock with `cams-reconciler state unlock "
                f"{holder.id}`")
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        sleep(min(POLL_SECONDS, max(deadline - clock(), 0.05)))
        refresh = getattr(store, "refresh", None)  # a store that caches what it read (Git) looks again
        if refresh is not None:
            refresh()


def break_lock(store: Store, lock_id: str) -> LockInfo:
    """Remove the lock whose id is ``lock_id`` (``state unlock``); ``StateError`` when there is none."""
    for info in held_locks(store):
        if info.id == lock_id:
            try:
                store.delete(info.name, expect=info.version, message=f"force-unlock {info.name} ({lock_id})")
            except Conflict:
                raise StateError(f"{store.url}: lock {lock_id} changed while it was being removed; look again "
                                 "(`state lock`)") from None
            return info
    held = ", ".join(i.id for i in held_locks(store)) or "none"
    raise StateError(f"{store.url}: no lock with id {lock_id} (held now: {held})")
