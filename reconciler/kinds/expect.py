"""The health a number must keep (``expect:``): each field is the set of acceptable values, checked against the
number's ``QueryChatappPhoneNumbers`` item. Report only: nothing the API offers fixes health.

``import`` records an expectation only where the number meets it today (status ``[CONNECTED]``, quality
``[GREEN, YELLOW]``, verification ``[VERIFIED]``; the messaging tier is not pinned: it only moves up in
normal operation), or, with ``record_health``, today's value as it is, so drift reports any further change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.normalize import normalize_enum
from reconciler.core.plan import Action, Change
from reconciler.kinds.base import JSON, Block, Importer, Kind, Presenter, Rules, Scope, Values
from reconciler.kinds.fields import Field
from reconciler.kinds.platform_values import note  # the October 2025 changes, unknown values
from reconciler.kinds.registration import register


@dataclass(frozen=True)
class Expect:
    status: tuple[str, ...] | None = None
    quality_rating: tuple[str, ...] | None = None
    messaging_limit_tier: tuple[str, ...] | None = None
    code_verification_status: tuple[str, ...] | None = None


#: The field a drift issue charts over time, and its values from best to worst (``engine.drift_issues``).
RATING_FIELD = "quality_rating"
RATING_ORDER = ("GREEN", "YELLOW", "RED")

#: field → the values ``import`` records as the expectation when the number has one of them now
_HEALTHY: Mapping[str, tuple[str, ...]] = {"status": ("CONNECTED",), "quality_rating": ("GREEN", "YELLOW"),
                                           "code_verification_status": ("VERIFIED",)}


_FIELDS = (
    Field("status", "Status", compare=normalize_enum),
    Field("quality_rating", "QualityRating", compare=normalize_enum),
    Field("messaging_limit_tier", "MessagingLimitTier", compare=normalize_enum),
    Field("code_verification_status", "CodeVerificationStatus", compare=normalize_enum),
)


def unhealthy(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(API field, value) for the health fields with a value today that ``import`` would not record."""
    out = []
    for f in _FIELDS:
        kept = _HEALTHY.get(f.name)
        value = normalize_enum(item.get(f.api))
        if kept is not None and value and value not in kept:
            out.append((f.api, value))
    return out


class ExpectImporter(Importer):
    """Records an expectation only where the number meets it today, or with ``record_health`` today's value
    (a comment says so); a health value that is not healthy today is a warning."""

    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        bad = unhealthy(current)
        record = dict(bad) if record_health else {}
        out: dict[str, JSON] = {}
        for f in fields:
            kept = _HEALTHY.get(f.name)
            if kept is None:
                continue
            value = normalize_enum(current.get(f.api))
            if value in kept:
                out[f.name] = [value] if f.name != "quality_rating" else list(kept)
            elif f.api in record:
                out[f.name] = Recorded([record[f.api]])
        return out or None

    def warnings(self, current: Values) -> list[str]:
        return [f"{api} {value}" for api, value in unhealthy(current)]


@register
class ExpectKind(Kind[Expect]):
    name = "expect"
    label = "expected health"
    scope = Scope.NUMBER
    model = Expect
    fields: ClassVar[tuple[Field, ...]] = _FIELDS
    depends_on = ("membership",)
    rules = Rules(inheritable=True)
    importer = ExpectImporter()
    presenter = Presenter(drift=DriftKind.HEALTH)

    def plan(self, block: Block[Expect], current: Values | None) -> list[Change]:
        out: list[Change] = []
        if current is None:
            return out
        for f in self.fields:
            allowed = getattr(block.model, f.name)
            if allowed is None:
                continue
            have = normalize_enum(current.get(f.api))
            if have in {normalize_enum(a) for a in allowed}:
                continue
            path = f"{self.name}.{f.name}"
            out.append(self.change(block, Action.DRIFT, field=path, before=have, after=list(allowed),
                                   reason=f"{f.api} is {have or 'empty'}, expected one of {', '.join(allowed)}"
                                     + note(f.name, f.api, have)))
        return out


class Recorded(list[str]):
    """An expectation recorded as it was at import (not healthy today): the YAML says so in a comment."""

    comment = "recorded as it was at import"
