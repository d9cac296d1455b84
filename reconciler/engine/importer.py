"""``import``: read a space as it is and describe it as desired state that plans clean (the data; the YAML
text is ``render.import_yaml``'s).

Adoption starts here: teams already have numbers. The description is chosen so that ``validate`` passes
and ``plan`` right after shows no change:

- every number of the space is declared (``unmanaged_numbers: report`` then has nothing to report);
- each kind of the catalogue (``reconciler.kinds``) says what it declares from what the API shows
  (``Kind.import_block``): callback URLs exactly as returned, queue names, the non-empty business-profile
  fields, and ``expect`` only for health the number has now;
- a block that every number has alike goes to the space's ``defaults`` where its kind says so
  (``Kind.import_shared``: the callback pair, one line to change for all numbers).

Callback URLs may carry tokens (``?token=...``): they go into the file (it is the user's own repository and
the YAML must match the space), and the caller warns, naming the numbers, never the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler import kinds as catalogue
from reconciler.core.model import Number, Space
from reconciler.core.normalize import normalize_phone
from reconciler.core.plan import Address
from reconciler.core.source import Source
from reconciler.engine.actual import gather_all
from reconciler.kinds.base import Block


class ImportClient(Protocol):
    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict[str, Any]]: ...

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ImportedSpace:
    """One space as desired state (plain data, in the YAML's shape), and what the caller must tell the user
    about it (never the secret values)."""

    name: str
    cust_space_id: str
    numbers: tuple[dict[str, Any], ...]  # each: {"phone_number": "+…", kind name: block, ...}
    defaults: dict[str, Any] = field(default_factory=dict)
    allow_http: bool = False
    numbers_with_tokens: tuple[str, ...] = ()  # URLs with query values, userinfo or a fragment (likely tokens)
    numbers_with_http: tuple[str, ...] = ()  # plain-http callback URLs (the YAML needs an explicit opt-in)
    # "8613800001234: Status RESTRICTED, QualityRating RED": health left out of ``expect`` (not healthy today)
    unhealthy: tuple[str, ...] = ()
    blocks: dict[str, Any] = field(default_factory=dict)  # space-level kinds' blocks (templates), by kind name
    # "8613800001234: business_profile.vertical 'ALCOHOL' (...)": a value read that the YAML cannot declare,
    # left out (the kind says why; values quoted, so an API value cannot start a line of its own)
    left_out: tuple[str, ...] = ()
    # "+8613800001234 business_profile.websites (a query value)": fields import --token-env-prefix left out,
    # since a reference cannot stand where their token is
    tokens_left_out: tuple[str, ...] = ()
    # files the YAML names, to write beside it (relative path → text): a Flow's JSON (``json_file``)
    files: dict[str, str] = field(default_factory=dict)


Reads = Mapping[str, Mapping[str, Mapping[str, Any]]]  # kind name → phone (as listed) → the kind's read


def _block(kind: catalogue.AnyKind, cust_space_id: str, phone: str | None) -> Block[Any]:
    """An instance of ``kind`` for a space nothing declares yet (import reads what is there)."""
    where = Source("(import)", 1)
    space = Space(cust_space_id, cust_space_id, where)
    number = None if phone is None else Number(phone, phone, where)
    return Block(Address(kind.name, cust_space_id, phone), space, number, None)


async def read_space(client: ImportClient, cust_space_id: str) -> tuple[list[dict[str, Any]], Reads]:
    """One ``QueryChatappPhoneNumbers``, then each imported number kind's read for every number, concurrently."""
    items = await client.query_phone_numbers(cust_space_id)
    phones = [str(i.get("PhoneNumber", "")) for i in items if i.get("PhoneNumber")]
    wanted = [(k, p) for k in catalogue.number_kinds() if k.api.read and k.importer is not None for p in phones]
    datas = await gather_all([k.read(client, _block(k, cust_space_id, p)) for k, p in wanted])
    reads: dict[str, dict[str, Mapping[str, Any]]] = {}
    for (kind, phone), data in zip(wanted, datas):
        reads.setdefault(kind.name, {})[phone] = dict(data or {})
    for kind in catalogue.space_kinds():  # a space-level kind's data is under the key "" (no number)
        found = await kind.importer.read_all(client, cust_space_id) if kind.importer is not None else None
        if found is not None:
            reads.setdefault(kind.name, {})[""] = dict(found)
    return list(items), reads


def _has_token(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?" in url
    return bool(parts.query or parts.fragment or "@" in parts.netloc)


def _callback_urls(kind_blocks: Mapping[str, Any]) -> list[str]:
    """Every URL the blocks hold (callback URLs, and the profile's websites): each may carry a token in a
    place every output masks (a query value, userinfo, a fragment)."""
    out: list[str] = []
    for name, block in kind_blocks.items():
        kind = catalogue.get(name)
        for f in kind.fields:
            if not (f.url and isinstance(block, Mapping) and block.get(f.name)):
                continue
            value = block[f.name]
            out.extend(str(v) for v in value) if isinstance(value, list) else out.append(str(value))
    return out


def _number_blocks(item: Mapping[str, Any], reads: Reads,
                   record_health: bool) -> tuple[dict[str, Any], list[str], list[str]]:
    """One listed number's blocks as each imported kind declares them from what it read, what was left
    out (notes) and what import warns of (health that is not healthy today)."""
    phone = str(item["PhoneNumber"])
    mine: dict[str, Any] = {}
    notes: list[str] = []
    warned: list[str] = []
    for kind in catalogue.number_kinds():
        if kind.importer is None:
            continue
        current = (reads.get(kind.name, {}).get(phone) or {}) if kind.api.read else item
        block = kind.importer.block(kind.fields, current, notes, record_health)
        if block:
            mine[kind.name] = block
        warned.extend(kind.importer.warnings(current))
    return mine, notes, warned


def import_space(name: str, cust_space_id: str, items: Iterable[Mapping[str, Any]], reads: Reads, *,
                 record_health: bool = False) -> ImportedSpace:
    """The desired state of one space as read (pure: no I/O). Numbers are sorted for stable output.

    ``expect`` records only healthy values; where a number is not healthy today the value is left out and
    listed in ``unhealthy`` (the caller warns), or, with ``record_health``, recorded as it is today, so
    drift reports any further change."""
    listed = sorted((dict(i) for i in items if i.get("PhoneNumber")), key=lambda i: normalize_phone(i["PhoneNumber"]))
    blocks: list[dict[str, Any]] = []
    left_out: list[str] = []
    unhealthy: list[str] = []
    for item in listed:
        mine, notes, warned = _number_blocks(item, reads, record_health)
        phone = normalize_phone(str(item["PhoneNumber"]))
        if warned:
            unhealthy.append(f"{phone}: {', '.join(warned)}")
        left_out.extend(f"{phone}: {note}" for note in notes)
        blocks.append(mine)
    defaults: dict[str, Any] = {}
    if len(listed) > 1:
        for kind in catalogue.number_kinds():
            if kind.importer is None or not kind.importer.shared:
                continue
            shared = kind.importer.same_everywhere(kind.fields, [b.get(kind.name) for b in blocks])
            if shared is not None:
                defaults[kind.name] = shared
                for b in blocks:
                    b.pop(kind.name, None)
    numbers = []
    for item, mine in zip(listed, blocks):
        phone = normalize_phone(item["PhoneNumber"])
        numbers.append({"phone_number": "+" + phone if phone.isdigit() else phone, **mine})
    urls_of = [(normalize_phone(i["PhoneNumber"]), _callback_urls({**defaults, **b})) for i, b in zip(listed, blocks)]
    with_tokens = tuple(p for p, urls in urls_of if any(_has_token(u) for u in urls))
    with_http = tuple(p for p, urls in urls_of if any(u.lower().startswith("http://") for u in urls))
    space_blocks: dict[str, Any] = {}
    files: dict[str, str] = {}
    for kind in catalogue.space_kinds():
        data = reads.get(kind.name, {}).get("")
        block = kind.importer.block(kind.fields, data, left_out) if kind.importer is not None and data else None
        if block is not None:
            space_blocks[kind.name] = block
            files.update(kind.importer.files(data) if kind.importer is not None and data else {})
    return ImportedSpace(name, cust_space_id, tuple(numbers), defaults, bool(with_http), with_tokens, with_http,
                         tuple(unhealthy), space_blocks, tuple(left_out), files=files)
