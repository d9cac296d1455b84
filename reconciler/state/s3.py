"""``s3://BUCKET/PREFIX``: the store in object storage, through the S3 API (Alibaba Cloud OSS's
S3-compatible endpoint, MinIO, AWS S3), with boto3 (``pip install cams-reconciler[s3]``; imported only when
this backend is used).

Options ride on the URL's query: ``s3://cams-state/prod?endpoint=https://oss-ap-southeast-1.aliyuncs.com&region=ap-southeast-1``
(else ``CAMS_RECONCILER_S3_ENDPOINT`` / ``AWS_ENDPOINT_URL``, and boto3's own region). Credentials are
boto3's chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role): never in the URL.

Every write is conditional, so that two writers never overwrite each other: a new object is written with
``If-None-Match: *``, a changed one with ``If-Match: <the ETag it was read with>``, a removal with
``If-Match`` too; a ``412 Precondition Failed`` (or ``409``, a concurrent conditional write) is a
``Conflict``, which ``store.update`` answers by re-reading and merging. A server that ignores these headers
would silently break that promise: the tests run a real S3 server and fail if it does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler.core.store_url import parse_s3
from reconciler.state.endpoint import checked_endpoint
from reconciler.state.store import Blob, Conflict, StateError

ENDPOINT_ENV = "CAMS_RECONCILER_S3_ENDPOINT"
_CONFLICT_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "OperationAborted"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def parse(url: str) -> tuple[str, str, dict[str, str]]:
    try:
        found = parse_s3(url)
    except ValueError as exc:
        raise StateError(str(exc)) from None
    return found.bucket, found.prefix, found.options


class S3Store:
    def __init__(self, url: str, env: Mapping[str, str] | None = None, client: Any = None) -> None:
        env = os.environ if env is None else env
        self.bucket, self.prefix, options = parse(url)
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        endpoint = options.get("endpoint") or env.get(ENDPOINT_ENV) or env.get("AWS_ENDPOINT_URL") or None
        if endpoint:
            endpoint = checked_endpoint(endpoint, f"the S3 state store's endpoint ({self.url})", env)
        self.endpoint = endpoint
        if client is None:
            try:
                import boto3  # type: ignore[import-untyped]  # only here: heavy, and an optional dependency
                from botocore.config import Config  # type: ignore[import-untyped]
            except ImportError:
                raise StateError(f"{self.url}: the S3 state store needs boto3: pip install 'cams-reconciler[s3]'") from None
            client = boto3.client("s3", endpoint_url=endpoint, region_name=options.get("region") or None,
                                  config=Config(retries={"mode": "standard", "max_attempts": 4},
                                                s3={"addressing_style": "virtual" if "aliyuncs.com" in (endpoint or "")
                                                    else "auto"}))
        self._s3 = client

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _error(self, exc: Exception, name: str, doing: str) -> Exception:
        code = _code(exc)
        if code in _CONFLICT_CODES:
            return Conflict(name)
        return StateError(f"{self.url}: cannot {doing} {name}: {code or type(exc).__name__}")

    def get(self, name: str) -> Blob | None:
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=self._key(name))
            data = answer["Body"].read()
        except Exception as exc:  # noqa: BLE001 - botocore's errors, sorted by their code below
            if _code(exc) in _MISSING_CODES:
                return None
            raise self._error(exc, name, "read") from None
        return Blob(data, answer["ETag"])

    def put(self, name: str, data: bytes, *, expect: str | None, message: str) -> str:
        condition = {"IfNoneMatch": "*"} if expect is None else {"IfMatch": expect}
        try:
            answer = self._s3.put_object(Bucket=self.bucket, Key=self._key(name), Body=data,
                                         ContentType="application/json", **condition)
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, name, "write") from None
        return str(answer["ETag"])

    def delete(self, name: str, *, expect: str, message: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=self._key(name), IfMatch=expect)
        except Exception as exc:  # noqa: BLE001
            if _code(exc) in _MISSING_CODES:
                raise Conflict(name) from None
            raise self._error(exc, name, "remove") from None

    def names(self, prefix: str = "") -> list[str]:
        out: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                       Prefix=self._key(prefix))
            for page in pages:
                out.extend(item["Key"][len(self.prefix):] for item in page.get("Contents", ()))
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, prefix or "/", "list") from None
        return sorted(out)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        err = response.get("Error") or {}
        code = str(err.get("Code") or "")
        status = str((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or "")
        return code or status
    return ""
