"""Normalisation of values before they are compared, so that a plan right after an apply is empty.

The API echoes back what it was given, but people write the same thing many ways: ``HTTPS://Hooks.Example/x/``
and ``https://hooks.example/x`` are one callback; ``+86 138-0000-1234`` and ``8613800001234`` are one number.
Comparing raw strings would show a change on every run. The rules are deliberately conservative: only what
cannot change meaning is folded (the path's case and the query string are kept, because servers may treat
them as significant).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PHONE_CHARS = re.compile(r"\+?[\d\s\-().]+")


def normalize_url(url: str | None) -> str | None:
    """Canonical form of a URL for comparison (never for sending: the declared value is what is sent).

    Scheme and host are lowercased, the scheme's default port is dropped, and a trailing ``/`` of the path is
    ignored (``https://h/`` == ``https://h``). The query string and fragment are kept as written. Surrounding
    whitespace is ignored; an empty value is ``None`` (the API reports "no callback" as an empty string).
    """
    if url is None:
        return None
    text = url.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))


def normalize_phone(value: object) -> str:
    """A phone number as the API reports it → the model's form (E.164 digits without ``+``).

    The API uses bare digits, but a ``+`` or separators are tolerated so that a format change on the
    server side does not turn every number into "unmanaged" plus "sync". Anything that is not a phone
    number is returned as text unchanged, so it still shows up (as unmanaged) instead of vanishing.
    """
    text = str(value).strip()
    if _PHONE_CHARS.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        if digits.startswith("00"):
            digits = digits[2:]
        return digits
    return text


def normalize_enum(value: object) -> str | None:
    """API enumerations are compared case-insensitively (the docs disagree on case: ``Retail``/``RETAIL``)."""
    if value is None:
        return None
    text = str(value).strip()
    return text.upper() or None


def normalize_text(value: object) -> str | None:
    """Free text (about, address…): surrounding whitespace only; an empty value is "not set"."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalize_email(value: object) -> str | None:
    """E-mail addresses: the domain is case-insensitive; the local part is kept as written."""
    text = normalize_text(value)
    if text is None or "@" not in text:
        return text
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"
