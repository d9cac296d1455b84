"""Credentials, endpoints, the action registry, and what the typed methods put on the wire."""

from __future__ import annotations

import asyncio
import builtins
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from reconciler.client import ACTIONS, CamsClient, Credentials, CredentialsError, get_action, resolve_credentials
from reconciler.client.actions import Kind, Product
from reconciler.client.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, credentials_from_env
from reconciler.client.endpoints import ENDPOINT_ENV, resolve_endpoints
from reconciler.client.stats import ClientStats
from reconciler.core.client_errors import ClientConfigError, ParameterError, UnknownActionError


def test_env_credentials() -> None:
    env = {ENV_ACCESS_KEY_ID: "AK", ENV_ACCESS_KEY_SECRET: "S", "ALIBABA_CLOUD_SECURITY_TOKEN": "T"}
    assert resolve_credentials(env) == Credentials("AK", "S", "T")
    assert credentials_from_env({ENV_ACCESS_KEY_ID: "AK"}) is None


def test_missing_credentials_is_one_sentence_naming_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_chain(name, *args, **kwargs):  # as if the optional library were not installed
        if name.startswith("alibabacloud_credentials"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_chain)
    with pytest.raises(CredentialsError) as info:
        resolve_credentials({})
    text = str(info.value)
    assert ENV_ACCESS_KEY_ID in text and ENV_ACCESS_KEY_SECRET in text and "\n" not in text


def test_chain_provider_is_used_when_the_library_is_installed() -> None:
    provider = resolve_credentials({})
    assert not isinstance(provider, Credentials) and hasattr(provider, "get")


def test_default_endpoints() -> None:
    eps = resolve_endpoints("ap-southeast-1", env={})
    assert eps[Product.CAMS].url == "https://cams.ap-southeast-1.aliyuncs.com"
    assert eps[Product.BSS].url == "https://business.ap-southeast-1.aliyuncs.com"
    assert resolve_endpoints("cn-hangzhou", env={})[Product.BSS].url == "https://business.aliyuncs.com"


def test_endpoint_override_from_argument_or_env() -> None:
    eps = resolve_endpoints(override="http://127.0.0.1:8080", env={})
    assert {e.url for e in eps.values()} == {"http://127.0.0.1:8080"}
    eps = resolve_endpoints(env={ENDPOINT_ENV: "proxy.example:8443"})
    assert eps[Product.BSS].url == "https://proxy.example:8443"


@pytest.mark.parametrize("bad", ["ftp://x", "http://", "http://h/path", "http://h:99999", "https://u:p@h"])
def test_bad_endpoints_are_refused(bad: str) -> None:
    with pytest.raises(ClientConfigError, match="invalid endpoint"):
        resolve_endpoints(override=bad, env={})


@pytest.mark.parametrize("bad", ["https://ops:hunter2@gw.example", "https://gw.example/?token=hunter2",
                                 "https://ops:hunter2@gw.example:99999"])
def test_a_refused_endpoint_never_echoes_its_password_or_token(bad: str) -> None:
    with pytest.raises(ClientConfigError, match="invalid endpoint") as info:
        resolve_endpoints(override=bad, env={})
    assert "hunter2" not in str(info.value) and "***" in str(info.value)


def test_a_bad_endpoint_from_the_environment_says_so() -> None:
    with pytest.raises(ClientConfigError, match=f"invalid endpoint 'ftp://x'.*from the environment variable {ENDPOINT_ENV}"):
        resolve_endpoints(env={ENDPOINT_ENV: "ftp://x"})
    with pytest.raises(ClientConfigError) as info:
        resolve_endpoints(override="ftp://x", env={})
    assert ENDPOINT_ENV not in str(info.value)


def test_bad_region_is_refused() -> None:
    with pytest.raises(ClientConfigError, match="invalid region"):
        resolve_endpoints("Singapore", env={})


def test_registry() -> None:
    expected = {"QueryChatappPhoneNumbers", "QueryPhoneBusinessProfile", "GetChatappPhoneNumberSetting",
                "ChatappSyncPhoneNumber", "ChatappMigrationVerified", "ChatappMigrationRegister",
                "GetMigrationVerifyCode", "UpdatePhoneWebhook", "ModifyPhoneBusinessProfile", "GetCustomerAccountInfo"}
    assert expected <= set(ACTIONS)  # the number settings' own rows: tests/unit/test_settings_actions.py
    assert ACTIONS["GetCustomerAccountInfo"].product is Product.BSS
    assert ACTIONS["UpdatePhoneWebhook"].kind is Kind.WRITE and ACTIONS["QueryChatappPhoneNumbers"].kind is Kind.READ
    assert "VerifyCode" in ACTIONS["ChatappMigrationVerified"].secret_params
    with pytest.raises(UnknownActionError, match="known actions: ChatappMigrationRegister"):
        get_action("DeleteEverything")


def capture(body: dict) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler), seen


def wire_params(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))


def test_methods_put_api_named_parameters_on_the_wire() -> None:
    transport, seen = capture({"Code": "OK", "RequestId": "r"})

    async def main() -> None:
        async with CamsClient(Credentials("AK", "S"), transport=transport, env={}) as c:
            await c.call("ModifyPhoneBusinessProfile", {
                "CustSpaceId": "1", "PhoneNumber": "8613800001236", "About": "Acme Retail, open 9 to 9",
                "Websites": ["https://acme.example", "https://shop.acme.example"]})
            await c.call("UpdatePhoneWebhook", {"CustSpaceId": "1", "PhoneNumber": "8613800001235",
                                                "StatusCallbackUrl": "https://h/s?token=x",
                                                "UpCallbackUrl": "https://h/u", "HttpFlag": False})
            with pytest.raises(ParameterError):
                await c.call("ModifyPhoneBusinessProfile", {"CustSpaceId": "1", "PhoneNumber": "2", "Colour": "red"})

    asyncio.run(main())
    profile, webhook = (wire_params(r) for r in seen)
    assert profile == {"CustSpaceId": "1", "PhoneNumber": "8613800001236", "About": "Acme Retail, open 9 to 9",
                       "Websites": '["https://acme.example","https://shop.acme.example"]'}
    assert json.loads(profile["Websites"]) == ["https://acme.example", "https://shop.acme.example"]
    assert webhook["HttpFlag"] == "N" and "QueueFlag" not in webhook  # what is not given is not sent
    assert webhook["StatusCallbackUrl"] == "https://h/s?token=x"
    assert seen[0].method == "POST" and seen[0].url.path == "/" and seen[0].content == b""
    assert seen[0].headers["x-acs-action"] == "ModifyPhoneBusinessProfile"


def test_stats_summary_line() -> None:
    stats = ClientStats()
    s = stats.for_action("QueryChatappPhoneNumbers")
    s.calls, s.retries, s.throttled = 3, 2, 1
    stats.for_action("UpdatePhoneWebhook").calls = 1
    assert stats.summary_line() == ("API: 4 calls, 2 retries, 1 throttled, 0 failed "
                                    "(QueryChatappPhoneNumbers 3, UpdatePhoneWebhook 1)")
    assert stats.to_dict()["QueryChatappPhoneNumbers"]["retries"] == 2
