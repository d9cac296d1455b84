"""The templates block of a space: its model, how a template compares with what the API shows, the calls.

Pure but for ``read_templates`` (the API reads). The ``templates`` kind (templates.py) plugs this into the
catalogue; docs/templates.md explains the YAML and the lifecycle.

A template is identified by name + language. Its content is in the API's own structure (``components``
as CreateChatappTemplate takes them, ``example`` the flat object of placeholder examples), so what the YAML
holds is what is sent, key for key. Review status and quality are the platform's: they are compared with
``expect`` (drift), never written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

#: The API's review states (ListChatappTemplate / GetChatappTemplateDetail ``AuditStatus``) → the names the
#: YAML and the plan use.
STATUS_NAMES = {"pass": "APPROVED", "auditing": "PENDING", "fail": "REJECTED", "paused": "PAUSED",
                "disabled": "DISABLED", "unaudit": "UNAUDITED"}
TEMPLATE_TYPE = "WHATSAPP"
#: Meta's limit of templates in a WABA of a business that is not verified; a verified business has 6,000.
DEFAULT_MAX_TEMPLATES = 250
#: How many templates one ListChatappTemplate page asks for (the API's page size is not documented beyond
#: its default of 10; the read stops on ``Total``, so a server that serves smaller pages is read right too).
PAGE_SIZE = 50
#: An approved template may be edited once in 24 hours (Meta): checked before the write.
EDIT_INTERVAL_MS = 24 * 3600 * 1000


def status_name(api_status: Any) -> str:
    """``pass`` → ``APPROVED``; an unknown value is shown as read (upper case), never an error."""
    text = str(api_status or "").strip()
    return STATUS_NAMES.get(text.lower(), text.upper() or "UNKNOWN")


@dataclass(frozen=True)
class TemplateExpect:
    status: tuple[str, ...] | None = None
    quality: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Template:
    """One declared template (lists inside ``components`` are kept as the YAML gave them)."""

    name: str
    language: str
    category: str
    components: tuple[Mapping[str, Any], ...]
    example: Mapping[str, str] | None = None
    message_send_ttl_seconds: int | None = None
    allow_category_change: bool | None = None
    expect: TemplateExpect | None = None
    #: archive (True) or unarchive (False) it; None: not managed (kinds/template_archive.py)
    archived: bool | None = None

    @property
    def key(self) -> str:
        return f"{self.name}/{self.language}"

    @property
    def flows(self) -> tuple[str, ...]:
        """The Flows its FLOW buttons name (``flow: signup``), in order."""
        return flow_names(self.components)


#: A FLOW button may name a declared Flow by its YAML name (``flow: signup``) instead of its ``FlowId``: the
#: plan puts in the id of the Flow that is that declared Flow now (docs/flows.md), and the template waits
#: for the Flow's own changes.
FLOW_KEY = "flow"


def _buttons(components: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [b for c in components if isinstance(c, Mapping) and isinstance(c.get("Buttons"), (list, tuple))
            for b in c["Buttons"] if isinstance(b, Mapping)]


def flow_names(components: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(b[FLOW_KEY]) for b in _buttons(components) if b.get(FLOW_KEY)))


_PENDING_FLOW_ID = "(the id of Flow "  # how ``pending_flow_id`` starts: ``flow_ids_pending`` looks for it


def pending_flow_id(name: str) -> str:
    """What a plan shows for the id of a Flow it creates (Terraform's "known after apply")."""
    return f"{_PENDING_FLOW_ID}{name}, known after apply)"


def with_flow_ids(t: Template, ids: Mapping[str, str | None]) -> Template:
    """``t`` with each ``flow: NAME`` button's ``FlowId`` filled in from ``ids`` (None or missing: the Flow
    does not exist yet: ``pending_flow_id``); the ``flow`` key itself is the YAML's, never sent."""
    if not t.flows:
        return t

    def button(b: Mapping[str, Any]) -> Mapping[str, Any]:
        if not b.get(FLOW_KEY):
            return b
        name = str(b[FLOW_KEY])
        out = {k: v for k, v in b.items() if k != FLOW_KEY}
        out["FlowId"] = ids.get(name) or pending_flow_id(name)
        return out

    components = tuple({**c, "Buttons": [button(b) for b in c["Buttons"]]}
                       if isinstance(c, Mapping) and isinstance(c.get("Buttons"), (list, tuple)) else c
                       for c in t.components)
    return replace(t, components=components)


def flow_ids_pending(t: Template) -> bool:
    """Some FLOW button's id is not known yet (the Flow is created by this plan's apply)."""
    return any(str(b.get("FlowId", "")).startswith(_PENDING_FLOW_ID) for b in _buttons(t.components))


#: ``prune: archive``: archive the templates no item declares instead of deleting them
PRUNE_ARCHIVE: Literal["archive"] = "archive"


@dataclass(frozen=True)
class TemplatesBlock:
    """The space's ``templates`` block. ``prune``: what happens to a template no item declares: nothing
    (False), deleted (True), archived (``"archive"``, kinds/template_archive.py)."""

    items: tuple[Template, ...] = ()
    prune: bool | Literal["archive"] = False
    expect: TemplateExpect | None = None
    max_templates: int = DEFAULT_MAX_TEMPLATES

    def get(self, key: str) -> Template | None:
        return next((t for t in self.items if t.key == key), None)

    @property
    def prune_deletes(self) -> bool:
        return self.prune is True

    @property
    def prune_archives(self) -> bool:
        return self.prune == PRUNE_ARCHIVE

    def expect_of(self, template: Template) -> TemplateExpect | None:
        return template.expect if template.expect is not None else self.expect


def _expect(value: Any) -> TemplateExpect | None:
    if not isinstance(value, Mapping):
        return None
    status, quality = value.get("status"), value.get("quality")
    return TemplateExpect(tuple(status) if status is not None else None,
                          tuple(quality) if quality is not None else None)


def build_block(values: Mapping[str, Any]) -> TemplatesBlock:
    """The model of a schema-checked ``templates`` block."""
    items = []
    for raw in values.get("items") or ():
        items.append(Template(
            name=raw["name"], language=raw["language"], category=raw["category"],
            components=tuple(raw.get("components") or ()), example=raw.get("example"),
            message_send_ttl_seconds=raw.get("message_send_ttl_seconds"),
            allow_category_change=raw.get("allow_category_change"), expect=_expect(raw.get("expect")),
            archived=raw.get("archived")))
    prune = values.get("prune", False)
    return TemplatesBlock(tuple(items), PRUNE_ARCHIVE if prune == PRUNE_ARCHIVE else prune is True,
                          _expect(values.get("expect")),
                          int(values.get("max_templates", DEFAULT_MAX_TEMPLATES)))


# --- comparison ----------------------------------------------------------------------------------------------

#: What CreateChatappTemplate's ``Components`` can carry, key for key: the SDK's request model
#: (``CreateChatappTemplateRequestComponents`` and its buttons, supported apps, cards; a test compares this
#: tree with it). GetChatappTemplateDetail answers more (a location header's ``Latitude``, a button's
#: ``ExtendAttrs``, ...): those fields are the platform's, never declared, compared, imported or sent.
_BUTTON = frozenset({"AutofillText", "CouponCode", "FlowAction", "FlowId", "IsOptOut", "NavigateScreen",
                     "PackageName", "PhoneNumber", "SignatureHash", "SupportedApps", "Text", "Type", "Url",
                     "UrlType"})
_CARD_BUTTON = ("PhoneNumber", "Text", "Type", "Url", "UrlType")
_CARD_COMPONENT: dict[str, Any] = {"Buttons": [dict.fromkeys(_CARD_BUTTON)], "Format": None, "Text": None,
                                   "Type": None, "Url": None}
SENDABLE_COMPONENT: dict[str, Any] = {
    "AddSecretRecommendation": None, "Caption": None, "CodeExpirationMinutes": None, "Duration": None,
    "FileName": None, "FileType": None, "Format": None, "HasExpiration": None, "Text": None, "ThumbUrl": None,
    "Type": None, "Url": None,
    "Buttons": [{**{k: None for k in _BUTTON}, "SupportedApps": [{"PackageName": None, "SignatureHash": None}]}],
    "Cards": [{"CardComponents": [_CARD_COMPONENT]}],
}
#: Enum-like values compared in the case the API documents (docs/emulator.md lists them): component and
#: button ``Type``, ``Format`` and ``FlowAction`` upper case, ``UrlType`` lower case. The cloud has been
#: seen to echo ``body`` for ``BODY``; the API accepts only the documented spelling, so that is what is
#: compared and what ``import`` writes.
UPPER_CASE_KEYS = frozenset({"Type", "Format", "FlowAction"})
LOWER_CASE_KEYS = frozenset({"UrlType"})


def _is_default(value: Any) -> bool:
    """A value the response model fills in for a field nobody set: null, "", [], {}, false, 0."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, list, tuple, dict)) and not value:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def clean(value: Any, shape: Any = None) -> Any:
    """Content as compared, imported and shown: the response model's defaults dropped at every level (null,
    "", [], {}, false and 0: the SDK sends an empty ``Buttons`` and ``Cards`` in every component, the cloud
    fills ``IsOptOut: false``, ``Duration: 0``, ...; each of those means "not set", as an undeclared field
    does), enum-like values in the documented case, the detail answer's ``hasExpiration`` read as the
    request's ``HasExpiration``. ``shape`` (``SENDABLE_COMPONENT`` in a list): keep only the fields the write
    can send."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            key = "HasExpiration" if k == "hasExpiration" else str(k)
            if isinstance(shape, Mapping) and key not in shape:
                continue
            v = clean(v, shape.get(key) if isinstance(shape, Mapping) else None)
            if _is_default(v):
                continue
            if isinstance(v, str) and key in UPPER_CASE_KEYS:
                v = v.strip().upper()
            elif isinstance(v, str) and key in LOWER_CASE_KEYS:
                v = v.strip().lower()
            out[key] = v
        return out
    if isinstance(value, (list, tuple)):
        item_shape = shape[0] if isinstance(shape, list) and shape else None
        return [clean(v, item_shape) for v in value]
    return value


