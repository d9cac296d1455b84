"""The executor: carry out a plan's writes, then prove each one landed by reading the space again.

Per space, in this order (``Action`` order): sync → re-read → migration verification and registration →
webhook updates → profile updates → re-read and verify. Why this order: a sync may bring in numbers that
the later steps address; a migrated number must be registered before anything can be set on it; and the
re-read before writing tells which declared values still differ: only those are sent (``UpdatePhoneWebhook``
takes each URL and flag as optional), with the delivery flags only where the YAML declares them.

What the next plan must know goes into the journal (``engine.journal``): a verification about to be sent
(written ahead: saved before the code leaves, or the code is not sent), a migration verified but not
registered, and a sync after which a declared number is still missing.

A write whose answer was lost or unreadable (no response after sending, a timeout, a 5xx, a 2xx that is not
JSON) may have landed. It is settled by reading, never guessed and never sent again: a kind's change joins
the final re-read and is ``done`` when the re-read shows it in effect, ``failed`` only when it does not; a
verification is read back from the space's list and ``GetPhoneNumberVerificationStatus``; a registration
from the number's status (``PENDING`` until registered).

Values to write always come from the desired state, never from the plan. Spaces run concurrently; within a
phase, numbers run concurrently too, with at most ``max_in_flight`` writes started and not finished, so an
interruption has little in flight to wait for. The client paces the calls (rate limits, retries).

A write only starts if no interruption was requested (``Interrupt``, set from SIGINT/SIGTERM by the CLI):
started writes finish, unstarted ones are reported ``skipped``. A migration's verification and registration
are one unit: once a code has been accepted, the registration is sent even if an interruption arrives in
between, so no number is left verified but unregistered.

The verify code is read from the environment at the moment it is sent and is passed only to the client,
which never logs it; it never enters a result, a message or the plan.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from reconciler import kinds as catalogue
from reconciler.client.errors import (
    AuthenticationError,
    ClientError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
    TransportError,
)
from reconciler.client.shapes import MalformedAnswerError
from reconciler.config.model import DesiredState, Number, Space
from reconciler.core.errors import ReconcilerError
from reconciler.core.plan import Action, Change, Plan
from reconciler.engine.actual import SpaceReadError, fetch_actual, index_numbers
from reconciler.engine.counting import CountingClient
from reconciler.engine.diff import awaits_registration, diff_space
from reconciler.engine.journal import SPENT, UNREGISTERED, UNSYNCED, VERIFYING, Journal, code_digest, code_of, with_code
from reconciler.engine.results import ApplyReport, ChangeResult, Outcome, WriteLedger, space_accounts

#: The result code of a verification that did not land after its answer was lost: its code is spent.
VERIFY_CODE_SPENT = "VerifyCodeSpent"

if TYPE_CHECKING:  # the state store is imported when a run keeps records, not for --help
    from reconciler.engine.sent_records import SentRecords

#: Failures after which further writes in the same space are pointless: the caller may not write there.
#: (Not ``Unknown.ResourceOwnerId``: CAMS also answers it for one unknown number, which says nothing about
#: the space's other numbers.)
_SPACE_FATAL = (PermissionDeniedError, NotSubscribedError, AuthenticationError)



class WriteClient(Protocol):
    """The part of ``CamsClient`` apply uses: the two reads of the planner, and the writes."""

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict[str, Any]]: ...

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...

    async def sync_phone_numbers(self, cust_space_id: str) -> list[dict[str, Any]]: ...

    async def migration_verified(self, cust_space_id: str, phone_number: str, verify_code: str) -> dict[str, Any]: ...

    async def migration_register(self, cust_space_id: str, phone_number: str) -> dict[str, Any]: ...

    async def verification_status(self, cust_space_id: str, phone_number: str) -> str: ...



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
    these. Membership's own, then each kind's read and write, from the catalogue."""
    actions = ["QueryChatappPhoneNumbers", "ChatappSyncPhoneNumber", "ChatappMigrationVerified",
               "ChatappMigrationRegister", "GetPhoneNumberVerificationStatus"]
    for kind in catalogue.kinds():
        actions += [*kind.read_actions(), *kind.write_actions()]
    return tuple(dict.fromkeys(actions))


