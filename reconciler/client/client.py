"""``CamsClient``: signed, rate-limited, retrying calls to CAMS and BSS, with typed methods.

One asyncio implementation on ``httpx.AsyncClient``: callers run many calls concurrently (``asyncio.gather``)
and the per-(key, action) buckets keep each action at its budget while several requests are in flight.

Every call: look up the action (``actions.py``) → current credentials → wait for a slot in the bucket →
sign (fresh date and nonce each attempt) → POST → judge by the body's code (``responses.py``) → on a
retryable failure back off and go round again (``retry.py``) → count it (``stats.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

import httpx

from reconciler.client.actions import ActionSpec, Product, get_action
from reconciler.client.credentials import Credentials, CredentialsProvider
from reconciler.client.endpoints import DEFAULT_REGION, resolve_endpoints
from reconciler.client.errors import ClientError, ConnectError, ThrottledError, TransportError, scrub
from reconciler.client.errors import TimeoutError  # noqa: A004 - ours (a TransportError), not the builtin
from reconciler.client.ratelimit import DEFAULT_QPS, RateLimiter
from reconciler.client.redacting_log import install_httpx_redaction
from reconciler.client.responses import parse_response
from reconciler.client.retry import RetryPolicy, backoff_delay, is_retryable, retry_after_hint
from reconciler.client.signing import canonical_query, percent_encode, signed_request_headers
from reconciler.client.stats import ClientStats
from reconciler.redact import is_secret_key, mask_params

log = logging.getLogger("reconciler.client")

#: The official SDK's defaults (API-NOTES): 5 s to connect, 10 s to read.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "cams-reconciler/0.1 (+httpx)"

ParamValue = str | int | float | bool | list | tuple | None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def encode_param(value: ParamValue) -> str | None:
    """One API parameter as its wire string: lists as a JSON array string, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _secret_values(spec: ActionSpec, wire: Mapping[str, str]) -> list[str]:
    """The values of this request that must never be shown: secret parameters, and the query values of
    callback URLs (tokens), each also in its percent-encoded form, as a server may echo either."""
    found: list[str] = []
    for key, value in wire.items():
        if key in spec.secret_params or is_secret_key(key):
            found.append(value)
        elif key.lower().endswith("url") and "?" in value:
            found.extend(v for _, v in parse_qsl(urlsplit(value).query) if len(v) >= 4)
    return [form for v in found for form in {v, percent_encode(v)}]


