"""The executor: carry out a plan's writes, one loop per space, and prove each one landed by reading again.

Each write change of the plan is an instance to bring about (its ``Address``: kind, space, number, item).
An instance is ready when every instance it depends on is finished (``Kind.depends_on``: a number's
webhooks wait for its membership, so a sync or a migration comes first; a change may turn that around
for itself, ``Kind.goes_before``: a template's unarchive comes before its edit). The loop, per space: take
the ready instances → re-read them (the space's number list and each one's own read) → plan them again
(only what still differs is written; a value to write always comes from the desired state, never from the
plan) → write (the kind's ``create``/``update``/``delete``) → re-read and plan again to verify: a change is ``done``
only if the new plan no longer calls for it. Spaces run concurrently; within a round, instances run
concurrently too, with at most ``max_in_flight`` writes started and not finished.

What the next plan must know goes into the journal (``engine.journal``): the membership kind writes ahead a
verification about to be sent (its one-time code is never sent twice), a migration verified but not
registered, a sync after which a declared number is still missing.

A write whose answer was lost or unreadable (no response after sending, a timeout, a 5xx, a 2xx that is not
JSON) may have landed. It is settled by reading, never guessed and never sent again: it is ``done`` when the
re-read shows it in effect, ``failed`` only when it does not.

A write only starts if no interruption was requested (``Interrupt``, set from SIGINT/SIGTERM by the CLI):
started writes finish, unstarted ones are reported ``skipped``. A migration's verification and registration
are one write: once a code has been accepted, the registration is sent even if an interruption arrives.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from reconciler import kinds as catalogue
from reconciler.core.answers import MalformedAnswerError
from reconciler.core.client_errors import (
    AuthenticationError,
    ClientError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
    TransportError,
)
from reconciler.core.errors import ReconcilerError
from reconciler.core.model import DesiredState, Space
from reconciler.core.plan import Address, Change, Plan
from reconciler.engine.actual import ActualSpace, SpaceReadError, fetch_actual
from reconciler.engine.counting import CountingClient
from reconciler.engine.diff import Context, diff_space
from reconciler.engine.journal import Journal
from reconciler.engine.onboarding import onboarding_records
from reconciler.engine.results import ApplyReport, ChangeResult, Outcome, WriteLedger, space_accounts
from reconciler.kinds.base import Attempt, Block, Skip, StillDiffers, Write
from reconciler.kinds.base import Outcome as KindOutcome

if TYPE_CHECKING:  # the state store is imported when a run keeps records, not for --help
    from reconciler.engine.sent_records import SentRecords

#: Failures after which further writes in the same space are pointless: the caller may not write there.
#: (Not ``Unknown.ResourceOwnerId``: CAMS also answers it for one unknown number, which says nothing about
#: the space's other numbers.)
_SPACE_FATAL = (PermissionDeniedError, NotSubscribedError, AuthenticationError)


class WriteClient(Protocol):
    """The part of ``CamsClient`` apply uses: the space's number list, and any action by name."""

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict[str, Any]]: ...

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


class Interrupt:
    """A request to start no new write, set from a signal handler (``request``) and checked before each
    write. Holds which signal asked, for the exit code (130/143) and the messages."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.signal_name: str | None = None

    def request(self, signal_name: str) -> None:
        if self.signal_name is None:
            self.signal_name = signal_name
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


ResultCallback = Callable[[ChangeResult], None]


def apply_actions() -> tuple[str, ...]:
    """Every API action apply may call (its own re-reads included): the ``policy --for apply`` document adds
    these. The number list, then each kind's reads and writes, from the catalogue."""
    actions = ["QueryChatappPhoneNumbers"]
    for kind in catalogue.kinds():
        actions += [*kind.api.read_actions(), *kind.api.apply_reads, *kind.api.write_actions()]
    return tuple(dict.fromkeys(actions))


def answer_lost(err: ClientError) -> bool:
    """The request may have run though no readable answer came back: no response after sending, a timeout,
    a 5xx, a 2xx that is not a JSON answer (a proxy's HTML page). A connection that never opened, or a call
    the run's budget never sent, sent nothing."""
    if isinstance(err, TransportError):
        return err.sent
    return isinstance(err, (ServerError, MalformedAnswerError))


