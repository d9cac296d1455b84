"""Do the declared callback URLs answer? (``endpoint_checks:`` of a space: opt-in.)

"A webhook points at a dead host" is a failure CAMS never reports: messages' status callbacks are dropped
on the floor. For each distinct declared callback URL of a space that asks for it, one probe, within the
space's time budget (``timeout_ms``, DNS to answer):

1. **dns**: the host resolves (the resolver is injectable: tests map names to loopback, never the internet);
2. **connect**: a TCP connection to the first address (a refused or unreachable port);
3. **tls** (https only): the handshake verifies the certificate chain and the host name, and the
   certificate is valid for at least ``min_days_to_expiry`` more days (``tls-expiry``);
4. **http**: an HTTP answer to ``HEAD`` of the URL's path (no query string: a token is not sent around);
   any status below 500 is an answer (a callback that takes only POST may well say 405), 5xx is not.

A failure becomes a report-only drift finding (``Action.DRIFT``, field ``endpoint.<url field>``) on every
number declaring that URL, showing the URL masked (tokens never appear) and the first check that failed.
``apply`` runs the same probe on a new URL before repointing a number to it (``preflight_new_urls``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler import kinds as catalogue
from reconciler.common.masking import mask_url
from reconciler.core.drift_settings import EndpointChecks, SpaceDriftSettings
from reconciler.core.model import DesiredState, Number, Space
from reconciler.core.plan import Action, Change, Plan, Severity

Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_PARALLEL = 16
USER_AGENT = "cams-reconciler-endpoint-check"


@dataclass(frozen=True)
class EndpointProblem:
    check: str  # "url" | "dns" | "connect" | "tls" | "tls-expiry" | "http" | "timeout"
    detail: str  # one line, no secret (the URL is never in it)


@dataclass(frozen=True)
class Probe:
    """How to reach endpoints: the resolver and the TLS trust (tests give a local CA and a loopback map)."""

    resolver: Resolver | None = None
    ssl_context: ssl.SSLContext | None = None
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=0, proto=6)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _tls_reason(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not valid: {exc.verify_message or exc.reason}"
    return f"handshake failed: {exc.reason or type(exc).__name__}"


async def check_url(url: str, checks: EndpointChecks, probe: Probe = Probe()) -> EndpointProblem | None:
    """The first check ``url`` fails, or None when it answers in time with a valid certificate."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return EndpointProblem("url", f"not a URL: {exc}")
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return EndpointProblem("url", "not an http(s) URL with a host")
    stage = "dns"
    started = time.monotonic()
    budget = checks.timeout_ms / 1000
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(budget):
            try:
                addresses = await (probe.resolver or _system_resolver)(host, port)
            except OSError as exc:
                return EndpointProblem("dns", f"{host} does not resolve ({exc.strerror or type(exc).__name__})")
            if not addresses:
                return EndpointProblem("dns", f"{host} does not resolve")
            stage = "connect"
            context = None
            if parts.scheme == "https":
                context = probe.ssl_context or ssl.create_default_context()
            try:
                reader, writer = await asyncio.open_connection(
                    addresses[0], port, ssl=context, server_hostname=host if context else None)
            except ssl.SSLError as exc:
                return EndpointProblem("tls", _tls_reason(exc))
            except OSError as exc:
                return EndpointProblem("connect", f"{host}:{port} {exc.strerror or type(exc).__name__}".strip())
            if context is not None:
                problem = _expiry_problem(writer, checks, probe.now())
                if problem:
                    return problem
            stage = "http"
            path = parts.path or "/"
            request = (f"HEAD {path} HTTP/1.1\r\nHost: {parts.netloc.rpartition('@')[2]}\r\n"
                       f"User-Agent: {USER_AGENT}\r\nConnection: close\r\n\r\n")
            writer.write(request.encode("ascii", "replace"))
            await writer.drain()
            status_line = await reader.readline()
    except TimeoutError:
        waited = int((time.monotonic() - started) * 1000)
        what = {"dns": "the name did not resolve", "connect": "no connection (or TLS handshake)",
                "http": "no HTTP answer"}[stage]
        return EndpointProblem("timeout", f"{what} within {checks.timeout_ms} ms (waited {waited} ms)")
    except (OSError, ssl.SSLError) as exc:
        return EndpointProblem(stage, f"connection failed: {type(exc).__name__}")
    finally:
        if writer is not None:
            writer.close()
    words = status_line.decode("latin-1").split()
    if len(words) < 2 or not words[0].startswith("HTTP/") or not words[1].isdigit():
        return EndpointProblem("http", "the endpoint did not answer HTTP")
    status = int(words[1])
    if status >= 500:
        return EndpointProblem("http", f"answered HTTP {status}")
    return None


