"""A number's commerce settings (``commerce:``): whether the cart and the catalogue are shown in chats. Read by
``GetCommerceSetting`` for each present number that declares the block, set by ``UpdateCommerceSetting``.

The write needs both values (the API marks both required): a block that declares one of them sends the
declared one and the other's current value, read just before the write, so an undeclared setting stays as it
is. The platform's defaults are a cart shown and a catalogue hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.plan import Action, Change
from reconciler.kinds import register
from reconciler.kinds.base import CallClient, Field, Kind, Scope


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


@register
class CommerceKind(Kind):
    name = "commerce"
    scope = Scope.NUMBER
    inheritable = True
    model = Commerce
    label = "commerce settings"
    drift_kind = "settings"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("cart_enabled", "CartEnable", compare=as_bool),
        Field("catalog_visible", "CatalogVisible", compare=as_bool),
    )
    action = Action.UPDATE
    read_action = "GetCommerceSetting"
    write_action = "UpdateCommerceSetting"
    import_shared = True
    blank_as_none = False  # false and [] are values here, shown as read

    async def write(self, client: CallClient, cust_space_id: str, phone_number: str, model: Any,
                    differing: Iterable[str], *, current: Mapping[str, Any] | None = None,
                    change: Change | None = None) -> None:
        number = {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number}
        params = self.write_params(model, differing)
        if len(params) < len(self.fields):  # one undeclared: its current value goes with the declared one
            if current is None:  # not read by apply just now: read it here
                current = await self.read(client, cust_space_id, phone_number)
            for f in self.fields:
                if f.api not in params:
                    value = as_bool(current.get(f.api))
                    if value is None:  # never guess the other value: the write would change it
                        from reconciler.client.shapes import MalformedAnswerError

                        raise MalformedAnswerError(f"malformed answer: Data.{f.api} is not a boolean; nothing was "
                                                   "written", action=self.read_action or "",
                                                   cust_space_id=cust_space_id, phone_number=phone_number)
                    params[f.api] = value
        await client.call(self.write_action or "", {**number, **params})

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        out = {f.name: v for f in self.fields if (v := as_bool((data or {}).get(f.api))) is not None}
        if out == PLATFORM_DEFAULT:
            return None  # as the platform leaves it: declaring it would only add a read per number to each plan
        return out or None
