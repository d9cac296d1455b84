"""The shape of each answer the engine reads, checked before anything uses it.

A successful answer (``Code: OK``) is still only data from the network: a proxy, a server bug or an API
change can send ``PhoneNumbers: "…"``, ``[null]``, a profile ``Data`` that is a list, or
``HostingStatus: ["FREEZE"]``. Reading such an answer loosely is worse than failing: a missing or null
``PhoneNumbers`` read as ``[]`` makes a populated space look empty (and a sync gets planned), two items for
one number merge silently, and a list where a string belongs slips past the frozen-account check.

So each typed read declares what it needs and ``MalformedAnswerError`` (``reconciler.core.answers``; an ``ApiError``: the engine records
the space as unreadable in a plan, and the change as failed in apply) names the action, the field (with its
index) and the request id. Fields the engine does not read are not judged: the API may add fields freely.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.client.actions import get_action
from reconciler.core.answers import fail, kind_name, text_fields
from reconciler.core.client_errors import CallPlace

#: ``GetCustomerAccountInfo`` ``Data`` fields the account check reads.
ACCOUNT_TEXT_FIELDS = ("HostingStatus", "CreditLimitStatus", "AccountType")


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone).removeprefix("00")


def phone_numbers(action: str, body: Mapping[str, Any], cust_space_id: str | None = None) -> list[dict[str, Any]]:
    """``PhoneNumbers``: a list (present: a missing list is not an empty space) of objects, each with a
    non-empty ``PhoneNumber`` string, the read fields strings or null, and no number twice."""
    where = CallPlace(cust_space_id=cust_space_id)
    items = body.get("PhoneNumbers")
    if not isinstance(items, list):
        problem = "is missing" if "PhoneNumbers" not in body else f"is {kind_name(items)}, expected a list"
        raise fail(action, body, "PhoneNumbers", problem + " (not read as an empty space)", **where)
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        prefix = f"PhoneNumbers[{i}]"
        if not isinstance(item, dict):
            raise fail(action, body, prefix, f"is {kind_name(item)}, expected an object", **where)
        phone = item.get("PhoneNumber")
        if not isinstance(phone, str) or not phone.strip():
            raise fail(action, body, f"{prefix}.PhoneNumber",
                        "is missing" if phone is None else f"is {kind_name(phone)}, expected a non-empty string", **where)
        text_fields(action, body, item, f"{prefix}.", get_action(action).answer_text, **where)
        key = _digits(phone) or phone.strip()
        if key in seen:
            raise fail(action, body, f"{prefix}.PhoneNumber",
                        f"repeats PhoneNumbers[{seen[key]}] (number {key} listed twice; not merged)", **where)
        seen[key] = i
        out.append(item)
    return out


def account_info(action: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``Data``: an object; the statuses the frozen check reads are strings or null, ``IsCertified`` a
    boolean or null (a list holding ``FREEZE`` must not read as "not frozen")."""
    data = body.get("Data")
    if not isinstance(data, dict):
        raise fail(action, body, "Data", "is missing" if "Data" not in body else f"is {kind_name(data)}, expected an object")
    text_fields(action, body, data, "Data.", ACCOUNT_TEXT_FIELDS)
    certified = data.get("IsCertified")
    if certified is not None and not isinstance(certified, bool):
        raise fail(action, body, "Data.IsCertified", f"is {kind_name(certified)}, expected a boolean")
    return dict(data)


def verification_status(action: str, body: Mapping[str, Any], cust_space_id: str | None = None,
                        phone_number: str | None = None) -> str:
    """``Data.CodeVerificationStatus``: a non-empty string (upper-cased). Judged strictly: it decides whether
    a verification is sent again, so an answer that does not say is an error, never "not verified"."""
    where = CallPlace(cust_space_id=cust_space_id, phone_number=phone_number)
    data = body.get("Data")
    if not isinstance(data, dict):
        raise fail(action, body, "Data", "is missing" if "Data" not in body else f"is {kind_name(data)}, expected an object",
                    **where)
    text_fields(action, body, data, "Data.", get_action(action).answer_text, **where)
    status = data.get("CodeVerificationStatus")
    if not isinstance(status, str) or not status.strip():
        raise fail(action, body, "Data.CodeVerificationStatus", "is missing or empty", **where)
    return status.strip().upper()


def username(action: str, body: Mapping[str, Any], cust_space_id: str | None = None,
             phone_number: str | None = None) -> dict[str, str]:
    """``Data{Username, Status}`` of ``GetWhatsappUserName``: an object (or absent / null: no username) whose
    two fields are strings or null. ``{}`` when the number has no username; a status is kept as written (the
    SDK lists none: the kind reads it without regard to case)."""
    where = CallPlace(cust_space_id=cust_space_id, phone_number=phone_number)
    data = body.get("Data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise fail(action, body, "Data", f"is {kind_name(data)}, expected an object", **where)
    text_fields(action, body, data, "Data.", get_action(action).answer_text, **where)
    name = (data.get("Username") or "").strip()
    return {"Username": name, "Status": (data.get("Status") or "").strip()} if name else {}


def name_list(action: str, body: Mapping[str, Any], cust_space_id: str | None = None,
              phone_number: str | None = None) -> list[str]:
    """``Data`` as a list of strings (``GetWhatsappUserNameSuggestions``); absent or null: none."""
    where = CallPlace(cust_space_id=cust_space_id, phone_number=phone_number)
    data = body.get("Data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise fail(action, body, "Data", f"is {kind_name(data)}, expected a list", **where)
    for i, item in enumerate(data):
        if not isinstance(item, str):
            raise fail(action, body, f"Data[{i}]", f"is {kind_name(item)}, expected a string", **where)
    return [item for item in data if item.strip()]


def write_data(body: Mapping[str, Any]) -> dict[str, Any]:
    """``Data`` of a write's answer. Apply never reads it (it re-reads the space to prove a write), so an odd
    shape is not an error here: failing a write the API acknowledged would misreport it as not landed."""
    data = body.get("Data")
    return dict(data) if isinstance(data, dict) else {}


def write_numbers(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``PhoneNumbers`` of ``ChatappSyncPhoneNumber``'s answer: unread by apply, for the same reason."""
    items = body.get("PhoneNumbers")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
