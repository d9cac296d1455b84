"""The shape of an answer's ``Data``, checked before anything uses it (the generic part: each kind checks the
fields it declares with ``data_object``; the client's own reads are in ``reconciler.client.shapes``).

A successful answer (``Code: OK``) is still only data from the network: a proxy, a server bug or an API
change can send a profile ``Data`` that is a list, or a list where a string belongs. ``MalformedAnswerError``
(an ``ApiError``: the engine records the space as unreadable in a plan, and the change as failed in apply)
names the action, the field (with its index) and the request id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, Unpack

from reconciler.core.client_errors import ApiError, CallPlace


class MalformedAnswerError(ApiError):
    """A successful answer whose shape is not what the action's contract says (never retried: the same
    request gets the same answer)."""

    default_code = "MalformedAnswer"


def fail(action: str, body: Mapping[str, Any], field: str, problem: str, **where: Unpack[CallPlace]) -> MalformedAnswerError:
    request_id = body.get("RequestId")
    return MalformedAnswerError(f"malformed answer: {field} {problem}", action=action,
                                request_id=str(request_id)[:100] if isinstance(request_id, (str, int)) else None,
                                **where)


def kind_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def text_fields(action: str, body: Mapping[str, Any], item: Mapping[str, Any], prefix: str,
                 fields: tuple[str, ...], **where: Unpack[CallPlace]) -> None:
    for name in fields:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise fail(action, body, f"{prefix}{name}", f"is {kind_name(value)}, expected a string", **where)


class AnswerField(Protocol):
    """A field of an answer's ``Data`` as a kind declares it (``kinds.base.Field``)."""

    @property
    def api(self) -> str: ...

    @property
    def many(self) -> bool: ...


def data_object(action: str, body: Mapping[str, Any], fields: Iterable[AnswerField],
                cust_space_id: str | None = None, phone_number: str | None = None) -> dict[str, Any]:
    """``Data``: an object whose declared fields are strings or null, and lists of strings or null where the
    field is a list (``many``)."""
    where = CallPlace(cust_space_id=cust_space_id, phone_number=phone_number)
    data = body.get("Data")
    if not isinstance(data, dict):
        raise fail(action, body, "Data", "is missing" if "Data" not in body else f"is {kind_name(data)}, expected an object",
                    **where)
    fields = list(fields)
    text_fields(action, body, data, "Data.", tuple(f.api for f in fields if not f.many), **where)
    for f in fields:
        items = data.get(f.api)
        if not f.many or items is None:
            continue
        if not isinstance(items, list):
            raise fail(action, body, f"Data.{f.api}", f"is {kind_name(items)}, expected a list", **where)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise fail(action, body, f"Data.{f.api}[{i}]", f"is {kind_name(item)}, expected a string", **where)
    return dict(data)
