"""ACS3-HMAC-SHA256 verification, as Alibaba Cloud's API gateway does it for V3 signatures.

The verifier never trusts the client's encoding: it decodes the query string and re-encodes it canonically
(keys sorted, RFC 3986 percent-encoding: ``quote(v, safe='~')``), because the official SDK signs
``%20``-style values but sends ``+``-style ones (``urlencode``). The body is checked against
``x-acs-content-sha256``, the date against a 15-minute window, and the nonce against replays.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from calendar import timegm
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from reconciler.emulator.errors import EmulatorApiError

ALGORITHM = "ACS3-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
_AUTH_RE = re.compile(
    r"^ACS3-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<hdrs>[^,\s]+)\s*,"
    r"\s*Signature=(?P<sig>[0-9a-fA-F]{64})\s*$"
)


@dataclass(frozen=True)
class IncomingRequest:
    """What the verifier needs of an HTTP request. ``headers`` maps lowercase names to all their values."""

    method: str
    path: str
    query: str
    headers: Mapping[str, Sequence[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None


def _incomplete(message: str) -> EmulatorApiError:
    return EmulatorApiError("IncompleteSignature", f"The request signature does not conform to Aliyun standards. {message}")


def canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(k, safe="~"), quote(v, safe="~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_request(request: IncomingRequest, signed_headers: Sequence[str], payload_hash: str) -> str:
    headers = "".join(
        f"{name}:{','.join(sorted(v.strip() for v in request.headers.get(name, ())))}\n" for name in signed_headers
    )
    return "\n".join([
        request.method.upper(), request.path or "/", canonical_query(request.query), headers,
        ";".join(signed_headers), payload_hash,
    ])


def sign(secret: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_acs_date(value: str) -> float | None:
    try:
        return float(timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))
    except (ValueError, OverflowError):
        return None


@dataclass
class NonceCache:
    """Remembers (access key, nonce) pairs for the skew window: a replayed signed request is refused."""

    window: float = MAX_SKEW_SECONDS
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def use(self, access_key_id: str, nonce: str, now: float) -> bool:
        """True the first time a nonce is used by a key within the window."""
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.window}
            key = (access_key_id, nonce)
            seen_at = self._seen.get(key)
            if seen_at is not None and now - seen_at < self.window:
                return False
            self._seen[key] = now
            return True


def verify(
    request: IncomingRequest,
    secret_for: Callable[[str], str | None],
    nonces: NonceCache,
    now: float | None = None,
) -> str:
    """Check the request's V3 signature; return the access key id or raise ``EmulatorApiError``."""
    now = time.time() if now is None else now
    auth = request.header("authorization")
    if not auth:
        raise _incomplete("The Authorization header is missing.")
    match = _AUTH_RE.match(auth.strip())
    if not match:
        raise _incomplete(f"The Authorization header must be '{ALGORITHM} Credential=...,SignedHeaders=...,Signature=...'.")
    access_key_id = match["cred"]
    signed_headers = match["hdrs"].split(";")
    secret = secret_for(access_key_id)
    if secret is None:
        raise EmulatorApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", http_status=404)

    date = request.header("x-acs-date")
    if not date:
        raise _incomplete("The x-acs-date header is missing.")
    timestamp = parse_acs_date(date)
    if timestamp is None:
        raise EmulatorApiError("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise EmulatorApiError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    if not request.header("x-acs-signature-nonce"):
        # The cloud requires a unique nonce per signed request (it is what makes a replay detectable); the
        # exact code it answers without one is not documented: the stricter reading is modelled.
        raise _incomplete("The x-acs-signature-nonce header is missing.")

    if signed_headers != sorted(set(signed_headers)) or any(h != h.lower() for h in signed_headers):
        raise _incomplete("SignedHeaders must be lowercase, sorted and unique.")
    must_sign = {"host"} | {h for h in request.headers if h.startswith("x-acs-")}
    if "content-type" in request.headers:
        must_sign.add("content-type")
    unsigned = sorted(must_sign - set(signed_headers))
    if unsigned:
        raise _incomplete(f"These headers must be signed: {', '.join(unsigned)}.")
    absent = [h for h in signed_headers if h not in request.headers]
    if absent:
        raise _incomplete(f"Signed headers are not in the request: {', '.join(absent)}.")

    declared_hash = request.header("x-acs-content-sha256")
    if not declared_hash:
        raise _incomplete("The x-acs-content-sha256 header is missing.")
    if not hmac.compare_digest(declared_hash.lower(), hashlib.sha256(request.body).hexdigest()):
        raise EmulatorApiError(
            "SignatureDoesNotMatch", "The request body does not match its x-acs-content-sha256 header."
        )
    expected = sign(secret, canonical_request(request, signed_headers, declared_hash))
    if not hmac.compare_digest(expected, match["sig"].lower()):
        raise EmulatorApiError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AccessKey secret and signing method.",
        )
    nonce = request.header("x-acs-signature-nonce") or ""
    if not nonces.use(access_key_id, nonce, now):
        raise EmulatorApiError("SignatureNonceUsed", "Specified signature nonce was used already.")
    return access_key_id
