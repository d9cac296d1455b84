"""The wire protocol beyond what the SDK exercises: signature failures, timestamps, unknown actions, form
bodies, replays, rate limiting, faults, latency and the audit log — with raw HTTP requests signed by the
official ``alibabacloud_openapi_util`` signer (an independent reference, not the emulator's own code)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
from alibabacloud_openapi_util.client import Client as OpenApiUtil

RETAIL = "293483938849001"
TRAVEL = "293483938849002"


def signed(
    emu: Any, action: str, params: dict[str, str] | None = None, *, key: str = "demo", secret: str = "demo-secret",
    version: str = "2020-06-06", body: bytes = b"", content_type: str | None = None,
    date: datetime | None = None, nonce: str | None = None, drop: tuple[str, ...] = (),
    body_hash: str | None = None,
) -> tuple[str, dict[str, str], bytes]:
    """(url, headers, body) for one V3-signed RPC request."""
    params = params or {}
    headers = {
        "host": emu.endpoint,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": (date or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": body_hash or hashlib.sha256(body).hexdigest(),
    }
    if content_type:
        headers["content-type"] = content_type
    request = SimpleNamespace(method="POST", pathname="/", query=params, headers=headers)
    headers["Authorization"] = OpenApiUtil.get_authorization(
        request, "ACS3-HMAC-SHA256", hashlib.sha256(body).hexdigest(), key, secret)
    for name in drop:
        headers.pop(name, None)
    url = f"{emu.url}/?{urlencode(params)}" if params else f"{emu.url}/"
    return url, headers, body


def call(http: httpx.Client, emu: Any, action: str, params: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
    url, headers, body = signed(emu, action, params, **kw)
    return http.post(url, headers=headers, content=body)


def assert_error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body = resp.json()
    assert (resp.status_code, body.get("Code")) == (status, code), body
    assert body["RequestId"] and body["Message"]
    assert resp.headers["content-type"].startswith("application/json")
    return body


def test_signed_request_succeeds(emulator):
    emu = emulator()
    with httpx.Client() as http:
        resp = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
    assert resp.status_code == 200 and resp.json()["Code"] == "OK"
    assert resp.headers["x-acs-request-id"] == resp.json()["RequestId"]


def test_missing_or_malformed_authorization(emulator):
    emu = emulator()
    with httpx.Client() as http:
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, drop=("Authorization",)),
                     400, "IncompleteSignature")
        url, headers, _ = signed(emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
        headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=demo"
        assert_error(http.post(url, headers=headers), 400, "IncompleteSignature")
        assert_error(http.post(emu.url), 400, "IncompleteSignature")


def test_unsigned_acs_header_is_refused(emulator):
    emu = emulator()
    url, headers, _ = signed(emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
    headers["x-acs-extra"] = "added after signing"
    with httpx.Client() as http:
        body = assert_error(http.post(url, headers=headers), 400, "IncompleteSignature")
    assert "x-acs-extra" in body["Message"]


def test_tampered_query_and_body_hash(emulator):
    emu = emulator()
    with httpx.Client() as http:
        url, headers, _ = signed(emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
        assert_error(http.post(url.replace(RETAIL, TRAVEL), headers=headers), 400, "SignatureDoesNotMatch")
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, body=b"x=1",
                          body_hash=hashlib.sha256(b"other").hexdigest()), 400, "SignatureDoesNotMatch")


def test_timestamp_window(emulator):
    emu = emulator()
    now = datetime.now(UTC)
    with httpx.Client() as http:
        for skew in (timedelta(minutes=16), -timedelta(minutes=16)):
            assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, date=now + skew),
                         400, "InvalidTimeStamp.Expired")
        ok = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, date=now - timedelta(minutes=14))
        assert ok.status_code == 200


def test_unknown_action_and_version(emulator):
    emu = emulator()
    with httpx.Client() as http:
        assert_error(call(http, emu, "DeleteEverything", {}), 400, "InvalidAction.NotFound")
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, version="2017-12-14"),
                     400, "InvalidAction.NotFound")
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, version="1999-01-01"),
                     400, "InvalidVersion")


def test_nonce_replay_is_refused(emulator):
    emu = emulator()
    url, headers, _ = signed(emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
    with httpx.Client() as http:
        assert http.post(url, headers=headers).status_code == 200
        assert_error(http.post(url, headers=headers), 400, "SignatureNonceUsed")


def test_parameters_from_a_form_body(emulator):
    emu = emulator()
    form = urlencode({"PhoneNumber": "8613800001236", "About": "Open 24/7 & more",
                      "Websites": json.dumps(["https://a.example"])}).encode()
    with httpx.Client() as http:
        resp = call(http, emu, "ModifyPhoneBusinessProfile", {"CustSpaceId": RETAIL}, body=form,
                    content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 200, resp.json()
    profile = emu.backend.snapshot()["spaces"][RETAIL]["business_profiles"]["8613800001236"]
    assert profile["About"] == "Open 24/7 & more" and profile["Websites"] == ["https://a.example"]


def test_bad_parameter_values(emulator):
    emu = emulator()
    with httpx.Client() as http:
        base = {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001236"}
        assert_error(call(http, emu, "ModifyPhoneBusinessProfile", {**base, "Websites": "https://not-json"}),
                     400, "InvalidParameter")
        assert_error(call(http, emu, "ModifyPhoneBusinessProfile", {**base, "Vertical": "SPACESHIPS"}),
                     400, "InvalidParameter")
        assert_error(call(http, emu, "UpdatePhoneWebhook", {**base, "HttpFlag": "maybe"}), 400, "InvalidParameter")


def _fire(emu: Any, count: int, spacing: float) -> list[str]:
    """Send ``count`` signed requests from ``count`` threads, the i-th at start + i * spacing; return codes."""
    codes: list[str] = [""] * count
    start = time.monotonic() + 0.2
    with httpx.Client(limits=httpx.Limits(max_connections=count)) as http:
        def worker(i: int) -> None:
            delay = start + i * spacing - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            codes[i] = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}).json()["Code"]
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return codes


def test_burst_is_throttled_but_documented_rate_is_not(emulator):
    emu = emulator(qps=10)
    burst = _fire(emu, 30, 0.0)
    assert burst.count("System.LimitControl") > 0
    assert burst.count("OK") >= 10 and set(burst) <= {"OK", "System.LimitControl"}
    time.sleep(1.0)  # the window counts the refused requests too: let the burst leave it
    spread = _fire(emu, 30, 3.5 / 29)
    assert spread.count("System.LimitControl") == 0, spread


def test_throttle_is_per_account_and_action(emulator, two_account_state):
    """Flow control counts per account (UID), per API: two keys of one account share a budget; another
    account, or another action, has its own."""
    emu = emulator(two_account_state, qps=1)
    with httpx.Client() as http:
        assert call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}).status_code == 200
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}), 400, "System.LimitControl")
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL},
                          key="readonly", secret="readonly-secret"), 400, "System.LimitControl")  # same account
        assert call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": "293483938849003"},
                    key="globex", secret="globex-secret").status_code == 200  # another account
        assert call(http, emu, "GetChatappPhoneNumberSetting",
                    {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001234"}).status_code == 200


def _fault_sequence(emulator: Any, seed: int, rate: float, n: int = 40) -> list[int]:
    emu = emulator(qps=0, fault_rate=rate, seed=seed)
    with httpx.Client() as http:
        out = [call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}).status_code for _ in range(n)]
    emu.stop()
    return out


def test_faults_are_deterministic_per_seed(emulator):
    first = _fault_sequence(emulator, seed=7, rate=0.3)
    assert _fault_sequence(emulator, seed=7, rate=0.3) == first
    assert set(first) == {200, 500, 503}
    assert _fault_sequence(emulator, seed=8, rate=0.3) != first
    assert set(_fault_sequence(emulator, seed=7, rate=0.0, n=10)) == {200}
    assert set(_fault_sequence(emulator, seed=7, rate=1.0, n=10)) <= {500, 503}


def test_fault_bodies(emulator):
    emu = emulator(qps=0, fault_rate=1.0, seed=1)
    with httpx.Client() as http:
        resp = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
    code = {500: "InternalError", 503: "ServiceUnavailable"}[resp.status_code]
    assert_error(resp, resp.status_code, code)


def test_audit_log_masks_secrets(emulator, tmp_path):
    log = tmp_path / "audit.jsonl"
    emu = emulator(audit_log=log)
    with httpx.Client() as http:
        call(http, emu, "ChatappMigrationVerified",
             {"CustSpaceId": TRAVEL, "PhoneNumber": "8613800009999", "VerifyCode": "828712"})
        call(http, emu, "UpdatePhoneWebhook", {
            "CustSpaceId": TRAVEL, "PhoneNumber": "6591234567",
            "StatusCallbackUrl": "https://hooks.acme.example/travel/status?token=tr4vel-s3cret"})
        call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}, secret="wrong")
    emu.stop()
    text = log.read_text()
    assert "828712" not in text and "tr4vel-s3cret" not in text and "demo-secret" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(e["action"], e["http_status"], e["code"]) for e in lines] == [
        ("ChatappMigrationVerified", 200, "OK"), ("UpdatePhoneWebhook", 200, "OK"),
        ("QueryChatappPhoneNumbers", 400, "SignatureDoesNotMatch"),
    ]
    assert lines[0]["access_key_id"] == "demo" and lines[0]["parameters"]["VerifyCode"] == "***"
    assert lines[1]["parameters"]["StatusCallbackUrl"] == "https://hooks.acme.example/travel/status?token=***"
    assert all({"time", "access_key_id", "action", "parameters", "http_status", "code"} <= set(e) for e in lines)


def test_concurrent_writes_are_all_applied(emulator):
    emu = emulator(qps=0, latency_ms=20)
    targets = [(RETAIL, n) for n in ("8613800001234", "8613800001235", "8613800001236", "8613800001237")]
    with httpx.Client() as http:
        def worker(space: str, number: str) -> None:
            for i in range(5):
                resp = call(http, emu, "UpdatePhoneWebhook", {
                    "CustSpaceId": space, "PhoneNumber": number,
                    "StatusCallbackUrl": f"https://h.example/{number}/{i}"})
                assert resp.status_code == 200
        threads = [threading.Thread(target=worker, args=t) for t in targets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    urls = {n["PhoneNumber"]: n["StatusCallbackUrl"] for n in emu.backend.snapshot()["spaces"][RETAIL]["phone_numbers"]}
    assert all(urls[number] == f"https://h.example/{number}/4" for _, number in targets)


def test_required_parameters_are_the_sdks(emulator):
    emu = emulator()
    number = {"CustSpaceId": "293483938849002", "PhoneNumber": "8613800009999"}
    with httpx.Client() as http:
        body = assert_error(call(http, emu, "GetMigrationVerifyCode", number), 400, "MissingParameter")
        assert '"Locale"' in body["Message"]
        assert_error(call(http, emu, "GetMigrationVerifyCode", {**number, "Locale": "en_US"}), 400,
                     "MissingParameter")
        ok = call(http, emu, "GetMigrationVerifyCode", {**number, "Locale": "en_US", "Method": "sms"})
        assert ok.json()["Code"] == "OK"
        # CustSpaceId is optional for these two in the SDK: not MissingParameter; without it no ISV space
        # of this account is addressed.
        assert_error(call(http, emu, "QueryChatappPhoneNumbers", {}), 400, "Unknown.ResourceOwnerId")
        assert_error(call(http, emu, "GetChatappPhoneNumberSetting", {"PhoneNumber": "8613800001234"}), 400,
                     "Unknown.ResourceOwnerId")


def test_throttling_answers_in_the_gateway_shapes_with_retry_after(emulator):
    with httpx.Client() as http:
        emu = emulator(qps=1, throttle_shape="gateway", retry_after_ms="auto")
        assert call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL}).status_code == 200
        resp = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
        body = resp.json()
        assert (resp.status_code, body["code"]) == (400, "Throttling.User")
        assert body["requestId"] and body["message"] and "Code" not in body
        assert 0 < int(resp.headers["x-acs-retry-after"]) <= 1000

        emu = emulator(qps=0, throttle_rate=1.0, throttle_shape="xml", retry_after_ms=2500)
        resp = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
        assert resp.status_code == 400 and resp.headers["content-type"] == "text/xml;charset=utf-8"
        assert resp.headers["x-acs-retry-after"] == "2500"
        root = ElementTree.fromstring(resp.content)
        assert root.tag == "Error" and root.findtext("Code") == "Throttling.User" and root.findtext("RequestId")

        emu = emulator(qps=0, throttle_rate=1.0, throttle_shape="429")
        resp = call(http, emu, "QueryChatappPhoneNumbers", {"CustSpaceId": RETAIL})
        assert (resp.status_code, resp.json()["code"]) == (429, "Throttling")
