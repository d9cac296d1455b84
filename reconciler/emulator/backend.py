"""The emulated CAMS/BSS account: state plus one method per API action, no HTTP (moto style).

Each action method takes the calling key (``Caller``) and the request parameters (strings, API names) and
returns the success body without ``RequestId`` (the HTTP layer adds it), or raises ``EmulatorApiError``
carrying the real API's code, message and HTTP status. ``call`` is the entry point the HTTP layer uses: it
checks the key's permissions and required parameters and holds the backend lock while the action runs, so
concurrent requests see each write whole.

Codes the public docs do not give (what CAMS answers for a wrong migration code, or for registering a number
before verifying it) are spelled in the documented ``Family.Reason`` style under a ``Migration.`` family
so a client can tell them apart; they are listed in docs/emulator.md.

Accounts, the moto way: the state lives in ``BackendDict[account_id][region]``. Every access key belongs to
one account and every space to one account; a call sees only the spaces of its key's account in the region
the emulator serves, so a key of account A asking for a space of account B gets what CAMS answers for a
space you do not own (``Unknown.ResourceOwnerId``). A state file without ``accounts:`` is one account,
``default``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from reconciler.emulator.actiontrail import ActionTrailMixin
from reconciler.emulator.answers import complete
from reconciler.emulator.callers import BackendDict, Caller
from reconciler.emulator.catalog import ACTIONS
from reconciler.emulator.errors import EmulatorApiError
from reconciler.emulator.flows import FlowsMixin
from reconciler.emulator.lifecycle import LifecycleMixin
from reconciler.emulator.object_store import ObjectStore
from reconciler.emulator.settings import SettingsMixin
from reconciler.emulator.state import (
    ACCOUNTS_FIELD,
    DEFAULT_ACCOUNT_ID,
    PROFILE_FIELDS,
    VISIBLE_NUMBER_FIELDS,
    accounts_of,
    profile_problem,
)
from reconciler.emulator.templates import TemplatesMixin
from reconciler.emulator.usernames import UsernamesMixin

Params = Mapping[str, str]
Body = dict[str, Any]

#: WhatsApp's business verticals (the Cloud API's business-profile reference): a write takes one of them, or
#: "" / UNDEFINED (not set). A state file may hold any word: the platform reports values added since.
VERTICALS = frozenset({
    "UNDEFINED", "OTHER", "AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE", "GROCERY",
    "GOVT", "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES", "RETAIL", "TRAVEL", "RESTAURANT", "NOT_A_BIZ",
})
CAMS_OK = MappingProxyType({"Code": "OK", "Message": "SUCCESS"})
#: a migrated number's status between ChatappMigrationVerified and ChatappMigrationRegister, and after
PENDING, REGISTERED = "PENDING", "CONNECTED"
DEFAULT_REGION = "ap-southeast-1"  # CAMS is served from one region (API notes)


def _owner_error() -> EmulatorApiError:
    return EmulatorApiError("Unknown.ResourceOwnerId", "The resource does not belong to the current user.")


def _invalid(message: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", message)


def _websites(raw: str) -> list[str]:
    """``Websites``: a JSON array of URLs, within WhatsApp's limits (``state.profile_problem``)."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise _invalid("Websites must be a JSON array of URLs.") from None
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise _invalid("Websites must be a JSON array of URLs.")
    if (problem := profile_problem("Websites", value)) is not None:
        raise _invalid(problem)
    return value


