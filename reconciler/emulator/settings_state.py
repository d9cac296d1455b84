"""The emulator state of the number settings (issue 16): validation, defaults and the platform's limits.

Two optional sections of a space, in the API's field names like the rest of the state file:

- ``number_settings``: phone number → ``{commerce, automation, encryption_key, qrdls, health}``, each what
  the matching Get/List call returns (``GetCommerceSetting``'s ``Data``, ...). A number without an entry (or
  without a section) has the platform's defaults (``DEFAULT_COMMERCE`` ...; health follows its ``Status``).
- ``account_webhook``: what ``UpdateAccountWebhook`` last set (``StatusCallbackUrl``, ``HttpFlag``,
  ``QueueFlag``). No API reads it back, so it is state only, like a number's ``HttpFlag``.

The checks here are shared by the state loader and the API actions (``emulator/settings.py``), so a state
file can hold exactly what the API would accept, and a snapshot always loads again. This module imports
nothing of the reconciler (the emulator never does) and nothing of ``state.py`` (its loader is being
rewritten for speed: the settings part stays out of its way, behind one call).
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Collection, Mapping
from typing import Any

from reconciler.common import der as der_rules
from reconciler.common.der import RSA_MIN_BITS
from reconciler.common.emoji_table import first_emoji
from reconciler.emulator.state_invalid import Path_, StateInvalid, mapping

#: The two space sections this module owns.
SETTINGS_SPACE_FIELDS = frozenset({"number_settings", "account_webhook"})
NUMBER_SETTING_SECTIONS = frozenset({"commerce", "automation", "encryption_key", "qrdls", "health"})

# The platform's limits (WhatsApp conversational components, message QR codes, Flows encryption).
MAX_PROMPTS = 4               # ice breakers per number
MAX_PROMPT_CHARS = 80
MAX_COMMANDS = 30
MAX_COMMAND_NAME_CHARS = 32
MAX_COMMAND_DESCRIPTION_CHARS = 256
MAX_PREFILLED_MESSAGE_CHARS = 140
MAX_QRDLS_PER_NUMBER = 2000
QR_IMAGE_TYPES = ("PNG", "SVG")
CAN_SEND_VALUES = ("AVAILABLE", "LIMITED", "BLOCKED")
QRDL_CODE = re.compile(r"^[A-Z0-9]{6,32}$")

DEFAULT_COMMERCE = {"CartEnable": True, "CatalogVisible": False}  # Meta: cart on, catalogue hidden
DEFAULT_AUTOMATION: dict[str, Any] = {"EnableWelcomeMessage": False, "Prompts": [], "Commands": []}

_COMMERCE_FIELDS = frozenset(DEFAULT_COMMERCE)
_AUTOMATION_FIELDS = frozenset(DEFAULT_AUTOMATION)
_COMMAND_FIELDS = frozenset({"CommandName", "CommandDescription"})
_KEY_FIELDS = frozenset({"EncryptionPublicKey", "EncryptionPublicKeyStatus"})
_QRDL_FIELDS = frozenset({"QrdlCode", "PrefilledMessage", "GenerateQrImage"})
_HEALTH_FIELDS = frozenset({"CanSendMessage", "Errors"})
_HEALTH_ERROR_FIELDS = frozenset({"ErrorCode", "ErrorDescription", "PossibleSolution"})
_ACCOUNT_WEBHOOK_FIELDS = frozenset({"StatusCallbackUrl", "HttpFlag", "QueueFlag"})


# --- value checks shared with the API actions ------------------------------------------------------------

def has_emoji(text: str) -> str | None:
    """The first emoji of ``text`` (WhatsApp refuses emoji in prompts and commands), or None: a character of
    Unicode's Extended_Pictographic property, a regional indicator or a keycap sequence (emoji_table.py,
    generated from Unicode's data; a check mark, a dash or CJK text passes, an alarm clock does not)."""
    return first_emoji(text)


def prompt_problem(prompts: Any) -> str | None:
    """Why a ``Prompts`` value is not acceptable (None when it is)."""
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        return "Prompts must be a JSON array of strings."
    if len(prompts) > MAX_PROMPTS:
        return f"Prompts holds {len(prompts)} prompts; at most {MAX_PROMPTS} are allowed."
    for i, prompt in enumerate(prompts):
        if not prompt.strip():
            return f"Prompts[{i}] is empty."
        if len(prompt) > MAX_PROMPT_CHARS:
            return f"Prompts[{i}] is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} are allowed."
        if has_emoji(prompt):
            return f"Prompts[{i}] contains an emoji, which is not supported."
    if len(set(prompts)) != len(prompts):
        return "Prompts must not repeat a prompt."
    return None


