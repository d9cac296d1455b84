"""A Flow's JSON asset: uploaded through object storage, read back through its download link.

Upload (``upload_flow_json``), the three steps the API prescribes:

1. ``GetChatappUploadAuthorization``: temporary object-storage credentials (key id, secret, security token),
   a bucket, a directory and an endpoint;
2. ``PutObject`` of the JSON into that directory with Alibaba Cloud's official OSS SDK
   (``alibabacloud-oss-v2``, the ``flows`` extra; imported here only, lazily), to the endpoint exactly as
   returned. The SDK addresses an IP or loopback endpoint path-style by itself (the emulator's); a domain
   endpoint virtual-hosted, as OSS expects. Its V4 signature needs the bucket's region: the one an
   ``oss-REGION[-internal].aliyuncs.com`` endpoint names, else the CAMS client's own region;
3. ``UpdateFlowJSONAsset`` with the uploaded object's key as ``FilePath``.

The temporary credentials live in local variables of this module only: they are never logged, never put in
an exception (an SDK failure becomes a ``FlowAssetError`` carrying only OSS's code, status and request id,
with every credential value scrubbed from its message) and never returned.

Read back (``read_flow_json``): ``GetFlowJSONAssest`` (the API's spelling) answers a download link, which is
an API value: only ``http``/``https`` is followed, no credential of ours is sent to it, its answer is bounded
(``MAX_ASSET_BYTES``) and its query (a signature) is masked wherever the link is named.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.common.masking import mask_url
from reconciler.core.client_errors import ClientError
from reconciler.core.redact import scrub_values


class Caller(Protocol):
    """What sends the CAMS calls of an upload or a read back (a ``CamsClient``, or a wrapper counting them)."""

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...

#: The largest Flow JSON the platform takes; a download link answering more is refused.
MAX_ASSET_BYTES = 10 * 1024 * 1024
UPLOAD_TIMEOUT_S = 60.0
_OSS_HOST = re.compile(r"^(?:[a-z0-9-]+\.)?oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


class FlowAssetError(ClientError):
    """The upload or the read back of a Flow's JSON failed (never carrying a temporary credential)."""

    default_code = "FlowAssetError"


@dataclass(frozen=True)
class _Grant:
    """``GetChatappUploadAuthorization``'s ``Data``; its repr shows no credential."""

    access_key_id: str = field(repr=False)
    access_key_secret: str = field(repr=False)
    security_token: str = field(repr=False)
    bucket: str
    directory: str
    endpoint: str

    def secrets(self) -> list[str]:
        return [self.access_key_id, self.access_key_secret, self.security_token]


def _grant(data: Any, request_id: str | None) -> _Grant:
    names = {"AccessKeyId": "access_key_id", "AccessKeySecret": "access_key_secret",
             "SecurityToken": "security_token", "BucketName": "bucket", "Dir": "directory", "EndPoint": "endpoint"}
    values: dict[str, str] = {}
    for api, attr in names.items():
        value = data.get(api) if isinstance(data, dict) else None
        if not isinstance(value, str) or (not value and api != "Dir"):
            raise FlowAssetError(f"the answer has no usable Data.{api}", code="InvalidResponse",
                                 action="GetChatappUploadAuthorization", request_id=request_id)
        values[attr] = value
    return _Grant(**values)


def oss_region(endpoint: str, default: str) -> str:
    """The region an OSS endpoint names (``oss-ap-southeast-1.aliyuncs.com``), else ``default``."""
    host = re.sub(r"^[a-z]+://", "", endpoint.strip().lower()).split("/")[0].split(":")[0]
    found = _OSS_HOST.match(host)
    return found.group(1) if found else default


def object_key(directory: str, file_name: str) -> str:
    """The key of ``file_name`` in the granted ``directory`` (which may be empty: the bucket's root)."""
    return f"{directory.rstrip('/')}/{file_name}" if directory.strip("/") else file_name


