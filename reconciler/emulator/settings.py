"""The number settings of issue 16 as API actions: commerce, conversational automation, the Flows encryption
key, message QR codes, the account webhook and health. ``CamsBackend`` mixes ``SettingsMixin`` in.

Parameters and answers are the official SDK's (``alibabacloud_cams20200606`` 5.3.1 request and response
models); where the platform documents a limit (4 ice breakers of 80 characters, 30 commands, 140-character
prefilled messages, 2048-bit RSA keys), a request over it is refused with ``InvalidParameter``, the stricter
reading where CAMS' own answer is not documented. The state lives in the space (``number_settings``,
``account_webhook``: see ``settings_state.py``), created on the first write, so a state file without it
loads, snapshots and answers as before.

Each method is called by ``CamsBackend.call`` with the backend lock held, after the permission and
required-parameter checks.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import EmulatorApiError
from reconciler.emulator.settings_state import (
    CAN_SEND_VALUES,
    DEFAULT_AUTOMATION,
    DEFAULT_COMMERCE,
    MAX_QRDLS_PER_NUMBER,
    QR_IMAGE_TYPES,
    callback_url_problem,
    command_problem,
    prefilled_message_problem,
    prompt_problem,
    public_key_problem,
    validate_space_settings,
)
from reconciler.emulator.state_invalid import StateInvalid

if TYPE_CHECKING:
    from reconciler.emulator.callers import BackendDict, Caller

Params = Mapping[str, str]
Body = dict[str, Any]

_OK = {"Code": "OK", "Message": "SUCCESS"}
#: How a number's ``Status`` shows in its health when the state sets none: Meta's AVAILABLE / LIMITED /
#: BLOCKED. Any status not listed blocks sending (the stricter reading).
_CAN_SEND_BY_STATUS = {"CONNECTED": "AVAILABLE", "FLAGGED": "LIMITED", "RATE_LIMITED": "LIMITED",
                       "RESTRICTED": "LIMITED", "PAUSED": "LIMITED"}
_WORST = {value: rank for rank, value in enumerate(CAN_SEND_VALUES)}  # AVAILABLE < LIMITED < BLOCKED
NODE_TYPES = ("phone", "waba", "template")


def _invalid(message: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", message)


def _missing(name: str) -> EmulatorApiError:
    return EmulatorApiError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def _boolean(params: Params, name: str) -> bool:
    """A boolean parameter: the SDK sends ``True``/``False``; ``true``/``false`` in any case is accepted,
    anything else refused (not silently read as false)."""
    value = params[name].strip().lower()
    if value not in ("true", "false"):
        raise _invalid(f"{name} must be true or false.")
    return value == "true"


def _json_param(params: Params, name: str) -> Any:
    try:
        return json.loads(params[name])
    except ValueError:
        raise _invalid(f"{name} must be JSON.") from None


def _derived_id(*parts: str, digits: int = 15) -> str:
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return str(int(digest[:16], 16))[:digits]


def _qrdl_code(space_id: str, phone_number: str, message: str, taken: set[str]) -> str:
    """A new 14-character code, the shape WhatsApp's are: derived from the request and the codes already
    taken, so a state gives the same codes on every run (tests and docs can name them)."""
    salt = 0
    while True:
        digest = hashlib.sha256(f"{space_id}:{phone_number}:{message}:{salt}:{len(taken)}".encode()).digest()
        code = base64.b32encode(digest).decode()[:14].replace("=", "A")
        if code not in taken:
            return code
        salt += 1


class SettingsMixin:
    """The settings actions; needs the backend's ``_space``, ``_number``, ``_lock``, ``_backends``, ``region``."""

    if TYPE_CHECKING:
        _lock: threading.Lock
        _backends: BackendDict
        region: str

        def _space(self, caller: Caller, params: Params) -> dict[str, Any]: ...

        def _number(self, space: dict[str, Any], phone_number: str) -> dict[str, Any]: ...

    # --- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _settings_of(space: dict[str, Any], phone_number: str) -> dict[str, Any]:
        found: dict[str, Any] = space.setdefault("number_settings", {}).setdefault(phone_number, {})
        return found

    @staticmethod
    def _peek_settings(space: dict[str, Any], phone_number: str) -> dict[str, Any]:
        """A number's settings without creating an entry (a read changes nothing in the state)."""
        found: dict[str, Any] = space.get("number_settings", {}).get(phone_number, {})
        return found

    def _number_in(self, caller: Caller, params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
        space = self._space(caller, params)
        return space, self._number(space, params["PhoneNumber"])

    @staticmethod
    def _qrdl_view(phone_number: str, qrdl: Mapping[str, Any]) -> Body:
        code, image = qrdl["QrdlCode"], qrdl.get("GenerateQrImage", "PNG")
        return {
            "PhoneNumber": phone_number, "QrdlCode": code, "PrefilledMessage": qrdl["PrefilledMessage"],
            "GenerateQrImage": image, "DeepLinkUrl": f"https://wa.me/message/{code}",
            # Not Meta's CDN (the emulator serves no images): a recognisable URL of the same role.
            "QrImageUrl": f"https://qr.cams-emulator.invalid/{code}.{image.lower()}",
        }

    # --- commerce ----------------------------------------------------------------------------------------

    def GetCommerceSetting(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        commerce = self._peek_settings(space, entry["PhoneNumber"]).get("commerce", DEFAULT_COMMERCE)
        return {**_OK, "Success": True, "Data": dict(commerce)}

    def UpdateCommerceSetting(self, caller: Caller, params: Params) -> Body:
        """Both values are required (the SDK marks them so): there is no "leave the other one as it is"."""
        space, entry = self._number_in(caller, params)
        cart, catalog = _boolean(params, "CartEnable"), _boolean(params, "CatalogVisible")
        self._settings_of(space, entry["PhoneNumber"])["commerce"] = {"CartEnable": cart, "CatalogVisible": catalog}
        return {**_OK, "Success": True}

    # --- conversational automation -----------------------------------------------------------------------

    def GetConversationalAutomation(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        automation = self._peek_settings(space, entry["PhoneNumber"]).get("automation", DEFAULT_AUTOMATION)
        return {**_OK, "Success": True, "Data": {"PhoneNumber": entry["PhoneNumber"], **copy.deepcopy(automation)}}

    def UpdateConversationalAutomation(self, caller: Caller, params: Params) -> Body:
        """Only the parameters given change (each is optional); ``Prompts`` and ``Commands`` are JSON, a list
        each, replaced whole (``[]`` clears). Every value is checked before anything changes."""
        space, entry = self._number_in(caller, params)
        changes: dict[str, Any] = {}
        if "EnableWelcomeMessage" in params:
            changes["EnableWelcomeMessage"] = _boolean(params, "EnableWelcomeMessage")
        for name, check in (("Prompts", prompt_problem), ("Commands", command_problem)):
            if name in params:
                value = _json_param(params, name)
                if problem := check(value):
                    raise _invalid(problem)
                changes[name] = value
        settings = self._settings_of(space, entry["PhoneNumber"])
        settings["automation"] = {**copy.deepcopy(settings.get("automation", DEFAULT_AUTOMATION)), **changes}
        return {**_OK, "Success": True}

    # --- the Flows encryption public key -----------------------------------------------------------------

    def GetPhoneEncryptionPublicKey(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        key = self._peek_settings(space, entry["PhoneNumber"]).get("encryption_key")
        data: Body = {"PhoneNumber": entry["PhoneNumber"]}
        if key:  # no key uploaded: both fields empty (answers.complete fills the model's defaults)
            data.update(key)
        return {**_OK, "Data": data}

    def UpdatePhoneEncryptionPublicKey(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        pem = params["EncryptionPublicKey"]
        if problem := public_key_problem(pem):
            raise _invalid(problem)
        self._settings_of(space, entry["PhoneNumber"])["encryption_key"] = {
            "EncryptionPublicKey": pem, "EncryptionPublicKeyStatus": "VALID",
        }
        return dict(_OK)

    # --- message QR codes and deep links -----------------------------------------------------------------

    def _qrdl_request(self, params: Params) -> tuple[str, str]:
        message, image = params["PrefilledMessage"], params["GenerateQrImage"]
        if problem := prefilled_message_problem(message):
            raise _invalid(problem)
        if image not in QR_IMAGE_TYPES:
            raise _invalid("GenerateQrImage must be PNG or SVG.")
        return message, image

    @staticmethod
    def _qrdl_at(qrdls: list[dict[str, Any]], code: str) -> dict[str, Any]:
        found = next((q for q in qrdls if q["QrdlCode"] == code), None)
        if found is None:
            # Not in the public docs: what CAMS answers for a code the number does not have.
            raise EmulatorApiError("Qrdl.NotFound", f"The message QR code {code} does not exist for this number.")
        return found

    def ListPhoneMessageQrdl(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        pn = entry["PhoneNumber"]
        qrdls = self._peek_settings(space, pn).get("qrdls", [])
        return {**_OK, "Data": [self._qrdl_view(pn, q) for q in qrdls]}

    def CreatePhoneMessageQrdl(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        pn = entry["PhoneNumber"]
        message, image = self._qrdl_request(params)
        qrdls = self._settings_of(space, pn).setdefault("qrdls", [])
        if len(qrdls) >= MAX_QRDLS_PER_NUMBER:
            raise EmulatorApiError("Qrdl.LimitExceeded",
                                   f"A number holds at most {MAX_QRDLS_PER_NUMBER} message QR codes.")
        code = _qrdl_code(params.get("CustSpaceId", ""), pn, message, {q["QrdlCode"] for q in qrdls})
        qrdl = {"QrdlCode": code, "PrefilledMessage": message, "GenerateQrImage": image}
        qrdls.append(qrdl)
        return {**_OK, "Data": self._qrdl_view(pn, qrdl)}

    def UpdatePhoneMessageQrdl(self, caller: Caller, params: Params) -> Body:
        """The code and its deep link stay (printed posters keep working); the message and image change."""
        space, entry = self._number_in(caller, params)
        pn = entry["PhoneNumber"]
        message, image = self._qrdl_request(params)
        qrdl = self._qrdl_at(self._peek_settings(space, pn).get("qrdls", []), params["QrdlCode"])
        qrdl.update(PrefilledMessage=message, GenerateQrImage=image)
        return {**_OK, "Data": self._qrdl_view(pn, qrdl)}

    def DeletePhoneMessageQrdl(self, caller: Caller, params: Params) -> Body:
        space, entry = self._number_in(caller, params)
        qrdls = self._peek_settings(space, entry["PhoneNumber"]).get("qrdls", [])
        qrdls.remove(self._qrdl_at(qrdls, params["QrdlCode"]))
        return dict(_OK)

    # --- the account webhook -----------------------------------------------------------------------------

    def UpdateAccountWebhook(self, caller: Caller, params: Params) -> Body:
        """Sets what is given (every parameter but ``CustSpaceId`` is optional). Nothing reads it back."""
        space = self._space(caller, params)
        for flag in ("HttpFlag", "QueueFlag"):
            if flag in params and params[flag] not in ("Y", "N"):
                raise _invalid(f"{flag} must be Y or N.")
        if "StatusCallbackUrl" in params and (problem := callback_url_problem("StatusCallbackUrl",
                                                                              params["StatusCallbackUrl"])):
            raise _invalid(problem)
        hook = space.setdefault("account_webhook", {})
        for field in ("StatusCallbackUrl", "HttpFlag", "QueueFlag"):
            if field in params:
                hook[field] = params[field]
        return dict(_OK)

    # --- health ------------------------------------------------------------------------------------------

    @staticmethod
    def _waba_id(space_id: str) -> str:
        return _derived_id("waba", space_id)

    def _number_health(self, space: dict[str, Any], entry: Mapping[str, Any]) -> Body:
        health = self._peek_settings(space, entry["PhoneNumber"]).get("health")
        if health is not None:
            return copy.deepcopy(dict(health))
        status = str(entry.get("Status") or "UNKNOWN")
        can_send = _CAN_SEND_BY_STATUS.get(status, "BLOCKED")
        if can_send == "AVAILABLE":
            return {"CanSendMessage": can_send, "Errors": []}
        return {"CanSendMessage": can_send, "Errors": [{
            "ErrorCode": f"STATUS_{status}",  # the emulator's: derived from the number's status
            "ErrorDescription": f"The phone number's status is {status}.",
            "PossibleSolution": "Check the number in WhatsApp Manager and resolve what its status reports.",
        }]}

    def GetWhatsappHealthStatus(self, caller: Caller, params: Params) -> Body:
        """``NodeType`` ``phone`` (needs ``PhoneNumber``), ``waba`` (needs ``WabaId``) or ``template`` (needs
        ``TemplateCode``). The answer lists the node and the WABA and business portfolio above it; the
        overall ``CanSendMessage`` is the worst of them."""
        space = self._space(caller, params)
        node = params["NodeType"]
        if node not in NODE_TYPES:
            raise _invalid(f"NodeType must be one of {', '.join(NODE_TYPES)}.")
        space_id = params["CustSpaceId"]
        waba_id = self._waba_id(space_id)
        entities: list[Body] = []
        if node == "phone":
            if not params.get("PhoneNumber"):
                raise _missing("PhoneNumber")
            entry = self._number(space, params["PhoneNumber"])
            health = self._number_health(space, entry)
            entities.append({"EntityType": "PHONE_NUMBER", "PhoneNumber": entry["PhoneNumber"], **health})
        elif node == "waba":
            if not params.get("WabaId"):
                raise _missing("WabaId")
            if params["WabaId"] != waba_id:
                raise EmulatorApiError("Unknown.ResourceOwnerId", "The resource does not belong to the current user.")
        else:
            if not params.get("TemplateCode"):
                raise _missing("TemplateCode")
            # Of a template's own health, only archiving is modelled: an archived template cannot be sent.
            archived = [t for t in space.get("templates", []) if t["TemplateCode"] == params["TemplateCode"]
                        and params.get("Language", t["Language"]) == t["Language"] and t.get("Archived")]
            template: Body = {"EntityType": "MESSAGE_TEMPLATE", "TemplateCode": params["TemplateCode"],
                              "Language": params.get("Language", ""), "CanSendMessage": "AVAILABLE"}
            if archived:
                template.update(CanSendMessage="BLOCKED", Errors=[{
                    "ErrorCode": "TEMPLATE_ARCHIVED",  # the emulator's, like STATUS_<status>
                    "ErrorDescription": "The template is archived.",
                    "PossibleSolution": "Unarchive the template (ArchiveChatappTemplate NOT_ARCHIVED) to send it."}])
            entities.append(template)
        entities.append({"EntityType": "WABA", "WabaId": waba_id, "CanSendMessage": "AVAILABLE"})
        entities.append({"EntityType": "BUSINESS", "BusinessId": _derived_id("business", space_id),
                         "CanSendMessage": "AVAILABLE"})
        # A value the emulator does not rank (a state may hold a new one) counts as the worst.
        overall = max((e["CanSendMessage"] for e in entities), key=lambda v: _WORST.get(v, len(_WORST)))
        return {**_OK, "Success": True, "Data": {"CanSendMessage": overall, "Entities": entities}}

    # --- test hooks --------------------------------------------------------------------------------------

    def set_number_settings(self, space_id: str, phone_number: str, section: str, value: Any) -> None:
        """Test hook: the platform (or someone in the console) changes a number's setting with no API call
        through us: ``section`` is one of ``settings_state.NUMBER_SETTING_SECTIONS`` and ``value`` is in the
        state file's form, checked like the file (``None`` removes the section: the platform default)."""
        with self._lock:
            spaces = [regions[self.region]["spaces"] for regions in self._backends.values()]
            space = next((sp[space_id] for sp in spaces if space_id in sp), None)
            numbers = set() if space is None else {
                e["PhoneNumber"] for name in ("phone_numbers", "pending_sync", "pending_migrations")
                for e in space[name]}
            if space is None or phone_number not in numbers:
                raise KeyError(f"{phone_number} is not in space {space_id}")
            settings = space.setdefault("number_settings", {}).setdefault(phone_number, {})
            if value is None:
                settings.pop(section, None)
                return
            try:
                checked = validate_space_settings({"number_settings": {phone_number: {section: value}}}, numbers)
            except StateInvalid as exc:
                raise ValueError(f"{'.'.join(map(str, exc.path))}: {exc.message}") from None
            settings[section] = checked["number_settings"][phone_number][section]