@dataclass
class _Run:
    """What all spaces of one apply share: the client, the write slots, the interruption."""

    client: Any  # a CountingClient around a WriteClient
    env: Mapping[str, str]
    interrupt: Interrupt
    slots: asyncio.Semaphore
    on_result: ResultCallback | None
    journal: Journal
    ledger: WriteLedger | None = None  # told when a kind's change is sent and when it was acknowledged
    records: SentRecords | None = None  # what a recorded kind sent (the account webhook), for the next plan


@dataclass
class _SpaceRun:
    """One space's execution: planned write changes in, one ``ChangeResult`` per change out."""

    run: _Run
    space: Space
    changes: list[Change]
    results: dict[str, ChangeResult] = field(default_factory=dict)
    # Addresses to confirm by the final re-read: the API accepted the write, or none was needed.
    to_verify: set[str] = field(default_factory=set)
    already: set[str] = field(default_factory=set)  # of those, the ones already in effect (no write made)
    blocked_by: ClientError | None = None  # a refusal that makes further writes here pointless
    # Writes whose answer was lost or unreadable, by address: the final re-read decides (``settle_by_read``).
    uncertain: dict[str, ClientError] = field(default_factory=dict)
    # What a result's message starts with: a lost answer already settled by a read (a verification).
    notes: dict[str, str] = field(default_factory=dict)
    follow_up: list[Change] = field(default_factory=list)

    # -- bookkeeping --------------------------------------------------------------------------------
    def finish(self, change: Change, outcome: Outcome, message: str, code: str | None = None) -> None:
        if change.address in self.results:
            return
        message = self.notes.get(change.address, "") + message
        result = ChangeResult(change, outcome, message, code)
        self.results[change.address] = result
        if self.run.on_result is not None:
            self.run.on_result(result)

    def mark_already(self, change: Change) -> None:
        """The re-read before writing shows ``change`` in effect: no write; the final re-read confirms."""
        self.to_verify.add(change.address)
        self.already.add(change.address)

    def skip_interrupted(self, change: Change) -> None:
        self.finish(change, Outcome.SKIPPED, f"not started: apply was interrupted ({self.run.interrupt.signal_name})")

    def settle_by_read(self, change: Change, lost: list[ClientError]) -> None:
        """A write whose answer was lost (``lost`` holds the error): the final re-read says whether it landed."""
        if lost:
            self.uncertain[change.address] = lost[0]
            self.to_verify.add(change.address)

    def open_changes(self, action: Action | None = None) -> list[Change]:
        return [c for c in self.changes if c.address not in self.results
                and c.address not in self.to_verify and (action is None or c.action is action)]

    async def write(self, change: Change, call: Callable[[], Awaitable[Any]],
                    *, check_interrupt: bool = True, on_failure: str = "",
                    lost: list[ClientError] | None = None) -> bool:
        """Send one write unless interrupted or blocked; record a failure (``on_failure`` says what it leaves
        behind). True when the API accepted it. With ``lost``, a failure whose answer was lost (the write may
        have landed: ``answer_lost``) is put there instead of recorded: the caller finds out."""
        async with self.run.slots:
            if check_interrupt and self.run.interrupt.requested:
                self.skip_interrupted(change)
                return False
            if self.blocked_by is not None:
                self.finish(change, Outcome.SKIPPED,
                            f"not attempted: an earlier write in this space was refused ({self.blocked_by.code})")
                return False
            kind_change = self.run.ledger is not None and catalogue.kind_of(change) is not None
            if kind_change:
                assert self.run.ledger is not None
                self.run.ledger.begin(change)
            try:
                await call()
                if kind_change:  # at once: a second signal may abandon this task at its next await
                    assert self.run.ledger is not None
                    self.run.ledger.acknowledge(change)
            except ClientError as err:
                if lost is not None and answer_lost(err):
                    lost.append(err)
                    return False
                if isinstance(err, _SPACE_FATAL):
                    self.blocked_by = err
                self.finish(change, Outcome.FAILED, f"{on_failure}{err}", err.code)
                return False
        return True

    # -- phases -------------------------------------------------------------------------------------
    async def execute(self) -> None:
        space = self.space
        for change in self.open_changes(Action.SYNC):
            lost: list[ClientError] = []
            if await self.write(change, lambda: self.run.client.sync_phone_numbers(space.cust_space_id), lost=lost):
                self.to_verify.add(change.address)
            self.settle_by_read(change, lost)
        if not self.open_changes():
            return
        if self.run.interrupt.requested:  # no read for writes that will not start
            for change in self.open_changes():
                self.skip_interrupted(change)
            return
        try:
            current = index_numbers(await self.run.client.query_phone_numbers(space.cust_space_id))
        except ClientError as err:
            for change in self.open_changes():
                self.finish(change, Outcome.FAILED, f"not attempted: could not read the space first ({err})",
                            err.code)
            return
        migrations = self.open_changes(Action.VERIFY_MIGRATION)
        await asyncio.gather(*(self.migrate(c, current) for c in migrations))
        await asyncio.gather(*(self.register(c, current) for c in self.open_changes(Action.REGISTER_MIGRATION)))
        migrated = {c.phone_number for c in migrations if c.address in self.to_verify}
        if any(c.phone_number in migrated for c in self.open_changes()) and not self.run.interrupt.requested:
            try:  # the pending updates of migrated numbers need their entries
                current = index_numbers(await self.run.client.query_phone_numbers(space.cust_space_id))
            except ClientError as err:
                for change in self.open_changes():
                    if change.phone_number in migrated:
                        self.finish(change, Outcome.FAILED, f"not attempted: could not re-read the space after "
                                                            f"the migration ({err})", err.code)
        for kind in catalogue.kinds():  # catalogue order: a number's webhooks before its profile
            mine = [c for c in self.open_changes() if catalogue.kind_of(c) is kind]
            await asyncio.gather(*(self.update(kind, c, current) for c in mine))

    def _number(self, change: Change) -> Number | None:
        return None if change.phone_number is None else self.space.number(change.phone_number)

    async def migrate(self, change: Change, current: Mapping[str, Mapping[str, Any]]) -> None:
        number = self._number(change)
        if number is None or number.migration is None:
            self.finish(change, Outcome.SKIPPED, "the YAML no longer declares a migration for this number")
            return
        phone = number.phone_number
        item = current.get(phone)
        if item is not None:  # verified meanwhile (a lost answer of an earlier run, or by hand): register
            if awaits_registration(item):
                await self.send_registration(change, phone)
            else:
                self.mark_already(change)
            return
        variable = number.migration.verify_code_env
        spent = self.run.journal.for_space(VERIFYING, self.space.name).get(phone)
        if spent is not None:
            self.finish(change, Outcome.SKIPPED,
                        f"a verification was sent at {spent.at} and the number is not in the space: its code is "
                        f"spent, and a one-time code is never sent twice. Have a new code sent (`cams-reconciler migration "
                        f"send-code PATH --space {self.space.name} --number {phone}`, which clears this record "
                        f"from the journal), set {variable} to it, then apply")
            return
        if not self.run.env.get(variable):
            self.finish(change, Outcome.SKIPPED,
                        f"environment variable {variable} is not set: have the code sent (`cams-reconciler "
                        f"migration send-code PATH --space {self.space.name} --number {phone}`), then apply "
                        f"with {variable} set to it")
            return
        digest = code_digest(phone, self.run.env.get(variable, ""))
        used = self.run.journal.for_space(SPENT, self.space.name).get(phone)
        if used is not None and code_of(used.detail) == digest:
            self.finish(change, Outcome.SKIPPED,
                        f"{variable} still holds the spent code (a new one was asked for at {used.at}): a "
                        f"one-time code is never sent twice. Set {variable} to the new code, then apply")
            return
        cid = self.space.cust_space_id
        # Write-ahead: the intent is on disk before the code leaves, so a crash or a SIGKILL anywhere from
        # here to the registration leaves a record the next plan settles by reading. It names the code by its
        # digest, so that once spent the code is recognised and never sent again.
        journal = self.run.journal
        journal.record(VERIFYING, self.space.name, cid, phone,
                       with_code("verification sent; outcome not confirmed", digest))
        try:
            journal.save()
        except ReconcilerError as err:
            journal.clear(VERIFYING, self.space.name, [phone])
            self.finish(change, Outcome.FAILED, f"not sent: the journal could not record the verification "
                                                f"first ({err}); the code was not used", "JournalNotWritable")
            return
        verified = await self.send_verification(change, phone, self.run.env.get(variable, ""))
        if not verified:
            return
        # Verified: register even if an interruption arrived meanwhile (one unit, nothing left half-done).
        # The code is spent: should the registration fail, the journal (and the number's PENDING status)
        # make the next plan register it.
        journal.clear(VERIFYING, self.space.name, [phone])
        journal.clear(SPENT, self.space.name, [phone])
        journal.record(UNREGISTERED, self.space.name, cid, phone, "verified; registration not confirmed")
        await self.send_registration(change, phone)

    async def send_verification(self, change: Change, phone: str, code: str) -> bool:
        """``ChatappMigrationVerified``. When its answer is lost (no response, a 5xx or a timeout after the
        request may have been sent, an unreadable 2xx), whether it landed is read back: the number in the
        space's list, else ``GetPhoneNumberVerificationStatus``. Never sent again: the code is single-use.
        If that cannot be told, the journal's ``verifying`` entry stays and the next plan reads it again."""
        cid = self.space.cust_space_id
        answers: list[ClientError] = []
        if await self.write(change, lambda: self.run.client.migration_verified(cid, phone, code), lost=answers):
            return True
        if not answers:  # refused, skipped or interrupted (recorded by write): nothing landed
            self.run.journal.clear(VERIFYING, self.space.name, [phone])
            return False
        lost = answers[0]
        status: str | None
        try:  # did it land? (outside the write slot: reads)
            if phone in index_numbers(await self.run.client.query_phone_numbers(cid)):
                status = "VERIFIED"
            else:
                status = await self.run.client.verification_status(cid, phone)
        except ClientError:
            status = None
        if status == "VERIFIED":
            self.notes[change.address] = (f"the verification's answer was lost ({lost.code}); read back: it "
                                          "landed; ")
            return True
        if status is None:
            self.finish(change, Outcome.FAILED,
                        f"the verification's answer was lost ({lost}) and whether it landed could not be read; "
                        "recorded in the journal: the next plan reads it again and shows what is left",
                        lost.code)
            return False
        self.finish(change, Outcome.FAILED,
                    f"the verification's answer was lost ({lost}) and the number is not verified "
                    f"(GetPhoneNumberVerificationStatus: {status}): it did not land. Its code is spent: have a "
                    "new one sent (`cams-reconciler migration send-code`) before the next apply",
                    VERIFY_CODE_SPENT)  # not the lost answer's code: running apply again alone cannot help
        return False

    async def send_registration(self, change: Change, phone: str) -> None:
        """``ChatappMigrationRegister`` for a verified number, sent even when interrupted (the verification
        and the registration are one unit). A lost answer is settled by reading the number's status (listed
        ``PENDING`` until registered), never by sending it again (a second call of one that landed is refused)."""
        cid = self.space.cust_space_id
        left = ("verified, but the registration failed, so the number is in the space unregistered; recorded "
                "in the journal: the next plan shows register-migration for it: ")
        lost: list[ClientError] = []
        if await self.write(change, lambda: self.run.client.migration_register(cid, phone),
                            check_interrupt=False, on_failure=left, lost=lost):
            self.registered(phone)
            self.to_verify.add(change.address)
            return
        if not lost:
            return
        try:
            item = index_numbers(await self.run.client.query_phone_numbers(cid)).get(phone)
        except ClientError as err:
            self.finish(change, Outcome.FAILED,
                        f"the registration's answer was lost ({lost[0]}) and the space could not be re-read "
                        f"({err.code}); the journal keeps it: the next plan reads whether it landed", lost[0].code)
            return
        if item is not None and not awaits_registration(item):
            self.registered(phone)
            # landed: the final re-read confirms it, and the number's pending updates follow as usual
            self.notes[change.address] = (f"the registration's answer was lost ({lost[0].code}); read back: "
                                          f"registered (Status {item.get('Status')}); ")
            self.to_verify.add(change.address)
            return
        self.finish(change, Outcome.FAILED,
                    f"the registration's answer was lost ({lost[0]}) and the re-read shows the number not "
                    "registered: it did not land; the next plan shows register-migration for it", lost[0].code)

    def registered(self, phone: str) -> None:
        self.run.journal.clear(VERIFYING, self.space.name, [phone])
        self.run.journal.clear(UNREGISTERED, self.space.name, [phone])

    async def register(self, change: Change, current: Mapping[str, Mapping[str, Any]]) -> None:
        """``register-migration``: a number verified but not registered (listed ``PENDING``, or verified by the
        verification-status read)."""
        number = self._number(change)
        if number is None or number.migration is None:
            self.finish(change, Outcome.SKIPPED, "the YAML no longer declares a migration for this number")
            return
        phone = number.phone_number
        item = current.get(phone)
        if item is not None and not awaits_registration(item):
            self.registered(phone)
            self.mark_already(change)
            return
        await self.send_registration(change, phone)

    def _record_sent(self, kind: catalogue.Kind, model: Any) -> str:
        entry = kind.record_of(self.space, model)
        if self.run.records is None or entry is None:
            return "sent (the API accepted it; no API reads it back)"
        try:
            self.run.records.sent(kind.name, self.space, entry)
        except ReconcilerError as exc:  # sent all the same: the next plan offers it again, which is harmless
            return f"sent (the API accepted it; no API reads it back), but not recorded in the state store: {exc}"
        return "sent (the API accepted it; no API reads it back); recorded in the state store"

    async def update(self, kind: catalogue.Kind, change: Change, listed: Mapping[str, Mapping[str, Any]]) -> None:
        """One change of ``kind``: re-check it against the state just read, then write only what still differs
        (a number's changes) or what the kind's change calls for (a space's)."""
        if kind.scope is catalogue.Scope.SPACE:
            model = self.space.block(kind.name)
            if model is None:
                self.finish(change, Outcome.SKIPPED, f"the YAML no longer declares {kind.label} for this space")
                return
            if kind.recorded:  # nothing reads it back: say what is true, and record it for the next plan
                if await self.write(change, lambda: kind.write_change(self.run.client, self.space, model, change)):
                    self.finish(change, Outcome.DONE, self._record_sent(kind, model))
                return
            lost: list[ClientError] = []
            if await self.write(change, lambda: kind.write_change(self.run.client, self.space, model, change),
                                lost=lost):
                self.to_verify.add(change.address)
            self.settle_by_read(change, lost)
            return
        number = self._number(change)
        model = None if number is None else number.block(kind.name)
        if number is None or model is None:
            self.finish(change, Outcome.SKIPPED, f"the YAML no longer declares {kind.label} for this number")
            return
        item = listed.get(number.phone_number)
        if item is None:
            self.finish(change, Outcome.SKIPPED, "the number is not in the space: it did not arrive by the "
                                                 "sync or migration (see that change's result)")
            return
        left: list[Change] = [change]
        current: Mapping[str, Any] | None = None
        if kind.read_action is None:  # its values are in the item just read: compare again, for free
            current = item
            left = kind.diff(self.space, number, model, item, None)
        elif change.pending:  # a number that just arrived: read it first, so only a difference is written
            try:
                current = await kind.read(self.run.client, self.space.cust_space_id, number.phone_number)
            except ClientError as err:
                self.finish(change, Outcome.FAILED, f"not attempted: could not read the {kind.label} first "
                                                    f"({err})", err.code)
                return
            left = kind.diff(self.space, number, model, item, current)
        if kind.items and change.field != kind.name:  # a collection: this change is about the item it names
            left = [c for c in left if c.field == change.field]
        if not left:
            self.mark_already(change)
            return
        # One write for a block; one per item still differing for a collection (a pending change covers the
        # whole block of a number that just arrived).
        todo = left if kind.items else left[:1]

        async def send() -> None:
            for still in todo:
                differing = list(still.before.keys()) if isinstance(still.before, Mapping) else []
                await kind.write(self.run.client, self.space.cust_space_id, number.phone_number, model,
                                 differing, current=current, change=still)

        answers: list[ClientError] = []
        if await self.write(change, send, lost=answers):
            self.to_verify.add(change.address)
        self.settle_by_read(change, answers)

    # -- verification -------------------------------------------------------------------------------
    async def verify(self) -> None:
        """Re-read the space (numbers and declared profiles) and diff again: a written change is ``done``
        only if the diff no longer calls for it."""
        pending = [c for c in self.changes if c.address in self.to_verify and c.address not in self.results]
        if not pending:
            return
        if self.run.interrupt.requested:
            for change in pending:
                if change.address in self.uncertain:
                    self.finish(change, Outcome.FAILED, f"sent, but its answer was lost ({self.uncertain[change.address]})"
                                                        "; not re-read because apply was interrupted: the next plan "
                                                        "shows whether it landed", self.uncertain[change.address].code)
                    continue
                what = "in effect before writing" if change.address in self.already else "written (accepted by the API)"
                self.finish(change, Outcome.DONE, f"{what}; not re-read because apply was interrupted: the next "
                                                  "plan confirms it")
            return
        # A kind's own read is made again only where that kind was written (a space may declare hundreds of
        # profiles); the number list is read anyway.
        written = {(k.name, c.phone_number) for c in pending if (k := catalogue.kind_of(c)) is not None}
        check = replace(self.space, numbers=tuple(
            replace(n, blocks={name: b for name, b in n.blocks.items()
                               if catalogue.get(name).read_action is None or (name, n.phone_number) in written})
            for n in self.space.numbers))
        try:
            read = (await fetch_actual(self.run.client, [check]))[check.name]
        except ClientError as err:  # a failure about the run (credentials, signature), not the space
            read = SpaceReadError.from_exception(check.cust_space_id, err)
        if isinstance(read, SpaceReadError):  # fetch_actual records a failing space instead of raising
            for change in pending:
                what = "sent, but its answer was lost and" if change.address in self.uncertain else "written, but"
                self.finish(change, Outcome.FAILED, f"{what} the re-read to verify it failed "
                                                    f"({read.message}); run plan to see whether it landed",
                            read.code)
            return
        actual = read
        remaining = diff_space(check, actual, env=self.run.env)
        still = {_key(c): c for c in remaining if c.action.writes}
        planned = {_key(c) for c in self.changes}
        for change in pending:
            left = still.get(_key(change))
            if left is None and change.action in (Action.VERIFY_MIGRATION, Action.REGISTER_MIGRATION):
                left = still.get((Action.REGISTER_MIGRATION, change.phone_number, None))  # verified, unregistered
            lost = self.uncertain.get(change.address)
            if change.action is Action.SYNC:
                self.verify_sync(change, actual.numbers, lost)
                continue
            if left is None:
                kind = catalogue.kind_of(change)
                note = kind.verified_note(change, actual.space_reads.get(kind.name)) if kind is not None else ""
                if lost is not None:
                    said = f"its answer was lost ({lost.code}); the re-read shows it in effect"
                elif change.address in self.already:
                    said = "already in effect (no write needed); verified by re-read"
                else:
                    said = "verified by re-read"
                self.finish(change, Outcome.DONE, said + note)
            elif lost is not None:
                self.finish(change, Outcome.FAILED,
                            f"its answer was lost ({lost}) and the re-read shows it did not take effect: "
                            f"{left.reason}", lost.code)
            else:
                self.finish(change, Outcome.FAILED,
                            f"the API accepted the write but the re-read still differs: {left.reason}")
        self.follow_up = [c for key, c in still.items() if key not in planned and c.action is not Action.SYNC]

    def verify_sync(self, change: Change, present: Mapping[str, Any], lost: ClientError | None = None) -> None:
        """A sync is done when the numbers it was for are in the space. Those still missing will not be
        brought in by the same sync again (not registered to the space's WABA upstream): the change fails
        once, with that reason, and the journal makes the next plan report them instead of syncing again."""
        wanted = list((change.after or {}).get("missing") or [])
        still = [p for p in wanted if p not in present]
        self.run.journal.clear(UNSYNCED, self.space.name, [p for p in wanted if p in present])
        if not still:
            self.finish(change, Outcome.DONE, "verified by re-read" if lost is None else
                        f"its answer was lost ({lost.code}); the re-read shows it in effect")
            return
        for phone in still:
            self.run.journal.record(UNSYNCED, self.space.name, self.space.cust_space_id, phone,
                                    "ChatappSyncPhoneNumber was accepted but the number did not appear")
        self.finish(change, Outcome.FAILED,
                    f"the API accepted the sync but {len(still)} declared number(s) are still not in the space: "
                    f"{', '.join(still)}. A sync only brings in numbers registered to the space's WABA; register "
                    "them there first (recorded in the journal: the next plan reports them instead of syncing "
                    "again; plan --retry-sync after registering)")


