"""Credentials: the access key (and STS token) a request is signed with, and where they come from.

Environment variables are read here directly, so the common case (and CI with stored secrets) needs no
extra dependency. The rest of Alibaba Cloud's standard chain (OIDC role for CI, ``~/.aliyun/config.json``
profiles, ``credentials.ini``, ECS RAM role, credentials URI) is delegated to the official
``alibabacloud-credentials`` library when it is installed (``pip install cams-reconciler[credentials]``):
it is imported lazily because it reads the environment at import time and pulls in aiohttp, requests and
APScheduler. Short-lived credentials from the chain are fetched again before every request (the library
caches and refreshes them), so a long apply survives an STS token's expiry.

Profiles, the ``aliyun`` CLI way: ``--profile NAME`` (or ``ALIBABA_CLOUD_PROFILE``) names a profile of
``~/.aliyun/config.json`` (``{"current": NAME, "profiles": [{"name": NAME, "mode": "AK", ...}]}``).
``ProfileCredentialsProvider`` checks the file, the name and the mode itself, so a typo gets one clear line
naming the profiles there are, then hands the profile to the library's own ``CLIProfileCredentialsProvider``
(imported lazily), which implements every mode (AK, StsToken, RamRoleArn, EcsRamRole, OIDC, ...) and
refreshes temporary credentials. The file is located when credentials are first needed (``$HOME`` then),
never at import.

The accounts of a repository (``accounts:`` in the desired state) each name a profile or the environment
variables holding their key: ``account_credentials`` turns one into credentials.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reconciler.core.client_errors import CredentialsError
from reconciler.core.defaults import ENV_PROFILE

ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"

#: The modes of ``~/.aliyun/config.json`` profiles that ``alibabacloud-credentials`` implements.
PROFILE_MODES = ("AK", "StsToken", "RamRoleArn", "EcsRamRole", "OIDC", "ChainableRamRoleArn", "CloudSSO",
                 "OAuth", "External")

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

    async def get(self) -> Credentials:
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


class DeferredCredentials:
    """Credentials made on the first ``get()`` (then kept): an account whose spaces a run does not read
    never needs its secrets in the environment, and a missing one fails when it is needed, naming it."""

    def __init__(self, make: Callable[[], Credentials | CredentialsProvider]) -> None:
        self._make = make
        self._made: Credentials | CredentialsProvider | None = None

    def __repr__(self) -> str:
        return "DeferredCredentials()"

    async def get(self) -> Credentials:
        if self._made is None:
            self._made = self._make()
        return await self._made.get()


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


def cli_config_path() -> Path:
    """``~/.aliyun/config.json``, where the ``aliyun`` CLI keeps its profiles (``$HOME`` read now)."""
    return Path(os.path.expanduser("~")) / ".aliyun" / "config.json"


class ProfileCredentialsProvider:
    """Credentials from one profile of ``~/.aliyun/config.json``, by the official library (any mode it has).

    ``what`` says who asked for the profile in messages (``--profile``, ``ALIBABA_CLOUD_PROFILE``, or an
    account of the repository). The file is checked on the first ``get()``; the library's provider is kept
    for the run, so temporary credentials are fetched once and refreshed before they expire.
    """

    def __init__(self, profile: str, *, what: str = "--profile", path: Path | None = None) -> None:
        self.profile = profile
        self.what = what
        self.path = path or cli_config_path()
        self._inner: Any = None

    def __repr__(self) -> str:
        return f"ProfileCredentialsProvider({self.profile!r})"

    def _fail(self, why: str) -> CredentialsError:
        return CredentialsError(f"{self.what}: profile {self.profile!r}: {why}")

    def check(self) -> str:
        """The profile's mode, after checking the file holds it and the mode is one the library has."""
        try:
            config = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self._fail(f"{self.path} does not exist (create the profile with "
                             f"`aliyun configure --profile {self.profile}`)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._fail(f"cannot read {self.path} ({type(exc).__name__})") from None
        except ValueError:
            raise self._fail(f"{self.path} is not valid JSON") from None
        profiles = config.get("profiles") if isinstance(config, dict) else None
        entries = [p for p in profiles if isinstance(p, dict)] if isinstance(profiles, list) else []
        found = next((p for p in entries if p.get("name") == self.profile), None)
        if found is None:
            names = ", ".join(sorted(str(p.get("name")) for p in entries if p.get("name"))) or "none"
            raise self._fail(f"no such profile in {self.path} (profiles there: {names})")
        mode = found.get("mode")
        if mode not in PROFILE_MODES:
            raise self._fail(f"mode {mode!r} is not supported (supported: {', '.join(PROFILE_MODES)})")
        return str(mode)

    def _provider(self) -> Any:
        if self._inner is None:
            self.check()
            try:
                from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider  # lazy
            except ImportError:
                raise self._fail("reading CLI profiles needs the alibabacloud-credentials library "
                                 "(pip install cams-reconciler[credentials])") from None
            _quiet_chain_logger()
            self._inner = CLIProfileCredentialsProvider(profile_name=self.profile, profile_file=str(self.path))
        return self._inner

    async def get(self) -> Credentials:
        provider = self._provider()
        try:
            model = await provider.get_credentials_async()
        except Exception as exc:  # the library's CredentialException, STS or metadata-server failures
            # Its text is not shown: it may quote the file or a response we cannot vouch for.
            raise self._fail(f"the profile yielded no credentials ({type(exc).__name__})") from None
        key_id, secret = model.get_access_key_id(), model.get_access_key_secret()
        if not key_id or not secret:
            raise self._fail("the profile has no access key id or secret")
        return Credentials(key_id, secret, model.get_security_token() or None)


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from the three standard variables, or None when the key id or secret is unset."""
    env = os.environ if env is None else env
    key_id = env.get(ENV_ACCESS_KEY_ID, "").strip()
    secret = env.get(ENV_ACCESS_KEY_SECRET, "").strip()
    if not key_id or not secret:
        return None
    return Credentials(key_id, secret, env.get(ENV_SECURITY_TOKEN, "").strip() or None)


def resolve_credentials(env: Mapping[str, str] | None = None, *, use_chain: bool = True,
                        profile: str | None = None) -> Credentials | CredentialsProvider:
    """The ambient credentials: ``profile`` (``--profile``) when given; else the key in the environment;
    else the profile ``ALIBABA_CLOUD_PROFILE`` names; else the official chain if the library is installed;
    else one clear error."""
    env = os.environ if env is None else env
    if profile:
        return ProfileCredentialsProvider(profile, what="--profile")
    found = credentials_from_env(env)
    if found is not None:
        return found
    named = env.get(ENV_PROFILE, "").strip()
    if named:
        return ProfileCredentialsProvider(named, what=ENV_PROFILE)
    if use_chain:
        try:
            from alibabacloud_credentials.client import Client as _ChainClient  # lazy: heavy, reads env on import
        except ImportError:
            pass
        else:
            return ChainCredentialsProvider(_ChainClient())
    raise CredentialsError(MISSING_MESSAGE)


class AccountSource(Protocol):
    """Where one account's credentials come from (``core.model.Account`` has these fields). Read-only
    members, so a frozen dataclass satisfies it."""

    @property
    def name(self) -> str: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def access_key_id_env(self) -> str | None: ...
    @property
    def access_key_secret_env(self) -> str | None: ...
    @property
    def security_token_env(self) -> str | None: ...


def account_credentials(account: AccountSource, env: Mapping[str, str] | None = None) -> Credentials | CredentialsProvider:
    """The credentials of a declared account: its CLI profile, or its key read now from the environment
    variables it names. A variable that is unset is named in the error; no value is ever shown."""
    env = os.environ if env is None else env
    what = f"account {account.name!r}"
    if account.profile:
        return ProfileCredentialsProvider(account.profile, what=what)
    values: dict[str, str | None] = {}
    for label, var in (("access key id", account.access_key_id_env),
                       ("access key secret", account.access_key_secret_env),
                       ("security token", account.security_token_env)):
        if var is None:
            values[label] = None
            continue
        value = env.get(var, "").strip()
        if not value:
            raise CredentialsError(f"{what}: the environment variable {var} (its {label}) is not set")
        values[label] = value
    key_id, secret = values["access key id"], values["access key secret"]
    if not key_id or not secret:
        raise CredentialsError(f"{what}: no credentials: name a `profile`, or `access_key_id_env` and "
                               "`access_key_secret_env`")
    return Credentials(key_id, secret, values["security token"])