@dataclass
class _Run:
    """What all spaces of one apply share (``kinds.base.Run`` for the kinds' writes)."""

    client: Any  # a CountingClient around a WriteClient
    env: Mapping[str, str]
    interrupt: Interrupt
    slots: asyncio.Semaphore
    on_result: ResultCallback | None
    journal: Journal
    ledger: WriteLedger | None = None  # told when a kind's change is sent and when it was acknowledged
    records: SentRecords | None = None  # what a recorded kind sent (the account webhook), for the next plan
    # What a result's message starts with: a lost answer already settled by a read (a verification).
    notes: dict[Address, str] = field(default_factory=dict)

    def note(self, address: Address, text: str) -> None:
        self.notes[address] = self.notes.get(address, "") + text

    async def attempt(self, call: Callable[[], Awaitable[object]]) -> Attempt:
        try:
            return Attempt(True, await call())
        except ClientError as err:
            return Attempt(False, lost=answer_lost(err), message=str(err), code=err.code, request_id=err.request_id)


def _instance(address: Address) -> Address:
    """Where an instance is read and planned: a collection's item belongs to its whole block."""
    return Address(address.kind, address.space, address.number)


@dataclass
class _SpaceRun:
    """One space's execution: planned write changes in, one ``ChangeResult`` per change out."""

    run: _Run
    space: Space
    changes: list[Change]
    results: dict[tuple[Address, Any], ChangeResult] = field(default_factory=dict)
    blocked_by: ClientError | None = None  # a refusal that makes further writes here pointless
    follow_up: list[Change] = field(default_factory=list)

    # -- bookkeeping ----------------------------------------------------------------------------------
    def finish(self, change: Change, outcome: Outcome, message: str, code: str | None = None) -> None:
        if change.key in self.results:
            return
        result = ChangeResult(change, outcome, self.run.notes.get(change.address, "") + message, code)
        self.results[change.key] = result
        if self.run.on_result is not None:
            self.run.on_result(result)

    def skip_interrupted(self, change: Change) -> None:
        self.finish(change, Outcome.SKIPPED, f"not started: apply was interrupted ({self.run.interrupt.signal_name})")

    def _waits(self, change: Change, open_: list[Change]) -> bool:
        """Whether ``change`` waits for one of ``open_`` (at its number or the space: ``catalogue.precedes``)."""
        return any((o.phone_number is None or o.phone_number == change.phone_number) and catalogue.precedes(o, change)
                   for o in open_ if o is not change)

    # -- the loop -------------------------------------------------------------------------------------
    def _ready(self, open_: list[Change]) -> list[Change]:
        """The round to run next out of ``open_``: what waits for none of them (a cycle: all of them)."""
        return [c for c in open_ if not self._waits(c, open_)] or list(open_)

    async def execute(self) -> None:
        open_ = list(self.changes)
        ready = self._ready(open_)
        seen: ActualSpace | None = None  # the last round's verifying read, when it also read this round's
        while ready:
            open_ = [c for c in open_ if c not in ready]
            following = self._ready(open_)  # the next round, known now: the verifying read covers it too
            seen = await self.round(ready, seen, following)
            ready = following

    async def round(self, ready: list[Change], seen: ActualSpace | None,
                    following: list[Change]) -> ActualSpace | None:
        """One round; returns its verifying read when that read also covers ``following`` (the next
        round's instances): written after every write of this round, it is their re-read too."""
        if self.run.interrupt.requested:  # no read for writes that will not start
            for change in ready:
                self.skip_interrupted(change)
            return None
        read = seen if seen is not None else await self.read(ready)
        if isinstance(read, SpaceReadError):
            for change in ready:
                self.finish(change, Outcome.FAILED, f"not attempted: could not read the space first "
                                                    f"({read.message})", read.code)
            return None
        again = self.replan(read)
        written = await asyncio.gather(*(self.step(c, read, again) for c in ready))
        return await self.verify([(c, w) for c, w in zip(ready, written) if w is not None], following)

    async def read(self, changes: list[Change]) -> ActualSpace | SpaceReadError:
        """The space's number list, and the own reads of the instances ``changes`` are about."""
        only = {_instance(c.address) for c in changes}
        try:
            return (await fetch_actual(self.run.client, [self.space], only=only))[self.space.name]
        except ClientError as err:  # a failure about the run (credentials, signature), not the space
            return SpaceReadError.from_exception(self.space.cust_space_id, err)

    def replan(self, seen: ActualSpace) -> dict[Address, list[Change]]:
        """The space planned again from ``seen``: its write changes by instance."""
        out: dict[Address, list[Change]] = {}
        context = Context(env=self.run.env,
                          onboarding=onboarding_records(self.run.journal, self.space, seen.numbers))
        for c in diff_space(self.space, seen, context=context):
            if c.action.writes:
                out.setdefault(_instance(c.address), []).append(c)
        return out

    def _block(self, change: Change) -> Block[Any] | None:
        kind = catalogue.registry().get(change.kind)
        return None if kind is None else kind.block_at(self.space, change.address)

    async def step(self, change: Change, seen: ActualSpace,
                   again: Mapping[Address, list[Change]]) -> tuple[bool, ClientError | None] | None:
        """Re-check one change against ``seen`` and write what still differs. Returns (written, the lost
        answer's error) when the change is to be verified, None when it already has its result."""
        kind, block = catalogue.registry().get(change.kind), self._block(change)
        if kind is None or block is None:
            what = kind.label if kind is not None else change.kind
            place = "number" if change.phone_number else "space"
            self.finish(change, Outcome.SKIPPED, f"the YAML no longer declares {what} for this {place}")
            return None
        if kind.recorder is not None:  # nothing reads it back: say what is true, and record it for the next plan
            w = Write(self.run.client, block, change, None, self.run)
            if await self.write(change, lambda: kind.update(w), []):
                self.finish(change, Outcome.DONE, self._record_sent(kind, block, change))
            return None
        number = block.number
        if kind.depends_on and number is not None and number.phone_number not in seen.numbers:
            self.finish(change, Outcome.SKIPPED, "the number is not in the space: it did not arrive by the "
                                                 "sync or migration (see that change's result)")
            return None
        current = kind.current(block, seen, Context(env=self.run.env))
        left = [c for c in again.get(block.address, []) if change.address.covers(c.address)]
        if not left:
            return False, None  # already in effect: the re-read after writing confirms it
        lost: list[ClientError] = []

        async def send() -> None:
            for todo in left:
                w = Write(self.run.client, block, todo, current, self.run)
                await {"create": kind.create, "update": kind.update, "delete": kind.delete}.get(
                    todo.action.value, kind.create)(w)

        if await self.write(change, send, lost) or lost:
            return True, (lost[0] if lost else None)
        return None

    async def write(self, change: Change, call: Callable[[], Awaitable[Any]], lost: list[ClientError]) -> bool:
        """Send one change's write unless interrupted or blocked; record a failure or the kind's own outcome.
        True when the API accepted it. A failure whose answer was lost (the write may have landed) is put in
        ``lost`` instead of recorded: the re-read decides."""
        async with self.run.slots:
            if self.run.interrupt.requested:
                self.skip_interrupted(change)
                return False
            if self.blocked_by is not None:
                self.finish(change, Outcome.SKIPPED,
                            f"not attempted: an earlier write in this space was refused ({self.blocked_by.code})")
                return False
            ledger = self.run.ledger
            if ledger is not None:
                ledger.begin(change)
            try:
                await call()
                if ledger is not None:  # at once: a second signal may abandon this task at its next await
                    ledger.acknowledge(change)
            except KindOutcome as out:
                self.finish(change, Outcome.SKIPPED if isinstance(out, Skip) else Outcome.FAILED, out.message,
                            None if isinstance(out, Skip) else out.code)
                return False
            except ClientError as err:
                if answer_lost(err):
                    lost.append(err)
                    return False
                if isinstance(err, _SPACE_FATAL):
                    self.blocked_by = err
                self.finish(change, Outcome.FAILED, str(err), err.code)
                return False
        return True

    def _record_sent(self, kind: catalogue.AnyKind, block: Block[Any], change: Change) -> str:
        assert kind.recorder is not None
        records = self.run.records
        if records is None:
            return "sent (the API accepted it; no API reads it back)"
        try:
            entry = kind.recorder.record_of(self.space, block.model, change, records.stored(kind.name, self.space))
            if entry is None:
                return "sent (the API accepted it; no API reads it back)"
            records.sent(kind.name, self.space, entry)
        except ReconcilerError as exc:  # sent all the same: the next plan offers it again, which is harmless
            return f"sent (the API accepted it; no API reads it back), but not recorded in the state store: {exc}"
        return "sent (the API accepted it; no API reads it back); recorded in the state store"

    # -- verification ---------------------------------------------------------------------------------
    def unverified(self, done: list[tuple[Change, tuple[bool, ClientError | None]]]) -> None:
        """Interrupted before the re-read: what can be said without it."""
        for change, (wrote, lost) in done:
            if lost is not None:
                self.finish(change, Outcome.FAILED, f"sent, but its answer was lost ({lost}); not re-read because "
                                                    "apply was interrupted: the next plan shows whether it landed",
                            lost.code)
                continue
            what = "written (accepted by the API)" if wrote else "in effect before writing"
            self.finish(change, Outcome.DONE, f"{what}; not re-read because apply was interrupted: the next plan "
                                              "confirms it")

    async def verify(self, done: list[tuple[Change, tuple[bool, ClientError | None]]],
                     following: list[Change]) -> ActualSpace | None:
        """Re-read what was written (or found in effect), with the instances of ``following``, and plan it
        again: a change is ``done`` only if the new plan no longer calls for it. Returns the read."""
        if not done:
            return None
        if self.run.interrupt.requested:
            self.unverified(done)
            return None
        seen = await self.read([c for c, _ in done] + following)
        if isinstance(seen, SpaceReadError):
            for change, (_, lost) in done:
                what = "sent, but its answer was lost and" if lost is not None else "written, but"
                self.finish(change, Outcome.FAILED, f"{what} the re-read to verify it failed ({seen.message}); run "
                                                    "plan to see whether it landed", seen.code)
            return None
        again = self.replan(seen)
        planned = {c.key for c in self.changes}
        for change, (wrote, lost) in done:
            kind, block = catalogue.get(change.kind), self._block(change)
            assert block is not None
            left = [c for c in again.get(block.address, []) if change.address.covers(c.address)]
            w = Write(self.run.client, block, change, kind.current(block, seen, Context(env=self.run.env)), self.run)
            try:
                note = kind.verify(w, left)
            except StillDiffers as out:
                if lost is not None:
                    self.finish(change, Outcome.FAILED, f"its answer was lost ({lost}) and the re-read shows it did "
                                                        f"not take effect: {out.message}", lost.code)
                else:
                    self.finish(change, Outcome.FAILED,
                                f"the API accepted the write but the re-read still differs: {out.message}")
                continue
            except KindOutcome as out:
                self.finish(change, Outcome.FAILED, out.message, out.code)
                continue
            if lost is not None:
                said = f"its answer was lost ({lost.code}); the re-read shows it in effect"
            elif not wrote:
                said = "already in effect (no write needed); verified by re-read"
            else:
                said = "verified by re-read"
            self.finish(change, Outcome.DONE, said + note)
            self.follow_up += [c for c in again.get(block.address, []) if c.key not in planned]
        return seen


