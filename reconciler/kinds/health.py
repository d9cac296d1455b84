"""Health expectations that need a read of their own (report only, like ``expect``).

- ``health: {can_send: true}``: ``GetWhatsappHealthStatus`` (``NodeType=phone``) for each present number
  that declares it. ``true`` expects ``CanSendMessage: AVAILABLE``; ``LIMITED`` and ``BLOCKED`` are drift, shown
  with every entity's errors and possible solutions (the number, its WABA, the business portfolio).
  ``false`` expects the number not to be able to send (a number being retired).
- ``marketing: {paused: false}``: ``GetChatappPhoneNumberSetting``'s ``MarketingPaused`` for each present
  number that declares it (WhatsApp pauses marketing templates of a number whose quality drops).

Two kinds, so a number that declares one makes that read only. A value the reconciler does not know (the
platform adds them: ``CanSendMessage`` beyond the three) is a finding saying so, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.normalize import normalize_enum
from reconciler.core.plan import Action, Change
from reconciler.kinds.base import Api, Block, CallClient, Kind, Presenter, Rules, Scope, Values
from reconciler.kinds.fields import Field
from reconciler.kinds.platform_values import NOT_SET_TIER, TIER_ORDER
from reconciler.kinds.registration import register

CAN_SEND_VALUES = ("AVAILABLE", "LIMITED", "BLOCKED")


@dataclass(frozen=True)
class Health:
    can_send: bool | None = None


@dataclass(frozen=True)
class Marketing:
    paused: bool | None = None


def _problems(data: Mapping[str, Any]) -> list[str]:
    """Each entity's errors as "ENTITY: description (code) — solution", for the finding's detail."""
    out = []
    for entity in data.get("Entities") or []:
        if not isinstance(entity, Mapping):
            continue
        for error in entity.get("Errors") or []:
            if not isinstance(error, Mapping):
                continue
            text = f"{entity.get('EntityType') or 'entity'}: {error.get('ErrorDescription') or 'error'}"
            if error.get("ErrorCode"):
                text += f" ({error['ErrorCode']})"
            if error.get("PossibleSolution"):
                text += f"; possible solution: {error['PossibleSolution']}"
            out.append(text)
    return out


@register
class HealthKind(Kind[Health]):
    name = "health"
    label = "messaging health"
    scope = Scope.NUMBER
    model = Health
    fields: ClassVar[tuple[Field, ...]] = (Field("can_send", "CanSendMessage", compare=normalize_enum),)
    api = Api(read="GetWhatsappHealthStatus")
    depends_on = ("membership",)
    rules = Rules(inheritable=True)
    importer = None  # one more call per number, for an expectation only its owner can state
    presenter = Presenter(drift=DriftKind.HEALTH)

    async def read(self, client: CallClient, block: Block[Health]) -> Values:
        assert block.number is not None
        return await self._read_at(client, {"CustSpaceId": block.space.cust_space_id, "NodeType": "phone",
                                            "PhoneNumber": block.number.phone_number})

    def plan(self, block: Block[Health], current: Values | None) -> list[Change]:
        model, data = block.model, current
        if data is None:
            return []
        if model.can_send is None:
            return []
        have = normalize_enum(data.get("CanSendMessage"))
        path = "health.can_send"
        source = block.source(path)
        problems = _problems(data)
        if have not in CAN_SEND_VALUES:
            return [self.change(block, Action.DRIFT, field=path, before=have or None, after=model.can_send,
                           source=source,
                           reason=f"CanSendMessage is {have or 'empty'}, a value this version does not know: "
                                  "check the number in WhatsApp Manager" + "".join(f"; {p}" for p in problems))]
        if (have == "AVAILABLE") == model.can_send:
            return []
        expected = "AVAILABLE" if model.can_send else "LIMITED or BLOCKED"
        reason = f"CanSendMessage is {have}, expected {expected}"
        if problems:
            reason += ": " + "; ".join(problems)
        return [self.change(block, Action.DRIFT, field=path, before=have, after=model.can_send,
                       source=source, reason=reason)]


@register
class MarketingKind(Kind[Marketing]):
    name = "marketing"
    label = "marketing pause"
    scope = Scope.NUMBER
    model = Marketing
    fields: ClassVar[tuple[Field, ...]] = (Field("paused", "MarketingPaused"),)
    api = Api(read="GetChatappPhoneNumberSetting")
    depends_on = ("membership",)
    rules = Rules(inheritable=True)
    importer = None
    presenter = Presenter(drift=DriftKind.HEALTH)

    async def read(self, client: CallClient, block: Block[Marketing]) -> Values:
        assert block.number is not None
        body = await client.call(self.api.read or "", {"CustSpaceId": block.space.cust_space_id,
                                                       "PhoneNumber": block.number.phone_number})
        model = body.get("Model")
        return dict(model) if isinstance(model, Mapping) else {}

    def plan(self, block: Block[Marketing], current: Values | None) -> list[Change]:
        model, data = block.model, current
        if data is None:
            return []
        if model.paused is None:
            return []
        raw = normalize_enum(data.get("MarketingPaused"))
        path = "marketing.paused"
        if raw not in ("Y", "N"):
            return [self.change(block, Action.DRIFT, field=path, before=raw or None, after=model.paused,
                           source=block.source(path),
                           reason=f"MarketingPaused is {raw or 'empty'}, a value this version does not know")]
        paused = raw == "Y"
        if paused == model.paused:
            return []
        reason = ("marketing templates of this number are paused by WhatsApp (its quality dropped)" if paused
                  else "marketing is not paused, expected paused")
        return [self.change(block, Action.DRIFT, field=path, before=paused, after=model.paused,
                       source=block.source(path), reason=reason)]


@dataclass(frozen=True)
class Portfolio:
    messaging_limit: tuple[str, ...] | None = None


@register
class PortfolioKind(Kind[Portfolio]):
    """``portfolio: {messaging_limit: [...]}`` on a space: the business portfolio's messaging limit (since
    October 2025 WhatsApp sets it per portfolio, and the space's numbers report it). Checked against the
    tiers the space's numbers report in ``QueryChatappPhoneNumbers`` (the highest one: numbers of one
    portfolio share its limit), so it costs no call. Report only."""

    name = "portfolio"
    label = "business portfolio messaging limit"
    scope = Scope.SPACE
    model = Portfolio
    fields: ClassVar[tuple[Field, ...]] = (Field("messaging_limit", "MessagingLimitTier", compare=normalize_enum),)
    importer = None
    presenter = Presenter(drift=DriftKind.HEALTH)

    def plan(self, block: Block[Portfolio], current: Values | None) -> list[Change]:
        model, data = block.model, current
        if data is None:
            return []
        if model.messaging_limit is None:
            return []
        allowed = [str(normalize_enum(a)) for a in model.messaging_limit]
        listed: Any = dict(data).get("PhoneNumbers") or []
        tiers = {str(t) for n in listed
                 if isinstance(n, Mapping) and (t := normalize_enum(n.get("MessagingLimitTier")))}
        unknown = sorted(t for t in tiers if t not in TIER_ORDER and t != NOT_SET_TIER)
        ranked = [t for t in TIER_ORDER if t in tiers]
        path = "portfolio.messaging_limit"
        source = block.source(path)
        out: list[Change] = []
        if unknown:
            out.append(self.change(block, Action.DRIFT, field=path, before=unknown, after=allowed, source=source,
                              reason=f"the space's numbers report {', '.join(unknown)}, a tier this version does "
                                     "not know (the platform added it): check what it means"))
        if not ranked:
            if not unknown:
                out.append(self.change(block, Action.DRIFT, field=path, before=None, after=allowed, source=source,
                                  reason="no number of the space reports a messaging limit tier (all "
                                         f"{NOT_SET_TIER} or none): the portfolio's limit cannot be checked here"))
            return out
        highest = ranked[-1]
        if highest not in allowed:
            out.append(self.change(block, Action.DRIFT, field=path, before=highest, after=allowed, source=source,
                              reason=f"the business portfolio's messaging limit is {highest} (the highest tier "
                                     f"its numbers report), expected one of {', '.join(allowed)}"))
        return out
