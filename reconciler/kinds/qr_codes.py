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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change
from reconciler.kinds.base import JSON, Api, Block, CallClient, Importer, Kind, Presenter, Rules, Scope, Values, Write
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import register

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


Op = tuple[Action, str, Mapping[str, Any] | None, QrCode | None]


def plan_ops(model: QrCodes, current: Mapping[str, Any] | None) -> list[Op]:
    """(action, item, the platform's code or None, the declared code or None) for each change. The item is
    the message, and for a second code of one message the message and its code."""
    first, extras = _by_message((current or {}).get("codes") or [])
    ops: list[Op] = []
    declared = {c.message: c for c in model.codes}
    for code in model.codes:
        have = first.get(code.message)
        if have is None:
            ops.append((Action.CREATE, code.message, None, code))
        elif code.image and str(have.get("GenerateQrImage") or "").upper() != code.image:
            ops.append((Action.UPDATE, code.message, have, code))
    for message, have in first.items():
        if message not in declared:
            ops.append((Action.DELETE if model.prune else Action.DRIFT, message, have, None))
    for have in extras:
        item = f"{_key(have.get('PrefilledMessage'))} ({have.get('QrdlCode')})"
        ops.append((Action.DELETE if model.prune else Action.DRIFT, item, have, None))
    return ops


class QrRules(Rules):
    def build(self, model: Callable[..., object], values: Mapping[str, Any], yaml_file: str) -> QrCodes:
        codes = tuple(QrCode(_key(c["message"]), c.get("image")) for c in values.get("codes") or ())
        return QrCodes(codes=codes, prune=bool(values.get("prune", False)))

    def check(self, block: Any, yaml_file: str) -> list[tuple[tuple[str | int, ...], str]]:
        seen: dict[str, int] = {}
        out: list[tuple[tuple[str | int, ...], str]] = []
        for i, code in enumerate(block.get("codes") or []):
            if not isinstance(code, Mapping) or not isinstance(code.get("message"), str):
                continue
            key = _key(code["message"])
            if key in seen:
                out.append((("codes", i, "message"), f"this message is already codes[{seen[key]}]: a message "
                                                     "identifies one QR code"))
            seen.setdefault(key, i)
        return out


class QrImporter(Importer):
    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        first, _ = _by_message(current.get("codes") or [])  # type: ignore[arg-type]
        codes: list[JSON] = []
        for message, have in first.items():
            if not message:
                continue
            image = str(have.get("GenerateQrImage") or "PNG").strip().upper()
            if image in IMAGE_TYPES:
                codes.append({"message": message, "image": image})
                continue
            codes.append({"message": message})  # an image type the schema does not know: not managed
            notes.append(f"qr_codes image {image[:20]!r} of {message[:40]!r} (not PNG or SVG)")
        return {"codes": codes} if codes else None


def _shown(have: Mapping[str, Any] | None, image: str | None = None) -> str:
    """A code as a plan shows it: its deep link and image type."""
    if have is None:
        return f"{NEW_LINK} ({image or 'PNG'})"
    return f"{_link(have)} ({str(image or have.get('GenerateQrImage') or 'PNG').upper()})"


@register
class QrCodesKind(Kind[QrCodes]):
    """A collection: one change per message, created, updated and deleted item by item."""

    name = "qr_codes"
    label = "message QR codes"
    scope = Scope.NUMBER
    model = QrCodes
    api = Api(read="ListPhoneMessageQrdl", create="CreatePhoneMessageQrdl", update="UpdatePhoneMessageQrdl",
              delete="DeletePhoneMessageQrdl")
    depends_on = ("membership",)
    rules = QrRules()
    importer = QrImporter()
    presenter = Presenter(drift=DriftKind.QR_CODE)

    async def read(self, client: CallClient, block: Block[QrCodes]) -> Values:
        assert block.number is not None
        body = await client.call(self.api.read or "", {"CustSpaceId": block.space.cust_space_id,
                                                       "PhoneNumber": block.number.phone_number})
        data = body.get("Data")
        return {"codes": [dict(d) for d in data if isinstance(d, Mapping)] if isinstance(data, list) else []}

    def plan(self, block: Block[QrCodes], current: Values | None) -> list[Change]:
        """One change per message: ``before``/``after`` map the message to its deep link (and image type),
        so a reviewer sees which link each poster will keep, get, or lose. For a number not yet in the space,
        one change for its codes: each declared message is created once it is there."""
        model = block.model
        source = block.source("qr_codes")
        if current is None:
            if not model.codes:
                return []
            return [self.change(block, Action.CREATE, before=None, pending=True, source=source,
                                after={c.message: _shown(None, c.image) for c in model.codes},
                                reason=f"after {block.arrives_by}: created where no code has the message")]
        out = []
        for action, item, have, code in plan_ops(model, current):
            message = _key(have.get("PrefilledMessage")) if have is not None else item
            path = f"qr_codes.{message}"
            if action is Action.CREATE:
                assert code is not None
                out.append(self.change(block, action, item=item, field=path, before={message: None},
                                       after={message: _shown(None, code.image)}, source=source,
                                       reason="no QR code has this prefilled message: the platform picks the code"))
            elif action is Action.UPDATE:
                assert code is not None and have is not None
                out.append(self.change(block, action, item=item, field=path, before={message: _shown(have)},
                                       after={message: _shown(have, code.image)}, source=source,
                                       reason="image type differs (the code and its deep link stay)"))
            elif action is Action.DELETE:
                assert have is not None
                out.append(self.change(block, action, item=item, field=path, before={message: _shown(have)},
                                       after={message: None}, source=source,
                                       reason="not declared, and qr_codes.prune is true: the deep link stops working"))
            else:
                assert have is not None
                out.append(self.change(block, action, item=item, field=path, before={message: _shown(have)},
                                       after=None, source=source,
                                       reason="a QR code the YAML does not declare (prune: true would delete it)"))
        return out

    def _op(self, w: Write[QrCodes]) -> Op | None:
        """The change's operation against the list just read (None: nothing left to do for its item)."""
        return next((op for op in plan_ops(w.block.model, w.current)
                     if op[1] == w.change.item and op[0] is w.change.action), None)

    async def create(self, w: Write[QrCodes]) -> None:
        op = self._op(w)
        if op is not None and op[3] is not None:
            await w.client.call(self.api.create or "", {**w.where, "PrefilledMessage": op[1],
                                                        "GenerateQrImage": op[3].image or "PNG"})

    async def update(self, w: Write[QrCodes]) -> None:
        op = self._op(w)
        if op is not None and op[2] is not None and op[3] is not None:
            await w.client.call(self.api.update or "", {**w.where, "QrdlCode": op[2].get("QrdlCode"),
                                                        "PrefilledMessage": op[2].get("PrefilledMessage"),
                                                        "GenerateQrImage": op[3].image})

    async def delete(self, w: Write[QrCodes]) -> None:
        op = self._op(w)
        if op is not None and op[2] is not None:
            await w.client.call(self.api.delete or "", {**w.where, "QrdlCode": op[2].get("QrdlCode")})
