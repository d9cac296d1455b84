"""``import``: read a space as it is and write the desired-state YAML that describes it.

Adoption starts here: teams already have numbers. The YAML written is the format of issue 4 (version 1), and
it is chosen so that ``validate`` passes and ``plan`` right after shows no change:

- every number of the space is declared (``unmanaged_numbers: report`` then has nothing to report);
- callback URLs are written exactly as the API returns them; when every number has the same pair, the pair
  goes to the space's ``defaults`` (the common layout, and one line to change for all numbers);
- queue names are declared (they are platform-assigned: declaring them makes a change show as drift);
- the business profile's non-empty fields are declared (empty ones are left unmanaged);
- ``expect`` records health worth keeping, and only where the number has it now: status ``[CONNECTED]`` when
  connected, quality ``[GREEN, YELLOW]`` (alert on RED) when green or yellow, ``[VERIFIED]`` when verified.
  The messaging tier is not pinned: it only moves up in normal operation.

Callback URLs may carry tokens (``?token=...``): they go into the file (it is the user's own repository and
the YAML must match the space), and the caller warns, naming the numbers, never the values.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler.engine.normalize import normalize_enum, normalize_phone

_PROFILE_FIELDS = (("vertical", "Vertical"), ("about", "About"), ("description", "Description"),
                   ("email", "Email"), ("address", "Address"), ("profile_picture_url", "ProfilePictureUrl"),
                   ("websites", "Websites"))
_KEPT_QUALITY = ("GREEN", "YELLOW")


class ImportClient(Protocol):
    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict[str, Any]]: ...

    async def query_business_profile(self, cust_space_id: str, phone_number: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ImportedSpace:
    """The YAML text, and what the caller must tell the user about it (never the secret values)."""

    text: str
    numbers: int
    numbers_with_tokens: tuple[str, ...]  # callback URLs with query values or userinfo (likely tokens)
    numbers_with_http: tuple[str, ...]  # plain-http callback URLs (the YAML needs an explicit opt-in)
    # "8613800001234: Status RESTRICTED, QualityRating RED": health left out of ``expect`` (not healthy today)
    unhealthy: tuple[str, ...] = ()


async def read_space(client: ImportClient, cust_space_id: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """One ``QueryChatappPhoneNumbers`` and one ``QueryPhoneBusinessProfile`` per number, concurrently."""
    items = await client.query_phone_numbers(cust_space_id)
    phones = [str(i.get("PhoneNumber", "")) for i in items if i.get("PhoneNumber")]
    datas = await asyncio.gather(*(client.query_business_profile(cust_space_id, p) for p in phones))
    return list(items), {p: dict(d or {}) for p, d in zip(phones, datas)}


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML): safe for any text, numbers stay strings."""
    return json.dumps(value, ensure_ascii=False)