def _expiry_problem(writer: asyncio.StreamWriter, checks: EndpointChecks, now: dt.datetime) -> EndpointProblem | None:
    cert = writer.get_extra_info("peercert") or {}
    not_after = cert.get("notAfter") if isinstance(cert, Mapping) else None
    if not isinstance(not_after, str):
        return None
    expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), dt.UTC)
    days = (expires - now).days
    if days < checks.min_days_to_expiry:
        return EndpointProblem("tls-expiry", f"certificate expires {expires.date().isoformat()} ({days} days; "
                                             f"endpoint_checks.min_days_to_expiry is {checks.min_days_to_expiry})")
    return None


def callback_fields(kind_name: str) -> tuple[str, ...]:
    """The callback URL fields a kind declares (``Field.callback``); none for a kind not in the catalogue."""
    kind = catalogue.registry().get(kind_name)
    return () if kind is None else tuple(f.name for f in kind.fields if f.callback)


def _declared(number: Number) -> Iterable[tuple[str, str, str]]:
    """(kind, field, URL) for each callback URL the number declares, whichever kind holds it."""
    for kind in catalogue.number_kinds():
        block = number.block(kind.name)
        for name in callback_fields(kind.name) if block is not None else ():
            url = getattr(block, name)
            if url:
                yield kind.name, name, url


async def check_many(urls: Iterable[str], checks: EndpointChecks, probe: Probe) -> dict[str, EndpointProblem | None]:
    gate = asyncio.Semaphore(MAX_PARALLEL)

    async def one(url: str) -> tuple[str, EndpointProblem | None]:
        async with gate:
            return url, await check_url(url, checks, probe)

    return dict(await asyncio.gather(*(one(u) for u in dict.fromkeys(urls))))


def finding(space: Space, number: Number, kind: str, name: str, url: str, problem: EndpointProblem) -> Change:
    return Change(Action.DRIFT, space.name, space.cust_space_id, number.phone_number, f"endpoint.{name}",
                  before=None, after={"url": mask_url(url), "check": problem.check},
                  source=number.source_of(f"{kind}.{name}"), severity=Severity.WARNING,
                  reason=f"{problem.check}: {problem.detail}")


async def endpoint_changes(plan: Plan, desired: DesiredState, probe: Probe = Probe()) -> list[Change]:
    """The endpoint findings of every space the plan read whose YAML enables the checks."""
    read = {s.name for s in plan.spaces if not s.errored}
    changes: list[Change] = []
    for space in desired.spaces:
        settings: SpaceDriftSettings | None = desired.drift.get(space.name)
        if space.name not in read or settings is None or not settings.checks_endpoints:
            continue
        assert settings.endpoint_checks is not None
        declared = [(n, kind, name, url) for n in space.numbers for kind, name, url in _declared(n)]
        results = await check_many((url for *_, url in declared), settings.endpoint_checks, probe)
        for number, kind, name, url in declared:
            problem = results[url]
            if problem is not None:
                changes.append(finding(space, number, kind, name, url, problem))
    return changes


@dataclass(frozen=True)
class RefusedUrl:
    space: str
    phone_number: str
    field: str  # kind.field
    url: str  # masked
    problem: EndpointProblem

    def line(self) -> str:
        return (f"{self.space} {self.phone_number} {self.field}: the new URL {self.url} fails its "
                f"endpoint check ({self.problem.check}: {self.problem.detail})")


async def preflight_new_urls(changes: Sequence[Change], desired: DesiredState,
                             probe: Probe = Probe()) -> list[RefusedUrl]:
    """Before apply repoints numbers: the new callback URLs (the YAML's values, for the callback fields each
    write changes, of whichever kind) of spaces whose ``endpoint_checks`` say ``before_apply``, each probed
    once."""
    wanted: list[tuple[Space, Number, str, str, EndpointChecks]] = []
    for change in changes:
        fields = callback_fields(change.kind)
        if not change.action.writes or change.phone_number is None or not fields:
            continue
        space = desired.space(change.space)
        settings = desired.drift.get(change.space)
        if space is None or settings is None or not settings.checks_endpoints:
            continue
        assert settings.endpoint_checks is not None
        if not settings.endpoint_checks.before_apply:
            continue
        number = space.number(change.phone_number)
        if number is None:
            continue
        field = (change.field or "").removeprefix(f"{change.kind}.")
        names = [field] if field in fields else list(fields)  # a pending update sets them all
        for kind, name, url in _declared(number):
            if kind == change.kind and name in names:
                wanted.append((space, number, f"{kind}.{name}", url, settings.endpoint_checks))
    refused: list[RefusedUrl] = []
    by_checks: dict[EndpointChecks, list[str]] = {}
    for _, _, _, url, checks in wanted:
        by_checks.setdefault(checks, []).append(url)
    results: dict[tuple[EndpointChecks, str], EndpointProblem | None] = {}
    for checks, urls in by_checks.items():
        for url, problem in (await check_many(urls, checks, probe)).items():
            results[(checks, url)] = problem
    for space, number, name, url, checks in wanted:
        problem = results[(checks, url)]
        if problem is not None:
            refused.append(RefusedUrl(space.name, number.phone_number, name, mask_url(url) or "", problem))
    return refused