def command_problem(commands: Any) -> str | None:
    """Why a ``Commands`` value is not acceptable (None when it is)."""
    if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
        return "Commands must be a JSON array of {CommandName, CommandDescription} objects."
    if len(commands) > MAX_COMMANDS:
        return f"Commands holds {len(commands)} commands; at most {MAX_COMMANDS} are allowed."
    seen: set[str] = set()
    for i, command in enumerate(commands):
        unknown = sorted(set(command) - _COMMAND_FIELDS)
        if unknown:
            return f"Commands[{i}] has an unknown field {unknown[0]}."
        for field, limit in (("CommandName", MAX_COMMAND_NAME_CHARS),
                             ("CommandDescription", MAX_COMMAND_DESCRIPTION_CHARS)):
            value = command.get(field)
            if not isinstance(value, str) or not value.strip():
                return f"Commands[{i}].{field} is required."
            if len(value) > limit:
                return f"Commands[{i}].{field} is {len(value)} characters; at most {limit} are allowed."
            if has_emoji(value):
                return f"Commands[{i}].{field} contains an emoji, which is not supported."
        name = command["CommandName"]
        if name in seen:
            return f"Commands[{i}].CommandName {name!r} is used twice."
        seen.add(name)
    return None


def prefilled_message_problem(message: Any) -> str | None:
    if not isinstance(message, str) or not message.strip():
        return "PrefilledMessage must not be empty."
    if len(message) > MAX_PREFILLED_MESSAGE_CHARS:
        return (f"PrefilledMessage is {len(message)} characters; at most {MAX_PREFILLED_MESSAGE_CHARS} "
                "are allowed.")
    return None


def callback_url_problem(field: str, url: Any) -> str | None:
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        return f"{field} must be an http or https URL."
    return None


_PEM = re.compile(r"^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----\s*$")


def rsa_public_key_bits(pem: str) -> int:
    """The modulus size of an RSA public key in PEM (SubjectPublicKeyInfo, ``BEGIN PUBLIC KEY``), the form
    ``openssl rsa -pubout`` writes and WhatsApp Flows asks for. ValueError (with why) for anything else: a
    private key, a certificate, a PKCS#1 ``BEGIN RSA PUBLIC KEY``, broken base64 or DER, another algorithm."""
    if "PRIVATE KEY" in pem:
        raise ValueError("it is a private key; upload the public key only")
    match = _PEM.match(pem.strip() + "\n")
    if match is None:
        raise ValueError("it is not a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)")
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("its base64 body is malformed") from None
    try:
        return der_rules.rsa_modulus_bits(der)
    except der_rules.NotRsaKey:
        raise ValueError("not an RSA key") from None
    except ValueError:
        raise ValueError("its DER structure is not an RSA public key") from None


def public_key_problem(pem: Any) -> str | None:
    """Why an ``EncryptionPublicKey`` is not acceptable (None when it is a 2048-bit or larger RSA key)."""
    if not isinstance(pem, str):
        return "EncryptionPublicKey must be a PEM public key."
    try:
        bits = rsa_public_key_bits(pem)
    except ValueError as exc:
        return f"EncryptionPublicKey is not acceptable: {exc}."
    if bits < RSA_MIN_BITS:
        return f"EncryptionPublicKey is a {bits}-bit RSA key; at least {RSA_MIN_BITS} bits are required."
    return None


# --- the state file's sections ---------------------------------------------------------------------------

def validate_space_settings(space: Mapping[str, Any], numbers: Collection[str]) -> dict[str, Any]:
    """The settings sections of one space of a state file, checked and copied (only those present).

    ``numbers``: the phone numbers the space lists anywhere (settings for another number are refused).
    Raises ``StateInvalid`` with the path below the space.
    """
    out: dict[str, Any] = {}
    if space.get("number_settings") is not None:
        given = space["number_settings"]
        if not isinstance(given, dict):
            raise StateInvalid(("number_settings",), "'number_settings' must map phone numbers to settings")
        settings: dict[str, Any] = {}
        for raw_pn, entry in given.items():
            path: Path_ = ("number_settings", raw_pn)
            if isinstance(raw_pn, bool) or not isinstance(raw_pn, (str, int)) or not str(raw_pn).strip():
                raise StateInvalid(path, "a phone number must be a string of digits")
            pn = str(raw_pn).strip()
            if pn not in numbers:
                raise StateInvalid(path, f"settings for {pn}, which is not a number of this space")
            settings[pn] = _number_settings(entry, path)
        out["number_settings"] = settings
    if space.get("account_webhook") is not None:
        out["account_webhook"] = _account_webhook(space["account_webhook"], ("account_webhook",))
    return out



