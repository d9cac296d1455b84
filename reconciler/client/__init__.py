"""The CAMS/BSS API client: V3-signed, paced per (account, action), retrying, typed errors.

    from reconciler.client import CamsClient, resolve_credentials
    async with CamsClient(resolve_credentials(), endpoint=None) as client:
        numbers = await client.query_phone_numbers("293483938849001")
        print(client.stats.summary_line())

Modules: ``signing`` (ACS3-HMAC-SHA256), ``actions`` (the action registry), ``endpoints``, ``credentials``,
``params`` (checking and encoding parameters), ``ratelimit`` (per-account, per-action pacing within the
server's window), ``retry`` (policy, backoff, retry-after), ``responses`` (body → data or error, every
error shape), ``stats`` (counters), ``client`` (``CamsClient``). The error tree is
``reconciler.core.client_errors`` (every layer names those errors; this surface names them too).

The names load lazily (PEP 562 ``__getattr__``, as ``reconciler.engine``): ``import reconciler.client`` loads
none of its modules, so a command's ``--help`` (which names the defaults of ``--region`` and ``--qps``) and
``validate`` never import httpx or asyncio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.client.actions import ACTIONS, ActionSpec, Kind, ParamType, Product, RetryMode, get_action
    from reconciler.client.client import CamsClient
    from reconciler.client.credentials import (
        ChainCredentialsProvider,
        Credentials,
        CredentialsProvider,
        credentials_from_env,
        resolve_credentials,
    )
    from reconciler.client.ratelimit import RateLimiter
    from reconciler.client.retry import RetryPolicy
    from reconciler.client.stats import ActionStats, ClientStats
    from reconciler.core.client_errors import (
        ApiError,
        AuthenticationError,
        ClientConfigError,
        ClientError,
        ConnectError,
        CredentialsError,
        InvalidRequestError,
        NotOwnedError,
        NotSubscribedError,
        ParameterError,
        PermissionDeniedError,
        ResponseTooLargeError,
        RunBudgetError,
        ServerError,
        ThrottledError,
        TimeoutError,
        TransportError,
        UnknownActionError,
    )

#: Public name → its module (the same names as the ``TYPE_CHECKING`` imports and ``__all__``).
_SURFACE: dict[str, str] = {
    "ACTIONS": "actions",
    "ActionSpec": "actions",
    "Kind": "actions",
    "ParamType": "actions",
    "Product": "actions",
    "RetryMode": "actions",
    "get_action": "actions",
    "CamsClient": "client",
    "ChainCredentialsProvider": "credentials",
    "Credentials": "credentials",
    "CredentialsProvider": "credentials",
    "credentials_from_env": "credentials",
    "resolve_credentials": "credentials",
    "ApiError": "reconciler.core.client_errors",
    "AuthenticationError": "reconciler.core.client_errors",
    "ClientConfigError": "reconciler.core.client_errors",
    "ClientError": "reconciler.core.client_errors",
    "ConnectError": "reconciler.core.client_errors",
    "CredentialsError": "reconciler.core.client_errors",
    "InvalidRequestError": "reconciler.core.client_errors",
    "NotOwnedError": "reconciler.core.client_errors",
    "NotSubscribedError": "reconciler.core.client_errors",
    "ParameterError": "reconciler.core.client_errors",
    "PermissionDeniedError": "reconciler.core.client_errors",
    "ResponseTooLargeError": "reconciler.core.client_errors",
    "RunBudgetError": "reconciler.core.client_errors",
    "ServerError": "reconciler.core.client_errors",
    "ThrottledError": "reconciler.core.client_errors",
    "TimeoutError": "reconciler.core.client_errors",
    "TransportError": "reconciler.core.client_errors",
    "UnknownActionError": "reconciler.core.client_errors",
    "RateLimiter": "ratelimit",
    "RetryPolicy": "retry",
    "ActionStats": "stats",
    "ClientStats": "stats",
}

__all__ = [
    "ACTIONS", "ActionSpec", "Kind", "ParamType", "Product", "RetryMode", "get_action", "CamsClient", "ChainCredentialsProvider",
    "Credentials", "CredentialsProvider", "credentials_from_env", "resolve_credentials", "ApiError",
    "AuthenticationError", "ClientConfigError", "ClientError", "ConnectError", "CredentialsError",
    "InvalidRequestError", "NotOwnedError", "NotSubscribedError", "ParameterError", "PermissionDeniedError", "ResponseTooLargeError",
    "RunBudgetError", "ServerError",
    "ThrottledError", "TimeoutError", "TransportError", "UnknownActionError", "RateLimiter", "RetryPolicy",
    "ActionStats", "ClientStats",
]


def __getattr__(name: str) -> Any:
    module = _SURFACE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module if "." in module else f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later lookups do not come back here
    return value
