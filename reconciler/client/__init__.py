"""The CAMS/BSS API client: V3-signed, rate-limited per (access key, action), retrying, typed errors.

    from reconciler.client import CamsClient, resolve_credentials
    async with CamsClient(resolve_credentials(), endpoint=None) as client:
        numbers = await client.query_phone_numbers("293483938849001")
        print(client.stats.summary_line())

Modules: ``signing`` (ACS3-HMAC-SHA256), ``actions`` (the action registry), ``endpoints``, ``credentials``,
``ratelimit`` (adaptive token buckets), ``retry`` (policy and backoff), ``responses`` (body → data or
error), ``errors`` (the error tree), ``stats`` (counters), ``client`` (``CamsClient``).
"""

from reconciler.client.actions import ACTIONS, ActionSpec, Kind, Product, RetryMode, get_action
from reconciler.client.client import CamsClient
from reconciler.client.credentials import (
    ChainCredentialsProvider,
    Credentials,
    CredentialsProvider,
    credentials_from_env,
    resolve_credentials,
)
from reconciler.client.errors import (
    ApiError,
    AuthenticationError,
    ClientConfigError,
    ClientError,
    ConnectError,
    CredentialsError,
    InvalidRequestError,
    NotOwnedError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    TimeoutError,
    TransportError,
    UnknownActionError,
)
from reconciler.client.ratelimit import RateLimiter
from reconciler.client.retry import RetryPolicy
from reconciler.client.stats import ActionStats, ClientStats

__all__ = [
    "ACTIONS", "ActionSpec", "Kind", "Product", "RetryMode", "get_action", "CamsClient", "ChainCredentialsProvider",
    "Credentials", "CredentialsProvider", "credentials_from_env", "resolve_credentials", "ApiError",
    "AuthenticationError", "ClientConfigError", "ClientError", "ConnectError", "CredentialsError",
    "InvalidRequestError", "NotOwnedError", "NotSubscribedError", "PermissionDeniedError", "ServerError",
    "ThrottledError", "TimeoutError", "TransportError", "UnknownActionError", "RateLimiter", "RetryPolicy",
    "ActionStats", "ClientStats",
]
