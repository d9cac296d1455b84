"""Turning an HTTP response into data or a typed error.

Success is judged by the body: CAMS succeeds when ``Code == "OK"``, BSS when ``Success`` is true; a 200
carrying any other code is an error, and so is any 4xx/5xx. The error class is chosen from the code first
(codes are what the API documents), falling back to the HTTP status: 429 is throttling whatever it says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from reconciler.client.actions import ActionSpec, Product
from reconciler.client.retry import retry_after_hint
from reconciler.core.answers import MalformedAnswerError
from reconciler.core.client_errors import (
    ApiError,
    AuthenticationError,
    CallPlace,
    InvalidRequestError,
    NotOwnedError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    scrub,
)

THROTTLING_CODES = frozenset({"System.LimitControl", "Throttling", "Throttling.User", "Throttling.Api",
                              "Throttling.System", "ServiceUnavailable.Throttling"})
PERMISSION_CODES = frozenset({"Ram.PermissionDeny", "NotAuthorized", "NoPermission", "Forbidden.RAM",
                              "Forbidden.AccessDenied"})
NOT_SUBSCRIBED_CODES = frozenset({"Product.Unsubscript"})
NOT_OWNED_CODES = frozenset({"Unknown.ResourceOwnerId"})
AUTH_CODES = frozenset({"SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId",
                        "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "SignatureNonceUsed",
                        "InvalidTimeStamp.Expired", "InvalidTimeStamp.Format", "MissingSecurityToken",
                        "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed",
                        "InvalidSecurityToken.MismatchWithAccessKey", "InvalidAuthorization"})
SERVER_CODES = frozenset({"InternalError", "ServiceUnavailable", "UnknownError", "ServiceUnavailableTemporary"})
_AUTH_PREFIXES = ("InvalidAccessKeyId.", "InvalidSecurityToken.", "Signature")


def error_class(code: str, http_status: int) -> type[ApiError]:
    """Which error a failure ``code`` (with its HTTP status) is. Order matters: specific codes first."""
    if code in THROTTLING_CODES or code.startswith("Throttling") or http_status == 429:
        return ThrottledError
    if code in AUTH_CODES or code.startswith(_AUTH_PREFIXES):
        return AuthenticationError
    if code in PERMISSION_CODES:
        return PermissionDeniedError
    if code in NOT_SUBSCRIBED_CODES:
        return NotSubscribedError
    if code in NOT_OWNED_CODES:
        return NotOwnedError
    if code in SERVER_CODES or code.startswith("InternalError") or http_status >= 500:
        return ServerError
    return InvalidRequestError


def is_success(spec: ActionSpec, body: Mapping[str, Any]) -> bool:
    if spec.product is Product.BSS:
        return body.get("Success") is True
    if spec.product is Product.ACTIONTRAIL:  # the common POP shape: an answer without Code; errors carry one
        return "Code" not in body
    return body.get("Code") == "OK"


def _xml_error(content: bytes) -> dict[str, Any] | None:
    """The fields of an ``<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>`` body.

    A document with a DTD is refused unread: the gateway's error bodies have none, and entity declarations
    are how XML bodies blow up (billion laughs) or reach outside.
    """
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        return None
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    error = root if root.tag == "Error" else root.find("Error")
    if error is None:
        return None
    return {child.tag: (child.text or "").strip() for child in error}


def read_error_body(content: bytes, headers: Mapping[str, str]) -> dict[str, Any] | None:
    """An error body as a dict, whatever its shape: a JSON object, or the gateway's XML ``<Error>``."""
    content_type = (headers.get("content-type") or "").lower()
    stripped = content.lstrip()
    if "xml" in content_type or stripped.startswith(b"<"):
        return _xml_error(stripped)
    try:
        body = json.loads(content.decode("utf-8")) if content else None
    except (UnicodeDecodeError, ValueError, RecursionError):  # as in parse_response
        return None
    return body if isinstance(body, dict) else None


def _field(body: Mapping[str, Any], *names: str) -> str | None:
    """The first of ``names`` that is set: CAMS says ``Code``/``RequestId``, the gateway ``code``/``requestId``."""
    for name in names:
        value = body.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def parse_response(
    spec: ActionSpec,
    http_status: int,
    content: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Iterable[str] = (),
    cust_space_id: str | None = None,
    phone_number: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The response body as a dict on success; otherwise raises the matching ``ApiError``.

    Error bodies are read in every shape the SDK reads: JSON with ``Code``/``Message``/``RequestId`` (CAMS),
    the same in lowercase (the API gateway's own answers), and XML ``<Error>``. A 4xx/5xx that carries a
    retry-after hint is a throttling answer whatever its code, as the SDK treats it (``ThrottlingException``).
    """
    where = CallPlace(cust_space_id=cust_space_id, phone_number=phone_number)
    header_request_id = headers.get("x-acs-request-id")
    body: dict[str, Any] | None
    try:
        parsed = json.loads(content.decode("utf-8")) if content else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError: invalid JSON, or an integer past Python's 4,300-digit limit; RecursionError: nesting
        # deeper than the decoder's stack. Either way not an answer we can read.
        parsed = None
    body = parsed if isinstance(parsed, dict) else None
    if body is not None and http_status < 400 and is_success(spec, body):
        return body
    if body is None:
        body = read_error_body(content, headers)
    hint = retry_after_hint(headers, now=now)
    if body is None:
        # A proxy page, an empty body, a wrong --endpoint: say what arrived, not the bytes.
        # A 2xx that is not a readable JSON object (garbage, 100k-deep nesting, a 5,000-digit number) is a
        # malformed answer: the same request would get the same bytes, so it is not retried.
        cls: type[ApiError] = error_class("", http_status) if http_status >= 400 else (
            ServerError if http_status >= 300 else MalformedAnswerError)
        if hint is not None and http_status >= 400:
            cls = ThrottledError
        err = cls(
            f"HTTP {http_status} without a JSON object body ({len(content)} bytes)"
            + ("; is the endpoint right?" if 400 <= http_status < 500 and cls is not ThrottledError else ""),
            code=("MalformedAnswer" if cls is MalformedAnswerError else "UnexpectedResponse")
            if cls is not ThrottledError else f"HTTP{http_status}",
            request_id=header_request_id, action=spec.name, http_status=http_status,
            **where,
        )
        err.retry_after = hint
        raise err
    code = _field(body, "Code", "code") or f"HTTP{http_status}"
    message = _field(body, "Message", "message") or "no message"
    request_id = _field(body, "RequestId", "requestId") or header_request_id
    cls = error_class(code, http_status)
    if hint is not None and http_status >= 400:
        cls = ThrottledError
    err = cls(scrub(message, secrets), code=scrub(code, secrets), request_id=request_id, action=spec.name,
              http_status=http_status, **where)
    err.retry_after = hint
    raise err
