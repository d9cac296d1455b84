"""The options every networked command shares, their environment defaults, and the clients they open.

    --profile NAME       an aliyun CLI profile of ~/.aliyun/config.json (else env ALIBABA_CLOUD_PROFILE,
                         after the key variables, as the standard chain orders them)
    --endpoint URL       one base URL for every API (else CAMS_RECONCILER_ENDPOINT, else the regional ones)
    --emulator STATE     start the bundled emulator in-process with that state file (else CAMS_RECONCILER_EMULATOR)
    --region R           else CAMS_RECONCILER_REGION, else ALIBABA_CLOUD_REGION_ID, else ap-southeast-1
    --qps N              client-side budget per (account, action), else CAMS_RECONCILER_QPS, else 10

Which value wins, for each account: the option given on the command line; else what the repository's
``accounts:`` entry says (its ``region``, ``endpoint``); else the environment variable; else the default.
The environment variables are read when the command runs, never at import.

``open_clients(args, desired)`` opens one client per account the desired state's spaces use, once per run,
as an ``AccountClients`` (``engine/accounts.py``); ``open_client(args)`` opens the one ambient client
(``call``, ``import``).
"""

from __future__ import annotations

import argparse
import os
import textwrap
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from reconciler.cli._numbers import QPS_RANGE, bounded_float
from reconciler.core.defaults import DEFAULT_ACCOUNT, DEFAULT_QPS, DEFAULT_REGION, ENDPOINT_ENV, ENV_PROFILE
from reconciler.core.errors import ReconcilerError

if TYPE_CHECKING:  # the client (httpx, asyncio), the model and the engine load when clients are opened, not by --help
    from reconciler.client import CamsClient, Credentials, CredentialsProvider
    from reconciler.core.model import Account, DesiredState
    from reconciler.engine import AccountClients

ENV_EMULATOR = "CAMS_RECONCILER_EMULATOR"
ENV_REGION = "CAMS_RECONCILER_REGION"
ENV_REGION_STANDARD = "ALIBABA_CLOUD_REGION_ID"
ENV_QPS = "CAMS_RECONCILER_QPS"
#: The declared account whose key the ambient credentials are (a matrix job's OIDC role: docs/gitops.md).
ENV_AMBIENT_ACCOUNT = "CAMS_RECONCILER_AMBIENT_ACCOUNT"

#: (option, environment variables in the order they are read, what it is) — the ``--help`` table.
ENVIRONMENT = (
    ("--profile", (ENV_PROFILE,), "aliyun CLI profile (~/.aliyun/config.json) when no key variable is set"),
    ("--endpoint", (ENDPOINT_ENV,), "one base URL for every API"),
    ("--emulator", (ENV_EMULATOR,), "run against the bundled emulator with this state file"),
    ("--region", (ENV_REGION, ENV_REGION_STANDARD), f"region id (default {DEFAULT_REGION})"),
    ("--qps", (ENV_QPS,), f"requests per second per API and account (default {DEFAULT_QPS:g})"),
)
CREDENTIALS_HELP = (
    "credentials: --profile, else ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (and "
    "ALIBABA_CLOUD_SECURITY_TOKEN), else ALIBABA_CLOUD_PROFILE, else the standard chain (OIDC role, "
    "~/.aliyun/config.json current profile, ECS RAM role); profile modes AK, StsToken, RamRoleArn, "
    "EcsRamRole, OIDC. Accounts declared under `accounts:` in the YAML use their own profile or variables, "
    f"except the one named by {ENV_AMBIENT_ACCOUNT} (a CI job's role for that one account), which uses these."
)


def positive_float(text: str) -> float:
    """A ``--qps`` value (option or environment): finite and within ``QPS_RANGE`` (``1e-300`` would make
    the first request wait forever)."""
    return bounded_float(*QPS_RANGE)(text)


