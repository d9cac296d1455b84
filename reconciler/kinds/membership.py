"""A number's membership of its space: the kind every number's other kinds depend on.

Its instances are the declared numbers (``Address(membership, space, phone)``) and the space's list as a
whole (``Address(membership, space)``: one sync brings in every missing number). It is created three ways:

- ``sync``: declared numbers missing from the space, with no migration and not found elsewhere → one
  ``ChatappSyncPhoneNumber`` for the space, however many are missing (it refreshes the whole space);
- ``verify-migration``: a missing number with a ``migration`` block → ``ChatappMigrationVerified`` with the
  code read from the environment when it is sent (written ahead in the journal, never sent twice), then
  ``ChatappMigrationRegister``: one unit, the registration sent even when an interruption arrives between;
- ``register-migration``: a number verified but not registered (listed ``PENDING``, or the journal records a
  verification and ``GetPhoneNumberVerificationStatus`` answers ``VERIFIED``) → ``ChatappMigrationRegister``.

Its findings: ``unmanaged`` (a number in the space no YAML declares: reported, an error, or ignored as the
space says), ``misplaced`` (a declared number found in another managed space: never moved), and ``drift``
for a number an earlier sync did not bring in (the journal says so; ``--retry-sync`` plans it again).

A write whose answer was lost is read back, never sent again: a verification by the space's list and the
verification status, a registration by the number's status, a sync by the final re-read (``verify``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from reconciler.core.digest import canonical_digest
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.errors import ReconcilerError
from reconciler.core.normalize import normalize_phone
from reconciler.core.plan import MEMBERSHIP, Action, Address, Change, Severity
from reconciler.kinds import onboarding_paths, retirement
from reconciler.kinds.base import Api, Block, Kind, PlanContext, Presenter, Refuse, Scope, Seen, Skip, Write
from reconciler.kinds.registration import register

if TYPE_CHECKING:
    from reconciler.core.model import Number, Space

# The journal's entries (``engine.journal``): what the next plan must know of membership writes.
UNREGISTERED = "unregistered"  # a migration verified (or whose verification may have landed), not registered
UNSYNCED = "unsynced"  # a sync that did not bring the number in
VERIFYING = "verifying"  # a verification about to be sent or sent, its outcome unknown: its code is spent
SPENT = "spent"  # a code sent once that did not verify the number: recognised (by digest) so it is never resent
#: How an entry's ``detail`` names the code it is about: a digest, never the code (see ``code_digest``).
_CODE_MARK = re.compile(r"\(code (sha256:[0-9a-f]{32})\)")
#: The result code of a verification that did not land after its answer was lost: its code is spent.
VERIFY_CODE_SPENT = "VerifyCodeSpent"
#: How the number list shows a number verified but not registered (``ChatappMigrationRegister`` not done).
AWAITING_REGISTRATION = "PENDING"


def code_digest(phone_number: str, code: str) -> str:
    """What the journal keeps of a one-time code it must recognise later: a SHA-256 digest, never the code.
    Only a spent code is ever recognised, and a spent code opens nothing, so the digest gives a reader of the
    store nothing to use; unkeyed, it is recognised whether or not the fingerprint key is set in a later run."""
    return "sha256:" + hashlib.sha256(f"cams-reconciler verify code|{phone_number}|{code}".encode()).hexdigest()[:32]


def with_code(detail: str, digest: str) -> str:
    return f"{detail} (code {digest})"


def code_of(detail: str) -> str | None:
    """The code digest an entry's ``detail`` names, or None."""
    found = _CODE_MARK.search(detail)
    return found.group(1) if found else None


def awaits_registration(item: Mapping[str, Any]) -> bool:
    """Whether a listed number is verified but not registered (its ``Status``; case as the API may vary)."""
    return str(item.get("Status") or "").upper() == AWAITING_REGISTRATION


def membership_basis(numbers: Iterable[str]) -> str:
    """What a sync or a migration depends on: which numbers the space holds."""
    return canonical_digest(sorted(numbers))


