"""A number's WhatsApp business username (``username:``): read by ``GetWhatsappUserName``, set by
``UpdateWhatsappUserName``, removed by ``DeleteWhatsappUserName``.

``username: acme.support`` (or ``{name: acme.support, transfer: true}``; ``username: false`` removes it).
WhatsApp's format is checked offline (``reconciler.common.username_rules``, the table the emulator applies
too); names compare without regard to case. A name is unique across WhatsApp, and whether it is free is
known only when the write is refused (``147001``; ``147005``: another number of the same business
portfolio holds it): apply then reads ``GetWhatsappUserNameSuggestions``, reports them with the failure and
records them in the journal (``kinds.username_refusals``), so the next plan's change for that number, while
the YAML still declares that name, says when it was refused and what the platform suggested.
``transfer: true`` is the explicit opt-in that sends ``TransferAction: force_transfer``. When such a name
would be written, the plan also reads the username of every other number of the space (declared or not;
``more_reads``: no other space pays for it) and shows the change on the number that loses it: at its own
address (``space/number/username``), as unmanaged numbers are addressed, on its ``username`` line when it
declares one, else its number's line, else (a number no YAML declares) the ``transfer`` line that moves it.

The platform's statuses (the SDK lists none; WhatsApp's are ``reserved`` and ``approved``) are read without
regard to case and reported as drift against the number's ``expect.username_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from reconciler.common.username_rules import username_key
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change, Severity
from reconciler.kinds.base import (
    JSON,
    Api,
    Block,
    Importer,
    Kind,
    PlanContext,
    Presenter,
    Refuse,
    Rules,
    Scope,
    Seen,
    Values,
    Write,
)
from reconciler.kinds.fields import Field
from reconciler.kinds.onboarding_paths import settled
from reconciler.kinds.registration import register
from reconciler.kinds.username_refusals import TAKEN, USERNAME_REFUSED, Refusal, refusal


@dataclass(frozen=True)
class Username:
    name: str | None  # None: the number must have no username (``username: false``)
    transfer: bool = False


class UsernameRules(Rules):
    def build(self, model: Any, values: Any, yaml_file: str) -> object:
        """The short form (``username: acme.support``), the mapping, or ``false`` (no username)."""
        if isinstance(values, str):
            return Username(values)
        if values is False:
            return Username(None)
        return Username(str(values["name"]), bool(values.get("transfer", False)))


class UsernameImporter(Importer):
    def block(self, fields: Any, current: Values, notes: list[str], record_health: bool = False) -> dict[str, JSON] | None:
        name = current.get("Username")
        return {"name": name} if isinstance(name, str) and name.strip() else None


@register
class UsernameKind(Kind[Username]):
    name = "username"
    label = "username"
    scope = Scope.NUMBER
    model = Username
    fields: ClassVar[tuple[Field, ...]] = (Field("name", "Username"),)
    api = Api(read="GetWhatsappUserName", create="UpdateWhatsappUserName", update="UpdateWhatsappUserName",
              delete="DeleteWhatsappUserName", apply_reads=("GetWhatsappUserNameSuggestions",))
    depends_on = ("membership",)
    rules = UsernameRules()
    importer = UsernameImporter()
    presenter = Presenter(labels={Action.CREATE: "create-username", Action.UPDATE: "update-username",
                                  Action.DELETE: "delete-username"}, drift=DriftKind.SETTINGS)

    # -- read -------------------------------------------------------------------------------------------
    def more_reads(self, space: Any, listed: Mapping[str, Values], read: Mapping[str, Values]) -> list[str]:
        """Every other number of the space, when a declared ``transfer: true`` name would be written (its
        number's name, as read, is another): the one that loses it is found among them. Else none."""
        def written(b: Block[Username]) -> bool:
            have = read.get(b.number.phone_number) if b.number is not None else None
            return have is not None and b.model.name is not None and \
                username_key(str(have.get("Username") or "")) != username_key(b.model.name)

        moving = [b for b in self.blocks(space) if b.model.transfer and written(b)]
        if not moving:
            return []
        declared = {n.phone_number: n for n in space.numbers}
        return [phone for phone, item in listed.items() if phone not in read
                and (phone not in declared or settled(declared[phone], item))]

    # -- plan ---------------------------------------------------------------------------------------------
    def plan_space(self, space: Any, seen: Seen, context: PlanContext) -> list[Change]:
        out: list[Change] = []
        names = {phone: str(v.get("Username") or "") for phone, v in seen.reads.get(self.name, {}).items()}
        blocks = self.blocks(space)
        for block in blocks:
            planned = self.plan(block, self.current(block, seen, context))
            changes = [self._with_refusal(c, block, context.refused) for c in planned]
            out.extend(changes)
            model, number = block.model, block.number
            if not model.transfer or model.name is None or number is None or \
                    not any(c.action.writes for c in changes):
                continue
            for phone, held in names.items():  # the number that loses the name (``more_reads`` read them all)
                if phone != number.phone_number and held and username_key(held) == username_key(model.name):
                    out.append(self._loser(space, blocks, block, phone, held))
        return out

    def _loser(self, space: Any, blocks: list[Block[Username]], winner: Block[Username], phone: str,
               held: str) -> Change:
        """The change on the number that loses ``held`` to ``winner``'s transfer, declared or not."""
        assert winner.number is not None
        reason = (f"loses {held!r}: it moves to {winner.number.phone_number} "
                  "(transfer: true there: TransferAction force_transfer)")
        own = next((b for b in blocks if b.number is not None and b.number.phone_number == phone), None)
        if own is not None:
            return self.change(own, Action.DRIFT, field="username.transfer", before={"name": held},
                               after={"name": None}, severity=Severity.NOTICE, reason=reason)
        number = next((n for n in space.numbers if n.phone_number == phone), None)
        where = number.source_of("username") if number is not None else winner.source("username.transfer")
        if number is None:
            reason += "; this number is declared in no YAML"
        return Change(action=Action.DRIFT, kind=self.name, space=space.name, cust_space_id=space.cust_space_id,
                      phone_number=phone, field="username.transfer", before={"name": held}, after={"name": None},
                      source=where, severity=Severity.NOTICE, reason=reason)

    def _with_refusal(self, change: Change, block: Block[Username], refused: Mapping[str, Refusal]) -> Change:
        """A write of the name the last apply was refused: its reason and notes say so, with the suggestions."""
        last = refused.get(change.phone_number or "")
        want = block.model.name
        if last is None or want is None or change.action not in (Action.CREATE, Action.UPDATE) or change.pending \
                or username_key(last.name) != username_key(want):
            return change
        return replace(change, reason=f"{change.reason}; {last.sentence(block.model.transfer)}", notes=last.notes())

    def plan(self, block: Block[Username], current: Values | None) -> list[Change]:
        want = block.model.name
        if current is None:  # the number arrives with this plan: set once it is in
            if want is None:
                return []
            return [self.change(block, Action.CREATE, pending=True, after={"name": want},
                                reason="after the number is in: set its username")]
        have = str(current.get("Username") or "").strip()
        status = str(current.get("Status") or "").strip()
        if want is None:
            if not have:
                return []
            return [self.change(block, Action.DELETE, before={"name": have}, after={"name": None},
                                reason="username: false — remove it (DeleteWhatsappUserName)")]
        if have and username_key(have) == username_key(want):
            return self._status_drift(block, status)
        after: dict[str, JSON] = {"name": want}
        how = "UpdateWhatsappUserName"
        if block.model.transfer:
            after["transfer"] = True
            how += " with TransferAction force_transfer (taken from another number of the portfolio if it holds it)"
        if not have:
            return [self.change(block, Action.CREATE, after=after, reason=f"no username yet: {how}")]
        return [self.change(block, Action.UPDATE, before={"name": have}, after=after,
                            reason=f"the username differs: {how}")]

    def _status_drift(self, block: Block[Username], status: str) -> list[Change]:
        expect = block.number.block("expect") if block.number is not None else None
        wanted = getattr(expect, "username_status", None)
        if not wanted or status.lower() in {w.lower() for w in wanted}:
            return []
        return [self.change(block, Action.DRIFT, field="username.status", before={"status": status or None},
                            after={"status": list(wanted)}, source=block.number.source_of("expect.username_status")
                            if block.number is not None else None,
                            reason=f"username status {status or '(none)'} is not one of {', '.join(wanted)} "
                                   "(expect.username_status)")]

    # -- write --------------------------------------------------------------------------------------------
    async def create(self, w: Write[Username]) -> None:
        await self._set(w)

    async def update(self, w: Write[Username]) -> None:
        await self._set(w)

    async def _set(self, w: Write[Username]) -> None:
        name = w.block.model.name
        if name is None:
            raise Refuse("the YAML declares no username for this number now")
        params: dict[str, JSON] = {**w.where, "Username": name}
        if w.block.model.transfer:
            params["TransferAction"] = "force_transfer"
        sent = await w.run.attempt(lambda: w.client.call("UpdateWhatsappUserName", params))
        if sent.ok or sent.lost:  # a lost answer is settled by the re-read (verify)
            return
        why = TAKEN.get(str(sent.code))
        if why is None:
            raise Refuse(sent.message, sent.code)
        if sent.code == "147005":
            why += ": declare `transfer: true` to move it"
        found = await w.run.attempt(lambda: w.client.call("GetWhatsappUserNameSuggestions", w.where))
        data = found.value.get("Data") if found.ok and isinstance(found.value, Mapping) else None
        # API values: only well-formed usernames are kept (they cannot start a line, Markdown or a command)
        last = refusal(name, str(sent.code), data, sent.request_id)
        where = w.block.number
        if where is not None:  # the next plan shows it (the journal is saved when apply ends, on every path)
            w.run.journal.clear(USERNAME_REFUSED, w.block.space.name, [where.phone_number])  # ``at``: this one
            w.run.journal.record(USERNAME_REFUSED, w.block.space.name, w.block.space.cust_space_id,
                                 where.phone_number, last.detail())
        offer = f"; suggestions: {', '.join(last.suggestions)}" if last.suggestions else \
            "; suggestions: none" if found.ok else "; no suggestions could be read"
        raise Refuse(f"username {name!r} {why}{offer}", sent.code)

    # -- verify -------------------------------------------------------------------------------------------
    def verify(self, w: Write[Username], left: list[Change]) -> str:
        """In effect: a refusal the journal holds for this number is settled (the next plan no longer shows it)."""
        note = super().verify(w, left)
        if w.block.number is not None:
            w.run.journal.clear(USERNAME_REFUSED, w.block.space.name, [w.block.number.phone_number])
        return note
