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

import os
from typing import Any, Callable, Iterable, Mapping

from reconciler.config.model import DEFAULT_ACCOUNT, DesiredState, Space
from reconciler.engine.accounts import AccountClients, combine_preflights
from reconciler.engine.actual import SpaceReadError, fetch_actual, gather_all
from reconciler.engine.counting import CountingClient
from reconciler.engine.diff import diff_space
from reconciler.engine.errors import TargetError
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.plan import Change, Plan, PlannedSpace, Preflight
from reconciler.engine.preflight import run_preflight

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
                    only: Iterable[str] | None = None) -> Plan:
    """Read the actual state of the selected spaces and the account, and diff.

    ``targets``: ``--target`` names (unknown → ``TargetError``). ``only``: a pre-computed scope such as
    ``--changed-since`` gives (names not in ``desired`` are ignored). With no space to plan, no call is
    made and the preflight is "skipped". ``env`` is asked only whether a migration's variable is set.

    A space whose read fails is planned with its ``error`` and no change (``Plan.errors``); the others
    are planned as usual. Callers decide what a failed read means (``plan``/``drift`` exit 1, apply
    refuses): the plan itself is always whole evidence of what could and could not be read.
    """
    spaces = select_spaces(desired, targets)
    if only is not None:
        keep = set(only)
        spaces = tuple(s for s in spaces if s.name in keep)
    counting = CountingClient(client)
    if not spaces:
        return Plan(changes=(), spaces=(), desired_fingerprint=desired_fingerprint(()),
                    preflight=Preflight("skipped", "no space to plan"), calls={})

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
        preflights = [run_preflight(CountingClient(client[name], counting.calls)) for name in names]
    else:
        names, preflights = [DEFAULT_ACCOUNT], [run_preflight(counting)]
    *checked, actual = await gather_all([*preflights, fetch_actual(counting, spaces, on_space_done=space_done)])
    preflight = combine_preflights(dict(zip(names, checked)))
    several = bool(desired.accounts)  # the repository names accounts: a refusal may be a wrong `account:`
    changes: list[Change] = []
    planned: list[PlannedSpace] = []
    for space in spaces:
        seen = actual[space.name]
        if isinstance(seen, SpaceReadError):  # shown with its error, planned no change: nothing was seen
            planned.append(PlannedSpace(space.name, space.cust_space_id, space.file, None,
                                        error=_read_error(space, seen, several), error_code=seen.code,
                                        line=space.source.line, account=space.account))
            continue
        changes.extend(diff_space(space, seen, env=env))
        planned.append(PlannedSpace(space.name, space.cust_space_id, space.file, seen.fingerprint(),
                                    line=space.source.line, account=space.account))
    return Plan(changes=tuple(changes), spaces=tuple(planned), desired_fingerprint=desired_fingerprint(spaces),
                preflight=preflight, calls=dict(sorted(counting.calls.items())))


#: What CAMS answers when the key's account does not own the space.
NOT_OWNED_CODE = "Unknown.ResourceOwnerId"


def _read_error(space: Space, error: SpaceReadError, several_accounts: bool) -> str:
    """The read error, saying which account's key was refused when the space is not that account's: in a
    repository that declares accounts the likely cause is the space's ``account:``, and the line says so."""
    if error.code == NOT_OWNED_CODE and several_accounts:
        return (f"{error.message} (read with account {space.account!r}: the space does not belong to it; "
                "check the space's `account:`)")
    return error.message
