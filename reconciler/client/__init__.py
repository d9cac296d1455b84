"""The CAMS/BSS API client: V3-signed, paced per (account, action), retrying, typed errors.

    from reconciler.client import CamsClient, resolve_credentials
    async with CamsClient(resolve_credentials(), endpoint=None) as client:
        numbers = await client.query_phone_numbers("293483938849001")
        print(client.stats.summary_line())

Modules: ``signing`` (ACS3-HMAC-SHA256), ``actions`` (the action registry), ``endpoints``, ``credentials``,
``params`` (checking and encoding parameters), ``ratelimit`` (per-account, per-action pacing within the
server's window), ``retry`` (policy, backoff, retry-after), ``responses`` (body → data or error, every
error shape), ``errors`` (the error tree), ``stats`` (counters), ``client`` (``CamsClient``).
"""

from reconciler.client.actions import ACTIONS, ActionSpec, Kind, ParamType, Product, RetryMode, get_action
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
from reconciler.client.ratelimit import RateLimiter
from reconciler.client.retry import RetryPolicy
from reconciler.client.stats import ActionStats, ClientStats

__all__ = [
    "ACTIONS", "ActionSpec", "Kind", "ParamType", "Product", "RetryMode", "get_action", "CamsClient", "ChainCredentialsProvider",
    "Credentials", "CredentialsProvider", "credentials_from_env", "resolve_credentials", "ApiError",
    "AuthenticationError", "ClientConfigError", "ClientError", "ConnectError", "CredentialsError",
    "InvalidRequestError", "NotOwnedError", "NotSubscribedError", "ParameterError", "PermissionDeniedError", "ResponseTooLargeError",
    "RunBudgetError", "ServerError",
    "ThrottledError", "TimeoutError", "TransportError", "UnknownActionError", "RateLimiter", "RetryPolicy",
    "ActionStats", "ClientStats",
]
