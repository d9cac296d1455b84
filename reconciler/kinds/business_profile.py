"""A number's WhatsApp business profile (``business_profile:``): read by ``QueryPhoneBusinessProfile`` for each
present number that declares one, set by ``ModifyPhoneBusinessProfile``.

Only declared fields are compared and sent: an undeclared field is not managed and stays as it is.
``websites`` compares as an ordered list of URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.core.normalize import normalize_email, normalize_enum, normalize_text
from reconciler.core.plan import Action
from reconciler.kinds import register
from reconciler.kinds.base import CallClient, Field, Kind, Scope

#: WhatsApp's business verticals a profile can be set to (the Cloud API's business-profile reference; the
#: JSON Schema's enum is this list, checked by tests/integration/test_import_values.py). ``UNDEFINED`` (and ``""``)
#: is what the platform shows for a profile whose vertical was never set: "not set", never declared.
VERTICALS = ("AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE", "GROCERY", "GOVT", "HOTEL",
             "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL", "RESTAURANT", "NOT_A_BIZ", "OTHER")
UNSET_VERTICALS = ("", "UNDEFINED")


@dataclass(frozen=True)
class BusinessProfile:
    vertical: str | None = None
    about: str | None = None
    description: str | None = None
    email: str | None = None
    address: str | None = None
    profile_picture_url: str | None = None
    websites: tuple[str, ...] | None = None


@register
class BusinessProfileKind(Kind):
    name = "business_profile"
    scope = Scope.NUMBER
    inheritable = True
    model = BusinessProfile
    label = "business profile"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("vertical", "Vertical", compare=normalize_enum),
        Field("about", "About", compare=normalize_text),
        Field("description", "Description", compare=normalize_text),
        Field("email", "Email", compare=normalize_email),
        Field("address", "Address", compare=normalize_text),
        Field("profile_picture_url", "ProfilePictureUrl", url=True),
        Field("websites", "Websites", url=True, many=True),
    )
    action = Action.UPDATE_PROFILE
    read_action = "QueryPhoneBusinessProfile"
    write_action = "ModifyPhoneBusinessProfile"
    drift_kind = "profile"
    blank_as_none = False  # an empty profile field is shown as read ("")

    def reason(self, names: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
        return (f"business profile {', '.join(names)} {'differs' if len(names) == 1 else 'differ'} "
                "(undeclared fields are left alone)")

    async def read(self, client: CallClient, cust_space_id: str, phone_number: str) -> Mapping[str, Any]:
        from reconciler.client import shapes  # the answer's shape is checked where it is read

        body = await client.call(self.read_action or "", {"CustSpaceId": cust_space_id,
                                                          "PhoneNumber": phone_number})
        return shapes.data_object(self.read_action or "", body, self.fields, cust_space_id=cust_space_id,
                                  phone_number=phone_number)

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        block = super().import_block(item, data)
        if block and "vertical" in block:
            vertical = normalize_enum(block.pop("vertical")) or ""  # the schema's enum spelling
            if vertical in VERTICALS:
                block["vertical"] = vertical
            elif vertical not in UNSET_VERTICALS:  # a value WhatsApp added since: the schema would refuse it
                left_out = options.get("left_out")
                if isinstance(left_out, list):
                    left_out.append(f"business_profile.vertical {vertical[:40]!r} (not a vertical this version "
                                    "knows; declare one of the schema's to manage it)")
        return block or None