def _has_token(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?" in url
    return bool(parts.query or parts.fragment or "@" in parts.netloc)


def _is_http(url: str) -> bool:
    return url.lower().startswith("http://")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _websites(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out = [str(v).strip() for v in items if str(v).strip()]
    return out or None


def render_space_yaml(name: str, cust_space_id: str, items: Iterable[Mapping[str, Any]],
                      profiles: Mapping[str, Mapping[str, Any]], *, schema_ref: str,
                      record_health: bool = False) -> ImportedSpace:
    """The desired-state YAML for one space as read (pure: no I/O). Numbers are sorted for stable output.

    ``expect`` records only healthy values; where a number is not healthy today the value is left out and
    listed in ``unhealthy`` (the caller warns), or, with ``record_health``, recorded as it is today, so
    drift reports any further change."""
    numbers = sorted((dict(i) for i in items if i.get("PhoneNumber")),
                     key=lambda i: normalize_phone(i["PhoneNumber"]))
    pairs = {(_text(i.get("StatusCallbackUrl")), _text(i.get("UpCallbackUrl"))) for i in numbers}
    only = next(iter(pairs)) if len(pairs) == 1 and len(numbers) > 1 else None
    shared = (only[0], only[1]) if only is not None and only[0] and only[1] else None
    urls = [u for i in numbers for u in (_text(i.get("StatusCallbackUrl")), _text(i.get("UpCallbackUrl"))) if u]
    with_tokens = tuple(normalize_phone(i["PhoneNumber"]) for i in numbers
                        if any(_has_token(u) for u in (_text(i.get("StatusCallbackUrl")),
                                                       _text(i.get("UpCallbackUrl"))) if u))
    with_http = tuple(normalize_phone(i["PhoneNumber"]) for i in numbers
                      if any(_is_http(u) for u in (_text(i.get("StatusCallbackUrl")),
                                                   _text(i.get("UpCallbackUrl"))) if u))

    out = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Imported from CAMS space {cust_space_id} by `cams-reconciler import`: every number as it is now.",
        "# Review it (expect blocks record today's health), commit it, and `plan` shows no change.",
        "version: 1",
        "spaces:",
        f"  - name: {_q(name)}",
        f"    cust_space_id: {_q(cust_space_id)}",
        "    unmanaged_numbers: report",
    ]
    if any(_is_http(u) for u in urls):
        out.append("    allow_http_callbacks: true  # the space has plain-http callbacks; move them to https")
    if shared is not None:
        out += ["    defaults:", "      webhooks:",
                f"        status_callback_url: {_q(shared[0])}",
                f"        up_callback_url: {_q(shared[1])}"]
    out.append("    numbers:" if numbers else "    numbers: []")
    for item in numbers:
        out += _number_lines(item, profiles.get(str(item["PhoneNumber"])) or {}, shared is None, record_health)
    unhealthy = tuple(f"{normalize_phone(i['PhoneNumber'])}: {', '.join(f'{api} {value}' for api, value in bad)}"
                      for i in numbers if (bad := _unhealthy(i)))
    return ImportedSpace("\n".join(out) + "\n", len(numbers), with_tokens, with_http, unhealthy)


#: API field → the values ``import`` records as the expectation when the number has one of them now.
_HEALTHY = {"Status": ("CONNECTED",), "QualityRating": _KEPT_QUALITY, "CodeVerificationStatus": ("VERIFIED",)}


def _unhealthy(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The health fields with a value today that ``expect`` would not record."""
    return [(api, value) for api, kept in _HEALTHY.items()
            if (value := normalize_enum(item.get(api))) and value not in kept]


def _number_lines(item: Mapping[str, Any], profile: Mapping[str, Any], own_webhooks: bool,
                  record_health: bool = False) -> list[str]:
    phone = normalize_phone(item["PhoneNumber"])
    lines = [f"      - phone_number: {_q('+' + phone if phone.isdigit() else phone)}"]
    if own_webhooks:
        hooks = [(k, v) for k, api in (("status_callback_url", "StatusCallbackUrl"),
                                       ("up_callback_url", "UpCallbackUrl")) if (v := _text(item.get(api)))]
        if hooks:
            lines.append("        webhooks:")
            lines += [f"          {k}: {_q(v)}" for k, v in hooks]
    queues = [(k, v) for k, api in (("status_queue", "StatusQueue"), ("up_queue", "UpQueue"))
              if (v := _text(item.get(api)))]
    if queues:
        lines.append("        queues:")
        lines += [f"          {k}: {_q(v)}" for k, v in queues]
    prof: list[str] = []
    for key, api in _PROFILE_FIELDS:
        if key == "websites":
            sites = _websites(profile.get(api))
            if sites:
                prof.append("          websites:")
                prof += [f"            - {_q(s)}" for s in sites]
            continue
        value = _text(profile.get(api))
        if value is None:
            continue
        prof.append(f"          {key}: {normalize_enum(value) if key == 'vertical' else _q(value)}")
    if prof:
        lines += ["        business_profile:", *prof]
    expect: list[str] = []
    recorded = dict(_unhealthy(item)) if record_health else {}
    status = normalize_enum(item.get("Status"))
    if status == "CONNECTED":
        expect.append("          status: [CONNECTED]")
    elif "Status" in recorded:
        expect.append(f"          status: [{recorded['Status']}]  # recorded as it was at import")
    quality = normalize_enum(item.get("QualityRating"))
    if quality in _KEPT_QUALITY:
        expect.append(f"          quality_rating: [{', '.join(_KEPT_QUALITY)}]")
    elif "QualityRating" in recorded:
        expect.append(f"          quality_rating: [{recorded['QualityRating']}]  # recorded as it was at import")
    if normalize_enum(item.get("CodeVerificationStatus")) == "VERIFIED":
        expect.append("          code_verification_status: [VERIFIED]")
    elif "CodeVerificationStatus" in recorded:
        expect.append(f"          code_verification_status: [{recorded['CodeVerificationStatus']}]"
                      "  # recorded as it was at import")
    if expect:
        lines += ["        expect:", *expect]
    return lines
