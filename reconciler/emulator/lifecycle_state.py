"""The emulator state of a number's life (issue 26): onboarding codes, business usernames, pre-validated
numbers. Validation and the shapes shared by the loader (``state.py``) and the actions (``lifecycle.py``,
``usernames.py``), so a state file holds exactly what the API could have produced and a snapshot loads again.

Sections of a space, in the API's field names where the API has one:

- ``verify_codes``: phone number → ``{Sends: [{Code, Method, Locale, SentAt}], WrongAttempts}``: every
  registration code GetChatappVerifyCode "sent" (the test hook ``sent_verify_codes`` reads them), the last
  one the valid one until it expires or is used up. ``SentAt`` (ms) left out means "as the state loads", so
  an example state's code is fresh whenever it is used.
- ``usernames``: phone number → ``{Username, Status}`` (what GetWhatsappUserName answers).
- ``taken_usernames``: names held by businesses outside the emulated accounts: UpdateWhatsappUserName
  refuses them as not available.
- ``username_suggestions``: phone number → the names GetWhatsappUserNameSuggestions answers (without it,
  suggestions are derived from the number's display name).

And of an account (beside ``keys``, ``account``, ``spaces``):

- ``prevalidated_numbers``: ``[{PhoneNumber, VerifyCode, PhoneNumberId}]``: numbers bought pre-validated,
  with the purchase code GetPreValidatePhoneId checks.

This module imports nothing of the reconciler but its leaf of shared rules (``reconciler.common``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Collection, Mapping
from typing import Any

from reconciler.common.username_rules import username_key, username_problems
from reconciler.emulator.state_invalid import Path_, StateInvalid, mapping

LIFECYCLE_SPACE_FIELDS = frozenset({"verify_codes", "usernames", "taken_usernames", "username_suggestions"})
PREVALIDATED_FIELD = "prevalidated_numbers"
_SEND_FIELDS = frozenset({"Code", "Method", "Locale", "SentAt"})
_CODES_FIELDS = frozenset({"Sends", "WrongAttempts"})
_USERNAME_FIELDS = frozenset({"Username", "Status"})
_PREVALIDATED_FIELDS = frozenset({"PhoneNumber", "VerifyCode", "PhoneNumberId"})



def _text(value: Any, path: Path_, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise StateInvalid(path, f"'{field}' must be a non-empty string (quote it)")
    return value


def _phone(raw: Any, path: Path_, numbers: Collection[str]) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)) or not str(raw).strip():
        raise StateInvalid(path, "a phone number must be a string of digits")
    pn = str(raw).strip()
    if pn not in numbers:
        raise StateInvalid(path, f"{pn} is not a number of this space")
    return pn


def _per_number(space: Mapping[str, Any], field: str, numbers: Collection[str]) -> dict[str, Any]:
    given = space.get(field)
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise StateInvalid((field,), f"'{field}' must map phone numbers to entries")
    return {_phone(raw, (field, raw), numbers): (raw, value) for raw, value in given.items()}


def validate_space_lifecycle(space: Mapping[str, Any], numbers: Collection[str]) -> dict[str, Any]:
    """The lifecycle sections of one space, checked and copied (only those present). ``numbers``: the
    phone numbers the space lists. Raises ``StateInvalid`` with the path below the space."""
    out: dict[str, Any] = {}
    if "verify_codes" in space and space["verify_codes"] is not None:
        codes: dict[str, Any] = {}
        for pn, (raw, entry) in _per_number(space, "verify_codes", numbers).items():
            path: Path_ = ("verify_codes", raw)
            entry = mapping(entry, path, _CODES_FIELDS, "a number's codes")
            sends = entry.get("Sends") or []
            if not isinstance(sends, list):
                raise StateInvalid(path + ("Sends",), "'Sends' must be a list")
            checked = []
            for i, send in enumerate(sends):
                at = path + ("Sends", i)
                send = mapping(send, at, _SEND_FIELDS, "a sent code")
                for field in ("Code", "Method", "Locale"):
                    _text(send.get(field), at + (field,), field)
                sent_at = send.get("SentAt")
                if sent_at is None:  # left out: sent as the state loads, so an example's code is fresh
                    send["SentAt"] = int(time.time() * 1000)
                elif isinstance(sent_at, bool) or not isinstance(sent_at, int):
                    raise StateInvalid(at + ("SentAt",), "'SentAt' must be a time in ms")
                checked.append(send)
            wrong = entry.get("WrongAttempts", 0)
            if isinstance(wrong, bool) or not isinstance(wrong, int) or wrong < 0:
                raise StateInvalid(path + ("WrongAttempts",), "'WrongAttempts' must be a whole number")
            codes[pn] = {"Sends": checked, "WrongAttempts": wrong}
        out["verify_codes"] = codes
    if "usernames" in space and space["usernames"] is not None:
        names: dict[str, Any] = {}
        held: dict[str, str] = {}
        for pn, (raw, entry) in _per_number(space, "usernames", numbers).items():
            path = ("usernames", raw)
            entry = mapping(entry, path, _USERNAME_FIELDS, "a username entry")
            name = _text(entry.get("Username"), path + ("Username",), "Username")
            if problems := username_problems(name):
                raise StateInvalid(path + ("Username",), f"username {name!r} {problems[0]}")
            if (other := held.setdefault(username_key(name), pn)) != pn:
                raise StateInvalid(path + ("Username",), f"username {name!r} is also held by {other}")
            names[pn] = {"Username": name, "Status": _text(entry.get("Status"), path + ("Status",), "Status")}
        out["usernames"] = names
    if "taken_usernames" in space and space["taken_usernames"] is not None:
        taken = space["taken_usernames"]
        if not isinstance(taken, list) or not all(isinstance(t, str) and t for t in taken):
            raise StateInvalid(("taken_usernames",), "'taken_usernames' must be a list of names")
        out["taken_usernames"] = list(taken)
    if "username_suggestions" in space and space["username_suggestions"] is not None:
        suggestions: dict[str, Any] = {}
        for pn, (raw, entry) in _per_number(space, "username_suggestions", numbers).items():
            if not isinstance(entry, list) or not all(isinstance(t, str) and t for t in entry):
                raise StateInvalid(("username_suggestions", raw), "suggestions must be a list of names")
            suggestions[pn] = list(entry)
        out["username_suggestions"] = suggestions
    return out


def validate_prevalidated(given: Any) -> list[dict[str, Any]]:
    """An account's ``prevalidated_numbers``, checked and copied (path below the account)."""
    if given is None:
        return []
    if not isinstance(given, list):
        raise StateInvalid((PREVALIDATED_FIELD,), f"'{PREVALIDATED_FIELD}' must be a list")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(given):
        path: Path_ = (PREVALIDATED_FIELD, i)
        item = mapping(item, path, _PREVALIDATED_FIELDS, "a pre-validated number")
        entry = {f: _text(item.get(f), path + (f,), f) for f in sorted(_PREVALIDATED_FIELDS)}
        if not entry["PhoneNumber"].isdigit():
            raise StateInvalid(path + ("PhoneNumber",), "'PhoneNumber' must be digits (country code first)")
        if entry["PhoneNumber"] in seen:
            raise StateInvalid(path + ("PhoneNumber",), f"{entry['PhoneNumber']} is listed twice")
        seen.add(entry["PhoneNumber"])
        out.append(copy.deepcopy(entry))
    return out