def _epilog(prog_example: str) -> str:
    width = max(len(opt) for opt, _, _ in ENVIRONMENT)
    rows = [f"  {opt:<{width}}  {' then '.join(names)}: {what}" for opt, names, what in ENVIRONMENT]
    return "\n".join([
        "environment (read when no option is given):", *rows, "", textwrap.fill(CREDENTIALS_HELP, width=100),
        "", "examples:",
        f"  {prog_example} --profile prod",
        f"  ALIBABA_CLOUD_PROFILE=prod {ENV_REGION}=ap-southeast-1 {ENV_QPS}=5 {prog_example}",
        f"  {prog_example} --emulator examples/emulator-state.yaml",
    ])


def add_client_arguments(parser: argparse.ArgumentParser, *, example: str | None = None) -> None:
    """The connection options, and an epilog listing their environment variables with examples.

    ``example``: the command line the examples extend (default ``PROG examples/spaces``)."""
    group = parser.add_argument_group("API connection")
    group.add_argument("--profile", metavar="NAME",
                       help=f"aliyun CLI profile in ~/.aliyun/config.json (default: env {ENV_PROFILE} when no "
                            "key variable is set)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--endpoint", metavar="URL",
                       help=f"one base URL for every API (default: env {ENDPOINT_ENV}, else the regional endpoints)")
    where.add_argument("--emulator", metavar="STATE_FILE",
                       help=f"start the bundled CAMS emulator in-process with this state file and use it "
                            f"(default: env {ENV_EMULATOR})")
    group.add_argument("--region", help=f"region id (default: env {ENV_REGION}, else {ENV_REGION_STANDARD}, "
                                        f"else {DEFAULT_REGION})")
    group.add_argument("--qps", type=positive_float,
                       help=f"requests per second per API action and account (default: env {ENV_QPS}, "
                            f"else {DEFAULT_QPS:g})")
    shown = example or f"{parser.prog} examples/spaces"
    parser.epilog = (parser.epilog + "\n\n" if parser.epilog else "") + _epilog(shown)
    if parser.formatter_class is argparse.HelpFormatter:
        parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the epilog's lines


class ClientSettings(NamedTuple):  # immutable; no dataclasses import on --help's path
    """The connection options after the environment defaults, checked. ``None``: not given anywhere."""

    profile: str | None
    endpoint: str | None  # given on the command line (the environment's is read by the client itself)
    emulator: str | None
    region: str | None  # from the command line or the environment (an account's own region comes between)
    region_from_flag: bool
    qps: float

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: Mapping[str, str] | None = None) -> ClientSettings:
        from reconciler.client.endpoints import validate_region
        from reconciler.core.client_errors import ClientConfigError

        env = os.environ if env is None else env
        endpoint = getattr(args, "endpoint", None)
        emulator = getattr(args, "emulator", None) or (None if endpoint else env.get(ENV_EMULATOR) or None)
        flag_region = getattr(args, "region", None)
        region = flag_region
        for name in () if flag_region else (ENV_REGION, ENV_REGION_STANDARD):
            region = env.get(name, "").strip() or None
            if region is not None:
                try:
                    validate_region(region)
                except ClientConfigError as exc:
                    raise ClientConfigError(f"{exc} (from the environment variable {name})") from None
                break
        qps = getattr(args, "qps", None)
        if qps is None:
            text = env.get(ENV_QPS, "").strip()
            try:
                qps = positive_float(text) if text else DEFAULT_QPS
            except argparse.ArgumentTypeError as exc:
                raise ClientConfigError(f"environment variable {ENV_QPS}: {exc}") from None
        return cls(profile=getattr(args, "profile", None) or None, endpoint=endpoint, emulator=emulator,
                   region=region, region_from_flag=bool(flag_region), qps=qps)

    def region_for(self, account: Account | None) -> str:
        if self.region_from_flag or account is None or not account.region:
            return self.region or DEFAULT_REGION
        return account.region

    def endpoint_for(self, account: Account | None) -> str | None:
        return self.endpoint or (account.endpoint if account is not None else None)


def _start_emulator(state: str) -> Any:
    from reconciler.emulator import StateFileError, start_emulator  # only when asked for: it is a server

    try:
        return start_emulator(state)
    except StateFileError as exc:
        raise ReconcilerError(str(exc)) from None
    except OSError as exc:
        raise ReconcilerError(f"cannot start the emulator: {exc.strerror or exc}") from None


