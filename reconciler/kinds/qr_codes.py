"""A number's message QR codes and deep links (``qr_codes:``), keyed by their prefilled message. Read by
``ListPhoneMessageQrdl`` for each present number that declares the block; ``CreatePhoneMessageQrdl`` makes a
declared message that has no code, ``UpdatePhoneMessageQrdl`` changes a declared code's image type, and
``DeletePhoneMessageQrdl`` removes a code whose message the YAML does not list, only with ``prune: true``
(without it such a code is reported, like ``unmanaged_numbers: report``).

The plan shows the deep link each message has (``https://wa.me/message/<code>``: printed posters keep
working, so a code is never replaced to change its image) or will have ("known after apply": the platform
picks the code). Messages compare exactly after trimming; two codes with one message keep the first (the
second is an extra, reported or pruned).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.plan import Action, Change
from reconciler.kinds import register
from reconciler.kinds.base import CallClient, Kind, Scope, change

MAX_PREFILLED_MESSAGE_CHARS = 140
NEW_LINK = "(known after apply)"


@dataclass(frozen=True)
class QrCode:
    message: str
    image: str | None = None  # PNG or SVG; None: not managed (new codes get PNG)


IMAGE_TYPES = ("PNG", "SVG")  # GenerateQrImage, as the JSON Schema has them


@dataclass(frozen=True)
class QrCodes:
    codes: tuple[QrCode, ...] = ()
    prune: bool = False


def _key(message: Any) -> str:
    return str(message or "").strip()


def _by_message(items: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The platform's codes by message (first one of each), and the extras (a second code of a message)."""
    first: dict[str, Mapping[str, Any]] = {}
    extras: list[Mapping[str, Any]] = []
    for item in items:
        key = _key(item.get("PrefilledMessage"))
        (extras.append(item) if key in first else first.__setitem__(key, item))
    return first, extras


def _link(item: Mapping[str, Any]) -> str:
    return str(item.get("DeepLinkUrl") or f"https://wa.me/message/{item.get('QrdlCode')}")


