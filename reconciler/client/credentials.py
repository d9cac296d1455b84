"""Credentials: the access key (and STS token) a request is signed with, and where they come from.

Environment variables are read here directly, so the common case (and CI with stored secrets) needs no
extra dependency. The rest of Alibaba Cloud's standard chain (OIDC role for CI, ``~/.aliyun/config.json``
profiles, ``credentials.ini``, ECS RAM role, credentials URI) is delegated to the official
``alibabacloud-credentials`` library when it is installed (``pip install cams-reconciler[credentials]``):
it is imported lazily because it reads the environment at import time and pulls in aiohttp, requests and
APScheduler. Short-lived credentials from the chain are fetched again before every request (the library
caches and refreshes them), so a long apply survives an STS token's expiry.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

from reconciler.client.errors import CredentialsError

ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"

MISSING_MESSAGE = (
    f"no Alibaba Cloud credentials found: set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} "
    f"(and {ENV_SECURITY_TOKEN} for STS), or install cams-reconciler[credentials] to use the standard "
    "chain (OIDC role, CLI profile, ECS RAM role)"
)

CHAIN_FAILED_MESSAGE = (
    f"no Alibaba Cloud credentials found: set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} "
    f"(and {ENV_SECURITY_TOKEN} for STS), or configure the standard chain "
    "(OIDC role, ~/.aliyun/config.json profile, ECS RAM role); none of it yielded a key"
)


@dataclass(frozen=True)
class Credentials:
    """An access key, optionally with an STS security token. The repr never shows the secret or token."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise CredentialsError("credentials need both an access key id and an access key secret")

    def secrets(self) -> tuple[str, ...]:
        """The values to scrub from any text we show."""
        return tuple(s for s in (self.access_key_secret, self.security_token) if s)

    async def get(self) -> "Credentials":
        return self


@runtime_checkable
class CredentialsProvider(Protocol):
    """Anything that yields current credentials; called before every request so it may refresh them."""

    async def get(self) -> Credentials: ...


class ChainCredentialsProvider:
    """The official library's default chain, behind our interface. Its errors become one CredentialsError."""

    def __init__(self, client: Any) -> None:
        self._client = client
        _quiet_chain_logger()

    def __repr__(self) -> str:
        return "ChainCredentialsProvider(alibabacloud_credentials default chain)"

    async def get(self) -> Credentials:
        try:
            model = await self._client.get_credential_async()
        except Exception as exc:  # the library raises its own CredentialException and network errors
            # The library's own text is not shown: it may quote files and responses we cannot vouch for.
            raise CredentialsError(f"{CHAIN_FAILED_MESSAGE} ({type(exc).__name__})") from None
        if not getattr(model, "access_key_id", None) or not getattr(model, "access_key_secret", None):
            raise CredentialsError(CHAIN_FAILED_MESSAGE)
        return Credentials(model.access_key_id, model.access_key_secret, model.security_token or None)


def _quiet_chain_logger() -> None:
    """Silence the library's "credentials" logger.

    On import it attaches its own stderr StreamHandler at INFO, and it logs every failed provider as a
    WARNING with a traceback, and refresh failures with the cached credential value interpolated. A CLI
    must print one clear line, never a traceback, and no log line may risk holding a secret: so its
    handlers go, and its records stop here. What failed is still reported: our CredentialsError names
    the exception class.
    """
    chain_log = logging.getLogger("credentials")
    for handler in list(chain_log.handlers):
        chain_log.removeHandler(handler)
    chain_log.addHandler(logging.NullHandler())
    chain_log.propagate = False


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from the three standard variables, or None when the key id or secret is unset."""
    env = os.environ if env is None else env
    key_id = env.get(ENV_ACCESS_KEY_ID, "").strip()
    secret = env.get(ENV_ACCESS_KEY_SECRET, "").strip()
    if not key_id or not secret:
        return None
    return Credentials(key_id, secret, env.get(ENV_SECURITY_TOKEN, "").strip() or None)


def resolve_credentials(env: Mapping[str, str] | None = None, *, use_chain: bool = True) -> Credentials | CredentialsProvider:
    """Env vars first; then the official chain if the library is installed; else one clear error."""
    found = credentials_from_env(env)
    if found is not None:
        return found
    if use_chain:
        try:
            from alibabacloud_credentials.client import Client as _ChainClient  # lazy: heavy, reads env on import
        except ImportError:
            pass
        else:
            return ChainCredentialsProvider(_ChainClient())
    raise CredentialsError(MISSING_MESSAGE)
