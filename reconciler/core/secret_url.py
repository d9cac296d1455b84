"""A callback URL whose token came from the environment (``${env:NAME}``, see ``reconciler.config.env_refs``):
the value compared and sent, shown only as its template and a keyed fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from reconciler.common.masking import MASK, mask_url

#: A reference to an environment variable, as written in a callback URL's query value.
REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
#: The secret key of the fingerprints (shared by the plan and apply jobs, never in a plan).
FINGERPRINT_KEY_ENV = "CAMS_RECONCILER_FINGERPRINT_KEY"


class SecretUrl(str):
    """A resolved URL: the ``str`` value (compared and sent) that shows only as its template and a keyed
    fingerprint. Its ``repr`` is the display too, so a traceback or a debug print cannot show the token."""

    template: str
    _key: bytes | None

    def __new__(cls, value: str, template: str, key: bytes | None) -> SecretUrl:
        obj = super().__new__(cls, value)
        obj.template = template
        obj._key = key
        return obj

    def __repr__(self) -> str:
        return repr(self.display())

    def fingerprint_of(self, value: str) -> str | None:
        if self._key is None:
            return None
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:12]

    def _with_fingerprint(self, text: str, value: str) -> str:
        fp = self.fingerprint_of(value)
        return f"{text} (fingerprint {fp})" if fp else f"{text} (fingerprint: set {FINGERPRINT_KEY_ENV})"

    def display(self) -> str:
        """The template, other query values masked, and the fingerprint of the resolved URL."""
        return self._with_fingerprint(display_template(self.template), str.__str__(self))

    def display_actual(self, actual: str | None) -> str | None:
        """The URL the API shows, masked, with its fingerprint under the same key (to compare)."""
        if not actual:
            return None
        return self._with_fingerprint(mask_url(actual) or "", actual)


def display_template(template: str) -> str:
    """The template as plans show it: references kept, every other query value masked."""
    base, sep, query = template.partition("?")
    pieces = []
    for piece in query.split("&") if sep else ():
        name, eq, value = piece.partition("=")
        pieces.append(piece if REF.fullmatch(value) else f"{name}{eq}{MASK if eq else ''}")
    return (mask_url(base) or "") + (sep + "&".join(pieces) if sep else "")