class MembershipPresenter(Presenter):
    def drift_of(self, change: Change) -> DriftKind | None:
        """Counted by action: missing, migration, unmanaged, misplaced (a number a sync did not bring in:
        other)."""
        return None if change.action is not Action.DRIFT else DriftKind.OTHER


@register
class MembershipKind(Kind["Number | None"]):
    name = MEMBERSHIP
    label = "membership"
    scope = Scope.NUMBER
    api = Api(reads=("QueryChatappPhoneNumbers", "GetPhoneNumberVerificationStatus"),
              apply_reads=("GetPreValidatePhoneId",),
              delete="ChatappPhoneNumberDeregister",  # retiring a number (kinds/retirement.py)
              writes=("ChatappSyncPhoneNumber", "ChatappMigrationVerified", "ChatappMigrationRegister",
                      # onboarding a brand-new number (kinds/onboarding_paths.py)
                      "AddChatappPhoneNumber", "GetChatappVerifyCode", "ChatappVerifyAndRegister",
                      "ChatappPhoneNumberRegister"))
    block = False  # declared by the numbers themselves
    importer = None  # numbers are imported by the engine's own listing
    presenter = MembershipPresenter()

    def blocks(self, space: Space) -> list[Block[Number | None]]:
        """Each declared number, and the space's list as a whole (a sync's instance: no model)."""
        whole: list[Block[Number | None]] = [Block(Address(self.name, space.name), space, None, None)]
        return whole + [Block(Address(self.name, space.name, n.phone_number), space, n, n) for n in space.numbers]

    # -- plan ---------------------------------------------------------------------------------------------
    def plan_space(self, space: Space, seen: Seen, context: PlanContext) -> list[Change]:
        numbers = seen.numbers
        basis = membership_basis(numbers)
        changes: list[Change] = []
        missing: list[Number] = []
        for block in self.blocks(space):
            number = block.model
            if number is None:
                continue
            phone = number.phone_number
            item = numbers.get(phone)
            if number.retire:  # deregistered, then expected no more (kinds/retirement.py)
                changes.extend(retirement.plan_retire(self, block, item))
                continue
            if number.onboarding is not None and phone not in context.elsewhere:  # kinds/onboarding_paths.py
                changes.extend(onboarding_paths.plan_step(self, block, item, context))
                continue
            if item is not None:
                if number.migration is not None and awaits_registration(item):
                    changes.append(self._register(block, basis, f"verified but not registered (Status "
                                                                f"{item.get('Status')})"))
                continue
            if phone in context.elsewhere:
                changes.append(self._misplaced(block, context.elsewhere[phone]))
            elif number.migration is not None and context.verification.get(phone) == "VERIFIED":
                changes.append(self._register(block, basis, "verified (GetPhoneNumberVerificationStatus: "
                                                            "VERIFIED), not yet listed or registered"))
            elif number.migration is not None:
                changes.append(self._verify(block, context, basis))
            elif phone in context.unsynced:
                changes.append(self._unsynced(block, context.unsynced[phone]))
            else:
                missing.append(number)
        if missing:
            changes.append(self._sync(space, missing, basis))
        changes.extend(self._unmanaged(space, numbers))
        return changes

    def _misplaced(self, block: Block[Number | None], other: str) -> Change:
        return self.change(block, Action.MISPLACED, field="membership", before={"space": other},
                           after={"space": block.space.name}, source=_declared(block).source,
                           reason=f"is in space {other}; numbers are not moved between spaces by this tool (declare "
                                  f"it in {other}, or move it there in the console, then plan again)")

    def _unsynced(self, block: Block[Number | None], recorded: str) -> Change:
        return self.change(block, Action.DRIFT, field="membership", before=None, after="in the space",
                           source=_declared(block).source,
                           reason=f"{recorded}; not synced again (the number must be registered to the space's "
                                  "WABA first): plan with --retry-sync to try again")

    def _register(self, block: Block[Number | None], basis: str, seen: str) -> Change:
        return self.change(block, Action.REGISTER_MIGRATION, field="migration", before="verified",
                           after="registered", source=_declared(block).source_of("migration.verify_code_env"),
                           basis=basis, reason=f"the migration was {seen}: ChatappMigrationRegister")

    def _sync(self, space: Space, missing: list[Number], basis: str) -> Change:
        ordered = sorted(missing, key=lambda n: n.source)
        phones = [n.phone_number for n in ordered]
        whole: Block[Number | None] = Block(Address(self.name, space.name), space, None, None)
        return self.change(whole, Action.SYNC, field="numbers", before=None, after={"missing": phones},
                           source=ordered[0].source, basis=basis,
                           reason=(f"{len(phones)} declared number(s) not in the space: {', '.join(phones)}; "
                                   "ChatappSyncPhoneNumber refreshes the space from WhatsApp"))

    def _verify(self, block: Block[Number | None], context: PlanContext, basis: str) -> Change:
        number = _declared(block)
        assert number.migration is not None
        var = number.migration.verify_code_env
        is_set = bool(context.env.get(var))
        spent_at = context.verifying.get(number.phone_number)
        if spent_at is not None:
            # An earlier apply sent a code (or was about to) and its outcome was lost; the read says it did not
            # land. That code is never sent again.
            status = context.verification.get(number.phone_number)
            landed = (f"did not land (GetPhoneNumberVerificationStatus: {status})" if status else
                      "has an unknown outcome (not listed, and its verification status could not be read: plan "
                      "again)")
            reason = (f"a verification sent at {spent_at} {landed}; its code is spent: have a new code sent "
                      f"(`cams-reconciler migration send-code`), set ${var} to it, then apply verifies and "
                      "registers")
        else:
            reason = (f"number not in the space and declares a migration: verify with the code from ${var} "
                      f"({'set' if is_set else 'NOT set: apply will skip it'}), then register")
        return self.change(block, Action.VERIFY_MIGRATION, field="migration", before=None,
                           after={"verify_code_env": var, "env_set": is_set}, basis=basis,
                           source=number.source_of("migration.verify_code_env"), reason=reason)

    def _unmanaged(self, space: Space, numbers: Mapping[str, Mapping[str, Any]]) -> Iterable[Change]:
        policy = space.unmanaged_numbers
        if policy == "ignore":
            return
        declared = {n.phone_number for n in space.numbers}
        if policy == "deregister":
            yield from retirement.plan_unmanaged(self, space, numbers, declared)
            return
        severity = Severity.ERROR if policy == "error" else Severity.NOTICE
        source = space.sources.get("unmanaged_numbers", space.source)
        for phone, item in numbers.items():
            if phone in declared:
                continue
            yield Change(
                action=Action.UNMANAGED, kind=self.name, space=space.name, cust_space_id=space.cust_space_id,
                phone_number=phone,
                before={k: item[api] for k, api in (("status", "Status"), ("verified_name", "VerifiedName"))
                        if item.get(api)} or None,
                after=None, source=source, severity=severity,
                reason=(f"in the space but declared in no YAML (unmanaged_numbers: {policy}"
                        + ("; blocks apply)" if policy == "error" else ")")))

    # -- create -------------------------------------------------------------------------------------------
    def block_at(self, space: Space, address: Address) -> Block[Number | None] | None:
        """Also a number no YAML declares, in a space that deregisters those (its deregistration's instance)."""
        found = super().block_at(space, address)
        if found is None and space.unmanaged_numbers == "deregister" and address.number is not None:
            return retirement.unmanaged_block(space, address.number)
        return found

    async def delete(self, w: Write[Number | None]) -> None:
        """Deregistration (``retire: true``, ``unmanaged_numbers: deregister``): kinds/retirement.py."""
        await retirement.deregister(w)

    async def create(self, w: Write[Number | None]) -> None:
        """The create path the change names: a sync, a verification (then its registration), a registration,
        or a step of onboarding a brand-new number (its item names the step)."""
        if w.change.item in onboarding_paths.ITEMS:
            await onboarding_paths.take_step(w)
            return
        if w.change.action is Action.SYNC:
            await w.client.call("ChatappSyncPhoneNumber", {"CustSpaceId": w.block.space.cust_space_id})
            return
        number = w.block.model
        if number is None or number.migration is None:
            raise Skip("the YAML no longer declares a migration for this number")
        if w.change.action is Action.VERIFY_MIGRATION:
            await self._migrate(w, number)
        else:
            await self._send_registration(w, number.phone_number)

    async def _migrate(self, w: Write[Number | None], number: Number) -> None:
        assert number.migration is not None
        space, phone, variable = w.block.space, number.phone_number, number.migration.verify_code_env
        journal, run = w.run.journal, w.run
        spent = journal.for_space(VERIFYING, space.name).get(phone)
        if spent is not None:
            raise Skip(f"a verification was sent at {spent.at} and the number is not in the space: its code is "
                       f"spent, and a one-time code is never sent twice. Have a new code sent (`cams-reconciler "
                       f"migration send-code PATH --space {space.name} --number {phone}`, which clears this record "
                       f"from the journal), set {variable} to it, then apply")
        code = run.env.get(variable, "")
        if not code:
            raise Skip(f"environment variable {variable} is not set: have the code sent (`cams-reconciler "
                       f"migration send-code PATH --space {space.name} --number {phone}`), then apply with "
                       f"{variable} set to it")
        digest = code_digest(phone, code)
        used = journal.for_space(SPENT, space.name).get(phone)
        if used is not None and code_of(used.detail) == digest:
            raise Skip(f"{variable} still holds the spent code (a new one was asked for at {used.at}): a one-time "
                       f"code is never sent twice. Set {variable} to the new code, then apply")
        # Write-ahead: the intent is on disk before the code leaves, so a crash or a SIGKILL anywhere from here
        # to the registration leaves a record the next plan settles by reading. It names the code by its
        # digest, so that once spent the code is recognised and never sent again.
        journal.record(VERIFYING, space.name, space.cust_space_id, phone,
                       with_code("verification sent; outcome not confirmed", digest))
        try:
            journal.save()
        except ReconcilerError as err:
            journal.clear(VERIFYING, space.name, [phone])
            raise Refuse(f"not sent: the journal could not record the verification first ({err}); the code was "
                         "not used", "JournalNotWritable") from None
        await self._send_verification(w, phone, code)
        # Verified: register even if an interruption arrived meanwhile (one unit, nothing left half-done).
        # The code is spent: should the registration fail, the journal (and the number's PENDING status)
        # make the next plan register it.
        journal.clear(VERIFYING, space.name, [phone])
        journal.clear(SPENT, space.name, [phone])
        journal.record(UNREGISTERED, space.name, space.cust_space_id, phone, "verified; registration not confirmed")
        await self._send_registration(w, phone)

    async def _send_verification(self, w: Write[Number | None], phone: str, code: str) -> None:
        """``ChatappMigrationVerified``. A lost answer is read back (the number in the space's list, else
        ``GetPhoneNumberVerificationStatus``), never sent again: the code is single-use. If that cannot be
        told, the journal's ``verifying`` entry stays and the next plan reads it again."""
        space = w.block.space
        params = {"CustSpaceId": space.cust_space_id, "PhoneNumber": phone, "VerifyCode": code}
        sent = await w.run.attempt(lambda: w.client.call("ChatappMigrationVerified", params))
        if sent.ok:
            return
        if not sent.lost:  # refused: nothing landed
            w.run.journal.clear(VERIFYING, space.name, [phone])
            raise Refuse(sent.message, sent.code)
        status: str | None = None  # did it land? (None: could not be read)
        listed = await _listed(w)
        if listed is not None and phone in listed:
            status = "VERIFIED"
        elif listed is not None:
            read = await w.run.attempt(lambda: w.client.call(
                "GetPhoneNumberVerificationStatus", {"CustSpaceId": space.cust_space_id, "PhoneNumber": phone}))
            found = read.value.get("Data") if read.ok and isinstance(read.value, Mapping) else None
            if isinstance(found, Mapping) and found.get("CodeVerificationStatus"):
                status = str(found["CodeVerificationStatus"]).upper()
        if status == "VERIFIED":
            w.run.note(w.block.address, f"the verification's answer was lost ({sent.code}); read back: it landed; ")
            return
        if not status:
            raise Refuse(f"the verification's answer was lost ({sent.message}) and whether it landed could not be "
                         "read; recorded in the journal: the next plan reads it again and shows what is left", sent.code)
        raise Refuse(f"the verification's answer was lost ({sent.message}) and the number is not verified "
                     f"(GetPhoneNumberVerificationStatus: {status}): it did not land. Its code is spent: have a new "
                     "one sent (`cams-reconciler migration send-code`) before the next apply",
                     VERIFY_CODE_SPENT)  # not the lost answer's code: running apply again alone cannot help

    async def _send_registration(self, w: Write[Number | None], phone: str) -> None:
        """``ChatappMigrationRegister`` for a verified number. A lost answer is settled by reading the
        number's status (listed ``PENDING`` until registered), never by sending it again."""
        space = w.block.space
        sent = await w.run.attempt(lambda: w.client.call("ChatappMigrationRegister",
                                                         {"CustSpaceId": space.cust_space_id, "PhoneNumber": phone}))
        if sent.ok:
            self._registered(w, phone)
            return
        if not sent.lost:
            raise Refuse("verified, but the registration failed, so the number is in the space unregistered; "
                         "recorded in the journal: the next plan shows register-migration for it: " + sent.message,
                         sent.code)
        listed = await _listed(w)
        if listed is None:
            raise Refuse(f"the registration's answer was lost ({sent.message}) and the space could not be re-read; "
                         "the journal keeps it: the next plan reads whether it landed", sent.code)
        item = listed.get(phone)
        if item is not None and not awaits_registration(item):
            self._registered(w, phone)
            w.run.note(w.block.address, f"the registration's answer was lost ({sent.code}); read back: registered "
                                        f"(Status {item.get('Status')}); ")
            return
        raise Refuse(f"the registration's answer was lost ({sent.message}) and the re-read shows the number not "
                     "registered: it did not land; the next plan shows register-migration for it", sent.code)

    def _registered(self, w: Write[Number | None], phone: str) -> None:
        w.run.journal.clear(VERIFYING, w.block.space.name, [phone])
        w.run.journal.clear(UNREGISTERED, w.block.space.name, [phone])

    # -- verify -------------------------------------------------------------------------------------------
    def verify(self, w: Write[Number | None], left: list[Change]) -> str:
        """A sync is done when the numbers it was for are in the space. Those still missing will not be
        brought in by the same sync again (not registered to the space's WABA upstream): the change fails
        once, with that reason, and the journal makes the next plan report them instead of syncing again."""
        if w.change.action is not Action.SYNC:
            return super().verify(w, left)
        space, current = w.block.space, dict(w.current or {})
        listed: Any = current.get("PhoneNumbers") or []
        present = {normalize_phone(str(i.get("PhoneNumber", ""))) for i in listed if isinstance(i, Mapping)}
        wanted = list((w.change.after or {}).get("missing") or [])
        still = [p for p in wanted if p not in present]
        w.run.journal.clear(UNSYNCED, space.name, [p for p in wanted if p in present])
        if not still:
            return ""
        for phone in still:
            w.run.journal.record(UNSYNCED, space.name, space.cust_space_id, phone,
                                 "ChatappSyncPhoneNumber was accepted but the number did not appear")
        raise Refuse(f"the API accepted the sync but {len(still)} declared number(s) are still not in the space: "
                     f"{', '.join(still)}. A sync only brings in numbers registered to the space's WABA; register "
                     "them there first (recorded in the journal: the next plan reports them instead of syncing "
                     "again; plan --retry-sync after registering)")


async def _listed(w: Write[Number | None]) -> dict[str, Mapping[str, Any]] | None:
    """The space's numbers by phone, read now (None: the read failed)."""
    read = await w.run.attempt(lambda: w.client.call("QueryChatappPhoneNumbers",
                                                     {"CustSpaceId": w.block.space.cust_space_id}))
    items = read.value.get("PhoneNumbers") if read.ok and isinstance(read.value, Mapping) else None
    if not isinstance(items, list):
        return None
    return {normalize_phone(str(i.get("PhoneNumber", ""))): i for i in items if isinstance(i, Mapping)}


def _declared(block: Block[Number | None]) -> Number:
    assert block.model is not None, "a number's membership block holds the number"
    return block.model
