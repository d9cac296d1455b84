"""``make_plan``: desired state + client → ``Plan``. The only place fetch, preflight and diff meet.

The calls made are counted here, per action, as the engine issues them (retries are the client's business
and show in its own stats): the count is part of the contract — one ``QueryChatappPhoneNumbers`` per
space, one ``QueryPhoneBusinessProfile`` per present number declaring a profile, one
``GetCustomerAccountInfo`` per account the planned spaces use — and is printed and saved with the plan.

``client`` is one client (every space in the ambient account) or an ``AccountClients`` (``accounts.py``):
then each space is read with its account's client, side by side, and each account is checked by its own
preflight.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.config.model import DEFAULT_ACCOUNT, DesiredState, Space
from reconciler.engine.accounts import AccountClients, combine_preflights
from reconciler.engine.actual import ActualSpace, SpaceReadError, fetch_actual, gather_all
from reconciler.engine.counting import CountingClient
from reconciler.engine.diff import Context, diff_space
from reconciler.engine.errors import TargetError
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.journal import UNREGISTERED, UNSYNCED, Journal
from reconciler.engine.plan import Change, Plan, PlannedSpace, Preflight
from reconciler.engine.preflight import run_preflight
from reconciler.engine.safety import plan_blockers

ProgressFn = Callable[[int, int], None]  # (spaces done, spaces total)


def select_spaces(desired: DesiredState, targets: Iterable[str] | None) -> tuple[Space, ...]:
    """The spaces to plan: all, or those named by ``--target`` (an unknown name is an error, listing the
    known ones, rather than an empty plan that looks like "no changes")."""
    if targets is None:
        return desired.spaces
    wanted = list(dict.fromkeys(targets))
    known = {s.name for s in desired.spaces}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise TargetError(f"--target {', '.join(unknown)}: no such space (known: {', '.join(sorted(known))})")
    chosen = set(wanted)
    return tuple(s for s in desired.spaces if s.name in chosen)


async def make_plan(client: Any, desired: DesiredState, *, targets: Iterable[str] | None = None,
                    env: Mapping[str, str] = os.environ, progress: ProgressFn | None = None,
                    only: Iterable[str] | None = None, force: bool = False, journal: Journal | None = None,
                    retry_sync: bool = False, observe: Callable[[str, ActualSpace], None] | None = None) -> Plan:
    """Read the actual state of the selected spaces and the account, and diff.

    ``targets``: ``--target`` names (unknown → ``TargetError``). ``only``: a pre-computed scope such as
    ``--changed-since`` gives (names not in ``desired`` are ignored). With no space to plan, no call is
    made and the preflight is "skipped". ``env`` is asked only whether a migration's variable is set.
    ``force``: record the webhook-threshold override (``plan --force``). ``journal``: what earlier applies
    left unfinished (``engine.journal``); ``retry_sync`` ignores its record of syncs that did not help.
    ``observe(space name, actual)``: called with each space read (``drift`` keeps its numbers' health history).

    A space whose read fails is planned with its ``error`` and no change (``Plan.errors``); the others
    are planned as usual. Callers decide what a failed read means (``plan``/``drift`` exit 1, apply
    refuses): the plan itself is always whole evidence of what could and could not be read, and of what
    apply would refuse (``Plan.blockers``).
    """
    spaces = select_spaces(desired, targets)
    if only is not None:
        keep = set(only)
        spaces = tuple(s for s in spaces if s.name in keep)
    counting = CountingClient(client)
    if not spaces:
        return Plan(changes=(), spaces=(), desired_fingerprint=desired_fingerprint(()),
                    preflight=Preflight("skipped", "no space to plan"), calls={}, force=force)

    done = 0

    def space_done(_name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(spaces))

    if progress is not None:
        progress(0, len(spaces))
    if isinstance(client, AccountClients):  # one account check per account the planned spaces use
        names = list(dict.fromkeys(s.account for s in spaces))
        preflights = [run_preflight(CountingClient(client[name], counting.calls),
                                    strict=any(s.account_check == "strict" for s in spaces if s.account == name))
                      for name in names]
    else:
        names = [DEFAULT_ACCOUNT]
        preflights = [run_preflight(counting, strict=any(s.account_check == "strict" for s in spaces))]
    *checked, actual = await gather_all([*preflights, fetch_actual(counting, spaces, on_space_done=space_done)])
    preflight = combine_preflights(dict(zip(names, checked)))
    several = bool(desired.accounts)  # the repository names accounts: a refusal may be a wrong `account:`
    elsewhere = _find_elsewhere(spaces, actual)
    journal = journal or Journal(None)
    changes: list[Change] = []
    planned: list[PlannedSpace] = []
    for space in spaces:
        seen = actual[space.name]
        if isinstance(seen, SpaceReadError):  # shown with its error, planned no change: nothing was seen
            planned.append(PlannedSpace(space.name, space.cust_space_id, space.file, None,
                                        error=_read_error(space, seen, several), error_code=seen.code,
                                        line=space.source.line, account=space.account))
            continue
        if observe is not None:
            observe(space.name, seen)
        unsynced = {} if retry_sync else {
            phone: f"a sync at {e.at} did not bring it in ({e.detail})" if e.detail else
            f"a sync at {e.at} did not bring it in" for phone, e in journal.for_space(UNSYNCED, space.name).items()}
        context = Context(env=env, elsewhere={p: o for p, o in elsewhere.items() if o != space.name},
                          unsynced=unsynced, unregistered=frozenset(journal.for_space(UNREGISTERED, space.name)))
        changes.extend(diff_space(space, seen, context=context))
        present = sum(1 for n in space.numbers if n.phone_number in seen.numbers)
        planned.append(PlannedSpace(space.name, space.cust_space_id, space.file, seen.fingerprint(),
                                    line=space.source.line, account=space.account, present=present))
    plan = Plan(changes=tuple(changes), spaces=tuple(planned), desired_fingerprint=desired_fingerprint(spaces),
                preflight=preflight, calls=dict(sorted(counting.calls.items())), force=force,
                retry_sync=retry_sync)
    return dataclasses.replace(plan, blockers=plan_blockers(plan, desired, force=force))


#: What CAMS answers when the key's account does not own the space.
NOT_OWNED_CODE = "Unknown.ResourceOwnerId"


def _read_error(space: Space, error: SpaceReadError, several_accounts: bool) -> str:
    """The read error, saying which account's key was refused when the space is not that account's: in a
    repository that declares accounts the likely cause is the space's ``account:``, and the line says so."""
    if error.code == NOT_OWNED_CODE and several_accounts:
        return (f"{error.message} (read with account {space.account!r}: the space does not belong to it; "
                "check the space's `account:`)")
    return error.message


def _find_elsewhere(spaces: tuple[Space, ...],
                   actual: Mapping[str, ActualSpace | SpaceReadError]) -> dict[str, str]:
    """Phone number → the planned space whose read shows it, for the declared numbers missing from their
    own space. Only the spaces this plan read are looked in: reading every other declared space for a
    targeted plan would cost a whole estate's reads for one missing number. (A full plan, such as drift,
    sees them all; a sync that cannot bring a number in is recorded in the journal either way.)"""
    missing = {n.phone_number for s in spaces if isinstance(seen := actual[s.name], ActualSpace)
               for n in s.numbers if n.phone_number not in seen.numbers}
    where: dict[str, str] = {}
    if missing:
        for name, seen in actual.items():
            if isinstance(seen, ActualSpace):
                where.update({p: name for p in seen.numbers if p in missing})
    return where