def components_of(components: Any) -> list[Any]:
    """Components as compared: ``clean`` with only what CreateChatappTemplate can send."""
    return list(clean(list(components or []), [SENDABLE_COMPONENT]))


def _category(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text or None


def _ttl(value: Any) -> int | None:
    """The response model's TTL: 0 (its default) is none; a real TTL is 30 s or more."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value != 0 else None


def declared_content(t: Template) -> dict[str, Any]:
    """What the template's write sends, as compared: the declared fields only."""
    out: dict[str, Any] = {"category": _category(t.category), "components": components_of(t.components),
                           "example": clean(dict(t.example or {}))}
    if t.message_send_ttl_seconds is not None:
        out["message_send_ttl_seconds"] = t.message_send_ttl_seconds
    return out


def actual_content(detail: Mapping[str, Any], declared: Template | None = None) -> dict[str, Any]:
    """The same fields as read (GetChatappTemplateDetail ``Data``); the TTL only where the YAML declares it
    (or, without a declaration, where the API has one)."""
    out: dict[str, Any] = {"category": _category(detail.get("Category")),
                           "components": components_of(detail.get("Components")),
                           "example": clean(dict(detail.get("Example") or {}))}
    ttl = _ttl(detail.get("MessageSendTtlSeconds"))
    if (declared is None and ttl is not None) or (declared is not None and declared.message_send_ttl_seconds is not None):
        out["message_send_ttl_seconds"] = ttl
    return out


def differing(t: Template, detail: Mapping[str, Any]) -> list[str]:
    """The content fields (category, components, example, message_send_ttl_seconds) that differ."""
    want, have = declared_content(t), actual_content(detail, t)
    return [k for k in want if want[k] != have.get(k)]


def health_findings(expect: TemplateExpect | None, detail: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(field, actual, expected, why)`` for each expectation the template breaks. A template in review
    (PENDING) breaks no status expectation: review is a passage, and a fresh create is always in it."""
    if expect is None:
        return []
    out = []
    status = status_name(detail.get("AuditStatus"))
    if expect.status is not None and status != "PENDING" and status not in expect.status:
        reason = str(detail.get("Reason") or "").strip()
        why = f"is {status}" + (f" ({reason})" if reason else "") + f"; expected {', '.join(expect.status)}"
        out.append(("status", status, ", ".join(expect.status), why))
    quality = str(detail.get("QualityScore") or "UNKNOWN").upper()
    if expect.quality is not None and quality not in expect.quality:
        out.append(("quality", quality, ", ".join(expect.quality),
                    f"quality is {quality}; expected {', '.join(expect.quality)}"))
    return out


# --- the API calls -------------------------------------------------------------------------------------------

class CallClient(Protocol):
    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


def key_of(item: Mapping[str, Any]) -> str:
    return f"{item.get('TemplateName') or item.get('Name')}/{item.get('Language')}"


async def list_templates(client: CallClient, cust_space_id: str, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Every WhatsApp template of the space, page by page (ListChatappTemplate's ``Page`` JSON object),
    until ``Total`` are read or a page comes back empty."""
    out: list[dict[str, Any]] = []
    index = 1
    while True:
        body = await client.call("ListChatappTemplate", {"CustSpaceId": cust_space_id, "TemplateType": TEMPLATE_TYPE,
                                                         "Page": {"Index": index, "Size": page_size}})
        page = body.get("ListTemplate")
        if not isinstance(page, list):
            page = []
        out.extend(dict(p) for p in page if isinstance(p, Mapping))
        total = body.get("Total")
        if not page or not isinstance(total, int) or len(out) >= total:
            return out
        index += 1


async def detail_of(client: CallClient, cust_space_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
    body = await client.call("GetChatappTemplateDetail", {
        "CustSpaceId": cust_space_id, "TemplateCode": item.get("TemplateCode"), "Language": item.get("Language"),
        "TemplateType": TEMPLATE_TYPE})
    data = body.get("Data")
    return dict(data) if isinstance(data, Mapping) else {}


async def read_templates(client: CallClient, cust_space_id: str, wanted: Sequence[str] | None) -> dict[str, Any]:
    """``{"listed": {key: list item}, "details": {key: detail}}``: every template listed, and the details
    of ``wanted`` keys that exist (None: of every template, for import)."""
    listed = {key_of(item): item for item in await list_templates(client, cust_space_id)}
    keys = [k for k in listed if wanted is None or k in wanted]
    details = {}
    for key in keys:  # one at a time: the client paces calls anyway, and an error stops the read early
        details[key] = await detail_of(client, cust_space_id, listed[key])
    return {"listed": listed, "details": details}


def create_params(cust_space_id: str, t: Template) -> dict[str, Any]:
    """CreateChatappTemplate's parameters: the declared fields only."""
    params: dict[str, Any] = {"CustSpaceId": cust_space_id, "Name": t.name, "Language": t.language,
                              "Category": t.category, "TemplateType": TEMPLATE_TYPE,
                              "Components": [dict(c) for c in t.components]}
    if t.example:
        params["Example"] = dict(t.example)
    if t.message_send_ttl_seconds is not None:
        params["MessageSendTtlSeconds"] = t.message_send_ttl_seconds
    if t.allow_category_change is not None:
        params["AllowCategoryChange"] = t.allow_category_change
    return params


def modify_params(cust_space_id: str, t: Template, code: str, fields: Sequence[str]) -> dict[str, Any]:
    """ModifyChatappTemplate's parameters: the components always (the API requires them), the example when
    declared, the category and TTL only when they differ."""
    params: dict[str, Any] = {"CustSpaceId": cust_space_id, "TemplateCode": code, "Language": t.language,
                              "TemplateType": TEMPLATE_TYPE, "Components": [dict(c) for c in t.components]}
    if t.example:
        params["Example"] = dict(t.example)
    if "category" in fields:
        params["Category"] = t.category
    if "message_send_ttl_seconds" in fields and t.message_send_ttl_seconds is not None:
        params["MessageSendTtlSeconds"] = t.message_send_ttl_seconds
    return params


def delete_params(cust_space_id: str, code: str, language: str) -> dict[str, Any]:
    """DeleteChatappTemplate of one language (the API wants TemplateType with a Language)."""
    return {"CustSpaceId": cust_space_id, "TemplateCode": code, "Language": language, "TemplateType": TEMPLATE_TYPE}


# --- import --------------------------------------------------------------------------------------------------

def import_item(detail: Mapping[str, Any]) -> dict[str, Any]:
    """A YAML item for a template as the API shows it, which plans clean."""
    out: dict[str, Any] = {"name": detail.get("Name"), "language": detail.get("Language"),
                           "category": _category(detail.get("Category")),
                           "components": components_of(detail.get("Components"))}
    example = clean(dict(detail.get("Example") or {}))
    if example:
        out["example"] = example
    ttl = _ttl(detail.get("MessageSendTtlSeconds"))
    if ttl is not None:
        out["message_send_ttl_seconds"] = ttl
    return out
