"""The error tree: one-line str, fields, no secrets in str/repr/log records; response classification."""

from __future__ import annotations

import asyncio
import logging
import pickle

import httpx
import pytest

from reconciler.client import (
    ApiError,
    CamsClient,
    ClientError,
    Credentials,
    InvalidRequestError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    TransportError,
)
from reconciler.client.actions import ACTIONS
from reconciler.client.responses import error_class, parse_response
from reconciler.core.client_errors import scrub
from reconciler.core.errors import ReconcilerError

SECRET = "very-secret-key-material"
TOKEN = "sts-token-abcdef123456"
CODE = "828712"
URL_TOKEN = "tr4vel-s3cret"
SECRETS = (SECRET, TOKEN, CODE, URL_TOKEN)


def test_tree_roots() -> None:
    assert issubclass(ClientError, ReconcilerError)
    assert issubclass(ThrottledError, ApiError) and issubclass(ApiError, ClientError)
    assert issubclass(TransportError, ClientError)


def test_str_is_one_line_with_code_message_request_id() -> None:
    err = PermissionDeniedError("You are not\nauthorized.", code="Ram.PermissionDeny", request_id="R-1",
                                action="UpdatePhoneWebhook", cust_space_id="293483938849001",
                                phone_number="8613800001235", http_status=403)
    assert str(err) == ("Ram.PermissionDeny: You are not authorized. (request id R-1; UpdatePhoneWebhook, "
                        "space 293483938849001, number 8613800001235)")
    assert repr(err) == f"PermissionDeniedError({str(err)!r})"
    assert "\n" not in str(err)


def test_errors_survive_pickling_with_their_fields() -> None:
    err = ServerError("boom", code="InternalError", request_id="R", http_status=500, attempts=3)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ServerError and back.request_id == "R" and back.attempts == 3 and str(back) == str(err)


@pytest.mark.parametrize(("code", "status", "cls"), [
    ("System.LimitControl", 400, ThrottledError), ("Throttling.Api", 400, ThrottledError),
    ("Anything", 429, ThrottledError), ("InternalError", 200, ServerError), ("Weird", 502, ServerError),
    ("Ram.PermissionDeny", 403, PermissionDeniedError), ("Some.Thing", 400, InvalidRequestError),
])
def test_error_class_by_code_then_status(code: str, status: int, cls: type) -> None:
    assert error_class(code, status) is cls


def test_non_json_body_is_a_clear_error() -> None:
    spec = ACTIONS["QueryChatappPhoneNumbers"]
    with pytest.raises(ServerError, match="without a JSON object body"):
        parse_response(spec, 502, b"<html>bad gateway</html>", {})
    with pytest.raises(InvalidRequestError, match="is the endpoint right"):
        parse_response(spec, 404, b"not found", {})


def test_scrub_removes_known_values_and_url_queries() -> None:
    text = f"bad code {CODE} for https://h.example/s?token={URL_TOKEN}&a=1 with {SECRET}"
    out = scrub(text, [CODE, SECRET])
    assert all(s not in out for s in SECRETS)
    assert "https://h.example/s?token=***&a=***" in out


def test_credentials_repr_hides_secret_and_token() -> None:
    creds = Credentials("AKID", SECRET, TOKEN)
    assert SECRET not in repr(creds) and TOKEN not in repr(creds) and "AKID" in repr(creds)


def test_secrets_never_reach_errors_or_log_records(caplog: pytest.LogCaptureFixture) -> None:
    """A server that echoes every parameter and header back in its error message, at DEBUG logging."""

    def echo(request: httpx.Request) -> httpx.Response:
        message = f"rejected {request.url} headers {dict(request.headers)}"
        return httpx.Response(400, json={"Code": "InvalidParameter", "Message": message, "RequestId": "E1"})

    async def main() -> list[ClientError]:
        errors = []
        async with CamsClient(Credentials("AKID", SECRET, TOKEN), transport=httpx.MockTransport(echo),
                              endpoint="http://127.0.0.1:9") as client:
            for call in (
                client.migration_verified("293483938849002", "8613800009999", CODE),
                client.call("UpdatePhoneWebhook", {
                    "CustSpaceId": "293483938849002", "PhoneNumber": "6591234567",
                    "StatusCallbackUrl": f"https://hooks.acme.example/travel/status?token={URL_TOKEN}",
                    "UpCallbackUrl": "https://hooks.acme.example/cams/inbound"}),
            ):
                with pytest.raises(InvalidRequestError) as info:
                    await call
                errors.append(info.value)
        return errors

    with caplog.at_level(logging.DEBUG):
        errors = asyncio.run(main())
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [e.message for e in errors]
    texts += [r.getMessage() for r in caplog.records]
    assert any("rejected" in t for t in texts)
    assert any(r.name == "httpx" for r in caplog.records)  # httpx's own request line was captured, masked
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text
