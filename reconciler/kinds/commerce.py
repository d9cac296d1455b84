"""A number's commerce settings (``commerce:``): whether the cart and the catalogue are shown in chats. Read by
``GetCommerceSetting`` for each present number that declares the block, set by ``UpdateCommerceSetting``.

The write needs both values (the API marks both required): a block that declares one of them sends the
declared one and the other's current value, read just before the write, so an undeclared setting stays as it
is. The platform's defaults are a cart shown and a catalogue hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.answers import MalformedAnswerError
from reconciler.core.drift_kinds import DriftKind
from reconciler.kinds.base import JSON, Api, Importer, Kind, Presenter, Rules, Scope, Values, Write
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import register


def as_bool(value: Any) -> bool | None:
    """A boolean as the API may spell it (JSON true, "true", "True"); None when absent or not a boolean."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    return True if text == "true" else False if text == "false" else None


#: what a number has until someone changes it: the cart shown, the catalogue hidden
PLATFORM_DEFAULT = {"cart_enabled": True, "catalog_visible": False}


@dataclass(frozen=True)
class Commerce:
    cart_enabled: bool | None = None
    catalog_visible: bool | None = None


class CommerceImporter(Importer):
    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        out: dict[str, JSON] = {f.name: v for f in fields if (v := as_bool(current.get(f.api))) is not None}
        if out == PLATFORM_DEFAULT:
            return None  # as the platform leaves it: declaring it would only add a read per number to each plan
        return out or None


@register
class CommerceKind(Kind[Commerce]):
    name = "commerce"
    label = "commerce settings"
    scope = Scope.NUMBER
    model = Commerce
    fields: ClassVar[tuple[Field, ...]] = (
        Field("cart_enabled", "CartEnable", compare=as_bool),
        Field("catalog_visible", "CatalogVisible", compare=as_bool),
    )
    api = Api(read="GetCommerceSetting", update="UpdateCommerceSetting")
    depends_on = ("membership",)
    rules = Rules(inheritable=True)
    importer = CommerceImporter(shared=True)
    presenter = Presenter(drift=DriftKind.SETTINGS, blank_as_none=False)  # false and [] are values here, shown as read

    def params(self, w: Write[Commerce]) -> dict[str, JSON]:
        """The declared values, and an undeclared one as just read (the API requires both)."""
        params = super().params(w)
        for f in self.fields:
            if f.api in params:
                continue
            value = as_bool((w.current or {}).get(f.api))
            if value is None:  # never guess the other value: the write would change it
                assert w.block.number is not None
                raise MalformedAnswerError(f"malformed answer: Data.{f.api} is not a boolean; nothing was written",
                                           action=self.api.read or "", cust_space_id=w.block.space.cust_space_id,
                                           phone_number=w.block.number.phone_number)
            params[f.api] = value
        return params
