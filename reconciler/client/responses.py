"""Turning an HTTP response into data or a typed error.

Success is judged by the body, not the HTTP status (API-NOTES): CAMS succeeds when ``Code == "OK"``, BSS
when ``Success`` is true. A 200 carrying any other code is an error. The error class is chosen from the
code first (codes are what the API documents), falling back to the HTTP status.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from reconciler.client.actions import ActionSpec, Product
from reconciler.client.errors import (
    ApiError,
    AuthenticationError,
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
    return body.get("Code") == "OK"


def parse_response(
    spec: ActionSpec,
    http_status: int,
    content: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Iterable[str] = (),
    cust_space_id: str | None = None,
    phone_number: str | None = None,
) -> dict[str, Any]:
    """The response body as a dict on success; otherwise raises the matching ``ApiError``."""
    context = {"action": spec.name, "http_status": http_status, "cust_space_id": cust_space_id,
               "phone_number": phone_number}
    header_request_id = headers.get("x-acs-request-id")
    try:
        body = json.loads(content.decode("utf-8")) if content else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        # A proxy page, an empty body, a wrong --endpoint: say what arrived, not the bytes.
        cls: type[ApiError] = error_class("", http_status) if http_status >= 400 else ServerError
        raise cls(
            f"HTTP {http_status} without a JSON object body ({len(content)} bytes)"
            + ("; is the endpoint right?" if 400 <= http_status < 500 else ""),
            code="UnexpectedResponse", request_id=header_request_id, **context,
        )
    if is_success(spec, body):
        return body
    code = str(body.get("Code") or f"HTTP{http_status}")
    message = str(body.get("Message") or body.get("message") or "no message")
    request_id = body.get("RequestId") or header_request_id
    raise error_class(code, http_status)(
        scrub(message, secrets), code=scrub(code, secrets), request_id=str(request_id) if request_id else None,
        **context,
    )
