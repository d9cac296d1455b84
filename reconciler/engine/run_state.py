"""A run's state: which targets it talks to, their records in the store, and (for writers) their locks.

``open_run_state`` is what every command that reads or writes state calls once its clients are open and
before it reads anything for its plan: it makes the account checks (``planner.check_accounts``, which the
plan then reuses), names each account's target (``state.target``), takes the locks when asked (sorted by
account, so two runs that want the same two locks cannot each hold one), and returns the ``RunState`` the
journal and the sent records read and write through. ``release`` gives the locks back; callers call it on
every way out.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.errors import ReconcilerError
from reconciler.core.model import DesiredState
from reconciler.engine.accounts import AccountClients
from reconciler.engine.planner import AccountChecks, check_accounts
from reconciler.provenance import account_id_from_env, account_id_of
from reconciler.state import StoreChoice, legacy_files
from reconciler.state.lock import Lock, LockInfo, acquire
from reconciler.state.records import RunState
from reconciler.state.store import Store
from reconciler.state.target import TargetId, target_of


@dataclass
class OpenedState:
    state: RunState
    checked: AccountChecks
    locks: list[Lock] = field(default_factory=list)

    def release(self) -> None:
        """Give every lock back. One that cannot be removed (the store unreachable now) is said, with how to
        break it, and never hides how the run itself ended."""
        for lock in reversed(self.locks):
            try:
                lock.release()
            except ReconcilerError as exc:
                print(f"warning: the state lock {lock.id} could not be released ({exc}); once this run is over, "
                      f"break it with `cams-reconciler state unlock {lock.id}`", file=sys.stderr)


def _sleep_unless_cancelled(seconds: float) -> None:
    """The lock wait's pause, in the event loop's thread: asyncio turns the first SIGINT into a cancellation
    of the running task, which a plain ``time.sleep`` loop would never see (a waiting writer would ignore
    Ctrl-C until ``--lock-timeout`` ran out). The wait ends as soon as the task is being cancelled."""
    time.sleep(seconds)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _access_key_id(client: Any) -> str | None:
    getter = getattr(client, "access_key_id", None)
    return await getter() if getter is not None else None


async def identify(clients: Any, checked: AccountChecks, *, emulator: str | None,
                   env: Mapping[str, str]) -> dict[str, TargetId]:
    """Account name → its target, for every account the run's planned spaces use (the accounts checked): an
    account whose spaces this run does not read needs none of its credentials, not even to be named."""
    items = list(clients.items()) if isinstance(clients, AccountClients) else [(DEFAULT_ACCOUNT, clients)]
    out: dict[str, TargetId] = {}
    for name, client in items:
        if name not in checked.preflights:
            continue
        account_id = (account_id_from_env(env) if name == DEFAULT_ACCOUNT and not emulator else None) or (
            account_id_of(checked.data(name)))
        key_id = None if account_id else await _access_key_id(client)
        out[name] = target_of(account_id=account_id, access_key_id=key_id, region=client.region,
                              endpoint=client.cams_endpoint, emulator_state=emulator)
    return out


async def open_run_state(clients: Any, desired: DesiredState, store: Store, choice: StoreChoice, *,
                         targets: Iterable[str] | None = None, only: Iterable[str] | None = None,
                         emulator: str | None, env: Mapping[str, str], lock: str | None = None,
                         lock_timeout: float = 0.0,
                         on_wait: Callable[[LockInfo], None] | None = None) -> OpenedState:
    """``lock``: the command taking the lock (None: a reader, which never locks nor waits)."""
    checked = await check_accounts(clients, desired, targets=targets, only=only)
    named = await identify(clients, checked, emulator=emulator, env=env)
    state = RunState(store, named, {s.name: s.account for s in desired.spaces}, legacy_files(choice, store),
                     adopt_legacy=not emulator)
    opened = OpenedState(state, checked)
    if lock is not None:
        used = {s.account for s in desired.spaces} or {DEFAULT_ACCOUNT}
        wanted = {named[a].lock_key: named[a] for a in sorted(used) if a in named}
        try:
            for key in sorted(wanted):
                acquire(store, wanted[key], command=lock, timeout=lock_timeout, env=env,
                        on_wait=on_wait or _say_waiting, taken=opened.locks.append, sleep=_sleep_unless_cancelled)
        except BaseException:
            opened.release()
            raise
    return opened


async def lock_for_client(client: Any, store: Store, *, command: str, emulator: str | None, env: Mapping[str, str],
                          lock_timeout: float = 0.0) -> OpenedState:
    """The lock of the one ambient account (``call`` of a write action): the account check names it."""
    from reconciler.engine.preflight import run_preflight

    checked = AccountChecks({DEFAULT_ACCOUNT: await run_preflight(client)})
    named = await identify(client, checked, emulator=emulator, env=env)
    opened = OpenedState(RunState(store, named), checked)
    try:
        acquire(store, named[DEFAULT_ACCOUNT], command=command, timeout=lock_timeout, env=env,
                on_wait=_say_waiting, taken=opened.locks.append, sleep=_sleep_unless_cancelled)
    except BaseException:  # a signal delivered as the lock was taken: give it back
        opened.release()
        raise
    return opened


def _say_waiting(holder: LockInfo) -> None:
    print(f"note: waiting for the state lock: {holder.line()}", file=sys.stderr)