def _emulator_credentials(handle: Any, name: str) -> Credentials:
    """The emulator's key for account ``name``: its account of that id; the only account of a
    single-account state (or the first account, for ``default``); else an error listing them."""
    from reconciler.client import Credentials

    backend = handle.backend
    ids = backend.account_ids
    if name in ids:
        return Credentials(*backend.credentials_of(name))
    if len(ids) == 1 or name == DEFAULT_ACCOUNT:
        return Credentials(*backend.credentials_of(ids[0]))
    raise ReconcilerError(f"account {name!r}: the emulator's state has no account of that id "
                          f"(it has: {', '.join(ids)})")


def _credentials(settings: ClientSettings, account: Account | None,
                 env: Mapping[str, str] | None = None) -> Credentials | CredentialsProvider:
    """A declared account's own credentials; the ambient chain for an undeclared ``default``, and for the
    declared account ``CAMS_RECONCILER_AMBIENT_ACCOUNT`` names. That variable is the environment's word
    (a CI job's, never the repository's): a matrix job logged in with one account's OIDC role reads that
    account with it, and holds no other account's credentials."""
    from reconciler.client.credentials import DeferredCredentials, account_credentials, resolve_credentials

    ambient = (os.environ if env is None else env).get(ENV_AMBIENT_ACCOUNT, "").strip()
    if account is not None and account.name != ambient:
        return DeferredCredentials(lambda: account_credentials(account))
    return resolve_credentials(profile=settings.profile)


@asynccontextmanager
async def open_clients(args: argparse.Namespace, desired: DesiredState) -> AsyncIterator[AccountClients]:
    """One client per account the spaces use (``default`` when none is named), opened once for the run.

    They share one rate limiter, budgeted per account, one ``ClientStats`` and one TLS context (each client
    would otherwise read the whole CA bundle for itself). A declared account's
    credentials are resolved when it first sends: a run that reads no space of an account needs none of
    its secrets. With ``--emulator``, every account talks to the emulator with the emulator's key of the
    account of the same id."""
    from reconciler.client import CamsClient, ClientStats, RateLimiter
    from reconciler.client.client import tls_context
    from reconciler.client.endpoints import ensure_endpoint_allowed
    from reconciler.engine import AccountClients

    settings = ClientSettings.from_args(args)
    handle = _start_emulator(settings.emulator) if settings.emulator else None
    stats = ClientStats()
    limiter = RateLimiter(settings.qps)
    tls = tls_context()
    try:
        async with AsyncExitStack() as stack:
            clients: dict[str, CamsClient] = {}
            for name in desired.account_names or (DEFAULT_ACCOUNT,):
                account = desired.account(name)
                if handle is None and not settings.endpoint and account is not None and account.endpoint:
                    # named by the YAML, i.e. by a pull request: only an allowed host gets signed requests
                    ensure_endpoint_allowed(account.endpoint, f"accounts[{name}].endpoint")
                credentials = (_emulator_credentials(handle, name) if handle is not None
                               else _credentials(settings, account))
                client = CamsClient(credentials, region=settings.region_for(account),
                                    endpoint=handle.url if handle is not None else settings.endpoint_for(account),
                                    qps=settings.qps, limiter=limiter, stats=stats, account=name, tls=tls)
                clients[name] = await stack.enter_async_context(client)
            yield AccountClients.for_desired(clients, desired, stats=stats)
    finally:
        if handle is not None:
            handle.stop()


@asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[CamsClient]:
    """The one ambient client (``call``, ``import``); with ``--emulator``, the emulator runs for the block's
    life and its first key is used."""
    from reconciler.client import CamsClient, Credentials, resolve_credentials

    settings = ClientSettings.from_args(args)
    handle = _start_emulator(settings.emulator) if settings.emulator else None
    try:
        credentials = (Credentials(*handle.credentials) if handle is not None
                       else resolve_credentials(profile=settings.profile))
        async with CamsClient(credentials, region=settings.region_for(None),
                              endpoint=handle.url if handle is not None else settings.endpoint,
                              qps=settings.qps) as client:
            yield client
    finally:
        if handle is not None:
            handle.stop()