async def apply_plan(client: WriteClient, plan: Plan, desired: DesiredState, *,
                     env: Mapping[str, str] = os.environ, interrupt: Interrupt | None = None,
                     max_in_flight: int = 8, on_result: ResultCallback | None = None,
                     calls: Counter[str] | None = None, journal: Journal | None = None,
                     ledger: WriteLedger | None = None, records: SentRecords | None = None) -> ApplyReport:
    """Carry out ``plan``'s writes, with values from ``desired``; return one result per write change.

    Refusals (safety, staleness) are checked by the caller before this is called. A space whose writes
    fail does not stop the others. Only ``ClientError`` is handled here; anything else is a bug and
    propagates. ``calls`` (optional) receives the calls made, by action, as they are made. ``journal``
    receives what the next plan must know (the caller saves it).
    """
    counting = CountingClient(client, calls)
    run = _Run(counting, env, interrupt or Interrupt(), asyncio.Semaphore(max(1, max_in_flight)), on_result,
               journal if journal is not None else Journal(None), ledger, records)
    space_runs: list[_SpaceRun] = []
    missing: list[ChangeResult] = []
    for planned in plan.spaces:
        changes = [c for c in plan.for_space(planned.name) if c.action.writes]
        if not changes:
            continue
        space = desired.space(planned.name)
        if space is None:
            missing += [ChangeResult(c, Outcome.SKIPPED, "the space is no longer declared in the YAML")
                        for c in changes]
            continue
        space_runs.append(_SpaceRun(run, space, changes))

    await asyncio.gather(*(s.execute() for s in space_runs))
    results: list[ChangeResult] = list(missing)
    follow_up: list[Change] = []
    for space_run in space_runs:
        for change in space_run.changes:  # every change ends with a result, whatever happened
            result = space_run.results.get(change.key)
            if result is None:
                result = ChangeResult(change, Outcome.SKIPPED, "not started")
            results.append(result)
        follow_up += space_run.follow_up
    results.sort(key=lambda r: r.change.sort_key)
    follow = tuple({c.key: c for c in follow_up}.values())  # by key: a change's values are not hashable
    return ApplyReport(tuple(results), run.interrupt.signal_name, follow,
                       dict(sorted(counting.calls.items())), accounts=space_accounts(plan))