# number settings (issue 16): emulator/settings.py; templates (17): emulator/templates.py; Flows (27):
# emulator/flows.py; ActionTrail events (18): emulator/actiontrail.py; a number's life and usernames (26):
# emulator/lifecycle.py, usernames.py
class CamsBackend(SettingsMixin, TemplatesMixin, FlowsMixin, ActionTrailMixin, LifecycleMixin, UsernamesMixin):
    """All state of the emulated accounts. Thread-safe through ``call`` (one lock around every action).

    ``region``: the region this emulator serves (the state file's spaces live there).
    """

    def __init__(self, state: Mapping[str, Any], *, region: str = DEFAULT_REGION):
        """``state`` must come from ``state.load_state`` (validated, normalised); it is deep-copied."""
        self._lock = threading.Lock()
        self.region = region
        #: the object storage Flow JSON is uploaded to (its endpoint is set once the server is bound)
        self.objects = ObjectStore(region)
        self._install(copy.deepcopy(dict(state)))

    def _install(self, state: dict[str, Any]) -> None:
        """Build the account index and the key index; replaces both at once (under the lock, or before use)."""
        backends = BackendDict()
        keys: dict[str, tuple[str, dict[str, Any]]] = {}
        for account_id, account in accounts_of(state).items():
            backends.setdefault(account_id, {})[self.region] = account
            for key in account["keys"]:
                keys[key["access_key_id"]] = (account_id, key)
        self._multi = ACCOUNTS_FIELD in state  # snapshot() answers in the shape it was given
        self._backends = backends
        self._keys = keys

    def reset(self, state: Mapping[str, Any]) -> None:
        """Replace the whole state (validated by ``state.load_state``, deep-copied), atomically: a request
        in flight sees either the old accounts or the new ones, never a mix."""
        fresh = copy.deepcopy(dict(state))
        with self._lock:
            self._install(fresh)
            self.objects.clear()

    # --- used by the HTTP layer ----------------------------------------------------------------------------

    def secret_for(self, access_key_id: str) -> str | None:
        found = self._keys.get(access_key_id)
        return found[1]["access_key_secret"] if found else None

    def account_of(self, access_key_id: str) -> str | None:
        """The account an access key belongs to (flow control counts per account), None if unknown."""
        found = self._keys.get(access_key_id)
        return found[0] if found else None

    def caller(self, access_key_id: str) -> Caller:
        account_id, key = self._keys[access_key_id]
        actions = key.get("actions")
        return Caller(access_key_id, frozenset(actions) if actions is not None else None, account_id)

    @property
    def first_credentials(self) -> tuple[str, str]:
        return self.credentials_of(next(iter(self._backends)))

    def credentials_of(self, account_id: str) -> tuple[str, str]:
        """The first key of ``account_id`` (``KeyError`` for an account the state does not have)."""
        first = self._backends[account_id][self.region]["keys"][0]
        return first["access_key_id"], first["access_key_secret"]

    @property
    def account_ids(self) -> tuple[str, ...]:
        return tuple(self._backends)

    def call(self, action: str, caller: Caller, params: Params) -> Body:
        """Run one API action as ``caller``: permission, required parameters, then the action, under the lock."""
        spec = ACTIONS.get(action)
        method: Callable[[Caller, Params], Body] | None = getattr(self, action, None) if spec else None
        if spec is None or method is None:
            raise EmulatorApiError("InvalidAction.NotFound", f"Specified api {action!r} is not found.")
        if not caller.may(action):
            if spec.product == "bssopenapi":
                # BSS answers a RAM denial with its own NoPermission, not CAMS' Ram.PermissionDeny (and not
                # NotAuthorized, which means "no account data for this caller").
                raise EmulatorApiError("NoPermission", "You are not authorized to do this operation.",
                                       http_status=403)
            raise EmulatorApiError(
                "Ram.PermissionDeny", "You are not authorized to perform the operation.",
                extra={"AccessDeniedDetail": {
                    "AuthAction": f"{spec.product}:{action}",
                    "AuthPrincipalType": "SubUser",
                    "AuthPrincipalDisplayName": caller.access_key_id,
                    "NoPermissionType": "ImplicitDeny",
                    "PolicyType": "AccountLevelIdentityBasedPolicy",
                }},
            )
        for name in spec.required:
            if not params.get(name):
                raise EmulatorApiError(
                    "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
                )
        with self._lock:
            body = method(caller, params)
            if spec.write:  # what ActionTrail would record: who called which write, when
                self.record_event(action, caller, params)
        return complete(action, body)  # the SDK's whole response shape, defaults included (answers.py)

    def snapshot(self) -> dict[str, Any]:
        """The current state, in the state file's format and shape (it holds the key secrets, like the file
        does): ``accounts:`` when it was loaded with them, else the one account's keys, account and spaces."""
        with self._lock:
            accounts = {aid: regions[self.region] for aid, regions in self._backends.items()}
            if not self._multi:
                return copy.deepcopy(accounts[DEFAULT_ACCOUNT_ID])
            return copy.deepcopy({ACCOUNTS_FIELD: accounts})

    def _account(self, caller: Caller) -> dict[str, Any]:
        return self._backends.at(caller.account, self.region)

    def set_number_fields(self, space_id: str, phone_number: str, **fields: Any) -> None:
        """Test hook: the platform changes a number by itself (WhatsApp moves a quality rating or a tier, a
        number is flagged), with no API call, as it does in the real service."""
        with self._lock:
            spaces = [regions[self.region]["spaces"] for regions in self._backends.values()]
            space = next((sp[space_id] for sp in spaces if space_id in sp), None)
            entry = None if space is None else self._find(space["phone_numbers"], phone_number)
            if entry is None:
                raise KeyError(f"{phone_number} is not in space {space_id}")
            entry.update(fields)

    # --- helpers -------------------------------------------------------------------------------------------

    def _space(self, caller: Caller, params: Params) -> dict[str, Any]:
        # No CustSpaceId (optional for two reads): the caller's own direct-customer instance, which the
        # emulator does not model, so no space of this account is reached.
        space: dict[str, Any] | None = self._account(caller)["spaces"].get(params.get("CustSpaceId") or "")
        if space is None:
            raise _owner_error()
        owners = space.get("owner_keys")
        if owners is not None and caller.access_key_id not in owners:
            raise _owner_error()
        if not space["subscribed"]:
            raise EmulatorApiError("Product.Unsubscript", "You have not subscribed to the specified product.")
        return space

    @staticmethod
    def _find(entries: list[dict[str, Any]], phone_number: str) -> dict[str, Any] | None:
        return next((e for e in entries if e["PhoneNumber"] == phone_number), None)

    def _number(self, space: dict[str, Any], phone_number: str) -> dict[str, Any]:
        entry = self._find(space["phone_numbers"], phone_number)
        if entry is None:
            raise _owner_error()
        return entry

    @staticmethod
    def _visible(entry: Mapping[str, Any]) -> dict[str, Any]:
        return {f: entry[f] for f in VISIBLE_NUMBER_FIELDS if f in entry}

    @staticmethod
    def _number_id(space_id: str, entry: Mapping[str, Any]) -> str:
        """The platform id of a number: the state's ``Id``, else a stable id derived from space and number."""
        if entry.get("Id"):
            return str(entry["Id"])
        digest = hashlib.sha256(f"{space_id}:{entry['PhoneNumber']}".encode()).hexdigest()
        return str(int(digest[:12], 16))[:11]

    def _pending_migration(self, space: dict[str, Any], phone_number: str) -> dict[str, Any]:
        entry = self._find(space["pending_migrations"], phone_number)
        if entry is not None:
            return entry
        if self._find(space["phone_numbers"], phone_number) is not None:
            raise EmulatorApiError(
                "Migration.NotPending", f"The phone number {phone_number} has no migration in progress."
            )
        raise _owner_error()

    # --- reads ---------------------------------------------------------------------------------------------

    def QueryChatappPhoneNumbers(self, caller: Caller, params: Params) -> Body:
        space = self._space(caller, params)
        self._settle_codes(space)
        wanted = (params.get("Status") or "").upper()
        numbers = [
            self._visible(e) for e in space["phone_numbers"]
            if not wanted or str(e.get("Status", "")).upper() == wanted
        ]
        return {**CAMS_OK, "PhoneNumbers": numbers}

    def QueryPhoneBusinessProfile(self, caller: Caller, params: Params) -> Body:
        space = self._space(caller, params)
        self._number(space, params["PhoneNumber"])
        profile = space["business_profiles"].get(params["PhoneNumber"], {})
        return {**CAMS_OK, "Success": True, "Data": copy.deepcopy(profile)}

    def GetChatappPhoneNumberSetting(self, caller: Caller, params: Params) -> Body:
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        model = {"PhoneNumber": entry["PhoneNumber"], "MarketingPaused": entry.get("MarketingPaused", "N")}
        return {**CAMS_OK, "Success": True, "Model": model}

    def GetPhoneNumberVerificationStatus(self, caller: Caller, params: Params) -> Body:
        """``Data{CodeVerificationStatus, Id, PhoneNumber}``: a number of the space answers its own status
        (VERIFIED when the state leaves it out), a number whose migration into the space waits for its code
        ``NOT_VERIFIED``; any other number is not the caller's (``Unknown.ResourceOwnerId``)."""
        space = self._space(caller, params)
        self._settle_codes(space)  # a code left unused past its lifetime reads EXPIRED (lifecycle.py)
        phone_number = params["PhoneNumber"]
        entry = self._find(space["phone_numbers"], phone_number)
        if entry is not None:
            status = str(entry.get("CodeVerificationStatus") or "VERIFIED")
        else:
            entry = self._find(space["pending_migrations"], phone_number)
            if entry is None:
                raise _owner_error()
            status = "NOT_VERIFIED"
        return {**CAMS_OK, "Data": {"CodeVerificationStatus": status, "PhoneNumber": phone_number,
                                    "Id": self._number_id(params["CustSpaceId"], entry)}}

    def GetCustomerAccountInfo(self, caller: Caller, params: Params) -> Body:
        account = self._account(caller).get("account")
        if not account:
            raise EmulatorApiError("VnoNoDataError", "There is no data by this request.", http_status=401)
        return {"Code": "Success", "Message": "Successful!", "Success": True, "Data": copy.deepcopy(account)}

    # --- writes --------------------------------------------------------------------------------------------

    def ChatappSyncPhoneNumber(self, caller: Caller, params: Params) -> Body:
        """Numbers registered upstream (``pending_sync``) become part of the space, then the space is listed."""
        space = self._space(caller, params)
        space["phone_numbers"].extend(space["pending_sync"])
        space["pending_sync"] = []
        return {**CAMS_OK, "Success": True, "PhoneNumbers": [self._visible(e) for e in space["phone_numbers"]]}

    def UpdatePhoneWebhook(self, caller: Caller, params: Params) -> Body:
        space = self._space(caller, params)
        entry = self._number(space, params["PhoneNumber"])
        for flag in ("HttpFlag", "QueueFlag"):
            if params.get(flag) and params[flag] not in ("Y", "N"):
                raise _invalid(f"{flag} must be Y or N.")
        for field in ("StatusCallbackUrl", "UpCallbackUrl"):
            url = params.get(field)
            if url and not url.lower().startswith(("http://", "https://")):
                raise _invalid(f"{field} must be an http or https URL.")
        for field in ("StatusCallbackUrl", "UpCallbackUrl", "HttpFlag", "QueueFlag"):
            if field in params:
                entry[field] = params[field]
        return dict(CAMS_OK)

    def ModifyPhoneBusinessProfile(self, caller: Caller, params: Params) -> Body:
        """Only the fields given change; ``Websites`` arrives as a JSON array string."""
        space = self._space(caller, params)
        self._number(space, params["PhoneNumber"])
        changes: dict[str, Any] = {}
        for field in PROFILE_FIELDS:
            if field not in params:
                continue
            value: Any = params[field]
            if field == "Websites":
                value = _websites(value)
            elif field == "Vertical" and value and value not in VERTICALS:
                raise _invalid(f"Vertical {value[:40]!r} is not one of {', '.join(sorted(VERTICALS))}.")
            elif field == "About" and not value:
                raise _invalid("About cannot be empty (1 to 139 characters).")
            elif (problem := profile_problem(field, value)) is not None:
                raise _invalid(problem)
            changes[field] = value
        space["business_profiles"].setdefault(params["PhoneNumber"], {}).update(changes)
        return {**CAMS_OK, "Success": True}

    def GetMigrationVerifyCode(self, caller: Caller, params: Params) -> Body:
        space = self._space(caller, params)
        method = params.get("Method")
        if method and method.lower() not in ("sms", "voice"):
            raise _invalid("Method must be sms or voice.")
        entry = self._pending_migration(space, params["PhoneNumber"])
        return {**CAMS_OK, "Data": {"Id": self._number_id(params["CustSpaceId"], entry),
                                    "PhoneNumber": entry["PhoneNumber"]}}

    def ChatappMigrationVerified(self, caller: Caller, params: Params) -> Body:
        """The right code brings the pending migration into the space; it then awaits ChatappMigrationRegister."""
        space = self._space(caller, params)
        entry = self._pending_migration(space, params["PhoneNumber"])
        if not hmac.compare_digest(entry["VerifyCode"].encode(), params["VerifyCode"].encode()):
            # Not in the public docs: a wrong code is a client error of its own, so it gets its own code.
            raise EmulatorApiError("Migration.VerifyCodeError", "The verification code is incorrect or expired.")
        space["pending_migrations"].remove(entry)
        number = {k: v for k, v in entry.items() if k != "VerifyCode"}
        number["Id"] = self._number_id(params["CustSpaceId"], entry)
        # Verified, not registered: listed PENDING until ChatappMigrationRegister (docs/emulator.md), so a
        # client can read what is left after losing either answer.
        number["Status"] = PENDING
        number["CodeVerificationStatus"] = "VERIFIED"
        space["phone_numbers"].append(number)
        space["verified_migrations"].append(number["PhoneNumber"])
        return {**CAMS_OK, "Data": {"PhoneNumber": number["PhoneNumber"], "Id": number["Id"]}}

    def ChatappMigrationRegister(self, caller: Caller, params: Params) -> Body:
        space = self._space(caller, params)
        phone_number = params["PhoneNumber"]
        if phone_number in space["verified_migrations"]:
            space["verified_migrations"].remove(phone_number)
            entry = self._find(space["phone_numbers"], phone_number)
            if entry is not None:
                entry["Status"] = REGISTERED
            return dict(CAMS_OK)
        if self._find(space["pending_migrations"], phone_number) is None and \
                self._find(space["phone_numbers"], phone_number) is None:
            raise _owner_error()
        # Not in the public docs: registering before ChatappMigrationVerified succeeded.
        raise EmulatorApiError(
            "Migration.NotVerified", f"The phone number {phone_number} has no verified migration to register."
        )
