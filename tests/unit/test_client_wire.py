"""What CamsClient puts on the wire and how it reads every answer, with httpx.MockTransport.

Error shapes (CAMS JSON, the gateway's lowercase JSON, XML ``<Error>``, HTTP 429, retry-after hints),
retry-after beyond 8 s (fake clock), call budgets that start at send, the run budget, a stalled or
trickling body, the size limit (declared, streamed, gzip bomb), required-parameter refusal, and lists,
objects, booleans and Y/N flags encoded as the official SDK encodes them (tea-openapi is the reference).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import time as real_time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qsl

import httpx
import pytest

from reconciler.client import (
    ActionSpec,
    CamsClient,
    Credentials,
    InvalidRequestError,
    Kind,
    ParameterError,
    ParamType,
    PermissionDeniedError,
    Product,
    ResponseTooLargeError,
    RetryMode,
    RunBudgetError,
    ThrottledError,
    TimeoutError,
)
from tests.helpers.client import FakeTime, scripted

CREDS = Credentials("test-key", "test-secret")
OK = {"RequestId": "req-ok", "Code": "OK", "Message": "SUCCESS", "PhoneNumbers": []}
SPACE = "293483938849001"


def run(transport: httpx.AsyncBaseTransport, coro_fn: Callable, fake: FakeTime | None = None, **kwargs):
    async def main():
        options = dict(clock=fake.clock, sleep=fake.sleep) if fake is not None else {}
        async with CamsClient(CREDS, transport=transport, rng=random.Random(7), env={}, **options,
                              **kwargs) as client:
            try:
                return await coro_fn(client), client
            except Exception as exc:
                exc.client = client  # type: ignore[attr-defined]
                raise

    return asyncio.run(main())


def query(client: CamsClient):
    return client.query_phone_numbers(SPACE)


def sent_params(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))


XML_THROTTLE = (b'<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>xml-1</RequestId>'
                b'<HostId>cams.ap-southeast-1.aliyuncs.com</HostId><Code>Throttling.User</Code>'
                b'<Message>Request was denied due to user flow control.</Message></Error>')
GATEWAY_THROTTLE = {"requestId": "gw-1", "code": "Throttling.User",
                    "message": "Request was denied due to user flow control."}


# -- error shapes ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "code", "request_id", "message"), [
    (httpx.Response(400, json={"RequestId": "c-1", "Code": "System.LimitControl",
                               "Message": "The system is under flow control."}),
     "System.LimitControl", "c-1", "The system is under flow control."),
    (httpx.Response(400, json=GATEWAY_THROTTLE), "Throttling.User", "gw-1",
     "Request was denied due to user flow control."),
    (httpx.Response(400, content=XML_THROTTLE, headers={"content-type": "text/xml;charset=utf-8"}),
     "Throttling.User", "xml-1", "Request was denied due to user flow control."),
    (httpx.Response(429, json={"code": "Throttling", "message": "Request was denied due to flow control.",
                               "requestId": "gw-2"}), "Throttling", "gw-2", "Request was denied due to flow control."),
    (httpx.Response(429, content=b"", headers={"x-acs-request-id": "hdr-1"}), "HTTP429", "hdr-1", None),
    (httpx.Response(503, json={"RequestId": "s-1", "Code": "ServiceUnavailable", "Message": "busy"},
                    headers={"x-acs-retry-after": "100"}), "ServiceUnavailable", "s-1", "busy"),
])
def test_every_throttling_shape_is_a_throttle_with_its_fields_and_is_retried(answer, code, request_id,
                                                                             message) -> None:
    transport, seen = scripted(answer)
    with pytest.raises(ThrottledError) as info:
        run(transport, query, FakeTime(), max_attempts=1)
    err = info.value
    assert (err.code, err.request_id) == (code, request_id)
    if message is not None:
        assert err.message == message
    transport, seen = scripted(answer, httpx.Response(200, json=OK))
    result, client = run(transport, query, FakeTime())
    assert result == [] and len(seen) == 2 and client.stats.total().throttled == 1


@pytest.mark.parametrize("answer", [
    httpx.Response(403, json={"code": "Forbidden.RAM", "message": "denied", "requestId": "gw-3"}),
    httpx.Response(403, content=b"<Error><Code>Ram.PermissionDeny</Code><Message>denied</Message>"
                                b"<RequestId>gw-3</RequestId></Error>", headers={"content-type": "text/xml"}),
])
def test_lowercase_and_xml_permission_errors_are_typed_and_not_retried(answer) -> None:
    transport, seen = scripted(answer)
    with pytest.raises(PermissionDeniedError) as info:
        run(transport, query, FakeTime())
    assert len(seen) == 1 and info.value.request_id == "gw-3" and info.value.message == "denied"


def test_an_xml_body_with_a_dtd_is_not_expanded() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<Error><Code>&b;</Code></Error>")
    transport, _ = scripted(httpx.Response(400, content=bomb, headers={"content-type": "text/xml"}))
    with pytest.raises(InvalidRequestError) as info:
        run(transport, query, FakeTime())
    assert info.value.code == "UnexpectedResponse" and "aaaa" not in str(info.value)


# -- retry-after ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"x-acs-retry-after": "12000"}, {"retry-after": "12"}])
def test_a_retry_after_hint_beyond_8_s_is_honoured_in_full(headers) -> None:
    fake = FakeTime()
    transport, seen = scripted(httpx.Response(400, json=GATEWAY_THROTTLE, headers=headers),
                               httpx.Response(200, json=OK))
    result, client = run(transport, query, fake)
    assert result == [] and len(seen) == 2
    assert max(fake.sleeps) >= 12.0  # the old client capped it at 8 s and was refused again


def test_a_retry_after_hint_beyond_the_call_budget_fails_at_once_and_says_so() -> None:
    fake = FakeTime()
    transport, seen = scripted(httpx.Response(400, json=GATEWAY_THROTTLE, headers={"x-acs-retry-after": "90000"}))
    with pytest.raises(ThrottledError) as info:
        run(transport, query, fake, deadline=60.0)
    assert len(seen) == 1 and max(fake.sleeps, default=0) < 1.0
    assert "retry after 90 s" in str(info.value) and "remaining 60 s" in str(info.value)


# -- time budgets -----------------------------------------------------------------------------------------------

def test_the_call_budget_starts_at_send_so_a_long_queue_fails_nothing() -> None:
    transport, seen = scripted(lambda: httpx.Response(200, json=OK))

    async def many(client: CamsClient):
        return await asyncio.gather(*(query(client) for _ in range(60)))

    started = real_time.monotonic()
    results, client = run(transport, many, qps=50, deadline=0.3)  # the last one queues ~1.2 s
    assert real_time.monotonic() - started > 1.0
    assert len(results) == 60 and client.stats.total().failed == 0


def test_an_explicit_run_budget_fails_late_calls_unsent_and_is_reported() -> None:
    transport, seen = scripted(lambda: httpx.Response(200, json=OK))

    async def many(client: CamsClient):
        return await asyncio.gather(*(query(client) for _ in range(80)), return_exceptions=True)

    results, client = run(transport, many, qps=50, run_budget=0.5)
    refused = [r for r in results if isinstance(r, RunBudgetError)]
    # how many went out before the budget ran out depends on the machine's speed; that some did and the rest
    # were refused unsent does not
    assert refused and len(seen) == 80 - len(refused) and len(seen) >= 1
    assert not refused[0].sent and "run's time budget of 0.5 s" in str(refused[0])
    assert "run time budget 0.5 s" in client.stats.summary_line()


async def _stalling(first: bytes, pause: float, forever: bool) -> AsyncIterator[bytes]:
    yield first
    while True:
        await asyncio.sleep(pause)
        if not forever:
            await asyncio.sleep(3600)
        yield b" "


@pytest.mark.parametrize(("pause", "forever"), [(30.0, False), (0.05, True)], ids=["stalled", "trickling"])
def test_a_stalled_or_trickling_body_ends_at_the_call_deadline(pause: float, forever: bool) -> None:
    transport, seen = scripted(lambda: httpx.Response(200, content=_stalling(b'{"Code": "OK"', pause, forever)))
    started = real_time.monotonic()
    with pytest.raises(TimeoutError) as info:
        run(transport, query, deadline=0.4)
    assert real_time.monotonic() - started < 20  # not the 30 s stall, nor a trickle without end
    assert info.value.sent and "time budget" in str(info.value)


# -- size limit -------------------------------------------------------------------------------------------------

class _Stream(httpx.AsyncByteStream):
    """``total`` bytes in ``size`` chunks, made only as they are read; ``chunks`` records what was read."""

    def __init__(self, chunks: list[int], size: int, total: int) -> None:
        self._chunks, self._size, self._total = chunks, size, total

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self._total // self._size):
            self._chunks.append(self._size)
            yield b"x" * self._size


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_150_mb_body_is_a_clear_error_read_no_further_than_the_limit(declared: bool) -> None:
    chunks: list[int] = []
    total = 150 * 1024 * 1024
    headers = {"content-length": str(total)} if declared else {}
    transport, seen = scripted(lambda: httpx.Response(200, headers=headers, stream=_Stream(chunks, 1 << 20, total)))
    with pytest.raises(ResponseTooLargeError) as info:
        run(transport, query, FakeTime())
    assert len(seen) == 1  # not retried: the same request would bring the same answer
    assert sum(chunks) <= 17 * (1 << 20)
    assert "larger than 16,777,216 bytes" in str(info.value)


def _gzip_bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(megabytes)), packer.flush()])


def test_a_gzip_bomb_stops_at_the_limit_without_inflating_in_memory() -> None:
    bomb = _gzip_bomb(64)  # ~64 KB on the wire, 64 MB inflated
    transport, seen = scripted(lambda: httpx.Response(200, headers={"content-encoding": "gzip"},
                                                      stream=httpx.ByteStream(bomb)))
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError) as info:
            run(transport, query, FakeTime(), max_response_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "once decompressed" in str(info.value)
    assert peak < 8 * 1024 * 1024


def test_a_gzip_answer_within_the_limit_is_read() -> None:
    body = gzip.compress(json.dumps({**OK, "PhoneNumbers": [{"PhoneNumber": "8613800001234"}]}).encode())
    transport, seen = scripted(lambda: httpx.Response(200, headers={"content-encoding": "gzip"},
                                                      stream=httpx.ByteStream(body)))
    result, _ = run(transport, query, FakeTime())
    assert result == [{"PhoneNumber": "8613800001234"}]
    assert seen[0].headers["accept-encoding"] == "gzip, deflate"


# -- parameters -------------------------------------------------------------------------------------------------

def test_a_missing_required_parameter_is_refused_before_sending() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK))
    with pytest.raises(ParameterError) as info:
        run(transport, lambda c: c.call("GetMigrationVerifyCode", {"CustSpaceId": SPACE,
                                                                    "PhoneNumber": "8613800009999"}))
    assert seen == []
    assert str(info.value) == ("GetMigrationVerifyCode needs Locale, Method (required by the API); "
                               "nothing was sent")


def test_unknown_parameters_and_wrong_types_are_refused_before_sending() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK))
    for params in ({"CustSpaceId": SPACE, "Cursor": "x"},
                   {"CustSpaceId": SPACE, "PhoneNumber": "1", "HttpFlag": "true"},
                   {"CustSpaceId": SPACE, "PhoneNumber": "1", "QueueFlag": 1}):
        action = "QueryChatappPhoneNumbers" if "Cursor" in params else "UpdatePhoneWebhook"
        with pytest.raises(ParameterError):
            run(transport, lambda c, a=action, p=params: c.call(a, p))
    assert seen == []


def test_get_migration_verify_code_sends_locale_and_method() -> None:
    transport, seen = scripted(httpx.Response(200, json={**OK, "Data": {"Id": "1"}}))
    run(transport, lambda c: c.get_migration_verify_code(SPACE, "8613800009999"), FakeTime())
    params = sent_params(seen[0])
    assert (params["Locale"], params["Method"]) == ("en_US", "sms")


def test_cust_space_id_is_optional_where_the_sdk_has_it_optional() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK))
    run(transport, lambda c: c.call("QueryChatappPhoneNumbers", {}), FakeTime())
    run(transport, lambda c: c.call("GetChatappPhoneNumberSetting", {"PhoneNumber": "8613800001234"}), FakeTime())
    assert [sent_params(r) for r in seen] == [{}, {"PhoneNumber": "8613800001234"}]


TEMPLATES = ActionSpec(
    "ListChatappTemplate", Product.CAMS, "2020-06-06", Kind.READ, RetryMode.TRANSIENT, (),
    ("CustSpaceId", "Page", "Websites", "AllowSend", "HttpFlag"),
    types={"Page": ParamType.JSON_OBJECT, "Websites": ParamType.JSON_LIST, "AllowSend": ParamType.BOOLEAN,
           "HttpFlag": ParamType.YN_FLAG},
)


def test_lists_objects_and_booleans_go_on_the_wire_exactly_as_the_sdk_sends_them() -> None:
    from alibabacloud_tea_openapi.utils import Utils  # the official SDK's serializer: the reference

    page = {"Index": 1, "Size": 20, "Filter": {"Name": "café ☕", "Tags": ["a", "b"]}}
    sites = ["https://a.example/?q=1&x=ü", "https://b.example"]
    transport, seen = scripted(httpx.Response(200, json=OK))
    run(transport, lambda c: c.call(TEMPLATES, {"Page": page, "Websites": sites, "AllowSend": True,
                                                "HttpFlag": False}), FakeTime())
    wire = sent_params(seen[0])
    assert wire["Page"] == Utils.array_to_string_with_specified_style(page, "Page", "json")
    assert wire["Websites"] == Utils.array_to_string_with_specified_style(sites, "Websites", "json")
    assert wire["AllowSend"] == Utils.query({"AllowSend": True})["AllowSend"] == "True"
    assert wire["HttpFlag"] == "N"
    assert json.loads(wire["Page"]) == page  # a real JSON object, never a Python repr


def test_json_text_is_checked_and_sent_compact() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK))
    run(transport, lambda c: c.call(TEMPLATES, {"Page": '{"Index": 2,  "Size": 50}', "Websites": '[ "https://a" ]'}),
        FakeTime())
    assert sent_params(seen[0]) == {"Page": '{"Index":2,"Size":50}', "Websites": '["https://a"]'}
    for bad in ({"Page": "[1, 2]"}, {"Page": "{Index: 1}"}, {"Websites": {"a": 1}}, {"AllowSend": "yes"}):
        with pytest.raises(ParameterError):
            run(transport, lambda c, b=bad: c.call(TEMPLATES, b))
    assert len(seen) == 1


# -- whose budget -----------------------------------------------------------------------------------------------

class RotatingKeys:
    """An STS provider: a new key id each time it is asked (a refresh)."""

    def __init__(self) -> None:
        self.n = 0

    async def get(self) -> Credentials:
        self.n += 1
        return Credentials(f"STS.key{self.n}", "secret", security_token="token")


def test_an_sts_refresh_does_not_start_a_fresh_budget() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK))

    async def three(client: CamsClient):
        for _ in range(3):
            await query(client)

    async def main():
        async with CamsClient(RotatingKeys(), transport=transport, env={}) as client:
            await three(client)
            return client

    client = asyncio.run(main())
    assert {r.headers["x-acs-accesskey-id"] for r in seen} == {"STS.key1", "STS.key2", "STS.key3"}
    assert list(client.limiter.rates()) == [("STS.key1", "QueryChatappPhoneNumbers")]


def test_the_caller_names_the_account_whose_budget_is_spent() -> None:
    transport, _ = scripted(httpx.Response(200, json=OK))
    _, client = run(transport, query, FakeTime(), account="acme-prod")
    assert list(client.limiter.rates()) == [("acme-prod", "QueryChatappPhoneNumbers")]


def test_a_request_over_the_request_line_limit_is_refused_before_sending() -> None:
    """The request line (``POST /?<query> HTTP/1.1``) may be 65,536 bytes and no more; the URL likewise."""
    from reconciler.client.client import MAX_REQUEST_LINE
    from reconciler.core.client_errors import ParameterError

    ok = {"RequestId": "r", "Code": "OK", "Message": "SUCCESS", "Success": True}
    base = {"CustSpaceId": SPACE, "PhoneNumber": "8613800001234", "About": ""}

    def line(params: dict[str, str]) -> int:
        from reconciler.client.signing import canonical_query
        return max(len(f"POST /?{canonical_query(params)} HTTP/1.1\r\n"),
                   len(f"https://cams.ap-southeast-1.aliyuncs.com/?{canonical_query(params)}"))

    room = MAX_REQUEST_LINE - line(base)
    fits = {**base, "About": "a" * room}
    assert line(fits) == MAX_REQUEST_LINE
    transport, seen = scripted(httpx.Response(200, json=ok))
    run(transport, lambda c: c.call("ModifyPhoneBusinessProfile", fits))
    assert len(seen) == 1
    transport, seen = scripted(httpx.Response(200, json=ok))
    with pytest.raises(ParameterError, match=r"ModifyPhoneBusinessProfile: the request would be 65,537 bytes.*About"):
        run(transport, lambda c: c.call("ModifyPhoneBusinessProfile", {**base, "About": "a" * (room + 1)}))
    assert seen == []
