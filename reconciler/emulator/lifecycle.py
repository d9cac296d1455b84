"""A number's life in the emulator (issue 26): onboarding a brand-new number, registering, deregistering.
``CamsBackend`` mixes ``LifecycleMixin`` in; every method runs under the backend lock (``CamsBackend.call``),
after the permission and required-parameter checks.

The states of a number, as QueryChatappPhoneNumbers lists it (``Status`` / ``CodeVerificationStatus``):

    AddChatappPhoneNumber            → PENDING    / NOT_VERIFIED   (added to the space with its display name)
    GetChatappVerifyCode             → (a code is "sent" by SMS or voice; the test hook reads it)
    ChatappVerifyAndRegister(code)   → CONNECTED  / VERIFIED       (verified and registered in one call)
    a code left unused past CODE_TTL → PENDING    / EXPIRED        (a new code must be requested)
    ChatappPhoneNumberDeregister     → DISCONNECTED / VERIFIED     (still listed; sends nothing)
    ChatappPhoneNumberRegister       → CONNECTED  (a verified number not registered: pre-validated, or
                                                   deregistered earlier)

A pre-validated number (bought with a purchase code) skips the code: GetPreValidatePhoneId checks the
purchase code and gives the number's id, AddChatappPhoneNumber with that ``PreValidateId`` adds it VERIFIED,
and ChatappPhoneNumberRegister registers it.

Where CAMS' real answer is not documented (the code's lifetime, how often a code may be requested, how many
wrong codes burn one, the codes of these refusals) the emulator takes the stricter reading; docs/emulator.md
("A number's life") lists each with its code in the documented ``Family.Reason`` style (``PhoneNumber.``).
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.emulator.errors import EmulatorApiError

Params = Mapping[str, str]
Body = dict[str, Any]

_OK = {"Code": "OK", "Message": "SUCCESS"}
#: How long a sent registration code stays valid (not documented: ten minutes, the stricter reading).
CODE_TTL_MS = 10 * 60 * 1000
#: How soon another code may be requested for the same number (not documented: one minute).
RESEND_AFTER_MS = 60 * 1000
#: Wrong codes after which the code sent is void and a new one must be requested (not documented).
MAX_WRONG_CODES = 3
#: Statuses of a number that is not registered: nothing to deregister, a code may still be needed.
UNREGISTERED = frozenset({"PENDING", "DISCONNECTED"})
_METHODS = ("SMS", "VOICE")
_LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
_DIGITS = re.compile(r"[0-9]+")


def _invalid(message: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", message)


def _refused(reason: str, message: str) -> EmulatorApiError:
    return EmulatorApiError(f"PhoneNumber.{reason}", message)


def display_name_problem(name: str) -> str | None:
    """Why WhatsApp would not take ``name`` as a display name at all (its review judges the rest): fewer
    than 3 characters, or the word WhatsApp in it (WhatsApp's display-name rules)."""
    if len(name.strip()) < 3:
        return "VerifiedName must have at least 3 characters."
    if "whatsapp" in name.lower().replace(" ", ""):
        return "VerifiedName must not contain the word WhatsApp."
    return None


class LifecycleMixin:
    """The onboarding, registration and deregistration actions (see the module docstring)."""

    region: str
    _lock: threading.Lock
    _space: Callable[..., dict[str, Any]]
    _find: Callable[..., dict[str, Any] | None]
    _number: Callable[..., dict[str, Any]]
    _number_id: Callable[..., str]
    _account: Callable[..., dict[str, Any]]
    _template_now: Callable[[], int]  # the backend's one clock (templates.py), moved by tests

    # --- helpers -------------------------------------------------------------------------------------------

    def _all_numbers(self) -> set[str]:
        """Every number any space of any emulated account lists (a number belongs to one business)."""
        backends: Mapping[str, Mapping[str, Mapping[str, Any]]] = vars(self)["_backends"]
        found: set[str] = set()
        for regions in backends.values():
            for space in regions[self.region]["spaces"].values():
                for list_name in ("phone_numbers", "pending_sync", "pending_migrations"):
                    found.update(e["PhoneNumber"] for e in space[list_name])
        return found

    def _settle_codes(self, space: dict[str, Any]) -> None:
        """A number whose last code expired unused reads EXPIRED (GetPhoneNumberVerificationStatus)."""
        now = self._template_now()
        for phone_number, codes in space.get("verify_codes", {}).items():
            entry = self._find(space["phone_numbers"], phone_number)
            if entry is None or entry.get("CodeVerificationStatus") != "NOT_VERIFIED" or not codes["Sends"]:
                continue
            if now - codes["Sends"][-1]["SentAt"] > CODE_TTL_MS:
                entry["CodeVerificationStatus"] = "EXPIRED"

    # --- test hooks ----------------------------------------------------------------------------------------

    def sent_verify_codes(self, space_id: str, phone_number: str) -> list[dict[str, Any]]:
        """Test hook: every code GetChatappVerifyCode "sent" to the number, oldest first
        (``{Code, Method, Locale, SentAt}``): what reached the owner's phone."""
        with self._lock:
            backends: Mapping[str, Mapping[str, Mapping[str, Any]]] = vars(self)["_backends"]
            for regions in backends.values():
                space = regions[self.region]["spaces"].get(space_id)
                if space is not None:
                    codes = space.get("verify_codes", {}).get(phone_number, {"Sends": []})
                    return [dict(send) for send in codes["Sends"]]
        raise KeyError(f"space {space_id} is not in the emulator")

    # --- actions -------------------------------------------------------------------------------------------

    def GetPreValidatePhoneId(self, caller: Any, params: Params) -> Body:
        """A pre-validated number's id, for the purchase code that came with it (the caller's account)."""
        phone_number = params["PhoneNumber"]
        for entry in self._account(caller).get("prevalidated_numbers") or []:
            if entry["PhoneNumber"] == phone_number and \
                    hmac.compare_digest(entry["VerifyCode"].encode(), params["VerifyCode"].encode()):
                return {**_OK, "Data": {"PhoneNumber": phone_number, "PhoneNumberId": entry["PhoneNumberId"]}}
        # One answer for an unknown number and a wrong code: the code is what proves the purchase.
        raise _refused("VerifyCodeError", "The verification code is incorrect or the number is not pre-validated.")

    def AddChatappPhoneNumber(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        cc, national, name = params["Cc"], params["PhoneNumber"], params["VerifiedName"]
        if not _DIGITS.fullmatch(cc) or len(cc) > 3 or cc.startswith("0"):
            raise _invalid("Cc must be a country calling code: 1 to 3 digits.")
        if not _DIGITS.fullmatch(national) or not 4 <= len(national) <= 14:
            raise _invalid("PhoneNumber must be the national number: 4 to 14 digits, without the country code.")
        phone_number = cc + national
        if len(phone_number) > 15:
            raise _invalid("Cc and PhoneNumber together have at most 15 digits (E.164).")
        if (problem := display_name_problem(name)) is not None:
            raise _invalid(problem)
        if phone_number in self._all_numbers():
            raise _refused("AlreadyExists", f"The phone number {phone_number} is already in a WhatsApp Business "
                                            "Account.")
        verified = False
        if params.get("PreValidateId"):
            known = [e for e in self._account(caller).get("prevalidated_numbers") or []
                     if e["PhoneNumber"] == phone_number]
            if not known or not hmac.compare_digest(known[0]["PhoneNumberId"].encode(),
                                                    params["PreValidateId"].encode()):
                raise _invalid("PreValidateId is not the id of this pre-validated number.")
            verified = True
        entry = {
            "PhoneNumber": phone_number, "VerifiedName": name, "Status": "PENDING",
            "CodeVerificationStatus": "VERIFIED" if verified else "NOT_VERIFIED", "NameStatus": "Pending_Review",
            "QualityRating": "UNKNOWN",
        }
        entry["Id"] = self._number_id(params["CustSpaceId"], entry)
        space["phone_numbers"].append(entry)
        return {**_OK, "Success": True}

    def GetChatappVerifyCode(self, caller: Any, params: Params) -> Body:
        """"Sends" a registration code to a number added but not verified; a new code voids the last."""
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        method, locale = params["Method"].upper(), params["Locale"]
        if method not in _METHODS:
            raise _invalid("Method must be SMS or VOICE.")
        if not _LOCALE.fullmatch(locale):
            raise _invalid("Locale must be a language code such as en_US or en.")
        self._settle_codes(space)
        if entry.get("CodeVerificationStatus", "VERIFIED") == "VERIFIED":
            raise _refused("AlreadyVerified", f"The phone number {entry['PhoneNumber']} is already verified.")
        codes = space.setdefault("verify_codes", {}).setdefault(entry["PhoneNumber"],
                                                                {"Sends": [], "WrongAttempts": 0})
        now = self._template_now()
        if codes["Sends"] and now - codes["Sends"][-1]["SentAt"] < RESEND_AFTER_MS:
            raise _refused("CodeRequestTooFrequent", "A code was sent less than a minute ago; wait before "
                                                     "requesting another.")
        code = f"{secrets.randbelow(10**6):06d}"
        codes["Sends"].append({"Code": code, "Method": method, "Locale": locale, "SentAt": now})
        codes["WrongAttempts"] = 0
        entry["CodeVerificationStatus"] = "NOT_VERIFIED"
        return {**_OK, "Success": True}

    def ChatappVerifyAndRegister(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        self._settle_codes(space)
        status = entry.get("CodeVerificationStatus", "VERIFIED")
        if status == "VERIFIED":
            raise _refused("AlreadyVerified", f"The phone number {entry['PhoneNumber']} is already verified.")
        codes = space.get("verify_codes", {}).get(entry["PhoneNumber"])
        if not codes or not codes["Sends"] or codes["WrongAttempts"] >= MAX_WRONG_CODES:
            raise _refused("NoCodeSent", "No valid verification code was sent to this number; request one.")
        if status == "EXPIRED":
            raise _refused("VerifyCodeExpired", "The verification code has expired; request a new one.")
        if not hmac.compare_digest(codes["Sends"][-1]["Code"].encode(), params["VerifyCode"].encode()):
            codes["WrongAttempts"] += 1
            raise _refused("VerifyCodeError", "The verification code is incorrect.")
        entry["CodeVerificationStatus"] = "VERIFIED"
        entry["Status"] = "CONNECTED"
        codes["WrongAttempts"] = MAX_WRONG_CODES  # used: the same code never verifies again
        return {**_OK, "Success": True}

    def ChatappPhoneNumberRegister(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        self._settle_codes(space)
        if entry.get("CodeVerificationStatus", "VERIFIED") != "VERIFIED":
            raise _refused("NotVerified", f"The phone number {entry['PhoneNumber']} is not verified.")
        if entry.get("Status") not in UNREGISTERED:
            raise _refused("AlreadyRegistered", f"The phone number {entry['PhoneNumber']} is already registered.")
        entry["Status"] = "CONNECTED"
        return {**_OK, "Success": True}

    def ChatappPhoneNumberDeregister(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        if entry.get("Status") in UNREGISTERED:
            raise _refused("NotRegistered", f"The phone number {entry['PhoneNumber']} is not registered.")
        entry["Status"] = "DISCONNECTED"
        return dict(_OK)

