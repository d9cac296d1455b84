"""The official SDK's clients pointed at an emulator, and the SDK's error of a call that must fail."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_bssopenapi20171214.client import Client as BssClient
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_tea_openapi.utils_models import Config


def _config(emu: Any, key: str, secret: str) -> Config:
    # The SDK builds the URL from protocol + endpoint ("host:port") and signs host = endpoint.
    return Config(access_key_id=key, access_key_secret=secret, endpoint=emu.endpoint, protocol="http")


def cams_client(emu: Any, key: str = "demo", secret: str = "demo-secret") -> CamsClient:
    return CamsClient(_config(emu, key, secret))


def bss_client(emu: Any, key: str = "demo", secret: str = "demo-secret") -> BssClient:
    return BssClient(_config(emu, key, secret))


def error_of(call: Any) -> Any:
    """Run an SDK call that must fail; return the SDK's exception (it carries code, status_code, data)."""
    with pytest.raises(Exception) as info:
        call()
    exc = info.value
    assert getattr(exc, "code", None), f"not an API error: {exc!r}"
    return exc
