"""Masking of secrets in anything the reconciler prints, logs or saves.

Secrets are: access key secrets, security tokens, migration verify codes, and credentials carried in
callback URLs (every query-string value, and a password in the URL's userinfo). One place does it, so every
renderer, log line, plan file and exception message masks the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "***"

# Parameter names whose values are secrets wherever they appear (API parameters, headers, state files).
SECRET_KEYS = frozenset({
    "verifycode", "verify_code", "accesskeysecret", "access_key_secret", "securitytoken", "security_token",
    "x-acs-security-token", "authorization", "password", "secret", "token",
})


def is_secret_key(name: str) -> bool:
    return name.lower() in SECRET_KEYS


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


def url_secret_values(url: str) -> list[str]:
    """The parts of ``url`` that ``mask_url`` hides (query values, bare pieces, password, lone user,
    fragment), each in every form a server may echo it: as written, percent-decoded, ``+``-decoded and
    re-encoded. For scrubbing a message that quotes what was sent."""
    head, _, fragment = url.partition("#")
    base, _, query = head.partition("?")
    raw: list[str] = [fragment] if fragment else []
    for piece in query.split("&") if query else ():
        key, eq, value = piece.partition("=")
        raw.extend([value] if eq and value and key else [piece, key])  # a bare piece is the secret
    m = _AUTHORITY.match(base)
    if m is not None and "@" in m.group("auth"):
        userinfo = m.group("auth").rpartition("@")[0]
        user, colon, password = userinfo.partition(":")
        raw.append(password if colon else user)
    forms: set[str] = set()
    for value in raw:
        if not value:
            continue
        for form in (value, unquote(value), unquote_plus(value)):
            forms.update({form, quote(form, safe=""), quote_plus(form)})
    return sorted(f for f in forms if f)


def scrub_values(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret value in ``text`` by the mask: longest first; a value under 4 characters only
    where it stands alone (not inside a word), so a 2-character token is masked and ``abc`` in a word is not."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
        else:
            # "alone": not next to a letter or digit, a percent escape (``%3A``) counting as a separator
            text = re.sub(rf"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{{2}})){re.escape(secret)}(?![A-Za-z0-9])", MASK,
                          text)
    return text


def mask_params(params: Mapping[str, object]) -> dict[str, object]:
    """A copy of API parameters with secret values masked and callback URLs' tokens masked."""
    out: dict[str, object] = {}
    for k, v in params.items():
        if is_secret_key(k):
            out[k] = MASK
        elif isinstance(v, str) and k.lower().endswith("url"):
            out[k] = mask_url(v)
        elif isinstance(v, str):
            out[k] = mask_text(v)  # URLs inside other values: Websites is a JSON array string of URLs
        else:
            out[k] = v
    return out
