"""CamsClient against the bundled emulator over real loopback HTTP: signatures, typed methods, faults,
throttling, permissions, counters and secrecy."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from reconciler.client import (
    AuthenticationError,
    CamsClient,
    ClientError,
    Credentials,
    InvalidRequestError,
    NotOwnedError,
    NotSubscribedError,
    PermissionDeniedError,
    RateLimiter,
)

RETAIL, TRAVEL, GLOBEX = "293483938849001", "293483938849002", "293483938849003"
VERIFY_CODE = "828712"


def profile_of(c: CamsClient, space: str, phone: str) -> Any:
    async def read() -> dict[str, Any]:
        return (await c.call("QueryPhoneBusinessProfile", {"CustSpaceId": space, "PhoneNumber": phone}))["Data"]
    return read()


def set_webhook(c: CamsClient, space: str, phone: str, status: str, up: str) -> Any:
    return c.call("UpdatePhoneWebhook", {"CustSpaceId": space, "PhoneNumber": phone, "StatusCallbackUrl": status,
                                         "UpCallbackUrl": up})


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_reads_return_api_shaped_data(emulator) -> None:
    emu = emulator()

    async def main() -> None:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url) as c:
            numbers = await c.query_phone_numbers(RETAIL)
            by_number = {n["PhoneNumber"]: n for n in numbers}
            assert by_number["8613800001235"]["StatusCallbackUrl"] == "https://old-hooks.acme.example/cams/status"
            assert by_number["8613800001237"]["QualityRating"] == "YELLOW"
            assert "8613800005678" not in by_number  # pending sync
            profile = await profile_of(c, RETAIL, "8613800001236")
            assert profile["About"] == "Acme Retail" and profile["Websites"] == ["https://acme.example"]
            setting = await c.call("GetChatappPhoneNumberSetting", {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001234"})
            assert setting["Model"]["PhoneNumber"] == "8613800001234"
            account = await c.get_customer_account_info()
            assert account["HostingStatus"] == "TRUSTEESHIP" and account["IsCertified"] is True
            assert c.stats.total().calls == 4 and c.stats.total().retries == 0

    run(main())


def test_emulator_accepts_our_signature_on_awkward_values(emulator) -> None:
    """Spaces, *, /, ~, non-ASCII and a JSON array all survive signing, the wire, and the verifier."""
    emu = emulator()
    about = "Acme Retail, open 9 to 9 * / ~ Café 日本 🙂"
    sites = ["https://acme.example", "https://shop.acme.example/a b?x=1&y=~"]

    async def main() -> dict[str, Any]:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url) as c:
            await c.call("ModifyPhoneBusinessProfile", {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001236",
                                                       "About": about, "Websites": sites})
            return await profile_of(c, RETAIL, "8613800001236")

    profile = run(main())
    assert profile["About"] == about and profile["Websites"] == sites


def test_writes_change_the_emulator_state(emulator) -> None:
    emu = emulator()

    async def main() -> None:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url) as c:
            await set_webhook(c, RETAIL, "8613800001235", "https://hooks.acme.example/cams/status",
                                         "https://hooks.acme.example/cams/inbound")
            numbers = {n["PhoneNumber"]: n for n in await c.query_phone_numbers(RETAIL)}
            assert numbers["8613800001235"]["StatusCallbackUrl"] == "https://hooks.acme.example/cams/status"
            synced = await c.sync_phone_numbers(RETAIL)
            assert "8613800005678" in {n["PhoneNumber"] for n in synced}
            verified = await c.migration_verified(TRAVEL, "8613800009999", VERIFY_CODE)
            assert verified["PhoneNumber"] == "8613800009999"
            assert (await c.migration_register(TRAVEL, "8613800009999"))["Code"] == "OK"
            assert "8613800009999" in {n["PhoneNumber"] for n in await c.query_phone_numbers(TRAVEL)}
            raw = await c.call("QueryChatappPhoneNumbers", {"CustSpaceId": GLOBEX})
            assert raw["Code"] == "OK" and len(raw["PhoneNumbers"]) == 3 and raw["RequestId"]

    run(main())


def test_fault_rate_020_every_call_still_succeeds(emulator) -> None:
    emu = emulator(fault_rate=0.2, seed=20, qps=0)  # server limit off: this test is about faults

    async def main() -> CamsClient:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=500) as c:
            calls = [c.query_phone_numbers(space) for space in (RETAIL, TRAVEL, GLOBEX) * 20]
            calls += [profile_of(c, GLOBEX, "14155550123") for _ in range(20)]
            calls += [set_webhook(c, GLOBEX, "14155550123", "https://hooks.globex.example/wa/status",
                                             "https://hooks.globex.example/wa/inbound") for _ in range(20)]
            results = await asyncio.gather(*calls)  # raises on the first surfaced error
            assert len(results) == 100
            return c

    client = run(main())
    total = client.stats.total()
    assert total.calls == 100 and total.failed == 0
    assert total.retries > 0 and total.attempts == total.calls + total.retries


def test_throttling_by_the_server_is_absorbed_and_slows_the_bucket(emulator) -> None:
    """A client configured far above the server's budget: throttled, adapts, and every call succeeds."""
    emu = emulator(qps=20)

    async def main() -> CamsClient:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=200) as c:
            await asyncio.gather(*(c.query_phone_numbers(GLOBEX) for _ in range(60)))
            return c

    client = run(main())
    stats = client.stats.actions["QueryChatappPhoneNumbers"]
    assert stats.calls == 60 and stats.failed == 0
    assert stats.throttled > 0 and stats.retries >= stats.throttled
    assert client.limiter.bucket(emu.credentials[0], "QueryChatappPhoneNumbers").throttle_cuts > 0


