"""The masking rule for URLs: what of a URL can carry a credential, and how it is hidden wherever a URL is
printed, logged or saved. The reconciler's redaction (``reconciler.core.redact``) and the emulator's audit
log apply this one rule.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

MASK = "***"

AUTHORITY = re.compile(r"^(?P<lead>(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//)?(?P<auth>[^/?#\\]*)")


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
    m = AUTHORITY.match(base)
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
