"""Business usernames in the emulator (issue 26): the four username actions. ``CamsBackend`` mixes
``UsernamesMixin`` in; each method runs under the backend lock, after the permission and required-parameter
checks.

The platform's rules, as the emulator models them (docs/emulator.md, "Business usernames"):

- a name must follow WhatsApp's format (``reconciler.common.username_rules``, shared with the reconciler's
  offline validation): ``InvalidParameter`` otherwise;
- a name is unique across WhatsApp, compared without case. One held by another number of the same space
  (the same business portfolio) is refused with ``147005`` unless ``TransferAction=force_transfer`` moves
  it; one held anywhere else (another space or account, or ``taken_usernames``) with ``147001``. The two
  codes are the platform's own (the SDK names 147005; 147001 is WhatsApp's "username not available");
- only a registered number may hold a name (``PhoneNumber.NotRegistered`` otherwise);
- a name set is ``reserved`` (WhatsApp shows it once usernames reach the user's region); the test hook
  ``set_username_status`` moves it (to ``approved``, say), as the platform does by itself. The SDK does not
  list the statuses: the emulator answers WhatsApp's lower-case words, so a client must read them leniently;
- deleting the name of a number that has none is refused (``PhoneNumber.NoUsername``), the stricter reading.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from reconciler.common.username_rules import username_key, username_problems
from reconciler.emulator.errors import EmulatorApiError
from reconciler.emulator.lifecycle import UNREGISTERED

Params = Mapping[str, str]
Body = dict[str, Any]

_OK = {"Code": "OK", "Message": "SUCCESS", "Success": True}
TRANSFER_ACTIONS = ("none", "force_transfer")
RESERVED = "reserved"
MAX_SUGGESTIONS = 5
_SUFFIXES = ("", "_official", ".support", "_team", "hq")


def _invalid(message: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", message)


class UsernamesMixin:
    """The username actions (see the module docstring)."""

    region: str
    _lock: threading.Lock
    _space: Callable[..., dict[str, Any]]
    _number: Callable[..., dict[str, Any]]

    def _spaces(self) -> Iterator[tuple[str, dict[str, Any]]]:
        backends: Mapping[str, Mapping[str, Mapping[str, Any]]] = vars(self)["_backends"]
        for regions in backends.values():
            yield from regions[self.region]["spaces"].items()

    def _holder(self, name: str) -> tuple[dict[str, Any] | None, str | None]:
        """The space and number holding ``name`` (compared without case), or (None, None)."""
        key = username_key(name)
        for _, space in self._spaces():
            for phone_number, entry in space.get("usernames", {}).items():
                if username_key(entry["Username"]) == key:
                    return space, phone_number
        return None, None

    def _taken_outside(self, name: str) -> bool:
        key = username_key(name)
        return any(username_key(t) == key for _, space in self._spaces() for t in space.get("taken_usernames", []))

    def _registered(self, caller: Any, params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        if entry.get("Status") in UNREGISTERED:
            raise EmulatorApiError("PhoneNumber.NotRegistered",
                                   f"The phone number {entry['PhoneNumber']} is not registered.")
        return space, entry

    # --- test hook -----------------------------------------------------------------------------------------

    def set_username_status(self, space_id: str, phone_number: str, status: str) -> None:
        """Test hook: the platform moves a number's username to ``status`` (``approved``, say)."""
        with self._lock:
            for sid, space in self._spaces():
                if sid == space_id and phone_number in space.get("usernames", {}):
                    space["usernames"][phone_number]["Status"] = status
                    return
        raise KeyError(f"{phone_number} of space {space_id} has no username")

    # --- actions -------------------------------------------------------------------------------------------

    def GetWhatsappUserName(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        self._number(space, params["PhoneNumber"])
        found = space.get("usernames", {}).get(params["PhoneNumber"])
        return {**_OK, "Data": dict(found) if found else {}}

    def GetWhatsappUserNameSuggestions(self, caller: Any, params: Params) -> Body:
        space, entry = self._registered(caller, params)
        given = space.get("username_suggestions", {}).get(entry["PhoneNumber"])
        if given is not None:
            return {**_OK, "Data": list(given)}
        base = re.sub(r"[^a-z0-9]", "", str(entry.get("VerifiedName", "")).lower()) or "business"
        out: list[str] = []
        for suffix in _SUFFIXES + (f"_{entry['PhoneNumber'][-4:]}",):
            name = (base + suffix)[:35]
            if not username_problems(name) and self._holder(name)[0] is None and not self._taken_outside(name) \
                    and name not in out:
                out.append(name)
        return {**_OK, "Data": out[:MAX_SUGGESTIONS]}

    def UpdateWhatsappUserName(self, caller: Any, params: Params) -> Body:
        space, entry = self._registered(caller, params)
        name, transfer = params["Username"], params.get("TransferAction") or "none"
        if transfer not in TRANSFER_ACTIONS:
            raise _invalid(f"TransferAction must be one of {', '.join(TRANSFER_ACTIONS)}.")
        if problems := username_problems(name):
            raise _invalid(f"Username {'; '.join(problems)}.")
        phone_number = entry["PhoneNumber"]
        holder_space, holder = self._holder(name)
        if holder_space is not None and holder != phone_number:
            if holder_space is not space:
                raise EmulatorApiError("147001", "The username is not available.")
            if transfer != "force_transfer":
                raise EmulatorApiError("147005", "The username is used by another phone number of this business "
                                                 "portfolio; use TransferAction force_transfer to move it.")
            del space["usernames"][holder]  # moved: the other number has no username now
        elif holder_space is None and self._taken_outside(name):
            raise EmulatorApiError("147001", "The username is not available.")
        names = space.setdefault("usernames", {})
        current = names.get(phone_number)
        if current is None or current["Username"] != name:
            names[phone_number] = {"Username": name, "Status": RESERVED}
        return {**_OK, "Data": {"Status": names[phone_number]["Status"]}}

    def DeleteWhatsappUserName(self, caller: Any, params: Params) -> Body:
        space, entry = self._registered(caller, params)
        if entry["PhoneNumber"] not in space.get("usernames", {}):
            raise EmulatorApiError("PhoneNumber.NoUsername",
                                   f"The phone number {entry['PhoneNumber']} has no username.")
        del space["usernames"][entry["PhoneNumber"]]
        return {**_OK, "Data": True}
