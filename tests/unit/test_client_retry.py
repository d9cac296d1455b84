"""Retry policy and success judgement of CamsClient, with httpx.MockTransport and a fake clock (no waiting)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import httpx
import pytest

from reconciler.client import (
    AuthenticationError,
    CamsClient,
    ConnectError,
    Credentials,
    InvalidRequestError,
    NotOwnedError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    TimeoutError,
    TransportError,
)
from reconciler.client.actions import ACTIONS, RetryMode
from reconciler.client.retry import RetryPolicy, backoff_delay, is_retryable, retry_after_hint
from tests.helpers.client import Answer, FakeTime, scripted

CREDS = Credentials("test-key", "test-secret")
OK = {"RequestId": "req-ok", "Code": "OK", "Message": "SUCCESS", "PhoneNumbers": []}


def error(status: int, code: str, message: str = "failed", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"RequestId": f"req-{code}", "Code": code, "Message": message},
                          headers=headers)


def run(transport: httpx.MockTransport, coro_fn: Callable, time: FakeTime | None = None, **kwargs):
    time = time or FakeTime()

    async def main():
        async with CamsClient(CREDS, transport=transport, clock=time.clock, sleep=time.sleep,
                              rng=random.Random(7), env={}, **kwargs) as client:
            try:
                return await coro_fn(client), client
            except Exception as exc:  # hand the client back for its stats
                exc.client = client  # type: ignore[attr-defined]
                raise

    return asyncio.run(main())


def query(client: CamsClient):
    return client.query_phone_numbers("293483938849001")


def test_5xx_is_retried_until_success() -> None:
    transport, seen = scripted(error(500, "InternalError"), error(503, "ServiceUnavailable"),
                               httpx.Response(200, json=OK))
    result, client = run(transport, query)
    assert result == []
    assert len(seen) == 3
    stats = client.stats.actions["QueryChatappPhoneNumbers"]
    assert (stats.calls, stats.attempts, stats.retries, stats.failed) == (1, 3, 2, 0)
    # every attempt is signed afresh: a reused nonce would be refused as a replay
    assert len({r.headers["x-acs-signature-nonce"] for r in seen}) == 3


def test_permission_denied_is_not_retried() -> None:
    transport, seen = scripted(error(403, "Ram.PermissionDeny", "You are not authorized to perform the operation."))
    with pytest.raises(PermissionDeniedError) as info:
        run(transport, query)
    assert len(seen) == 1
    err = info.value
    assert err.code == "Ram.PermissionDeny" and err.http_status == 403 and err.attempts == 1
    assert err.action == "QueryChatappPhoneNumbers" and err.cust_space_id == "293483938849001"
    assert err.request_id == "req-Ram.PermissionDeny"
    stats = err.client.stats.actions["QueryChatappPhoneNumbers"]
    assert (stats.retries, stats.failed) == (0, 1)


@pytest.mark.parametrize(("code", "status", "cls"), [
    ("Product.Unsubscript", 400, NotSubscribedError),
    ("Unknown.ResourceOwnerId", 400, NotOwnedError),
    ("SignatureDoesNotMatch", 400, AuthenticationError),
    ("IncompleteSignature", 400, AuthenticationError),
    ("InvalidAccessKeyId.NotFound", 404, AuthenticationError),
    ("NotAuthorized", 400, PermissionDeniedError),
    ("InvalidParameter", 400, InvalidRequestError),
])
def test_non_retryable_codes_fail_at_once(code: str, status: int, cls: type) -> None:
    transport, seen = scripted(error(status, code))
    with pytest.raises(cls):
        run(transport, query)
    assert len(seen) == 1


def test_http_200_with_a_failure_code_is_an_error() -> None:
    transport, seen = scripted(httpx.Response(200, json={"RequestId": "r1", "Code": "PhoneNumber.NotExists",
                                                         "Message": "the number does not exist"}))
    with pytest.raises(InvalidRequestError) as info:
        run(transport, lambda c: c.call("QueryPhoneBusinessProfile", {"CustSpaceId": "1", "PhoneNumber": "8613800001234"}))
    assert str(info.value) == ("PhoneNumber.NotExists: the number does not exist "
                               "(request id r1; QueryPhoneBusinessProfile, space 1, number 8613800001234)")
    assert info.value.http_status == 200
    assert len(seen) == 1


def test_bss_success_is_judged_by_success_true() -> None:
    body = {"Code": "Success", "Message": "Successful!", "RequestId": "b1", "Success": True,
            "Data": {"HostingStatus": "TRUSTEESHIP", "IsCertified": True}}
    transport, seen = scripted(httpx.Response(200, json=body))
    result, _ = run(transport, lambda c: c.get_customer_account_info())
    assert result == {"HostingStatus": "TRUSTEESHIP", "IsCertified": True}
    assert seen[0].headers["x-acs-version"] == "2017-12-14"
    assert seen[0].url.host == "business.ap-southeast-1.aliyuncs.com"

    transport, _ = scripted(httpx.Response(200, json={**body, "Success": False, "Code": "VnoNoDataError"}))
    with pytest.raises(InvalidRequestError):
        run(transport, lambda c: c.get_customer_account_info())


def test_throttling_is_retried_and_slows_the_bucket() -> None:
    transport, seen = scripted(error(400, "System.LimitControl"), error(400, "Throttling.User"),
                               httpx.Response(200, json=OK))
    result, client = run(transport, query)
    assert result == [] and len(seen) == 3
    stats = client.stats.actions["QueryChatappPhoneNumbers"]
    assert (stats.throttled, stats.retries) == (2, 2)
    assert client.limiter.rates()[("test-key", "QueryChatappPhoneNumbers")] < 10


def test_throttled_after_all_attempts_raises_throttled_error() -> None:
    transport, seen = scripted(error(400, "System.LimitControl"))
    with pytest.raises(ThrottledError) as info:
        run(transport, query, max_attempts=4)
    assert len(seen) == 4 and info.value.attempts == 4
    assert "4 attempts" in str(info.value)


def test_retry_after_header_is_honoured() -> None:
    time = FakeTime()
    transport, _ = scripted(error(400, "Throttling", **{"x-acs-retry-after": "1500"}), httpx.Response(200, json=OK))
    run(transport, query, time=time)
    assert time.sleeps and max(time.sleeps) >= 1.5


def test_connection_errors_and_timeouts_are_retried_for_reads() -> None:
    transport, seen = scripted(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                               httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=OK))
    result, client = run(transport, query)
    assert result == [] and len(seen) == 4


def test_the_deadline_bounds_the_whole_call() -> None:
    time = FakeTime()
    transport, seen = scripted(error(503, "ServiceUnavailable"))
    with pytest.raises(ServerError):
        run(transport, query, time=time, max_attempts=100, deadline=5.0)
    assert 1 < len(seen) < 100
    assert time.now - 1000.0 < 5.0


def test_exhausted_transport_errors_surface_typed() -> None:
    transport, _ = scripted(httpx.ConnectError("refused"))
    with pytest.raises(ConnectError) as info:
        run(transport, query, max_attempts=2)
    assert info.value.attempts == 2 and not info.value.sent


# -- ChatappMigrationVerified: a verify code may be single-use -----------------------------------------------

def verify(client: CamsClient):
    return client.migration_verified("293483938849002", "8613800009999", "828712")


@pytest.mark.parametrize("first", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"),
                                   error(500, "InternalError")], ids=["read-timeout", "dropped", "500"])
def test_migration_verify_is_not_retried_once_the_server_may_have_acted(first: Answer) -> None:
    transport, seen = scripted(first, httpx.Response(200, json={"Code": "OK", "Data": {"Id": "1"}}))
    with pytest.raises((TransportError, ServerError)):
        run(transport, verify)
    assert len(seen) == 1


@pytest.mark.parametrize("first", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no answer"),
                                   error(400, "System.LimitControl")], ids=["connect", "connect-timeout", "throttled"])
def test_migration_verify_is_retried_when_it_provably_did_not_run(first: Answer) -> None:
    transport, seen = scripted(first, httpx.Response(200, json={"Code": "OK", "Data": {"Id": "1",
                                                                                       "PhoneNumber": "x"}}))
    result, _ = run(transport, verify)
    assert result == {"Id": "1", "PhoneNumber": "x"} and len(seen) == 2


def test_idempotent_write_is_retried_after_a_read_timeout() -> None:
    transport, seen = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json={"Code": "OK", "RequestId": "w"}))
    result, _ = run(transport, lambda c: c.call("UpdatePhoneWebhook", {"CustSpaceId": "1", "PhoneNumber": "2",
                                                                  "StatusCallbackUrl": "https://a/s", "UpCallbackUrl": "https://a/u"}))
    assert result["RequestId"] == "w" and len(seen) == 2


# -- pure policy ----------------------------------------------------------------------------------------------

def test_policy_table() -> None:
    assert ACTIONS["ChatappMigrationVerified"].retry is RetryMode.UNSENT_ONLY
    assert ACTIONS["UpdatePhoneWebhook"].retry is RetryMode.TRANSIENT
    read_timeout = TimeoutError("t", sent=True)
    connect_timeout = TimeoutError("t", sent=False)
    for mode in RetryMode:
        assert is_retryable(ThrottledError("x"), mode)
        assert is_retryable(ConnectError("x"), mode)
        assert is_retryable(connect_timeout, mode)
        assert not is_retryable(PermissionDeniedError("x"), mode)
        assert not is_retryable(InvalidRequestError("x"), mode)
    assert is_retryable(read_timeout, RetryMode.TRANSIENT) and not is_retryable(read_timeout, RetryMode.UNSENT_ONLY)
    assert is_retryable(ServerError("x"), RetryMode.TRANSIENT)
    assert not is_retryable(ServerError("x"), RetryMode.UNSENT_ONLY)


def test_backoff_is_full_jitter_within_an_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=2.0)
    rng = random.Random(1)
    for n in range(1, 10):
        ceiling = min(2.0, 0.1 * 2 ** (n - 1))
        samples = [backoff_delay(policy, n, rng) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # jitter spans the range
        assert min(samples) < ceiling * 0.2


def test_retry_after_hint_parsing() -> None:
    assert retry_after_hint({"x-acs-retry-after": "250"}) == 0.25
    assert retry_after_hint({"retry-after": "2"}) == 2.0
    assert retry_after_hint({"x-acs-retry-after": "0"}) is None
    assert retry_after_hint({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_hint({}) is None
