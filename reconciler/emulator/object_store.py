"""The emulator's object storage: the bucket a Flow's JSON is uploaded to, as OSS serves it.

``GetChatappUploadAuthorization`` issues temporary credentials (an STS-style key id, secret and security
token, valid for ``GRANT_SECONDS``) for one directory of one bucket; the client uploads with the official OSS
SDK (``PutObject``, OSS V4 signature) to the endpoint the answer names, which is this emulator's own HTTP
listener: a request with no ``x-acs-action`` header and a path other than ``/`` is an object-storage request
(``server.py``). The SDK addresses an IP endpoint path-style (``/BUCKET/KEY``), and that is the only style
served. Refused, with OSS's XML error and its codes:

- any request not signed with OSS V4 (``OSS4-HMAC-SHA256``) by a key this emulator issued
  (``InvalidAccessKeyId``), without that key's security token (``InvalidAccessKeyId``, OSS's answer for a bad
  token), after the key expired (``SecurityTokenExpired``), with a signature that does not match the
  canonical request (``SignatureDoesNotMatch``), a date more than 15 minutes off (``RequestTimeTooSkewed``),
  a scope for another region or product (``InvalidArgument``), or a body whose SHA-256 or MD5 is not the
  one declared (``InvalidDigest`` / ``BadDigest``);
- a key outside the directory the credentials were issued for, or a bucket that is not the emulator's
  (``AccessDenied`` / ``NoSuchBucket``); a body over ``MAX_OBJECT_BYTES`` (``EntityTooLarge``); any method
  but ``PUT``, except a ``GET`` of a download link ``GetFlowJSONAssest`` handed out (signed by the emulator,
  expiring), which is the one way to read an object back.

A stored object answers with its ``ETag`` and ``x-oss-hash-crc64ecma`` (the SDK checks the CRC-64 of what it
sent against it). Only the standard library: the emulator imports nothing of the product.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode
from xml.sax.saxutils import escape

BUCKET = "cams-emulator-flows"
GRANT_SECONDS = 3600
MAX_OBJECT_BYTES = 10 * 1024 * 1024
SKEW_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 600
_V4 = "OSS4-HMAC-SHA256"


def crc64_ecma(data: bytes) -> int:
    """CRC-64/XZ (ECMA-182, reflected), the checksum OSS reports in ``x-oss-hash-crc64ecma``."""
    crc = 0xFFFFFFFFFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def _crc_table() -> tuple[int, ...]:
    out = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xC96C5795D7870F42 if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_CRC_TABLE = _crc_table()


class OssError(Exception):
    """An object-storage refusal: OSS's code, message and HTTP status (answered as an XML ``<Error>``)."""

    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Grant:
    """Temporary credentials for one directory (``GetChatappUploadAuthorization``)."""

    access_key_id: str
    access_key_secret: str
    security_token: str
    directory: str
    expires_at: float  # epoch seconds
    account: str
    space_id: str


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class ObjectStore:
    """One bucket, the grants issued for it and the objects uploaded. Thread-safe (its own lock)."""

    region: str
    endpoint: str = ""  # set once the server is bound: "http://HOST:PORT"
    bucket: str = BUCKET
    _grants: dict[str, Grant] = field(default_factory=dict)
    _objects: dict[str, bytes] = field(default_factory=dict)
    _link_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    _offset: float = 0.0

    def _now(self, now: float | None) -> float:
        return time.time() + self._offset if now is None else now

    def advance_clock(self, seconds: float) -> None:
        """Test hook: move the store's clock forward (credentials and download links expire)."""
        with self._lock:
            self._offset += seconds

    def clear(self) -> None:
        with self._lock:
            self._grants.clear()
            self._objects.clear()
            self._offset = 0.0

    # --- what the CAMS actions use --------------------------------------------------------------------------

    def issue(self, account: str, space_id: str, now: float | None = None) -> Grant:
        now = self._now(now)
        grant = Grant(
            access_key_id="STS." + secrets.token_hex(12), access_key_secret=secrets.token_urlsafe(30),
            security_token=secrets.token_urlsafe(96), directory=f"flows/{space_id}/{uuid.uuid4().hex}/",
            expires_at=now + GRANT_SECONDS, account=account, space_id=space_id)
        with self._lock:
            self._grants[grant.access_key_id] = grant
        return grant

    def uploaded(self, key: str, account: str, space_id: str) -> bytes | None:
        """The object at ``key`` when it was uploaded into a directory issued to ``space_id`` of ``account``."""
        with self._lock:
            owner = next((g for g in self._grants.values() if key.startswith(g.directory)), None)
            if owner is None or owner.account != account or owner.space_id != space_id:
                return None
            return self._objects.get(key)

    def keep(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key`` as the platform's own copy (what a Flow's asset link serves)."""
        with self._lock:
            self._objects[key] = data

    def download_link(self, key: str, now: float | None = None) -> str:
        """A link that GETs ``key`` until it expires: what ``GetFlowJSONAssest`` answers as ``FilePath``."""
        expires = int(self._now(now) + DOWNLOAD_SECONDS)
        signature = self._link_signature(key, expires)
        return f"{self.endpoint}/{self.bucket}/{quote(key)}?" + urlencode({"Expires": expires, "Signature": signature})

    def _link_signature(self, key: str, expires: int) -> str:
        return hmac.new(self._link_key, f"GET\n{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    # --- the HTTP side ---------------------------------------------------------------------------------------

    def serve(self, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes,
              now: float | None = None) -> Answer:
        """Answer one object-storage request (``headers``: lower-case names). Never raises."""
        try:
            _, key = self._address(raw_path)
            if method == "GET":
                answer = self._get(key, query, now)
            elif method == "PUT":
                answer = self._put(key, raw_path, query, headers, body, now)
            else:
                raise OssError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        except OssError as exc:
            return self.refusal(exc)
        return _finished(answer, uuid.uuid4().hex.upper()[:24])

    def refusal(self, exc: OssError) -> Answer:
        """OSS's XML ``<Error>`` answer for ``exc``."""
        request_id = uuid.uuid4().hex.upper()[:24]
        text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(exc.code)}</Code>'
                f"<Message>{escape(exc.message)}</Message><RequestId>{request_id}</RequestId>"
                f"<HostId>{escape(self.endpoint)}</HostId></Error>")
        return _finished(Answer(exc.status, {"Content-Type": "application/xml"}, text.encode()), request_id)

    def _address(self, raw_path: str) -> tuple[str, str]:
        """(bucket, key) of a path-style request; the emulator's bucket only."""
        bucket, _, key = raw_path.lstrip("/").partition("/")
        if bucket != self.bucket:
            raise OssError("NoSuchBucket", "The specified bucket does not exist.", 404)
        if not key:
            raise OssError("AccessDenied", "You have no right to access this bucket.", 403)
        return bucket, unquote(key)

    def _get(self, key: str, query: str, now: float | None) -> Answer:
        params = dict(parse_qsl(query, keep_blank_values=True))
        expires = params.get("Expires", "")
        signature = params.get("Signature", "")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._link_signature(key, int(expires))):
            raise OssError("AccessDenied", "The link is not signed by this service.")
        if int(expires) < self._now(now):
            raise OssError("AccessDenied", "Request has expired.")
        with self._lock:
            data = self._objects.get(key)
        if data is None:
            raise OssError("NoSuchKey", "The specified key does not exist.", 404)
        return Answer(200, {"Content-Type": "application/json", "ETag": _etag(data),
                            "x-oss-hash-crc64ecma": str(crc64_ecma(data))}, data)

    def _put(self, key: str, raw_path: str, query: str, headers: dict[str, str], body: bytes,
             now: float | None) -> Answer:
        grant = self._authenticate(raw_path, query, headers, now)
        if not key.startswith(grant.directory) or ".." in key.split("/"):
            raise OssError("AccessDenied", "The object is outside the directory these credentials allow.")
        if len(body) > MAX_OBJECT_BYTES:
            raise OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400)
        declared = headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        if declared != "UNSIGNED-PAYLOAD" and declared != hashlib.sha256(body).hexdigest():
            raise OssError("InvalidDigest", "The x-oss-content-sha256 you specified is not the body's.", 400)
        md5 = headers.get("content-md5")
        if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
            raise OssError("BadDigest", "The Content-MD5 you specified did not match what was received.", 400)
        with self._lock:
            self._objects[key] = body
        return Answer(200, {"ETag": _etag(body), "x-oss-hash-crc64ecma": str(crc64_ecma(body))})

    def _authenticate(self, raw_path: str, query: str, headers: dict[str, str], now: float | None) -> Grant:
        auth = headers.get("authorization", "")
        if not auth.startswith(_V4 + " "):
            raise OssError("AccessDenied", "Only OSS V4 signed requests are accepted.")
        fields = dict(part.strip().partition("=")[::2] for part in auth[len(_V4) + 1:].split(","))
        credential = fields.get("Credential", "").split("/")
        if len(credential) != 5 or credential[4] != "aliyun_v4_request":
            raise OssError("InvalidArgument", "The Credential in the Authorization header is malformed.", 400)
        key_id, date, region, product, _ = credential
        with self._lock:
            grant = self._grants.get(key_id)
        if grant is None:
            raise OssError("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
        if not hmac.compare_digest(headers.get("x-oss-security-token", ""), grant.security_token):
            raise OssError("InvalidAccessKeyId", "The security token you provided is invalid.")
        now = self._now(now)
        if now >= grant.expires_at:
            raise OssError("SecurityTokenExpired", "The security token you provided has expired.")
        stamp = headers.get("x-oss-date", "")
        try:
            signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise OssError("AccessDenied", "The request has no valid x-oss-date.") from None
        if abs(now - signed_at) > SKEW_SECONDS:
            raise OssError("RequestTimeTooSkewed", "The difference between the request time and the current "
                                                   "time is too large.")
        if date != stamp[:8] or region != self.region or product != "oss":
            raise OssError("InvalidArgument", f"The scope {'/'.join(credential[1:4])} does not match the "
                                              "request's date, the bucket's region or the OSS product.", 400)
        additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
        expected = _signature(grant.access_key_secret, "PUT", raw_path, query, headers, additional, date, region)
        if not hmac.compare_digest(fields.get("Signature", ""), expected):
            raise OssError("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                                                    "signature you provided.")
        return grant


def _finished(answer: Answer, request_id: str) -> Answer:
    answer.headers["x-oss-request-id"] = request_id
    answer.headers["Content-Length"] = str(len(answer.body))
    return answer


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def _signature(secret: str, method: str, raw_path: str, query: str, headers: dict[str, str],
               additional: list[str], date: str, region: str) -> str:
    """OSS V4: the canonical request of what arrived, hashed into the string to sign, HMAC'd with the key
    derived from the secret, the date, the region and the product."""
    canonical_uri = quote(unquote(raw_path), safe="/")
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&") if pair)
    canonical_query = "&".join(f"{k}={v}" if v else k for k, v in pairs)
    signed = sorted((k, v.strip()) for k, v in headers.items()
                    if k.startswith("x-oss-") or k in ("content-type", "content-md5") or k in additional)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in signed)
    payload = headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
    canonical = (f"{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n"
                 f"{';'.join(additional)}\n{payload}")
    scope = f"{date}/{region}/oss/aliyun_v4_request"
    to_sign = f"{_V4}\n{headers.get('x-oss-date', '')}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("aliyun_v4" + secret).encode()
    for part in (date, region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
