"""A number's message queues (``queues:``): assigned by the platform, so checked, never set (report only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.normalize import normalize_text
from reconciler.core.plan import Action, Change
from reconciler.kinds.base import Block, Importer, Kind, Presenter, Scope, Values
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import register


@dataclass(frozen=True)
class Queues:
    status_queue: str | None = None
    up_queue: str | None = None


@register
class QueuesKind(Kind[Queues]):
    name = "queues"
    label = "queues"
    scope = Scope.NUMBER
    model = Queues
    fields: ClassVar[tuple[Field, ...]] = (
        Field("status_queue", "StatusQueue", compare=normalize_text),
        Field("up_queue", "UpQueue", compare=normalize_text),
    )
    depends_on = ("membership",)
    importer = Importer()
    presenter = Presenter(drift=DriftKind.QUEUE)

    def plan(self, block: Block[Queues], current: Values | None) -> list[Change]:
        out: list[Change] = []
        item: Mapping[str, Any] = current or {}
        for f in self.fields:
            want = getattr(block.model, f.name)
            if current is None or want is None or f.same(want, item.get(f.api)):
                continue
            have = item.get(f.api)
            path = f"{self.name}.{f.name}"
            out.append(self.change(block, Action.DRIFT, field=path, before=have or None, after=want,
                                   reason=f"{f.api} is {have or 'empty'!s}, declared {want} (assigned by the platform: "
                                     "report only)"))
        return out