async def upload_flow_json(client: Caller, cust_space_id: str, flow_id: str, data: bytes, *, region: str,
                           file_name: str = "flow.json") -> str:
    """Upload ``data`` as the JSON of draft ``flow_id``; returns the ``FilePath`` given to the platform.
    ``region``: the CAMS region, the bucket's unless the endpoint names another."""
    answer = await client.call("GetChatappUploadAuthorization", {"CustSpaceId": cust_space_id})
    grant = _grant(answer.get("Data"), answer.get("RequestId"))
    key = object_key(grant.directory, file_name)
    region = oss_region(grant.endpoint, region)
    await asyncio.to_thread(_put_object, grant, key, data, region, cust_space_id)
    await client.call("UpdateFlowJSONAsset", {"CustSpaceId": cust_space_id, "FlowId": flow_id, "FilePath": key})
    return key


def _put_object(grant: _Grant, key: str, data: bytes, region: str, cust_space_id: str) -> None:
    import alibabacloud_oss_v2 as oss  # the `flows` extra: only the upload path needs it

    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(
        grant.access_key_id, grant.access_key_secret, grant.security_token)
    config.region = region
    config.endpoint = grant.endpoint
    config.connect_timeout = 10
    config.readwrite_timeout = int(UPLOAD_TIMEOUT_S)
    try:
        oss.Client(config).put_object(oss.PutObjectRequest(
            bucket=grant.bucket, key=key, body=data, content_type="application/json"))
    except Exception as exc:  # the SDK's errors name the endpoint and may quote what was sent: rebuilt
        raise _upload_error(exc, grant, cust_space_id) from None


def _upload_error(exc: Exception, grant: _Grant, cust_space_id: str) -> FlowAssetError:
    inner = exc.unwrap() if hasattr(exc, "unwrap") else exc
    code = getattr(inner, "code", None) or type(inner).__name__
    message = getattr(inner, "message", None) or "the object-storage upload failed"
    status = getattr(inner, "status_code", None)
    return FlowAssetError(f"PutObject of the Flow JSON refused: {scrub_values(str(message), grant.secrets())}",
                          code=str(code), action="PutObject", request_id=getattr(inner, "request_id", None),
                          http_status=status if isinstance(status, int) else None, cust_space_id=cust_space_id)


async def read_flow_json(client: Caller, cust_space_id: str, flow_id: str) -> bytes | None:
    """The JSON the platform holds for ``flow_id`` (None when none was uploaded)."""
    import httpx

    answer = await client.call("GetFlowJSONAssest", {"CustSpaceId": cust_space_id, "FlowId": flow_id})
    data = answer.get("Data") if isinstance(answer.get("Data"), dict) else {}
    link = data.get("FilePath") if isinstance(data, dict) else None
    if not link:
        return None
    shown = mask_url(str(link)) or ""
    if not isinstance(link, str) or not re.match(r"^https?://", link):
        raise FlowAssetError(f"the Flow JSON's link is not an http(s) URL: {shown}", code="InvalidResponse",
                             action="GetFlowJSONAssest", cust_space_id=cust_space_id)
    try:
        async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT_S, follow_redirects=False) as http, \
                http.stream("GET", link) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ASSET_BYTES:
                    raise FlowAssetError(f"the Flow JSON at {shown} is larger than {MAX_ASSET_BYTES} bytes",
                                         code="ResponseTooLarge", action="GetFlowJSONAssest")
                chunks.append(chunk)
            if response.status_code != 200:
                raise FlowAssetError(f"reading the Flow JSON at {shown} answered HTTP {response.status_code}",
                                     code="AssetUnreadable", action="GetFlowJSONAssest",
                                     http_status=response.status_code, cust_space_id=cust_space_id)
    except httpx.HTTPError as exc:
        raise FlowAssetError(f"reading the Flow JSON at {shown} failed ({type(exc).__name__})",
                             code="AssetUnreadable", action="GetFlowJSONAssest",
                             cust_space_id=cust_space_id) from None
    return b"".join(chunks)