@register
class QrCodesKind(Kind):
    name = "qr_codes"
    scope = Scope.NUMBER
    model = QrCodes
    label = "message QR codes"
    read_action = "ListPhoneMessageQrdl"
    write_action = "CreatePhoneMessageQrdl"
    items = True  # one change per message: apply re-checks, writes and verifies each on its own
    drift_kind = "qr_code"

    def __init__(self) -> None:
        # per event loop (a lock belongs to one), then per number
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Lock]] = (
            weakref.WeakKeyDictionary())

    def build(self, values: Mapping[str, Any]) -> Any:
        codes = tuple(QrCode(_key(c["message"]), c.get("image")) for c in values.get("codes") or ())
        return QrCodes(codes=codes, prune=bool(values.get("prune", False)))

    def write_actions(self) -> tuple[str, ...]:
        return ("CreatePhoneMessageQrdl", "UpdatePhoneMessageQrdl", "DeletePhoneMessageQrdl")

    async def read(self, client: CallClient, cust_space_id: str, phone_number: str) -> Mapping[str, Any]:
        body = await client.call(self.read_action or "", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        data = body.get("Data")
        return {"codes": [dict(d) for d in data if isinstance(d, Mapping)] if isinstance(data, list) else []}

    def plan_ops(self, model: QrCodes, data: Mapping[str, Any] | None) -> list[tuple[Action, str, Mapping[str, Any] | None, QrCode | None]]:
        """(action, message, the platform's code or None, the declared code or None) for each change."""
        current, extras = _by_message((data or {}).get("codes") or [])
        ops: list[tuple[Action, str, Mapping[str, Any] | None, QrCode | None]] = []
        declared = {c.message: c for c in model.codes}
        for code in model.codes:
            have = current.get(code.message)
            if have is None:
                ops.append((Action.CREATE, code.message, None, code))
            elif code.image and str(have.get("GenerateQrImage") or "").upper() != code.image:
                ops.append((Action.UPDATE, code.message, have, code))
        for message, have in current.items():
            if message not in declared:
                ops.append((Action.DELETE if model.prune else Action.DRIFT, message, have, None))
        for have in extras:
            ops.append((Action.DELETE if model.prune else Action.DRIFT, _key(have.get("PrefilledMessage")), have, None))
        return ops

    def check(self, block: Any) -> list[tuple[tuple[Any, ...], str]]:
        seen: dict[str, int] = {}
        out: list[tuple[tuple[Any, ...], str]] = []
        for i, code in enumerate(block.get("codes") or []):
            if not isinstance(code, Mapping) or not isinstance(code.get("message"), str):
                continue
            key = _key(code["message"])
            if key in seen:
                out.append((("codes", i, "message"), f"this message is already codes[{seen[key]}]: a message "
                                                     "identifies one QR code"))
            seen.setdefault(key, i)
        return out

    @staticmethod
    def _shown(have: Mapping[str, Any] | None, image: str | None = None) -> str:
        """A code as a plan shows it: its deep link and image type."""
        if have is None:
            return f"{NEW_LINK} ({image or 'PNG'})"
        return f"{_link(have)} ({str(image or have.get('GenerateQrImage') or 'PNG').upper()})"

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        """One change per message: ``before``/``after`` map the message to its deep link (and image type),
        so a reviewer sees which link each poster will keep, get, or lose."""
        out = []
        source = number.source_of("qr_codes")
        for action, message, have, code in self.plan_ops(model, data):
            path = f"qr_codes.{message}"
            if action is Action.CREATE:
                assert code is not None
                out.append(change(space, number, action, field=path, before={message: None},
                                  after={message: self._shown(None, code.image)}, source=source,
                                  reason="no QR code has this prefilled message: the platform picks the code"))
            elif action is Action.UPDATE:
                assert code is not None and have is not None
                out.append(change(space, number, action, field=path, before={message: self._shown(have)},
                                  after={message: self._shown(have, code.image)}, source=source,
                                  reason="image type differs (the code and its deep link stay)"))
            elif action is Action.DELETE:
                assert have is not None
                out.append(change(space, number, action, field=path, before={message: self._shown(have)},
                                  after={message: None}, source=source,
                                  reason="not declared, and qr_codes.prune is true: the deep link stops working"))
            else:
                assert have is not None
                out.append(change(space, number, action, field=path, before={message: self._shown(have)},
                                  after=None, source=source,
                                  reason="a QR code the YAML does not declare (prune: true would delete it)"))
        return out

    def pending(self, space: Any, number: Any, model: Any, arrives_by: str) -> list[Change]:
        """One change for the number's codes: its write creates every declared message once it is there."""
        if not model.codes:
            return []
        return [change(space, number, Action.CREATE, field="qr_codes", before=None,
                       after={c.message: self._shown(None, c.image) for c in model.codes}, pending=True,
                       source=number.source_of("qr_codes"),
                       reason=f"after {arrives_by}: created where no code has the message")]

    def write_action_for(self, change: Change) -> str | None:
        return {Action.CREATE: "CreatePhoneMessageQrdl", Action.UPDATE: "UpdatePhoneMessageQrdl",
                Action.DELETE: "DeletePhoneMessageQrdl"}.get(change.action)

    async def write(self, client: CallClient, cust_space_id: str, phone_number: str, model: Any,
                    differing: Iterable[str], *, current: Mapping[str, Any] | None = None,
                    change: Change | None = None) -> None:
        """The operations for the messages ``differing`` names (every one, for a number that just arrived),
        against a fresh list: one number's changes run one at a time, so two never create one code twice."""
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        lock = locks.setdefault((cust_space_id, phone_number), asyncio.Lock())
        async with lock:
            data = await self.read(client, cust_space_id, phone_number)
            wanted = set(differing)
            number = {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number}
            for action, message, have, code in self.plan_ops(model, data):
                if wanted and message not in wanted:
                    continue
                if action is Action.CREATE and code is not None:
                    await client.call("CreatePhoneMessageQrdl", {**number, "PrefilledMessage": message,
                                                                 "GenerateQrImage": code.image or "PNG"})
                elif action is Action.UPDATE and code is not None and have is not None:
                    await client.call("UpdatePhoneMessageQrdl", {
                        **number, "QrdlCode": have.get("QrdlCode"), "PrefilledMessage": have.get("PrefilledMessage"),
                        "GenerateQrImage": code.image})
                elif action is Action.DELETE and have is not None:
                    await client.call("DeletePhoneMessageQrdl", {**number, "QrdlCode": have.get("QrdlCode")})

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        current, _ = _by_message((data or {}).get("codes") or [])
        codes: list[dict[str, Any]] = []
        for message, have in current.items():
            if not message:
                continue
            image = str(have.get("GenerateQrImage") or "PNG").strip().upper()
            if image in IMAGE_TYPES:
                codes.append({"message": message, "image": image})
                continue
            codes.append({"message": message})  # an image type the schema does not know: not managed
            left_out = options.get("left_out")
            if isinstance(left_out, list):
                left_out.append(f"qr_codes image {image[:20]!r} of {message[:40]!r} (not PNG or SVG)")
        return {"codes": codes} if codes else None
