"""A number's WhatsApp business profile (``business_profile:``): read by ``QueryPhoneBusinessProfile`` for each
present number that declares one, set by ``ModifyPhoneBusinessProfile``.

Only declared fields are compared and sent: an undeclared field is not managed and stays as it is.
``websites`` compares as an ordered list of URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from reconciler.core.answers import data_object
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.normalize import normalize_email, normalize_enum, normalize_text
from reconciler.core.plan import Action
from reconciler.kinds.base import JSON, Api, Block, CallClient, Importer, Kind, Presenter, Rules, Scope, Values
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import register

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


class ProfilePresenter(Presenter):
    def reason(self, kind_label: str, names: Sequence[str], before: Mapping[str, JSON],
               after: Mapping[str, JSON]) -> str:
        return (f"business profile {', '.join(names)} {'differs' if len(names) == 1 else 'differ'} "
                "(undeclared fields are left alone)")


class ProfileImporter(Importer):
    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        block = super().block(fields, current, notes)
        if block and "vertical" in block:
            vertical = normalize_enum(block.pop("vertical")) or ""  # the schema's enum spelling
            if vertical in VERTICALS:
                block["vertical"] = vertical
            elif vertical not in UNSET_VERTICALS:  # a value WhatsApp added since: the schema would refuse it
                notes.append(f"business_profile.vertical {vertical[:40]!r} (not a vertical this version knows; "
                             "declare one of the schema's to manage it)")
        return block or None


@register
class BusinessProfileKind(Kind[BusinessProfile]):
    name = "business_profile"
    label = "business profile"
    scope = Scope.NUMBER
    model = BusinessProfile
    fields: ClassVar[tuple[Field, ...]] = (
        Field("vertical", "Vertical", compare=normalize_enum),
        Field("about", "About", compare=normalize_text),
        Field("description", "Description", compare=normalize_text),
        Field("email", "Email", compare=normalize_email),
        Field("address", "Address", compare=normalize_text),
        Field("profile_picture_url", "ProfilePictureUrl", url=True),
        Field("websites", "Websites", url=True, many=True),
    )
    api = Api(read="QueryPhoneBusinessProfile", update="ModifyPhoneBusinessProfile")
    depends_on = ("membership",)
    rules = Rules(inheritable=True)
    importer = ProfileImporter()
    # an empty profile field is shown as read ("")
    presenter = ProfilePresenter(labels={Action.UPDATE: "update-profile"}, drift=DriftKind.PROFILE, blank_as_none=False)

    async def read(self, client: CallClient, block: Block[BusinessProfile]) -> Values:
        assert block.number is not None
        cid, phone = block.space.cust_space_id, block.number.phone_number
        body = await client.call(self.api.read or "", {"CustSpaceId": cid, "PhoneNumber": phone})
        found: Values = data_object(self.api.read or "", body, self.fields, cust_space_id=cid,
                                           phone_number=phone)
        return found
