"""``cams-reconciler state list|show|rm|lock|unlock|migrate``: look into the state store and mend it on purpose.

    state list                         every record (object, kind, target, entries) and every lock
    state show OBJECT                  one record, as JSON (digests shortened: they are never needed whole)
    state rm OBJECT                    remove one record (the next plan offers again what it covered)
    state lock                         the locks held, with their ids (LOCK_ID)
    state unlock LOCK_ID               break a lock a killed run left (Terraform's force-unlock)
    state migrate --to URL             copy every record to another store (then point the runs at it)

The store is ``--state-store URL``, else ``CAMS_RECONCILER_STATE_STORE``, else ``dir:.cams-reconciler``
(``--journal FILE`` / ``CAMS_RECONCILER_JOURNAL``: a ``dir:`` store at FILE's folder). Exit 0, or 1 on error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from reconciler.cli._state_options import add_state_store_argument
from reconciler.core.errors import ExitCode


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "state", help="inspect and mend the state store: list, show, rm, lock, unlock, migrate",
        description="The records a run keeps for the next one (journal, account-webhook records, drift "
                    "state), keyed by target, and the writers' locks (docs/state.md).")
    sub = parser.add_subparsers(dest="state_command", metavar="COMMAND", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
        add_state_store_argument(p)
        p.add_argument("--journal", metavar="FILE", help="a dir: store at FILE's folder (as plan and apply)")
        return p

    command("list", "list every record and lock of the store").set_defaults(func=run_list)
    show = command("show", "print one record (digests shortened)")
    show.add_argument("object", metavar="OBJECT", help="the record's name, as `state list` prints it")
    show.set_defaults(func=run_show)
    rm = command("rm", "remove one record on purpose (what it covered is offered again by the next plan)")
    rm.add_argument("object", metavar="OBJECT", help="the record's name, as `state list` prints it")
    rm.set_defaults(func=run_rm)
    command("lock", "show the locks held (who, where, command, since, LOCK_ID)").set_defaults(func=run_lock)
    unlock = command("unlock", "break a lock on purpose (a run that was killed left it)")
    unlock.add_argument("lock_id", metavar="LOCK_ID", help="the lock's id, as `state lock` or the refusal prints it")
    unlock.set_defaults(func=run_unlock)
    migrate = command("migrate", "copy every record of the store to another store")
    migrate.add_argument("--to", required=True, metavar="URL", help="the destination store's URL")
    migrate.set_defaults(func=run_migrate)


def _store(args: argparse.Namespace) -> Any:
    from reconciler.state import choose, open_store

    choice = choose(flag=args.state_store, journal_flag=args.journal, env=os.environ)
    return open_store(choice, repo_dir=Path.cwd())


def _entries(kind: str, data: Any) -> str:
    if not isinstance(data, dict):
        return "empty"
    if kind == "journal":
        return f"{len(data.get('entries') or [])} entries"
    return f"{len(data.get('spaces') or {})} spaces"


def run_list(args: argparse.Namespace) -> int:
    from reconciler.state.lock import held_locks
    from reconciler.state.records import records_of
    from reconciler.state.target import TargetId

    store = _store(args)
    records = records_of(store)
    print(f"{store.url}: {len(records)} record(s)")
    for name, doc in records:
        target = TargetId.from_dict(doc.get("target"))
        print(f"  {name}  {doc.get('kind')}  {target.describe() if target else '?'}  "
              f"{_entries(str(doc.get('kind')), doc.get('data'))}")
    for lock in held_locks(store):
        print(f"  lock {lock.line()}")
    return ExitCode.OK


def _shorten(value: Any) -> Any:
    """Digests shortened: a record holds no secret, and a whole digest helps nobody reading it."""
    if isinstance(value, dict):
        return {k: (v[:19] + "…" if isinstance(v, str) and k in ("masked", "keyed", "legacy_digest", "digest")
                    and len(v) > 20 else _shorten(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def run_show(args: argparse.Namespace) -> int:
    from reconciler.state.store import StateError, decode

    store = _store(args)
    blob = store.get(args.object)
    if blob is None:
        raise StateError(f"{store.url}: no record {args.object} (see `state list`)")
    doc = decode(f"{store.url}: {args.object}", blob.data)
    sys.stdout.write(json.dumps(_shorten(doc), indent=2, ensure_ascii=False) + "\n")
    return ExitCode.OK


def run_rm(args: argparse.Namespace) -> int:
    from reconciler.state.records import TARGETS
    from reconciler.state.store import Conflict, StateError

    store = _store(args)
    if not args.object.startswith(TARGETS):
        raise StateError(f"{args.object}: not a record (records are under {TARGETS}; locks go with `state unlock`)")
    blob = store.get(args.object)
    if blob is None:
        raise StateError(f"{store.url}: no record {args.object} (see `state list`)")
    try:
        store.delete(args.object, expect=blob.version, message=f"state rm {args.object}")
    except Conflict:
        raise StateError(f"{store.url}: {args.object} changed while it was being removed; look again") from None
    print(f"removed {args.object} from {store.url}", file=sys.stderr)
    return ExitCode.OK


def run_lock(args: argparse.Namespace) -> int:
    from reconciler.state.lock import held_locks

    store = _store(args)
    locks = held_locks(store)
    if not locks:
        print(f"{store.url}: no lock held")
    for lock in locks:
        target = lock.target.describe() if lock.target else "?"
        print(f"{lock.id}  {lock.who}  {lock.where}  {lock.command}  since {lock.since}  ({target})")
    return ExitCode.OK


def run_unlock(args: argparse.Namespace) -> int:
    from reconciler.state.lock import break_lock

    store = _store(args)
    info = break_lock(store, args.lock_id)
    print(f"broke the lock {info.line()} in {store.url}", file=sys.stderr)
    return ExitCode.OK


def run_migrate(args: argparse.Namespace) -> int:
    from reconciler.state import StoreChoice, choose, legacy_files, open_store
    from reconciler.state.records import records_of
    from reconciler.state.store import Conflict, StateError

    choice = choose(flag=args.state_store, journal_flag=args.journal, env=os.environ)
    source = open_store(choice, repo_dir=Path.cwd())
    left = sorted(str(p) for p in legacy_files(choice, source).values() if os.path.lexists(p))
    if left:  # unkeyed: no record says whose they are, so no other store can take them
        raise StateError(f"{source.url}: {', '.join(left)} (an earlier version's, not adopted yet) would be left "
                         "behind: a run against the account adopts them into keyed records on its first write of "
                         "that kind (docs/state.md); migrate after that, or move them away on purpose (their "
                         "entries are then forgotten)")
    dest = open_store(StoreChoice(args.to, "--to"), repo_dir=Path.cwd())
    copied = same = 0
    for name, _doc in records_of(source):
        blob = source.get(name)
        if blob is None:
            continue
        there = dest.get(name)
        if there is not None:
            if there.data == blob.data:
                same += 1
                continue
            raise StateError(f"{dest.url}: already holds a different {name}; nothing more was copied (compare "
                             "with `state show`, remove one on purpose with `state rm`)")
        try:
            dest.put(name, blob.data, expect=None, message=f"state migrate {name} from {source.url}")
        except Conflict:
            raise StateError(f"{dest.url}: {name} appeared while copying; run migrate again") from None
        copied += 1
    print(f"copied {copied} record(s) from {source.url} to {dest.url}" + (f" ({same} already there)" if same else "")
          + "; point the runs at it with --state-store or CAMS_RECONCILER_STATE_STORE", file=sys.stderr)
    return ExitCode.OK
