"""``make_plan``: desired state + client → ``Plan``. The only place fetch, preflight and diff meet.

The calls made are counted here, per action, as the engine issues them (retries are the client's business
and show in its own stats): the count is part of the contract — one ``QueryChatappPhoneNumbers`` per
space, one ``QueryPhoneBusinessProfile`` per present number declaring a profile, one
``GetCustomerAccountInfo`` per account the planned spaces use, one ``GetPhoneNumberVerificationStatus`` per
migration the journal records as sent whose number the list lacks (none otherwise) — and is printed and
saved with the plan.

``client`` is one client (every space in the ambient account) or an ``AccountClients`` (``accounts.py``):
then each space is read with its account's client, side by side, and each account is checked by its own
preflight.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.client_errors import ClientError
from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.model import DesiredState, Space
from reconciler.core.plan import Change, Plan, PlannedSpace, Preflight
from reconciler.engine.accounts import AccountClients, combine_preflights
from reconciler.engine.actual import ActualSpace, SpaceReadError, fetch_actual, gather_all
from reconciler.engine.counting import CountingClient
from reconciler.engine.diff import Context, diff_space
from reconciler.engine.errors import TargetError
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.journal import SPENT, UNREGISTERED, UNSYNCED, VERIFYING, Journal
from reconciler.engine.onboarding import onboarding_records
from reconciler.engine.preflight import run_preflight
from reconciler.engine.safety import plan_blockers
from reconciler.kinds.membership import awaits_registration
from reconciler.kinds.username_refusals import USERNAME_REFUSED, refusals

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


@dataclass(frozen=True)
class AccountChecks:
    """The account checks made before planning (``check_accounts``): they name the accounts, and so the
    state-store targets and locks, before any space is read. ``make_plan`` uses them instead of checking again."""

    preflights: Mapping[str, Preflight]  # account name → its check
    calls: Mapping[str, int] = field(default_factory=dict)

    def data(self, account: str) -> Mapping[str, Any]:
        preflight = self.preflights.get(account)
        return preflight.data if preflight is not None else {}


def planned_spaces(desired: DesiredState, targets: Iterable[str] | None = None,
                   only: Iterable[str] | None = None) -> tuple[Space, ...]:
    spaces = select_spaces(desired, targets)
    if only is not None:
        keep = set(only)
        spaces = tuple(s for s in spaces if s.name in keep)
    return spaces


def _preflights(client: Any, counting: CountingClient, spaces: tuple[Space, ...]) -> tuple[list[str], list[Any]]:
    if isinstance(client, AccountClients):  # one account check per account the planned spaces use
        names = list(dict.fromkeys(s.account for s in spaces))
        return names, [run_preflight(CountingClient(client[name], counting.calls),
                                     strict=any(s.account_check == "strict" for s in spaces if s.account == name))
                       for name in names]
    return [DEFAULT_ACCOUNT], [run_preflight(counting, strict=any(s.account_check == "strict" for s in spaces))]


async def check_accounts(client: Any, desired: DesiredState, *, targets: Iterable[str] | None = None,
                         only: Iterable[str] | None = None) -> AccountChecks:
    """The account check of every account the planned spaces use (``GetCustomerAccountInfo``, once each):
    its ``Mpk`` names the account for the state store and the lock."""
    spaces = planned_spaces(desired, targets, only)
    counting = CountingClient(client)
    if not spaces:
        return AccountChecks({}, {})
    names, checks = _preflights(client, counting, spaces)
    checked = await gather_all(checks)
    return AccountChecks(dict(zip(names, checked)), dict(counting.calls))


async def make_plan(client: Any, desired: DesiredState, *, targets: Iterable[str] | None = None,
                    env: Mapping[str, str] = os.environ, progress: ProgressFn | None = None,
                    only: Iterable[str] | None = None, force: bool = False, journal: Journal | None = None,
                    retry_sync: bool = False, checked: AccountChecks | None = None,
                    recorded: Mapping[str, Mapping[str, Mapping[str, Any] | None]] | None = None,
                    observe: Callable[[str, ActualSpace], None] | None = None) -> Plan:
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

    ``checked``: the account checks already made (``check_accounts``), counted in the plan's calls and not
    made again. ``recorded``: space name → recorded kind → this target's record of what was sent
    (``engine.sent_records``).
    """
    spaces = planned_spaces(desired, targets, only)
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
    if checked is not None:
        counting.calls.update(checked.calls)
        names = list(dict.fromkeys(s.account for s in spaces)) if isinstance(client, AccountClients) else [DEFAULT_ACCOUNT]
        actual = await fetch_actual(counting, spaces, on_space_done=space_done)
        results = [checked.preflights[n] for n in names]
    else:
        names, preflights = _preflights(client, counting, spaces)
        *results, actual = await gather_all([*preflights, fetch_actual(counting, spaces, on_space_done=space_done)])
    preflight = combine_preflights(dict(zip(names, results)))
    several = bool(desired.accounts)  # the repository names accounts: a refusal may be a wrong `account:`
    elsewhere = _find_elsewhere(spaces, actual)
    journal = journal or Journal(None)
    statuses = await _settle_migrations(counting, spaces, actual, journal)
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
        verifying = {phone: e.at for phone, e in journal.for_space(VERIFYING, space.name).items()}
        context = Context(env=env, elsewhere={p: o for p, o in elsewhere.items() if o != space.name},
                          unsynced=unsynced, verifying=verifying, verification=statuses.get(space.name, {}),
                          recorded=(recorded or {}).get(space.name, {}),
                          onboarding=onboarding_records(journal, space, seen.numbers),
                          refused=refusals(journal.for_space(USERNAME_REFUSED, space.name)))
        changes.extend(diff_space(space, seen, context=context))
        present = sum(1 for n in space.numbers if n.phone_number in seen.numbers)
        planned.append(PlannedSpace(space.name, space.cust_space_id, space.file, seen.fingerprint(),
                                    line=space.source.line, account=space.account, present=present))
    plan = Plan(changes=tuple(changes), spaces=tuple(planned), desired_fingerprint=desired_fingerprint(spaces),
                preflight=preflight, calls=dict(sorted(counting.calls.items())), force=force,
                retry_sync=retry_sync)
    return dataclasses.replace(plan, blockers=plan_blockers(plan, desired, force=force))