def answer_lost(err: ClientError) -> bool:
    """The request may have run though no readable answer came back: no response after sending, a timeout,
    a 5xx, a 2xx that is not a JSON answer (a proxy's HTML page). A connection that never opened, or a call
    the run's budget never sent, sent nothing."""
    if isinstance(err, TransportError):
        return err.sent
    return isinstance(err, (ServerError, MalformedAnswerError))


def _key(change: Change) -> tuple[Action, str | None, str | None]:
    """What identifies a write across two diffs of the same space: its action, number and kind (a number
    block's change may name one field in one diff and the whole block in the next); for a space-level kind,
    which holds many items (templates), its field, which names the item."""
    kind = catalogue.kind_of(change)
    if kind is None:
        return change.action, change.phone_number, None
    by_item = kind.items or kind.scope is catalogue.Scope.SPACE
    return change.action, change.phone_number, change.field if by_item else kind.name


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

    async def one(space_run: _SpaceRun) -> None:
        await space_run.execute()
        await space_run.verify()

    await asyncio.gather(*(one(s) for s in space_runs))
    results: list[ChangeResult] = list(missing)
    follow_up: list[Change] = []
    for space_run in space_runs:
        for change in space_run.changes:  # every change ends with a result, whatever happened
            result = space_run.results.get(change.address)
            if result is None:
                result = ChangeResult(change, Outcome.SKIPPED, "not started")
            results.append(result)
        follow_up += space_run.follow_up
    results.sort(key=lambda r: r.change.sort_key)
    return ApplyReport(tuple(results), run.interrupt.signal_name, tuple(follow_up),
                       dict(sorted(counting.calls.items())), accounts=space_accounts(plan))