class CamsClient:
    """A client for the CAMS phone-number APIs and BSS ``GetCustomerAccountInfo``.

    ``credentials``: a ``Credentials`` or any provider with ``async get()`` (``resolve_credentials()``).
    ``endpoint`` sends every product to one base URL (else env ``CAMS_RECONCILER_ENDPOINT``, else the
    regional defaults). ``limiter`` shares budgets between clients (default: a private one at ``qps``).
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
        max_attempts: int | None = None,
        deadline: float | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        stats: ClientStats | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = _utc_now,
        env: Mapping[str, str] | None = None,
        max_connections: int = 64,
    ) -> None:
        self._credentials = credentials
        self._endpoints = resolve_endpoints(region, endpoint, env)
        self.region = region
        self.limiter = limiter if limiter is not None else RateLimiter(qps, clock=clock, sleep=sleep)
        policy = retry or RetryPolicy()
        overrides: dict[str, Any] = {}
        if max_attempts is not None:
            overrides["max_attempts"] = max_attempts
        if deadline is not None:
            overrides["deadline"] = deadline
        if overrides:
            policy = RetryPolicy(**{**policy.__dict__, **overrides})
        self.retry_policy = policy
        self.stats = stats if stats is not None else ClientStats()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._now = now
        install_httpx_redaction()
        self._http = httpx.AsyncClient(
            transport=transport,
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
        )

    @property
    def cams_endpoint(self) -> str:
        """The base URL CAMS requests go to (what a plan records as its target)."""
        return self._endpoints[Product.CAMS].url

    def __repr__(self) -> str:
        urls = sorted({e.url for e in self._endpoints.values()})
        return f"CamsClient(region={self.region!r}, endpoints={urls!r})"

    async def __aenter__(self) -> "CamsClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the generic call ---------------------------------------------------------------------------------

    async def call(self, action: str, params: Mapping[str, ParamValue] | None = None) -> dict[str, Any]:
        """Call any known action with API-named parameters; returns the whole response body on success."""
        spec = get_action(action)
        wire = {k: s for k, v in (params or {}).items() if (s := encode_param(v)) is not None}
        secret_values = _secret_values(spec, wire)
        stats = self.stats.for_action(spec.name)
        stats.calls += 1
        policy = self.retry_policy
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            stats.attempts += 1
            try:
                return await self._attempt(spec, wire, secret_values, attempt, started)
            except ClientError as err:
                err.attempts = attempt
                if isinstance(err, ThrottledError):
                    stats.throttled += 1
                delay = backoff_delay(policy, attempt, self._rng, err.retry_after)
                elapsed = self._clock() - started
                if (is_retryable(err, spec.retry) and attempt < policy.max_attempts
                        and elapsed + delay < policy.deadline):
                    stats.retries += 1
                    log.info("retrying %s in %.2fs after %s (attempt %d of %d)", spec.name, delay, err.code,
                             attempt, policy.max_attempts)
                    await self._sleep(delay)
                    continue
                stats.failed += 1
                raise

    async def _attempt(
        self, spec: ActionSpec, wire: dict[str, str], secret_values: list[str], attempt: int, started: float
    ) -> dict[str, Any]:
        creds = await self._credentials.get()
        secrets = [*secret_values, *creds.secrets()]
        where = {"cust_space_id": wire.get("CustSpaceId"), "phone_number": wire.get("PhoneNumber")}
        sent_at = await self.limiter.acquire(creds.access_key_id, spec.name)
        remaining = self.retry_policy.deadline - (self._clock() - started)
        endpoint = self._endpoints[spec.product]
        headers = signed_request_headers(
            host=endpoint.host, action=spec.name, version=spec.version, params=wire,
            date=self._now().strftime("%Y-%m-%dT%H:%M:%SZ"), nonce=uuid.uuid4().hex,
            access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
            security_token=creds.security_token,
        )
        query = canonical_query(wire)
        url = f"{endpoint.url}/" + (f"?{query}" if query else "")
        log.debug("%s attempt %d %s", spec.name, attempt, mask_params(wire))
        t0 = self._clock()
        try:
            response = await self._http.post(url, headers=headers, timeout=self._attempt_timeout(remaining))
        except httpx.TimeoutException as exc:
            sent = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise TimeoutError(f"{type(exc).__name__} talking to {endpoint.host}", sent=sent, action=spec.name,
                               **where) from None
        except httpx.ConnectError as exc:
            raise ConnectError(f"cannot connect to {endpoint.host}: {scrub(str(exc), secrets) or 'refused'}",
                               action=spec.name, **where) from None
        except httpx.TransportError as exc:
            # Read/write errors, a connection dropped mid-response, protocol errors: the request may have
            # been received and acted on.
            err = TransportError(f"{type(exc).__name__} talking to {endpoint.host}: {scrub(str(exc), secrets)}",
                                 action=spec.name, **where)
            raise err from None
        log.debug("%s attempt %d -> HTTP %d in %.0f ms (request id %s)", spec.name, attempt,
                  response.status_code, (self._clock() - t0) * 1000, response.headers.get("x-acs-request-id"))
        try:
            return parse_response(spec, response.status_code, response.content, response.headers,
                                  secrets=secrets, **where)
        except ThrottledError as err:
            # Tell the bucket; it slows down unless this request left before its last cut.
            self.limiter.on_throttle(creds.access_key_id, spec.name, sent_at)
            err.retry_after = retry_after_hint(response.headers)
            raise

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        """The configured timeouts, shortened so that no attempt outlives the call's deadline."""
        rem = max(remaining, 0.001)
        t = self._timeout

        def cap(value: float | None) -> float:
            return rem if value is None else min(value, rem)

        return httpx.Timeout(connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool))

    # -- typed methods ------------------------------------------------------------------------------------

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None,
                                  isv_code: str | None = None) -> list[dict[str, Any]]:
        """Every number of a space (``PhoneNumbers`` items, API field names). One call: no pagination."""
        body = await self.call("QueryChatappPhoneNumbers",
                               {"CustSpaceId": cust_space_id, "Status": status, "IsvCode": isv_code})
        return list(body.get("PhoneNumbers") or [])

    async def query_business_profile(self, cust_space_id: str, phone_number: str) -> dict[str, Any]:
        """A number's business profile (``Data``: About, Address, Description, Email, Websites, ...)."""
        body = await self.call("QueryPhoneBusinessProfile",
                               {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        return dict(body.get("Data") or {})

    async def get_phone_number_setting(self, cust_space_id: str, phone_number: str) -> dict[str, Any]:
        """A number's settings (``Model``: MarketingPaused, PhoneNumber)."""
        body = await self.call("GetChatappPhoneNumberSetting",
                               {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        return dict(body.get("Model") or {})

    async def sync_phone_numbers(self, cust_space_id: str) -> list[dict[str, Any]]:
        """Refresh a space's numbers from WhatsApp; returns the refreshed ``PhoneNumbers``."""
        body = await self.call("ChatappSyncPhoneNumber", {"CustSpaceId": cust_space_id})
        return list(body.get("PhoneNumbers") or [])

    async def migration_verified(self, cust_space_id: str, phone_number: str, verify_code: str) -> dict[str, Any]:
        """Submit a migration verify code (a secret: never logged). Returns ``Data`` {Id, PhoneNumber}."""
        body = await self.call("ChatappMigrationVerified",
                               {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number, "VerifyCode": verify_code})
        return dict(body.get("Data") or {})

    async def migration_register(self, cust_space_id: str, phone_number: str) -> dict[str, Any]:
        """Register a verified number. The API returns no data: the response body (RequestId, Code)."""
        return await self.call("ChatappMigrationRegister", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})

    async def get_migration_verify_code(self, cust_space_id: str, phone_number: str, locale: str = "en_US",
                                        method: str = "sms") -> dict[str, Any]:
        """Send a verify code to the number's owner by ``sms`` or ``voice``. Returns ``Data`` (or the body)."""
        body = await self.call("GetMigrationVerifyCode", {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number,
                                                          "Locale": locale, "Method": method})
        return dict(body.get("Data") or body)

    async def update_phone_webhook(self, cust_space_id: str, phone_number: str,
                                   status_callback_url: str | None = None, up_callback_url: str | None = None,
                                   http_flag: bool | None = None,
                                   queue_flag: bool | None = None) -> dict[str, Any]:
        """Set what is given and nothing else (every parameter but the number is optional in the API):
        ``None`` is not sent, so an undeclared delivery flag or URL stays as it is. Flags go as Y/N."""
        params: dict[str, ParamValue] = {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number}
        if status_callback_url is not None:
            params["StatusCallbackUrl"] = status_callback_url
        if up_callback_url is not None:
            params["UpCallbackUrl"] = up_callback_url
        if http_flag is not None:
            params["HttpFlag"] = "Y" if http_flag else "N"
        if queue_flag is not None:
            params["QueueFlag"] = "Y" if queue_flag else "N"
        return await self.call("UpdatePhoneWebhook", params)

    _PROFILE_FIELDS = {"about": "About", "address": "Address", "description": "Description", "email": "Email",
                       "profile_picture_url": "ProfilePictureUrl", "vertical": "Vertical", "websites": "Websites"}

    async def modify_business_profile(self, cust_space_id: str, phone_number: str,
                                      **fields: str | list[str] | None) -> dict[str, Any]:
        """Set profile fields given in snake_case (about, address, description, email, profile_picture_url,
        vertical, websites); ``websites`` is a list, sent as a JSON array string. Returns the response body."""
        unknown = sorted(set(fields) - set(self._PROFILE_FIELDS))
        if unknown:
            raise TypeError(f"unknown business profile field(s): {', '.join(unknown)}; "
                            f"expected {', '.join(self._PROFILE_FIELDS)}")
        params: dict[str, ParamValue] = {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number}
        params.update({self._PROFILE_FIELDS[k]: v for k, v in fields.items()})
        return await self.call("ModifyPhoneBusinessProfile", params)

    async def get_customer_account_info(self) -> dict[str, Any]:
        """BSS account status (``Data``: HostingStatus, CreditLimitStatus, IsCertified, ...)."""
        body = await self.call("GetCustomerAccountInfo", {})
        return dict(body.get("Data") or {})
