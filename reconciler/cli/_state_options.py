"""The state-store options of the commands that read or write state, and opening the store for a run.

    --state-store URL         dir:PATH | git:BRANCH | git:REMOTE/BRANCH | s3://BUCKET/PREFIX (else
                              CAMS_RECONCILER_STATE_STORE, else a top-level state_store: in the YAML, else
                              dir:.cams-reconciler; --journal FILE / CAMS_RECONCILER_JOURNAL: a dir: store at
                              FILE's folder)
    --lock-timeout DURATION   writers only: wait this long for another run's lock (90s, 5m, bare seconds; else
                              CAMS_RECONCILER_LOCK_TIMEOUT, else 0: refuse at once)

Nothing heavy is imported here: a backend's module (and boto3) only when that backend is opened.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from reconciler.state import Store, StoreChoice

STATE_STORE_ENV = "CAMS_RECONCILER_STATE_STORE"  # reconciler.state.STATE_STORE_ENV
LOCK_TIMEOUT_ENV = "CAMS_RECONCILER_LOCK_TIMEOUT"  # reconciler.state.lock.LOCK_TIMEOUT_ENV
T = TypeVar("T")


def add_state_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-store", metavar="URL",
                        help="where what a run must remember for the next is kept: dir:PATH, git:BRANCH, "
                             "git:REMOTE/BRANCH or s3://BUCKET/PREFIX (default: env "
                             f"{STATE_STORE_ENV}, else state_store: in the YAML, else dir:.cams-reconciler)")


def add_lock_timeout_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock-timeout", metavar="DURATION",
                        help="wait this long for another run's state lock, e.g. 90s or 5m (default: env "
                             f"{LOCK_TIMEOUT_ENV}, else 0: refuse at once, naming the holder)")


def store_choice(args: argparse.Namespace, desired: Any, env: Mapping[str, str] | None = None) -> StoreChoice:
    from reconciler.state import choose

    return choose(flag=getattr(args, "state_store", None), journal_flag=getattr(args, "journal", None),
                  env=os.environ if env is None else env, yaml_value=getattr(desired, "state_store", None),
                  yaml_where=getattr(desired, "state_store_source", None) or "the YAML")


def repo_dir(args: argparse.Namespace) -> Path:
    """Where the YAML is: the Git store's repository."""
    first = Path(args.paths[0]) if getattr(args, "paths", None) else Path.cwd()
    return first if first.is_dir() else first.parent


def open_state_store(args: argparse.Namespace, desired: Any) -> tuple[StoreChoice, Store]:
    """The run's store, opened (a Git branch fetched), with today's journal file checked before any call."""
    from reconciler.engine import Journal
    from reconciler.state import legacy_files, open_store

    choice = store_choice(args, desired)
    store = open_store(choice, repo_dir=repo_dir(args))
    legacy = legacy_files(choice, store).get("journal")
    if legacy is not None:
        Journal.load(legacy)  # a broken journal is refused before anything is read, never replaced
    return choice, store


def timeout_seconds(args: argparse.Namespace) -> float:
    from reconciler.state.lock import lock_timeout

    return lock_timeout(getattr(args, "lock_timeout", None), os.environ)


class Terminated(KeyboardInterrupt):
    """SIGTERM while a command other than apply holds the state lock, raised like SIGINT's interrupt so that
    the command's ``finally`` gives the lock back (SIGTERM's default action ends the process on the spot)."""

    signal_name = "SIGTERM"


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated()


@contextmanager
def lock_released_on_signals(command: str) -> Iterator[None]:
    """Around a writer that takes the lock (``migration send-code``, ``call`` of a write): SIGTERM raises
    instead of killing, and the run ends with exit 143 after its ``finally`` released the lock."""
    from reconciler.core.errors import ExitCode

    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except Terminated:
        print(f"\nSIGTERM received: {command} stopped (the state lock is released)", file=sys.stderr)
        raise SystemExit(ExitCode.for_signal("SIGTERM")) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_holding_the_lock(command: str, main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` for a writer that takes the lock: SIGTERM cancels the run (its ``finally``
    releases the lock), then it ends with exit 143."""
    from reconciler.core.signals import run_stopped_by_sigterm

    with lock_released_on_signals(command):
        return run_stopped_by_sigterm(main, Terminated)


def release_locks(opened: Any) -> None:
    """``opened.release()`` with SIGINT/SIGTERM held until it is done: a signal must not cut the store's
    write (a Git push, an S3 delete) in two and leave the lock behind."""
    from reconciler.core.signals import signals_held

    with signals_held():
        opened.release()
