"""Masking of secrets in anything the reconciler prints, logs or saves.

Secrets are: access key secrets, security tokens, migration verify codes, and credentials carried in
callback URLs (every query-string value, and a password in the URL's userinfo). One place does it, so every
renderer, log line, plan file and exception message masks the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from reconciler.common.masking import AUTHORITY, MASK, mask_text, mask_url

# Parameter names whose values are secrets wherever they appear (API parameters, headers, state files).
SECRET_KEYS = frozenset({
    "verifycode", "verify_code", "accesskeysecret", "access_key_secret", "securitytoken", "security_token",
    "x-acs-security-token", "authorization", "password", "secret", "token",
})


def is_secret_key(name: str) -> bool:
    return name.lower() in SECRET_KEYS


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
    m = AUTHORITY.match(base)
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
