"""Our ACS3-HMAC-SHA256 signer against the official SDK's (alibabacloud_openapi_util), the independent reference."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest
from alibabacloud_openapi_util.client import Client as OfficialUtil
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.client import signing

AK, SECRET = "LTAI5tExampleKeyId", "example-secret/with+odd=chars"


def official(params: dict[str, str], headers: dict[str, str], payload_hash: str, ak: str = AK,
             secret: str = SECRET) -> str:
    request = SimpleNamespace(method="POST", pathname="/", query=dict(params), headers=dict(headers))
    return OfficialUtil.get_authorization(request, "ACS3-HMAC-SHA256", payload_hash, ak, secret)


def ours(params: dict[str, str], headers: dict[str, str], payload_hash: str, ak: str = AK,
         secret: str = SECRET) -> str:
    return signing.authorization(method="POST", path="/", params=params, signed_headers=headers,
                                 payload_hash=payload_hash, access_key_id=ak, access_key_secret=secret)


def base_headers(action: str = "QueryChatappPhoneNumbers") -> dict[str, str]:
    return {
        "host": "cams.ap-southeast-1.aliyuncs.com",
        "x-acs-action": action,
        "x-acs-version": "2020-06-06",
        "x-acs-date": "2025-01-02T03:04:05Z",
        "x-acs-signature-nonce": "3f0c6a4e9b1d4e0f8a2b7c6d5e4f3a21",
        "x-acs-content-sha256": signing.EMPTY_SHA256,
    }


CASES = {
    "empty query": {},
    "space id": {"CustSpaceId": "293483938849001"},
    "spaces": {"About": "Acme Retail, open 9 to 9"},
    "star slash tilde": {"Description": "a*b/c~d", "Email": "ops+wa@acme.example"},
    "reserved chars": {"X": "!'()*;:@&=+$,/?#[]%"},
    "non-ascii": {"About": "Café ünd 日本語 🙂", "Address": "Jalan Sultan, Singapura"},
    "json array": {"Websites": '["https://acme.example","https://shop.acme.example"]'},
    "url with token": {"StatusCallbackUrl": "https://hooks.acme.example/travel/status?token=tr4vel-s3cret&x=1 2"},
    "empty value": {"Status": ""},
    "sorted keys": {"b": "2", "a": "1", "B": "3", "A_": "4", "a1": "5"},
    "newline and tab": {"Description": "line one\nline\ttwo"},
}


@pytest.mark.parametrize("params", CASES.values(), ids=CASES.keys())
def test_signature_matches_official_util(params: dict[str, str]) -> None:
    headers = base_headers()
    assert ours(params, headers, signing.EMPTY_SHA256) == official(params, headers, signing.EMPTY_SHA256)


def test_sts_headers_are_signed_like_the_sdk() -> None:
    params = {"CustSpaceId": "1", "PhoneNumber": "8613800001234"}
    headers = signing.signed_request_headers(
        host="cams.ap-southeast-1.aliyuncs.com", action="UpdatePhoneWebhook", version="2020-06-06", params=params,
        date="2025-01-02T03:04:05Z", nonce="n1", access_key_id=AK, access_key_secret=SECRET,
        security_token="sts-token-value",
    )
    auth = headers.pop("Authorization")
    assert headers["x-acs-security-token"] == "sts-token-value"
    assert "x-acs-security-token" in auth.split("SignedHeaders=")[1].split(",")[0]
    assert auth == official(params, headers, signing.EMPTY_SHA256)


def test_signed_request_headers_carry_every_required_header() -> None:
    headers = signing.signed_request_headers(
        host="h", action="A", version="v", params={}, date="d", nonce="n", access_key_id=AK, access_key_secret=SECRET)
    assert set(headers) == {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                            "x-acs-content-sha256", "Authorization"}
    assert headers["x-acs-content-sha256"] == hashlib.sha256(b"").hexdigest()
    assert "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version," \
        in headers["Authorization"]


def test_a_changed_value_changes_the_signature() -> None:
    headers = base_headers()
    assert ours({"A": "1"}, headers, signing.EMPTY_SHA256) != ours({"A": "2"}, headers, signing.EMPTY_SHA256)
    assert ours({"A": "1"}, headers, signing.EMPTY_SHA256) != ours({"A": "1"}, headers, signing.EMPTY_SHA256,
                                                                    secret="other")


def test_canonical_query_encoding_is_rfc3986() -> None:
    assert signing.canonical_query({"b": "a b*c/d~e", "a": "é"}) == "a=%C3%A9&b=a%20b%2Ac%2Fd~e"


# Values: any text without surrogates (which have no UTF-8 form); keys: API-style parameter names.
_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_keys = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"),
                min_size=1, max_size=20)
_json_arrays = st.lists(_values, max_size=4).map(lambda xs: signing_json(xs))


def signing_json(items: list[str]) -> str:
    import json

    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=300, deadline=None)
@given(
    params=st.dictionaries(_keys, st.one_of(_values, _json_arrays), max_size=8),
    action=st.sampled_from(["QueryChatappPhoneNumbers", "ModifyPhoneBusinessProfile", "GetCustomerAccountInfo"]),
    nonce=st.uuids().map(lambda u: u.hex),
    secret=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
    token=st.one_of(st.none(), st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)),
    body=st.binary(max_size=64),
)
def test_generated_requests_match_official_util(params, action, nonce, secret, token, body) -> None:
    headers = signing.signed_request_headers(
        host="cams.ap-southeast-1.aliyuncs.com", action=action, version="2020-06-06", params=params,
        date="2025-06-01T00:00:00Z", nonce=nonce, access_key_id=AK, access_key_secret=secret,
        security_token=token, body=body,
    )
    auth = headers.pop("Authorization")
    payload_hash = hashlib.sha256(body).hexdigest()
    assert headers["x-acs-content-sha256"] == payload_hash
    assert auth == official(params, headers, payload_hash, secret=secret)
