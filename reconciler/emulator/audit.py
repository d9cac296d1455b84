"""The audit log: one JSON line per request (time, access key id, action, parameters, HTTP status, code).

Parameters are masked before they are written: migration verify codes and anything named like a secret or
token become ``***``, and every query-string value of a callback URL too (callback URLs often carry a token).
URLs are masked by the rule the reconciler applies too (``reconciler.common.masking``); which parameter
names are secrets is the emulator's own list.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from reconciler.common.masking import MASK, mask_text, mask_url

_SECRET_NAMES = frozenset({
    "verifycode", "accesskeysecret", "access_key_secret", "securitytoken", "security_token", "password",
    "secret", "token", "authorization", "signature",
})


def mask_params(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        lowered = name.lower()
        if lowered in _SECRET_NAMES or lowered.endswith(("secret", "token", "password")):
            out[name] = MASK
        elif isinstance(value, str) and lowered.endswith("url"):
            out[name] = mask_url(value)
        elif isinstance(value, str):
            out[name] = mask_text(value)  # URLs inside other values: Websites is a JSON array string of URLs
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
        params: Mapping[str, Any], http_status: int, code: str, answer: str | None = None,
    ) -> None:
        """One line per request. ``answer``: an injected answer fault (``lost``, ``5xx``, ``html``, or
        ``dropped`` for a held request dropped before it ran); ``http_status``/``code`` are then the action's
        own outcome, not what the client received."""
        line = json.dumps({
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": request_id,
            "access_key_id": access_key_id,
            "action": action,
            "version": version,
            "parameters": mask_params(params),
            "http_status": http_status,
            "code": code,
            **({"answer": answer} if answer else {}),
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
