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

from reconciler.core.normalize import normalize_enum
from reconciler.core.plan import Action, Change
from reconciler.kinds import register
from reconciler.kinds.base import CallClient, Field, Kind, Scope, change
from reconciler.kinds.platform_values import NOT_SET_TIER, TIER_ORDER

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
class HealthKind(Kind):
    name = "health"
    scope = Scope.NUMBER
    inheritable = True
    model = Health
    label = "messaging health"
    fields: ClassVar[tuple[Field, ...]] = (Field("can_send", "CanSendMessage", compare=normalize_enum),)
    read_action = "GetWhatsappHealthStatus"
    drift_kind = "health"
    imported = False  # one more call per number, for an expectation only its owner can state

    async def read(self, client: CallClient, cust_space_id: str, phone_number: str) -> Mapping[str, Any]:
        body = await client.call(self.read_action or "", {"CustSpaceId": cust_space_id, "NodeType": "phone",
                                                          "PhoneNumber": phone_number})
        data = body.get("Data")
        return dict(data) if isinstance(data, Mapping) else {}

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        if model.can_send is None:
            return []
        data = data or {}
        have = normalize_enum(data.get("CanSendMessage"))
        path = "health.can_send"
        source = number.source_of(path)
        problems = _problems(data)
        if have not in CAN_SEND_VALUES:
            return [change(space, number, Action.DRIFT, field=path, before=have or None, after=model.can_send,
                           source=source,
                           reason=f"CanSendMessage is {have or 'empty'}, a value this version does not know: "
                                  "check the number in WhatsApp Manager" + "".join(f"; {p}" for p in problems))]
        if (have == "AVAILABLE") == model.can_send:
            return []
        expected = "AVAILABLE" if model.can_send else "LIMITED or BLOCKED"
        reason = f"CanSendMessage is {have}, expected {expected}"
        if problems:
            reason += ": " + "; ".join(problems)
        return [change(space, number, Action.DRIFT, field=path, before=have, after=model.can_send,
                       source=source, reason=reason)]

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        return None  # health is not read by import (one more call per number); declare it by hand


@register
class MarketingKind(Kind):
    name = "marketing"
    scope = Scope.NUMBER
    inheritable = True
    model = Marketing
    label = "marketing pause"
    fields: ClassVar[tuple[Field, ...]] = (Field("paused", "MarketingPaused"),)
    read_action = "GetChatappPhoneNumberSetting"
    drift_kind = "health"
    imported = False

    async def read(self, client: CallClient, cust_space_id: str, phone_number: str) -> Mapping[str, Any]:
        body = await client.call(self.read_action or "", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        model = body.get("Model")
        return dict(model) if isinstance(model, Mapping) else {}

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        if model.paused is None:
            return []
        raw = normalize_enum((data or {}).get("MarketingPaused"))
        path = "marketing.paused"
        if raw not in ("Y", "N"):
            return [change(space, number, Action.DRIFT, field=path, before=raw or None, after=model.paused,
                           source=number.source_of(path),
                           reason=f"MarketingPaused is {raw or 'empty'}, a value this version does not know")]
        paused = raw == "Y"
        if paused == model.paused:
            return []
        reason = ("marketing templates of this number are paused by WhatsApp (its quality dropped)" if paused
                  else "marketing is not paused, expected paused")
        return [change(space, number, Action.DRIFT, field=path, before=paused, after=model.paused,
                       source=number.source_of(path), reason=reason)]

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        return None


@dataclass(frozen=True)
class Portfolio:
    messaging_limit: tuple[str, ...] | None = None


@register
class PortfolioKind(Kind):
    """``portfolio: {messaging_limit: [...]}`` on a space: the business portfolio's messaging limit (since
    October 2025 WhatsApp sets it per portfolio, and the space's numbers report it). Checked against the
    tiers the space's numbers report in ``QueryChatappPhoneNumbers`` (the highest one: numbers of one
    portfolio share its limit), so it costs no call. Report only."""

    name = "portfolio"
    scope = Scope.SPACE
    model = Portfolio
    label = "business portfolio messaging limit"
    fields: ClassVar[tuple[Field, ...]] = (Field("messaging_limit", "MessagingLimitTier", compare=normalize_enum),)
    drift_kind = "health"

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        if model.messaging_limit is None:
            return []
        allowed = [str(normalize_enum(a)) for a in model.messaging_limit]
        tiers = {str(t) for n in item.get("PhoneNumbers") or ()
                 if isinstance(n, Mapping) and (t := normalize_enum(n.get("MessagingLimitTier")))}
        unknown = sorted(t for t in tiers if t not in TIER_ORDER and t != NOT_SET_TIER)
        ranked = [t for t in TIER_ORDER if t in tiers]
        path = "portfolio.messaging_limit"
        source = space.sources.get(path) or space.sources.get("portfolio") or space.source
        out: list[Change] = []
        if unknown:
            out.append(change(space, None, Action.DRIFT, field=path, before=unknown, after=allowed, source=source,
                              reason=f"the space's numbers report {', '.join(unknown)}, a tier this version does "
                                     "not know (the platform added it): check what it means"))
        if not ranked:
            if not unknown:
                out.append(change(space, None, Action.DRIFT, field=path, before=None, after=allowed, source=source,
                                  reason="no number of the space reports a messaging limit tier (all "
                                         f"{NOT_SET_TIER} or none): the portfolio's limit cannot be checked here"))
            return out
        highest = ranked[-1]
        if highest not in allowed:
            out.append(change(space, None, Action.DRIFT, field=path, before=highest, after=allowed, source=source,
                              reason=f"the business portfolio's messaging limit is {highest} (the highest tier "
                                     f"its numbers report), expected one of {', '.join(allowed)}"))
        return out
