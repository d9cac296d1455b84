"""The two ways the emulator fails on purpose.

``EmulatorApiError`` is an API-level failure the emulator *returns* to its caller as a JSON error body (the
real CAMS/BSS codes, so clients exercise their real error handling). ``StateFileError`` is a problem with
the state file the emulator was started from; it is raised to whoever started it, with a one-line message
naming the file (and line, when known) and the problem.

Both are plain ``Exception`` subclasses: the emulator imports nothing of the reconciler but ``reconciler.common``, by design.
"""

from __future__ import annotations

from typing import Any


class EmulatorApiError(Exception):
    """An API error with the code, message and HTTP status the real service uses.

    ``extra`` holds additional top-level fields of the error body (e.g. ``AccessDeniedDetail``). ``style``
    is the body's shape: ``json`` (CAMS: ``Code``, ``Message``, ``RequestId``), ``gateway`` (the API
    gateway's own lowercase JSON: ``code``, ``message``, ``requestId``) or ``xml`` (an ``<Error>`` document).
    ``headers`` are sent with it (``x-acs-retry-after``).
    """

    def __init__(self, code: str, message: str, http_status: int = 400, extra: dict[str, Any] | None = None,
                 style: str = "json", headers: dict[str, str] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.extra = dict(extra or {})
        self.style = style
        self.headers = dict(headers or {})


class StateFileError(Exception):
    """The emulator state (file or dict) is unusable. ``str(err)`` is one line: ``FILE[:LINE]: problem``."""
