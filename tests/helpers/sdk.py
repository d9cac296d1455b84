"""The official SDKs: their clients pointed at an emulator, the error of a call that must fail, and the
parameters of a CAMS request model (what the action tables and the kinds' fields are checked against)."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from alibabacloud_bssopenapi20171214.client import Client as BssClient
from alibabacloud_cams20200606 import models as cams
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


#: Request parameters of every model that only a caller's own account context uses: the reconciler never sends them.
ACCOUNT_CONTEXT = frozenset({"OwnerId", "ResourceOwnerAccount", "ResourceOwnerId"})


def request_fields(action: str) -> tuple[set[str], set[str]]:
    """(every wire name of the CAMS SDK's request model of ``action`` but the account context, the ones its
    comments mark required), read by setting each attribute of a blank request and looking at ``to_map``."""
    model = getattr(cams, f"{action}Request")
    source = inspect.getsource(model.__init__)
    required_attrs = re.findall(r"This parameter is required\.\n(?:\s*#.*\n)*\s*self\.(\w+) =", source)
    names = inspect.signature(model.__init__).parameters
    wire: dict[str, str] = {}
    always = set(model().to_map())  # list fields the SDK's to_map emits even when unset
    for attr in names:
        if attr == "self":
            continue
        probe = model()
        setattr(probe, attr, "x")
        try:
            keys = set(probe.to_map()) - always
        except (AttributeError, TypeError):  # a nested model (Page, Components): the capitalised name
            keys = {"".join(part.capitalize() for part in attr.split("_"))}
        wire[attr] = next(iter(keys))
    return set(wire.values()) - ACCOUNT_CONTEXT, {wire[a] for a in required_attrs}