async def _settle_migrations(client: Any, spaces: tuple[Space, ...], actual: Mapping[str, ActualSpace | SpaceReadError],
                             journal: Journal) -> dict[str, dict[str, str | None]]:
    """What the journal's migration entries (a verification sent, a registration not confirmed) leave to do,
    read, never guessed. A number the list shows registered settles its entries: they are cleared (apply
    saves the journal). A declared migration missing from the list is asked ``GetPhoneNumberVerificationStatus``
    (one read per such entry, none otherwise); the answers go to the diff (space → phone → status, ``None``
    when the read failed)."""
    statuses: dict[str, dict[str, str | None]] = {}
    reads: list[tuple[Space, str]] = []
    for space in spaces:
        seen = actual[space.name]
        if isinstance(seen, SpaceReadError):
            continue
        for phone in sorted(journal.for_space(SPENT, space.name)):  # a code remembered for a number now in
            item = seen.numbers.get(phone)
            if item is not None and not awaits_registration(item):
                journal.clear(SPENT, space.name, [phone])
        journaled = set(journal.for_space(VERIFYING, space.name)) | set(journal.for_space(UNREGISTERED, space.name))
        for phone in sorted(journaled):
            item = seen.numbers.get(phone)
            if item is not None and not awaits_registration(item):
                journal.clear(VERIFYING, space.name, [phone])
                journal.clear(UNREGISTERED, space.name, [phone])
                continue
            number = space.number(phone)
            if item is None and number is not None and number.migration is not None:
                reads.append((space, phone))

    async def read(space: Space, phone: str) -> None:
        try:
            status: str | None = await client.verification_status(space.cust_space_id, phone)
        except ClientError:
            status = None  # unknown: the diff says so, and apply sends no code while the entry stands
        statuses.setdefault(space.name, {})[phone] = status

    await gather_all([read(space, phone) for space, phone in reads])
    return statuses


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
