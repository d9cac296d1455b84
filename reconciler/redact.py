"""Masking of secrets in anything the reconciler prints, logs or saves.

Secrets are: access key secrets, security tokens, migration verify codes, and credentials carried in
callback URLs (every query-string value, and a password in the URL's userinfo). One place does it, so every
renderer, log line, plan file and exception message masks the same way.
"""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

MASK = "***"

# Parameter names whose values are secrets wherever they appear (API parameters, headers, state files).
SECRET_KEYS = frozenset({
    "verifycode", "verify_code", "accesskeysecret", "access_key_secret", "securitytoken", "security_token",
    "x-acs-security-token", "authorization", "password", "secret", "token",
})


def is_secret_key(name: str) -> bool:
    return name.lower() in SECRET_KEYS


def mask_url(url: str | None) -> str | None:
    """Mask every query value and any userinfo password: ``https://h/p?token=abc`` → ``https://h/p?token=***``.

    Keys stay visible so a reviewer sees *that* a token is there. A value that does not parse as a URL is
    returned unchanged unless it carries a query string, in which case everything after ``?`` is masked.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        head, sep, _ = url.partition("?")
        return head + (sep + MASK if sep else "")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if pairs:
            query = "&".join(f"{quote(k, safe='')}={MASK}" for k, _ in pairs)
        else:
            query = MASK
    fragment = MASK if parts.fragment else ""
    return SplitResult(parts.scheme, netloc, parts.path, query, fragment).geturl()


def mask_params(params: dict[str, object]) -> dict[str, object]:
    """A copy of API parameters with secret values masked and callback URLs' tokens masked."""
    out: dict[str, object] = {}
    for k, v in params.items():
        if is_secret_key(k):
            out[k] = MASK
        elif isinstance(v, str) and k.lower().endswith("url"):
            out[k] = mask_url(v)
        else:
            out[k] = v
    return out
