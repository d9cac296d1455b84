"""V3 signature verification against the official SDK's signer, with no network."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from alibabacloud_openapi_util.client import Client as OpenApiUtil

from reconciler.emulator import EmulatorApiError
from reconciler.emulator.signature import IncomingRequest, NonceCache, canonical_query, parse_acs_date, verify

NOW = parse_acs_date("2026-03-01T12:00:00Z")
SECRETS = {"demo": "demo-secret"}


def make(params: dict[str, str], *, body: bytes = b"", date: str = "2026-03-01T12:00:00Z", nonce: str = "n1",
         wire_query: str | None = None, secret: str = "demo-secret") -> IncomingRequest:
    headers = {"host": "cams.example:8080", "x-acs-action": "A", "x-acs-version": "2020-06-06",
               "x-acs-date": date, "x-acs-signature-nonce": nonce,
               "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}
    auth = OpenApiUtil.get_authorization(SimpleNamespace(method="POST", pathname="/", query=params, headers=headers),
                                         "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], "demo", secret)
    all_headers = {k: [v] for k, v in headers.items()} | {"authorization": [auth]}
    query = urlencode(params) if wire_query is None else wire_query  # urlencode: spaces as '+', like the SDK
    return IncomingRequest("POST", "/", query, all_headers, body)


def check(request: IncomingRequest, now: float | None = NOW, nonces: NonceCache | None = None) -> str:
    return verify(request, SECRETS.get, nonces or NonceCache(), now=now)


def code_of(request: IncomingRequest, **kw) -> str:
    with pytest.raises(EmulatorApiError) as info:
        check(request, **kw)
    return info.value.code


def test_sdk_signature_verifies_with_awkward_values():
    params = {"About": "a b+c/d*e~f&g=h ü", "Websites": '["https://a.example/?x=1"]', "Empty": ""}
    assert check(make(params)) == "demo"


def test_query_encoded_differently_on_the_wire_still_verifies():
    params = {"About": "a b"}
    assert check(make(params, wire_query="About=a%20b")) == "demo"


def test_canonical_query_is_sorted_rfc3986():
    assert canonical_query("b=2&a=x+y*z%7E") == "a=x%20y%2Az~&b=2"


def test_failures():
    assert code_of(make({"A": "1"}, secret="wrong")) == "SignatureDoesNotMatch"
    assert code_of(make({"A": "1"}, wire_query="A=2")) == "SignatureDoesNotMatch"
    assert code_of(make({}, date="2026-03-01T11:44:00Z")) == "InvalidTimeStamp.Expired"
    assert code_of(make({}, date="yesterday")) == "InvalidTimeStamp.Format"
    req = make({})
    assert code_of(IncomingRequest("POST", "/", "", {**req.headers, "authorization": ["Bearer x"]}, b"")) == \
        "IncompleteSignature"
    tampered_body = IncomingRequest("POST", "/", req.query, req.headers, b"extra")
    assert code_of(tampered_body) == "SignatureDoesNotMatch"
    with pytest.raises(EmulatorApiError) as info:
        verify(req, {}.get, NonceCache(), now=NOW)
    assert (info.value.code, info.value.http_status) == ("InvalidAccessKeyId.NotFound", 404)


def test_skew_is_fifteen_minutes_either_way():
    assert check(make({}, date="2026-03-01T11:45:00Z")) == "demo"
    assert check(make({}, date="2026-03-01T12:15:00Z")) == "demo"
    assert code_of(make({}, date="2026-03-01T12:15:01Z")) == "InvalidTimeStamp.Expired"


def test_nonce_is_single_use_per_key_within_the_window():
    nonces = NonceCache()
    check(make({}, nonce="same"), nonces=nonces)
    assert code_of(make({}, nonce="same"), nonces=nonces) == "SignatureNonceUsed"
    assert nonces.use("demo", "same", NOW + 16 * 60)  # expired from the cache
