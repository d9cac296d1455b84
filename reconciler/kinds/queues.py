"""A number's message queues (``queues:``): assigned by the platform, so checked, never set (report only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.normalize import normalize_text
from reconciler.core.plan import Action, Change
from reconciler.kinds import register
from reconciler.kinds.base import Field, Kind, Scope, change


@dataclass(frozen=True)
class Queues:
    status_queue: str | None = None
    up_queue: str | None = None


@register
class QueuesKind(Kind):
    name = "queues"
    scope = Scope.NUMBER
    model = Queues
    label = "queues"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("status_queue", "StatusQueue", compare=normalize_text),
        Field("up_queue", "UpQueue", compare=normalize_text),
    )
    drift_kind = "queue"

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        out: list[Change] = []
        for f in self.differing(model, item):
            have, want = item.get(f.api), getattr(model, f.name)
            path = f"{self.name}.{f.name}"
            out.append(change(space, number, Action.DRIFT, field=path, before=have or None, after=want,
                              source=number.source_of(path),
                              reason=f"{f.api} is {have or 'empty'!s}, declared {want} (assigned by the platform: "
                                     "report only)"))
        return out
