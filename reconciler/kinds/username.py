"""A number's WhatsApp business username (``username:``): read by ``GetWhatsappUserName``, set by
``UpdateWhatsappUserName``, removed by ``DeleteWhatsappUserName``.

``username: acme.support`` (or ``{name: acme.support, transfer: true}``; ``username: false`` removes it).
WhatsApp's format is checked offline (``reconciler.common.username_rules``, the table the emulator applies
too); names compare without regard to case. A name is unique across WhatsApp, and whether it is free is
known only when the write is refused (``147001``; ``147005``: another number of the same business
portfolio holds it): apply then reads ``GetWhatsappUserNameSuggestions`` and reports them with the failure.
``transfer: true`` is the explicit opt-in that sends ``TransferAction: force_transfer``; the number that
loses the name is shown in the plan too when its name was read (it declares a username of its own).

The platform's statuses (the SDK lists none; WhatsApp's are ``reserved`` and ``approved``) are read without
regard to case and reported as drift against the number's ``expect.username_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
from reconciler.kinds.registration import register

#: the codes of a name that is not free (the platform's own: the SDK names 147005)
TAKEN = {"147001": "is taken (held outside this business portfolio)",
         "147005": "is held by another number of this business portfolio: declare `transfer: true` to move it"}


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

    # -- plan ---------------------------------------------------------------------------------------------
    def plan_space(self, space: Any, seen: Seen, context: PlanContext) -> list[Change]:
        out: list[Change] = []
        names = {phone: str(v.get("Username") or "") for phone, v in seen.reads.get(self.name, {}).items()}
        for block in self.blocks(space):
            changes = self.plan(block, self.current(block, seen, context))
            out.extend(changes)
            model, number = block.model, block.number
            if not model.transfer or model.name is None or number is None or \
                    not any(c.action.writes for c in changes):
                continue
            for phone, held in names.items():  # the number that loses the name, where its name was read
                if phone != number.phone_number and held and username_key(held) == username_key(model.name):
                    other = next(b for b in self.blocks(space) if b.number is not None and b.number.phone_number == phone)
                    out.append(self.change(other, Action.DRIFT, field="username.transfer", before={"name": held},
                                           after={"name": None}, severity=Severity.NOTICE,
                                           reason=f"loses {held!r}: it moves to {number.phone_number} "
                                                  "(transfer: true there: TransferAction force_transfer)"))
        return out

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
        found = await w.run.attempt(lambda: w.client.call("GetWhatsappUserNameSuggestions", w.where))
        data = found.value.get("Data") if found.ok and isinstance(found.value, Mapping) else None
        names = [s for s in data if isinstance(s, str)] if isinstance(data, list) else []
        offer = f"; suggestions: {', '.join(names[:5])}" if names else "; no suggestions could be read"
        raise Refuse(f"username {name!r} {why}{offer}", sent.code)
