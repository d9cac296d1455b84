"""WhatsApp's format rules for a business username, as data: one table the reconciler's offline validation
and the emulator's ``UpdateWhatsappUserName`` both apply.

The rules are WhatsApp's published format for business usernames (Meta's business-username documentation,
2026, as restated by the platform's partners; docs/lifecycle.md gives them in full): 3 to 35 characters;
English letters, digits, periods and underscores only; at least one letter; no period first or last and no
two periods in a row; not starting with ``www``; not ending in a web-domain suffix. Where the sources list
different suffixes, the table holds all of them (the stricter reading). Case is ignored when two names are
compared (``Acme.Support`` and ``acme.support`` are one name); periods and underscores are not
(``acme.support`` and ``acme_support`` are two).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MIN_LENGTH = 3
MAX_LENGTH = 35
#: suffixes a username may not end with (it would read as a web address)
DOMAIN_SUFFIXES = (".com", ".org", ".net", ".edu", ".gov", ".mil", ".us", ".in", ".html", ".io", ".ai")
_ALLOWED = re.compile(r"[A-Za-z0-9._]*")


@dataclass(frozen=True)
class UsernameRule:
    """One rule: ``broken(name)`` is true when the name breaks it; ``message`` says what is wrong."""

    code: str
    message: str
    broken: Callable[[str], bool]


RULES: tuple[UsernameRule, ...] = (
    UsernameRule("length", f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long",
                 lambda n: not MIN_LENGTH <= len(n) <= MAX_LENGTH),
    UsernameRule("characters", "may hold only English letters, digits, periods and underscores",
                 lambda n: _ALLOWED.fullmatch(n) is None),
    UsernameRule("letter", "must contain at least one English letter",
                 lambda n: not any("a" <= c <= "z" for c in n.lower())),
    UsernameRule("period-edge", "must not start or end with a period", lambda n: n.startswith(".") or n.endswith(".")),
    UsernameRule("period-pair", "must not contain two periods in a row", lambda n: ".." in n),
    UsernameRule("www", "must not start with www", lambda n: n.lower().startswith("www")),
    UsernameRule("domain", f"must not end with a web-domain suffix ({', '.join(DOMAIN_SUFFIXES)})",
                 lambda n: n.lower().endswith(DOMAIN_SUFFIXES)),
)


def username_problems(name: str) -> list[str]:
    """Every rule ``name`` breaks, as messages (empty: a well-formed username)."""
    return [rule.message for rule in RULES if rule.broken(name)]


def username_key(name: str) -> str:
    """The form two usernames are compared in: case ignored, periods and underscores kept."""
    return name.lower()
