"""The audit log: one JSON line per request (time, access key id, action, parameters, HTTP status, code).

Parameters are masked before they are written: migration verify codes and anything named like a secret or
token become ``***``, and every query-string value of a callback URL too (callback URLs often carry a token).
The emulator imports nothing of the reconciler, so this masking is its own (the same rules as
``reconciler.redact``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, unquote

MASK = "***"
_SECRET_NAMES = frozenset({
    "verifycode", "accesskeysecret", "access_key_secret", "securitytoken", "security_token", "password",
    "secret", "token", "authorization", "signature",
})


# The same rule as ``reconciler.redact.mask_url`` / ``mask_text``, copied verbatim on purpose: the emulator
# imports nothing of the reconciler, so it stays a stand-alone CAMS whose audit log is an independent witness
# of what the tool sent. tests/reliability/test_masking.py checks the two copies agree on every URL shape.
_AUTHORITY = re.compile(r"^(?P<lead>(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//)?(?P<auth>[^/?#\\]*)")


def mask_url(url: str | None) -> str | None:
    """Mask everything in a URL that can carry a credential, without trusting a URL parser to accept it.

    ``https://u:pw@h/p?token=abc&SECRET#frag`` → ``https://u:***@h/p?token=***&***#***``:

    - userinfo: a password is masked and the user kept (``u:***@``); a user alone is masked (``***@``), as
      tokens are often passed as the user name;
    - query: each ``key=value`` keeps its key (a reviewer sees *that* a token is there) and masks its value;
      a piece without ``=`` or with an empty value (``?SECRET``, ``?SECRET=``) is masked whole;
    - fragment: masked whole.

    Plain string splitting, not ``urlsplit``: a URL the parser rejects (``http://[bad``) is masked the same way,
    and nothing depends on how the parser decodes ``%2F``, ``%26`` or ``+``.
    """
    if not url:
        return url
    head, hash_sep, _fragment = url.partition("#")
    base, q_sep, query = head.partition("?")
    m = _AUTHORITY.match(base)
    if m is not None and "@" in m.group("auth"):
        userinfo, _, hostport = m.group("auth").rpartition("@")
        user, colon, _password = userinfo.partition(":")
        masked = f"{user}:{MASK}" if colon else MASK
        base = f"{m.group('lead') or ''}{masked}@{hostport}{base[m.end():]}"
    if q_sep:
        pieces = []
        for piece in query.split("&"):
            key, eq, value = piece.partition("=")
            pieces.append(piece if not piece else f"{key}={MASK}" if eq and value and key else MASK)
        base += "?" + "&".join(pieces)
    return base + (f"#{MASK}" if hash_sep else "")


#: URLs in free text (messages, JSON strings of websites): plain and percent-encoded (a request echoed back).
URL_IN_TEXT = re.compile(r"(?i)(?:https?://|https?%3A%2F%2F)[^\s\"'<>,;]+")


def mask_text(text: str) -> str:
    """Every URL inside ``text`` masked by ``mask_url`` (a percent-encoded one decoded first, then encoded again)."""
    def one(m: re.Match[str]) -> str:
        found = m.group(0)
        if "://" in found[:8]:
            return mask_url(found) or ""
        return quote(mask_url(unquote(found)) or "", safe="*")  # decoded, masked, encoded again
    return URL_IN_TEXT.sub(one, text)


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