def _number_settings(entry: Any, path: Path_) -> dict[str, Any]:
    if entry is None:
        return {}
    entry = mapping(entry, path, NUMBER_SETTING_SECTIONS, "a number's settings")
    out: dict[str, Any] = {}
    if entry.get("commerce") is not None:
        commerce = mapping(entry["commerce"], path + ("commerce",), _COMMERCE_FIELDS, "'commerce'")
        for field, value in commerce.items():
            if not isinstance(value, bool):
                raise StateInvalid(path + ("commerce", field), f"'{field}' must be true or false")
        out["commerce"] = {**DEFAULT_COMMERCE, **commerce}
    if entry.get("automation") is not None:
        where = path + ("automation",)
        automation = mapping(entry["automation"], where, _AUTOMATION_FIELDS, "'automation'")
        if "EnableWelcomeMessage" in automation and not isinstance(automation["EnableWelcomeMessage"], bool):
            raise StateInvalid(where + ("EnableWelcomeMessage",), "'EnableWelcomeMessage' must be true or false")
        for field, check in (("Prompts", prompt_problem), ("Commands", command_problem)):
            if field in automation and (problem := check(automation[field])):
                raise StateInvalid(where + (field,), problem)
        out["automation"] = copy.deepcopy({**DEFAULT_AUTOMATION, **automation})
    if entry.get("encryption_key") is not None:
        where = path + ("encryption_key",)
        key = mapping(entry["encryption_key"], where, _KEY_FIELDS, "'encryption_key'")
        if "EncryptionPublicKey" not in key:
            raise StateInvalid(where, "'EncryptionPublicKey' is required")
        if problem := public_key_problem(key["EncryptionPublicKey"]):
            raise StateInvalid(where + ("EncryptionPublicKey",), problem)
        status = key.setdefault("EncryptionPublicKeyStatus", "VALID")
        if not isinstance(status, str) or not status:
            # any string: the platform may add statuses, and the reconciler must cope with one it does not know
            raise StateInvalid(where + ("EncryptionPublicKeyStatus",), "'EncryptionPublicKeyStatus' must be a string")
        out["encryption_key"] = key
    if entry.get("qrdls") is not None:
        out["qrdls"] = _qrdls(entry["qrdls"], path + ("qrdls",))
    if entry.get("health") is not None:
        out["health"] = _health(entry["health"], path + ("health",))
    return out


def _qrdls(items: Any, path: Path_) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise StateInvalid(path, "'qrdls' must be a list of message QR codes")
    if len(items) > MAX_QRDLS_PER_NUMBER:
        raise StateInvalid(path, f"at most {MAX_QRDLS_PER_NUMBER} message QR codes per number")
    out: list[dict[str, Any]] = []
    codes: set[str] = set()
    for i, item in enumerate(items):
        where = path + (i,)
        qrdl = mapping(item, where, _QRDL_FIELDS, "a message QR code")
        for field in ("QrdlCode", "PrefilledMessage"):
            if not isinstance(qrdl.get(field), str):
                raise StateInvalid(where + (field,), f"'{field}' is required and must be a string")
        if not QRDL_CODE.match(qrdl["QrdlCode"]):
            raise StateInvalid(where + ("QrdlCode",), "'QrdlCode' must be 6-32 upper-case letters and digits")
        if qrdl["QrdlCode"] in codes:
            raise StateInvalid(where + ("QrdlCode",), f"QR code {qrdl['QrdlCode']} is listed twice")
        codes.add(qrdl["QrdlCode"])
        if problem := prefilled_message_problem(qrdl["PrefilledMessage"]):
            raise StateInvalid(where + ("PrefilledMessage",), problem)
        image = qrdl.setdefault("GenerateQrImage", "PNG")
        if image not in QR_IMAGE_TYPES:
            raise StateInvalid(where + ("GenerateQrImage",), "'GenerateQrImage' must be PNG or SVG")
        out.append(qrdl)
    return out


def _health(value: Any, path: Path_) -> dict[str, Any]:
    health = mapping(value, path, _HEALTH_FIELDS, "'health'")
    can_send = health.get("CanSendMessage")
    if not isinstance(can_send, str) or not can_send:
        # any string: a value the reconciler does not know must reach it (a finding there, not an error here)
        raise StateInvalid(path + ("CanSendMessage",), "'CanSendMessage' is required (AVAILABLE, LIMITED, "
                                                          "BLOCKED)")
    errors = health.get("Errors") or []
    if not isinstance(errors, list):
        raise StateInvalid(path + ("Errors",), "'Errors' must be a list")
    checked = []
    for i, error in enumerate(errors):
        error = mapping(error, path + ("Errors", i), _HEALTH_ERROR_FIELDS, "an error")
        for field, text in error.items():
            if not isinstance(text, str):
                raise StateInvalid(path + ("Errors", i, field), f"'{field}' must be a string (quote it)")
        checked.append(error)
    return {"CanSendMessage": can_send, "Errors": checked}


def _account_webhook(value: Any, path: Path_) -> dict[str, Any]:
    hook = mapping(value, path, _ACCOUNT_WEBHOOK_FIELDS, "'account_webhook'")
    for flag in ("HttpFlag", "QueueFlag"):
        if flag in hook and hook[flag] not in ("Y", "N"):
            raise StateInvalid(path + (flag,), f"'{flag}' must be \"Y\" or \"N\"")
    if "StatusCallbackUrl" in hook and (problem := callback_url_problem("StatusCallbackUrl",
                                                                        hook["StatusCallbackUrl"])):
        raise StateInvalid(path + ("StatusCallbackUrl",), problem)
    return hook
