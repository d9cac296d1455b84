"""``CamsClient``: signed, rate-limited, retrying calls to CAMS and BSS, with typed methods.

One asyncio implementation on ``httpx.AsyncClient``: callers run many calls concurrently (``asyncio.gather``)
and the per-(account, action) budgets keep each action within the server's window while several requests
are in flight.

Every call: look up the action (``actions.py``) → check and encode its parameters (``params.py``; nothing is
sent for a missing or malformed one) → current credentials → wait for a send slot (``ratelimit.py``; this
wait is not the call's time) → sign (fresh date and nonce each attempt) → POST, reading the answer within
the call's remaining time and the size limit → judge it (``responses.py``) → on a retryable failure back
off and go round again (``retry.py``) → count it (``stats.py``).

Time: a call's budget (``RetryPolicy.deadline``, 60 s) starts when its first attempt is sent and covers its
attempts and backoff waits; a body that trickles in or stalls ends when it runs out. Queueing for a slot
never counts, so a plan of any size loses no call to the queue ahead of it. A run-wide budget exists only
when the caller sets one (``run_budget``): then a call whose next slot lies beyond it fails at once with
``RunBudgetError``, nothing sent, and the summary line says the budget was in force.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import random
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from reconciler.client import shapes
from reconciler.client.actions import ActionSpec, ParamType, Product, get_action
from reconciler.client.credentials import Credentials, CredentialsProvider
from reconciler.client.endpoints import DEFAULT_REGION, resolve_endpoints
from reconciler.client.params import ParamValue, encode_params
from reconciler.client.ratelimit import DEFAULT_QPS, RateLimiter, SlotUnavailable
from reconciler.client.redacting_log import install_httpx_redaction
from reconciler.client.responses import parse_response
from reconciler.client.retry import RetryPolicy, backoff_delay, is_retryable
from reconciler.client.signing import canonical_query, percent_encode, signed_request_headers
from reconciler.client.stats import ClientStats
from reconciler.common.masking import URL_IN_TEXT
from reconciler.core.client_errors import (
    CallPlace,
    ClientError,
    ConnectError,
    ParameterError,
    ResponseTooLargeError,
    RunBudgetError,
    ThrottledError,
    TimeoutError,  # noqa: A004 - ours (a TransportError), not the builtin
    TransportError,
    scrub,
)
from reconciler.core.redact import is_secret_key, mask_params, url_secret_values

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("reconciler.client")

#: The official SDK's defaults: 5 s to connect, 10 s for each read.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: The largest answer accepted, raw or decompressed. A space's number list is ~1 KB a number, so this holds
#: a space of thousands of numbers; a gzip bomb or a runaway body stops here instead of filling memory.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
USER_AGENT = "cams-reconciler/0.1 (+httpx)"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _secret_values(spec: ActionSpec, wire: Mapping[str, str]) -> list[str]:
    """The values of this request that must never be shown: secret parameters, and the query values of
    URLs (tokens), alone or inside a JSON list or object, each also in its percent-encoded form, as a server
    may echo either."""
    found: list[str] = []
    for key, value in wire.items():
        if key in spec.secret_params or is_secret_key(key):
            found.append(value)
        elif key.lower().endswith("url"):
            found.extend(url_secret_values(value))  # every form a server may echo (redact.py)
        elif spec.param_type(key) in (ParamType.JSON_LIST, ParamType.JSON_OBJECT):  # e.g. a list of websites
            for site in URL_IN_TEXT.findall(value):
                found.extend(url_secret_values(site))
    return [form for v in found for form in {v, percent_encode(v)}]


def tls_context() -> ssl.SSLContext:
    """A TLS context as each client would build for itself (the CA bundle, ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` honoured), for several clients to share: building one reads and parses the whole CA
    bundle, tens of milliseconds of CPU per client, and a run opens one client per account."""
    return httpx.create_ssl_context()


class _Decoder:
    """Content-Encoding undone chunk by chunk, never producing more than the size limit allows.

    We ask only for gzip or deflate (``accept-encoding``) and decompress ourselves with a bounded output
    (``max_length``), so a small compressed body cannot expand in memory before the limit is checked.
    """

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes, room: int) -> bytes:
        """Decoded bytes of ``chunk``; at most ``room + 1`` of them (one more than fits tells "too large")."""
        if self._z is None:
            return chunk
        out = self._z.decompress(chunk, room + 1)
        if self._z.unconsumed_tail and len(out) <= room:
            out += self._z.decompress(self._z.unconsumed_tail, room + 1 - len(out))
        return out

    @property
    def has_more(self) -> bool:
        return self._z is not None and bool(self._z.unconsumed_tail)


#: The longest request line sent (``POST /?<query> HTTP/1.1``): every parameter travels in the query string,
#: as the SDK sends it. The cloud's limit is not documented; 65,536 bytes is the emulator's (and a common
#: server default), so a longer request is refused here, before sending, rather than answered by a 414.
MAX_REQUEST_LINE = 65_536


def _check_length(spec: ActionSpec, wire: Mapping[str, str], base_url: str) -> None:
    """``ParameterError`` (one line, nothing sent) for a request whose request line or URL is over the limit
    (the HTTP library refuses a URL over the same 65,536 bytes)."""
    query = canonical_query(dict(wire))
    length = max(len(f"POST /?{query} HTTP/1.1\r\n".encode()), len(f"{base_url}/?{query}".encode()))
    if length <= MAX_REQUEST_LINE:
        return
    largest = max(wire, key=lambda k: len(percent_encode(wire[k])))
    raise ParameterError(
        f"{spec.name}: the request would be {length:,} bytes long, over the {MAX_REQUEST_LINE:,} the service "
        f"takes (its largest parameter, {largest}, is {len(percent_encode(wire[largest])):,} bytes encoded); "
        "nothing was sent", action=spec.name)


class CamsClient:
    """A client for the CAMS phone-number APIs and BSS ``GetCustomerAccountInfo``.

    ``credentials``: a ``Credentials`` or any provider with ``async get()`` (``resolve_credentials()``).
    ``endpoint`` sends every product to one base URL (else env ``CAMS_RECONCILER_ENDPOINT``, else the
    regional defaults). ``limiter`` shares budgets between clients (default: a private one at ``qps``);
    ``account`` names whose budget the calls spend (the flow control counts per account; default: the first
    access key id used, kept for the client's life). ``deadline``: each call's own seconds, from its first
    send. ``run_budget``: seconds for everything this client sends, from its creation (default: none).
    ``max_response_bytes``: the largest answer accepted. ``tls``: the TLS context to verify servers with
    (``tls_context()``, shared by the clients of one run; default: the client builds its own).
    ``transport``, ``sleep``, ``clock``, ``rng`` and ``now`` are for tests.
    """

    def __init__(
        self,
        credentials: Credentials | CredentialsProvider,
        *,
        region: str = DEFAULT_REGION,
        endpoint: str | None = None,
        qps: float = DEFAULT_QPS,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        account: str | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
        run_budget: float | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        stats: ClientStats | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = _utc_now,
        env: Mapping[str, str] | None = None,
        max_connections: int = 64,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._credentials = credentials
        self._endpoints = resolve_endpoints(region, endpoint, env)
        self.region = region
        self.limiter = limiter if limiter is not None else RateLimiter(qps, clock=clock, sleep=sleep)
        self.account = account
        policy = retry or RetryPolicy()
        overrides: dict[str, Any] = {}
        if max_attempts is not None:
            overrides["max_attempts"] = max_attempts
        if deadline is not None:
            overrides["deadline"] = deadline
        if overrides:
            policy = RetryPolicy(**{**policy.__dict__, **overrides})
        self.retry_policy = policy
        if run_budget is not None and not run_budget > 0:
            raise ValueError("run_budget must be positive")
        self.run_budget = run_budget
        self._run_deadline = None if run_budget is None else clock() + run_budget
        self.stats = stats if stats is not None else ClientStats()
        if run_budget is not None:
            self.stats.run_budget = run_budget
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._now = now
        install_httpx_redaction()
        self._http = httpx.AsyncClient(
            transport=transport,
            headers={"user-agent": USER_AGENT, "accept": "application/json", "accept-encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            verify=tls if tls is not None else True,
        )

    @property
    def cams_endpoint(self) -> str:
        """The base URL CAMS requests go to (what a plan records as its target)."""
        return self._endpoints[Product.CAMS].url

    def __repr__(self) -> str:
        urls = sorted({e.url for e in self._endpoints.values()})
        return f"CamsClient(region={self.region!r}, endpoints={urls!r})"

    async def __aenter__(self) -> CamsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the generic call ---------------------------------------------------------------------------------

    async def call(self, action: str | ActionSpec, params: Mapping[str, ParamValue] | None = None) -> dict[str, Any]:
        """Call an action (a name from ``actions.py``, or a spec) with API-named parameters.

        Returns the whole response body on success. Parameters are checked first (``ParameterError``:
        missing, unknown or malformed, nothing sent); lists and objects go as the SDK's compact JSON.
        """
        spec = action if isinstance(action, ActionSpec) else get_action(action)
        wire = encode_params(spec, params)
        _check_length(spec, wire, self._endpoints[spec.product].url)
        secret_values = _secret_values(spec, wire)
        stats = self.stats.for_action(spec.name)
        stats.calls += 1
        policy = self.retry_policy
        spent = 0.0  # the call's own time: attempts and backoff waits, never the queue for a slot
        attempt = 0
        while True:
            attempt += 1
            stats.attempts += 1
            try:
                return await self._attempt(spec, wire, secret_values, attempt, policy.deadline - spent)
            except _Spent as done:
                spent += done.seconds
                err = done.error
            except ClientError as found:  # before anything was sent (credentials): not retried
                err = found
            err.attempts = attempt
            if isinstance(err, ThrottledError):
                stats.throttled += 1
                log.info("%s throttled (%s) on attempt %d", spec.name, err.code, attempt,
                         extra={"event": "throttle", "action": spec.name, "attempt": attempt,
                                "code": err.code, "retry_after_s": err.retry_after})
            delay = backoff_delay(policy, attempt, self._rng, err.retry_after)
            if is_retryable(err, spec.retry) and attempt < policy.max_attempts and spent + delay < policy.deadline:
                stats.retries += 1
                log.info("retrying %s in %.2fs after %s (attempt %d of %d)", spec.name, delay, err.code,
                         attempt, policy.max_attempts,
                         extra={"event": "retry", "action": spec.name, "attempt": attempt,
                                "code": err.code, "delay_s": round(delay, 3)})
                t0 = self._clock()
                await self._sleep(delay)
                spent += self._clock() - t0
                continue
            if (isinstance(err, ThrottledError) and err.retry_after is not None and attempt < policy.max_attempts
                    and spent + delay >= policy.deadline):
                err.message += (f" (the server asked to retry after {err.retry_after:g} s, beyond the call's "
                                f"remaining {max(policy.deadline - spent, 0):.0f} s)")
            stats.failed += 1
            log.info("%s failed after %d attempt(s): %s", spec.name, attempt, err.code,
                     extra={"event": "give-up", "action": spec.name, "attempt": attempt, "code": err.code})
            raise err

    async def access_key_id(self) -> str:
        """The id of the key this client signs with (not a secret): names the account for the state store
        when the account check cannot."""
        return (await self._credentials.get()).access_key_id

    def _account_for(self, creds: Credentials) -> str:
        """Whose budget this call spends: the caller's account name, else the first key id ever used."""
        if self.account is None:
            self.account = creds.access_key_id
        return self.account

    async def _attempt(self, spec: ActionSpec, wire: dict[str, str], secret_values: list[str], attempt: int,
                       remaining: float) -> dict[str, Any]:
        """One attempt. Success returns the body; a failure raises ``_Spent`` carrying the error and the
        seconds the attempt took after it was sent (failures before sending raise the error itself)."""
        creds = await self._credentials.get()
        secrets = [*secret_values, *creds.secrets()]
        where = CallPlace(cust_space_id=wire.get("CustSpaceId"), phone_number=wire.get("PhoneNumber"))
        account = self._account_for(creds)
        try:
            sent_at = await self.limiter.acquire(account, spec.name, not_after=self._run_deadline)
        except SlotUnavailable as exc:
            raise _Spent(RunBudgetError(
                f"not sent: the run's time budget of {self.run_budget:g} s runs out before this call's turn "
                f"(next slot in {exc.delay:.0f} s)", action=spec.name, **where), 0.0) from None
        if self._run_deadline is not None:
            remaining = min(remaining, self._run_deadline - sent_at)
        endpoint = self._endpoints[spec.product]
        headers = signed_request_headers(
            host=endpoint.host, action=spec.name, version=spec.version, params=wire,
            date=self._now().strftime("%Y-%m-%dT%H:%M:%SZ"), nonce=uuid.uuid4().hex,
            access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
            security_token=creds.security_token,
        )
        query = canonical_query(wire)
        url = f"{endpoint.url}/" + (f"?{query}" if query else "")
        log.debug("%s attempt %d %s", spec.name, attempt, mask_params(wire),
                  extra={"event": "request", "action": spec.name, "attempt": attempt, "host": endpoint.host})
        t0 = self._clock()
        try:
            try:
                status, content, response_headers = await self._exchange(spec, url, headers, remaining, where,
                                                                         secrets)
            finally:
                # When it was answered (or given up: a timeout, a dropped connection) tells the budget how
                # late it may have reached the server.
                self.limiter.settle(account, spec.name, sent_at, self._clock())
            elapsed_ms = (self._clock() - t0) * 1000
            log.debug("%s attempt %d -> HTTP %d in %.0f ms (request id %s)", spec.name, attempt, status,
                      elapsed_ms, response_headers.get("x-acs-request-id"),
                      extra={"event": "response", "action": spec.name, "attempt": attempt, "status": status,
                             "ms": round(elapsed_ms), "request_id": response_headers.get("x-acs-request-id")})
            return parse_response(spec, status, content, response_headers, secrets=secrets, now=self._now(),
                                  **where)
        except ThrottledError as err:
            # Tell the budget; it slows down unless this request left before its last cut, and pauses for
            # the server's hint.
            if self.limiter.on_throttle(account, spec.name, sent_at, err.retry_after):
                log.info("%s: throttled by the server; this action's rate is cut", spec.name,
                         extra={"event": "rate-cut", "action": spec.name})
            raise _Spent(err, self._clock() - t0) from None
        except ClientError as err:
            raise _Spent(err, self._clock() - t0) from None

    async def _exchange(self, spec: ActionSpec, url: str, headers: dict[str, str], remaining: float,
                        where: CallPlace, secrets: list[str]) -> tuple[int, bytes, httpx.Headers]:
        """POST and read the whole answer within ``remaining`` seconds and the size limit."""
        host = urlsplit(url).hostname or url
        budget = max(remaining, 0.001)
        try:
            async with asyncio.timeout(budget):
                async with self._http.stream("POST", url, headers=headers,
                                             timeout=self._attempt_timeout(budget)) as response:
                    content = await self._read_limited(response, spec, where)
                    return response.status_code, content, response.headers
        except (builtins.TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout) as exc:
            reason = ("no complete answer within the call's time budget" if isinstance(exc, builtins.TimeoutError)
                      else type(exc).__name__)
            raise TimeoutError(f"{reason} ({budget:.1f} s left) talking to {host}", sent=True, action=spec.name,
                               **where) from None
        except httpx.TimeoutException as exc:
            sent = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise TimeoutError(f"{type(exc).__name__} talking to {host}", sent=sent, action=spec.name,
                               **where) from None
        except httpx.ConnectError as exc:
            raise ConnectError(f"cannot connect to {host}: {scrub(str(exc), secrets) or 'refused'}",
                               action=spec.name, **where) from None
        except httpx.TransportError as exc:
            # Read/write errors, a connection dropped mid-response, protocol errors: the request may have
            # been received and acted on.
            raise TransportError(f"{type(exc).__name__} talking to {host}: {scrub(str(exc), secrets)}",
                                 action=spec.name, **where) from None

    async def _read_limited(self, response: httpx.Response, spec: ActionSpec, where: CallPlace) -> bytes:
        limit = self.max_response_bytes

        def too_large(what: str) -> ResponseTooLargeError:
            return ResponseTooLargeError(
                f"the answer is larger than {limit:,} bytes{what}; not read further (HTTP {response.status_code}, "
                f"request id {response.headers.get('x-acs-request-id') or 'unknown'})", action=spec.name, **where)

        if response.is_stream_consumed:  # a transport that loaded the body already (httpx.MockTransport answers)
            if len(response.content) > limit:
                raise too_large("")
            return response.content
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large(f" (Content-Length {int(declared):,})")
        try:
            decoder = _Decoder(response.headers.get("content-encoding", ""))
        except ValueError as exc:
            raise TransportError(f"{exc} in the answer (HTTP {response.status_code})", action=spec.name,
                                 **where) from None
        parts: list[bytes] = []
        raw = size = 0
        try:
            async for chunk in response.aiter_raw():
                raw += len(chunk)
                if raw > limit:
                    raise too_large("")
                data = decoder.feed(chunk, limit - size)
                size += len(data)
                if size > limit or decoder.has_more:
                    raise too_large(" once decompressed")
                parts.append(data)
        except zlib.error:
            raise TransportError(f"the answer's {response.headers.get('content-encoding')} body is corrupt "
                                 f"(HTTP {response.status_code})", action=spec.name, **where) from None
        return b"".join(parts)

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        """The configured timeouts, shortened so that no attempt outlives the call's remaining time."""
        t = self._timeout

        def cap(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        return httpx.Timeout(connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool))

    # -- typed methods ------------------------------------------------------------------------------------

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None,
                                  isv_code: str | None = None) -> list[dict[str, Any]]:
        """Every number of a space (``PhoneNumbers`` items, API field names). One call: no pagination."""
        body = await self.call("QueryChatappPhoneNumbers",
                               {"CustSpaceId": cust_space_id, "Status": status, "IsvCode": isv_code})
        return shapes.phone_numbers("QueryChatappPhoneNumbers", body, cust_space_id)

    async def sync_phone_numbers(self, cust_space_id: str) -> list[dict[str, Any]]:
        """Refresh a space's numbers from WhatsApp; returns the refreshed ``PhoneNumbers``."""
        body = await self.call("ChatappSyncPhoneNumber", {"CustSpaceId": cust_space_id})
        return shapes.write_numbers(body)

    async def migration_verified(self, cust_space_id: str, phone_number: str, verify_code: str) -> dict[str, Any]:
        """Submit a migration verify code (a secret: never logged). Returns ``Data`` {Id, PhoneNumber}."""
        body = await self.call("ChatappMigrationVerified",
                               {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number, "VerifyCode": verify_code})
        return shapes.write_data(body)

    async def migration_register(self, cust_space_id: str, phone_number: str) -> dict[str, Any]:
        """Register a verified number. The API returns no data: the response body (RequestId, Code)."""
        return await self.call("ChatappMigrationRegister", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})

    async def verification_status(self, cust_space_id: str, phone_number: str) -> str:
        """``GetPhoneNumberVerificationStatus``: the number's ``CodeVerificationStatus`` (``VERIFIED``,
        ``NOT_VERIFIED``, ``EXPIRED``, …), upper-cased; a malformed answer is an error, never a status."""
        body = await self.call("GetPhoneNumberVerificationStatus",
                               {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        return shapes.verification_status("GetPhoneNumberVerificationStatus", body, cust_space_id, phone_number)

    async def get_migration_verify_code(self, cust_space_id: str, phone_number: str, locale: str = "en_US",
                                        method: str = "sms") -> dict[str, Any]:
        """Send a verify code to the number's owner by ``sms`` or ``voice``. Returns ``Data`` (or the body)."""
        body = await self.call("GetMigrationVerifyCode", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number,
                                                          "Locale": locale, "Method": method})
        return dict(body.get("Data") or body)

    # -- a number's life (issue 26): onboarding, registration, usernames, template archive -------------------

    async def add_phone_number(self, cust_space_id: str, cc: str, national_number: str, verified_name: str,
                               pre_validate_id: str | None = None) -> dict[str, Any]:
        """``AddChatappPhoneNumber``: a brand-new number (country code and national number apart, as the API
        takes them) joins the space with its display name. The body (no data)."""
        return await self.call("AddChatappPhoneNumber", {
            "CustSpaceId": cust_space_id, "Cc": cc, "PhoneNumber": national_number, "VerifiedName": verified_name,
            "PreValidateId": pre_validate_id})

    async def get_chatapp_verify_code(self, cust_space_id: str, phone_number: str, locale: str,
                                      method: str) -> dict[str, Any]:
        """``GetChatappVerifyCode``: WhatsApp sends a new number's registration code by ``SMS`` or ``VOICE``."""
        return await self.call("GetChatappVerifyCode", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number,
                                                        "Locale": locale, "Method": method})

    async def verify_and_register(self, cust_space_id: str, phone_number: str, verify_code: str) -> dict[str, Any]:
        """``ChatappVerifyAndRegister``: the registration code (a secret: never logged) verifies and registers."""
        return await self.call("ChatappVerifyAndRegister", {"CustSpaceId": cust_space_id,
                                                            "PhoneNumber": phone_number, "VerifyCode": verify_code})

    async def get_username(self, cust_space_id: str, phone_number: str) -> dict[str, str]:
        """``GetWhatsappUserName``: ``{Username, Status}``, or ``{}`` when the number has none."""
        body = await self.call("GetWhatsappUserName", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        return shapes.username("GetWhatsappUserName", body, cust_space_id, phone_number)

    async def username_suggestions(self, cust_space_id: str, phone_number: str) -> list[str]:
        body = await self.call("GetWhatsappUserNameSuggestions",
                               {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        return shapes.name_list("GetWhatsappUserNameSuggestions", body, cust_space_id, phone_number)

    async def update_username(self, cust_space_id: str, phone_number: str, username: str,
                              transfer: bool = False) -> dict[str, Any]:
        """``UpdateWhatsappUserName``; ``transfer`` sends ``TransferAction: force_transfer`` (the name is
        taken from another number of the business portfolio), else nothing (the API's default, ``none``)."""
        return await self.call("UpdateWhatsappUserName", {
            "CustSpaceId": cust_space_id, "PhoneNumber": phone_number, "Username": username,
            "TransferAction": "force_transfer" if transfer else None})

    async def delete_username(self, cust_space_id: str, phone_number: str) -> dict[str, Any]:
        return await self.call("DeleteWhatsappUserName", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})

    async def get_customer_account_info(self) -> dict[str, Any]:
        """BSS account status (``Data``: HostingStatus, CreditLimitStatus, IsCertified, ...)."""
        body = await self.call("GetCustomerAccountInfo", {})
        return shapes.account_info("GetCustomerAccountInfo", body)

    async def upload_flow_json(self, cust_space_id: str, flow_id: str, data: bytes, via: Any = None) -> str:
        """A draft Flow's JSON, uploaded through object storage (``flow_assets``: the OSS SDK, loaded only
        here); returns the ``FilePath`` given to ``UpdateFlowJSONAsset``. ``via``: what sends the two CAMS
        calls (a counting wrapper of this client, so the engine counts them), else this client."""
        from reconciler.client.flow_assets import upload_flow_json

        return await upload_flow_json(via or self, cust_space_id, flow_id, data, region=self.region)

    async def read_flow_json(self, cust_space_id: str, flow_id: str, via: Any = None) -> bytes | None:
        """The JSON the platform holds for a Flow, read back through its download link (None: none)."""
        from reconciler.client.flow_assets import read_flow_json

        return await read_flow_json(via or self, cust_space_id, flow_id)


class _Spent(Exception):
    """An attempt's failure with the seconds it took after sending (internal to ``CamsClient.call``)."""

    def __init__(self, error: ClientError, seconds: float) -> None:
        super().__init__(str(error))
        self.error = error
        self.seconds = seconds

