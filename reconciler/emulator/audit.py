"""The audit log: one JSON line per request (time, access key id, action, parameters, HTTP status, code).

Parameters are masked before they are written: migration verify codes and anything named like a secret or
token become ``***``, and every query-string value of a callback URL too (callback URLs often carry a token).
The emulator imports nothing of the reconciler, so this masking is its own (the same rules as
``reconciler.redact``).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, TextIO
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK = "***"
_SECRET_NAMES = frozenset({
    "verifycode", "accesskeysecret", "access_key_secret", "securitytoken", "security_token", "password",
    "secret", "token", "authorization", "signature",
})


def mask_url(url: str) -> str:
    """``https://h/p?token=abc`` → ``https://h/p?token=***``; a userinfo password is masked too.

    The same rule as ``reconciler.redact.mask_url``, kept here on purpose: the emulator imports nothing of
    the reconciler, so it stays a stand-alone CAMS whose audit log is an independent witness of what the
    tool sent."""
    try:
        parts = urlsplit(url)
    except ValueError:
        head, sep, _ = url.partition("?")
        return head + (sep + MASK if sep else "")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = "&".join(f"{quote(k, safe='')}={MASK}" for k, _ in pairs) if pairs else MASK
    return urlunsplit((parts.scheme, netloc, parts.path, query, MASK if parts.fragment else ""))


def mask_params(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        lowered = name.lower()
        if lowered in _SECRET_NAMES or lowered.endswith(("secret", "token", "password")):
            out[name] = MASK
        elif isinstance(value, str) and lowered.endswith("url"):
            out[name] = mask_url(value)
        else:
            out[name] = value
    return out


class AuditLog:
    """Appends JSON lines to a file; safe to call from many request threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: TextIO | None = open(self.path, "a", encoding="utf-8")

    def record(
        self, *, request_id: str, access_key_id: str | None, action: str | None, version: str | None,
        params: Mapping[str, Any], http_status: int, code: str,
    ) -> None:
        line = json.dumps({
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": request_id,
            "access_key_id": access_key_id,
            "action": action,
            "version": version,
            "parameters": mask_params(params),
            "http_status": http_status,
            "code": code,
        }, ensure_ascii=False, sort_keys=False)
        with self._lock:
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
