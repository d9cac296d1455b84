"""The number a step command (``migration send-code``, ``onboarding send-code``) names with ``--space`` and
``--number``: it must be declared, with the block the step belongs to."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model and the engine load when the command runs, not for --help
    from reconciler.core.model import DesiredState, Number, Space
    from reconciler.engine import Journal

#: A step's own work: given the clients, the journal, the space and the number, under the account's lock.
Step = Callable[[Any, "Journal", "Space", "Number"], Awaitable[None]]


def declared_number(desired: DesiredState, space_name: str, phone: str, block: str, example: str) -> tuple[Space, Number]:
    """The space and the number of ``--space``/``--number`` that declares ``block`` (``migration``,
    ``onboarding``), or a ``TargetError`` saying what is declared; ``example`` shows the block to declare."""
    from reconciler.core.normalize import normalize_phone
    from reconciler.engine import TargetError

    space = desired.space(space_name)
    if space is None:
        known = ", ".join(sorted(s.name for s in desired.spaces))
        raise TargetError(f"--space {space_name}: no such space (known: {known})")
    number = space.number(normalize_phone(phone))
    if number is None:
        raise TargetError(f"--number {phone}: not declared in space {space_name}")
    if getattr(number, block) is None:
        raise TargetError(f"--number {phone}: declared in space {space_name} without a{'n' if block[0] in 'aeiou' else ''} "
                          f"{block} block; declare `{block}: {example}` for it first")
    return space, number


def run_step(args: argparse.Namespace, block: str, example: str, step: Step) -> tuple[Space, Number] | None:
    """Run a step command (``{block} send-code``): load the YAML, find ``--space``/``--number`` declared with
    ``block``, open the state store, then run ``step`` holding the account's lock (one writer per account:
    no code is asked for while an apply of the account may be verifying), with the journal opened first (a
    bad journal stops before any code is sent); the lock goes on every way out. None: the YAML has errors
    (printed)."""
    import os

    from reconciler.cli._client_options import ClientSettings, open_clients
    from reconciler.cli._state_options import open_state_store, release_locks, run_holding_the_lock, timeout_seconds
    from reconciler.cli.plan import load, note_discarded_writes
    from reconciler.engine import Journal

    desired = load(args.paths)
    if desired is None:
        return None
    space, number = declared_number(desired, args.space, args.number, block, example)
    timeout = timeout_seconds(args)
    choice, store = open_state_store(args, desired)
    note_discarded_writes(args)
    lock = f"{block} send-code"

    async def send() -> None:
        from reconciler.engine import open_run_state

        async with open_clients(args, desired) as clients:
            opened = await open_run_state(clients, desired, store, choice, targets=[space.name],
                                          emulator=ClientSettings.from_args(args).emulator, env=os.environ,
                                          lock=lock, lock_timeout=timeout)
            try:
                await step(clients, Journal.open(opened.state), space, number)
            finally:
                release_locks(opened)

    run_holding_the_lock(lock, send())
    return space, number
