"""ACS3-HMAC-SHA256 request signing (Alibaba Cloud's V3 signature), as the official SDK computes it.

Pure functions, no I/O, no clock: the caller passes the date and nonce, so tests can compare our output
with ``alibabacloud_openapi_util.client.Client.get_authorization`` byte for byte.

The canonical request is::

    METHOD \\n PATH \\n canonical-query \\n canonical-headers \\n signed-header-names \\n hex(sha256(body))

with query values percent-encoded RFC 3986 style (``quote(v, safe='~')``: space ``%20``, ``*`` ``%2A``,
``/`` ``%2F``), header names lowercased and sorted, values stripped. We send the query string on the wire in
that same encoding so that what the server decodes is exactly what we signed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of one query key or value, UTF-8 first (``~`` is the only unreserved extra kept)."""
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    """``k=v&...`` sorted by key (code point order, as Python and the SDK sort), each value encoded."""
    return "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """(canonical header block, signed header names) over *all* the given headers.

    The caller decides which headers are signed by what it passes in: host, every x-acs-* header and
    content-type when present (API-NOTES). Unsigned headers (user-agent, accept) are simply not passed.
    """
    lowered: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), []).append(value.strip())
    names = sorted(lowered)
    # The same name in two spellings ("Host", "host"): the SDK joins the sorted values with ",".
    block = "".join(f"{n}:{','.join(sorted(lowered[n]))}\n" for n in names)
    return block, ";".join(names)


def canonical_request(
    method: str, path: str, params: Mapping[str, str], signed_headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """(canonical request, signed header names)."""
    block, names = canonical_headers(signed_headers)
    text = f"{method.upper()}\n{path or '/'}\n{canonical_query(params)}\n{block}\n{names}\n{payload_hash}"
    return text, names


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def authorization(
    *,
    method: str,
    path: str,
    params: Mapping[str, str],
    signed_headers: Mapping[str, str],
    payload_hash: str,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """The ``Authorization`` header value for a request whose signed headers are ``signed_headers``."""
    canonical, names = canonical_request(method, path, params, signed_headers, payload_hash)
    signature = hmac.new(
        access_key_secret.encode("utf-8"), string_to_sign(canonical).encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={signature}"


def signed_request_headers(
    *,
    host: str,
    action: str,
    version: str,
    params: Mapping[str, str],
    date: str,
    nonce: str,
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None = None,
    method: str = "POST",
    path: str = "/",
    body: bytes = b"",
) -> dict[str, str]:
    """Every header an RPC-style V3 request needs, ``Authorization`` included.

    ``date`` is ``%Y-%m-%dT%H:%M:%SZ`` in UTC; ``nonce`` must be unique per request (the server rejects a
    replayed nonce), so retries must call this again with a fresh one.
    """
    payload_hash = EMPTY_SHA256 if not body else hashlib.sha256(body).hexdigest()
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": payload_hash,
    }
    if security_token:
        # The SDK sends the key id alongside an STS token; both are x-acs-* and therefore signed.
        headers["x-acs-accesskey-id"] = access_key_id
        headers["x-acs-security-token"] = security_token
    headers["Authorization"] = authorization(
        method=method,
        path=path,
        params=params,
        signed_headers=headers,
        payload_hash=payload_hash,
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
    )
    return headers