def test_a_shared_limiter_keeps_two_clients_within_one_budget(emulator) -> None:
    """50 calls from two clients at 20/s as one budget never trip a server allowing 20/s; two private
    limiters would send 40/s and exceed the server's 20-request burst plus refill within about a second."""
    emu = emulator(qps=20)

    async def main() -> list[CamsClient]:
        limiter = RateLimiter(20)
        clients = [CamsClient(Credentials(*emu.credentials), endpoint=emu.url, limiter=limiter) for _ in range(2)]
        try:
            await asyncio.gather(*(c.query_phone_numbers(GLOBEX) for c in clients for _ in range(25)))
        finally:
            for c in clients:
                await c.aclose()
        return clients

    clients = run(main())
    assert sum(c.stats.total().throttled for c in clients) == 0


def test_read_only_key_write_fails_at_once_without_retry(emulator, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    emu = emulator(audit_log=audit)

    async def main() -> CamsClient:
        async with CamsClient(Credentials("readonly", "readonly-secret"), endpoint=emu.url) as c:
            with pytest.raises(PermissionDeniedError) as info:
                await set_webhook(c, RETAIL, "8613800001235", "https://x.example/s", "https://x.example/u")
            err = info.value
            assert err.code == "Ram.PermissionDeny" and err.attempts == 1 and err.request_id
            assert err.action == "UpdatePhoneWebhook" and err.phone_number == "8613800001235"
            assert (await c.query_phone_numbers(RETAIL))  # reads are allowed
            return c

    client = run(main())
    stats = client.stats.actions["UpdatePhoneWebhook"]
    assert (stats.calls, stats.attempts, stats.retries, stats.failed) == (1, 1, 0, 1)
    emu.stop()
    assert [line["action"] for line in audit_lines(audit)].count("UpdatePhoneWebhook") == 1


def test_wrong_secret_is_an_authentication_error_without_retry(emulator) -> None:
    emu = emulator()

    async def main() -> None:
        async with CamsClient(Credentials(emu.credentials[0], "not-the-secret"), endpoint=emu.url) as c:
            with pytest.raises(AuthenticationError) as info:
                await c.query_phone_numbers(RETAIL)
            assert info.value.code == "SignatureDoesNotMatch" and info.value.attempts == 1
            assert "not-the-secret" not in str(info.value) + repr(info.value)

    run(main())


def test_ownership_and_subscription_errors_are_typed(emulator, example_state) -> None:
    example_state["spaces"][GLOBEX]["subscribed"] = False
    emu = emulator(example_state)

    async def main() -> None:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url) as c:
            with pytest.raises(NotOwnedError):
                await c.query_phone_numbers("999999999999999")
            with pytest.raises(NotSubscribedError):
                await c.query_phone_numbers(GLOBEX)

    run(main())


def test_verify_code_never_reaches_errors_or_logs(emulator, caplog: pytest.LogCaptureFixture) -> None:
    emu = emulator()
    wrong = "111999"

    async def main() -> ClientError:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url) as c:
            with pytest.raises(InvalidRequestError) as info:
                await c.migration_verified(TRAVEL, "8613800009999", wrong)
            await c.migration_verified(TRAVEL, "8613800009999", VERIFY_CODE)
            await set_webhook(c, TRAVEL, "6591234567",
                                         "https://hooks.acme.example/travel/status?token=tr4vel-s3cret",
                                         "https://hooks.acme.example/cams/inbound")
            return info.value

    with caplog.at_level(logging.DEBUG):
        err = run(main())
    assert err.code == "Migration.VerifyCodeError"
    text = str(err) + repr(err) + "\n".join(r.getMessage() for r in caplog.records)
    assert "VerifyCode" in text  # the parameter's name was logged, masked
    for secret in (wrong, VERIFY_CODE, "tr4vel-s3cret", emu.credentials[1]):
        assert secret not in text
