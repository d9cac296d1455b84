"""What the client is doing, on stderr: ``CAMS_RECONCILER_LOG=debug|info|warn`` (as ``TF_LOG``) or ``-v``/``-vv``.

Levels: ``warn`` (default) only what went wrong; ``info`` adds each retry with its backoff and each throttled
answer; ``debug`` adds every request (action, attempt, masked parameters) and every answer (HTTP status,
time, request id). Human lines by default; ``CAMS_RECONCILER_LOG_FORMAT=json`` gives one JSON object per
line (``time``, ``level``, ``logger``, ``message`` and the record's structured fields such as ``event``,
``action``, ``attempt``, ``delay_s``, ``status``, ``request_id``) for log shippers.

No secret reaches a log line: the client logs parameters through ``redact.mask_params`` at the source, and
the handler's ``SecretFilter`` masks again whatever slips past (callback-URL query values, ``Key=value`` and
``'Key': 'value'`` pairs of secret keys, and the values of secret-looking environment variables, such as
the access key secret or a migration verify code), in the message and in every structured field.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from reconciler.common.masking import MASK, mask_url
from reconciler.core.redact import SECRET_KEYS

LOG_ENV = "CAMS_RECONCILER_LOG"
FORMAT_ENV = "CAMS_RECONCILER_LOG_FORMAT"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "warning": logging.WARNING,
          "error": logging.ERROR}
#: The loggers we configure: ours, and httpx's (its warnings; its query strings are masked by the client's
#: own filter too).
LOGGERS = ("reconciler", "httpx")
#: Record attributes that are not structured fields of ours.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_SECRET_ENV = re.compile(r"SECRET|TOKEN|PASSWORD|VERIFY_?CODE|_CODE$", re.IGNORECASE)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\",)}\]]+")
_KEYS = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))
_PAIR = re.compile(rf"(?i)(['\"]?(?:{_KEYS})['\"]?\s*[:=]\s*)(['\"]?)([^'\",\s}}&]+)")


def level_for(env: Mapping[str, str], verbose: int) -> tuple[int, str | None]:
    """The level asked for (the more talkative of env and ``-v``), and a warning for an unknown value."""
    raw = env.get(LOG_ENV, "").strip().lower()
    level = LEVELS.get(raw, logging.WARNING)
    warning = None
    if raw and raw not in LEVELS:
        warning = f"{LOG_ENV}={raw!r} is not one of debug, info, warn: logging at warn"
    if verbose >= 2:
        level = min(level, logging.DEBUG)
    elif verbose == 1:
        level = min(level, logging.INFO)
    return level, warning


class SecretFilter(logging.Filter):
    """Masks secrets in a record's final message and its structured fields (see the module's doc)."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        super().__init__()
        self._values = sorted({v for v in secret_values if len(v) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        if "://" in text:
            text = _URL.sub(lambda m: mask_url(m.group(0)) or m.group(0), text)
        text = _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        for value in self._values:
            text = text.replace(value, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.scrub(value))
        if record.exc_info:  # a traceback is never printed: the exception's one line, scrubbed
            record.msg += f" ({self.scrub(str(record.exc_info[1]))})"
            record.exc_info = None
            record.exc_text = None
        return True


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    return [v for k, v in env.items() if _SECRET_ENV.search(k) and v]


class HumanFormatter(logging.Formatter):
    """``12:00:01.234 debug reconciler.client: message`` (the structured fields are for JSON lines; the
    message already says them in words)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        return f"{when} {record.levelname.lower():<5} {record.name}: {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(_fields(record))
        return json.dumps(line, ensure_ascii=False, default=str)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the *current* ``sys.stderr`` (or a fixed stream): a test that swaps stderr gets the lines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._fixed = stream

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = self._fixed if self._fixed is not None else sys.stderr
        super().emit(record)


@contextmanager
def logging_configured(env: Mapping[str, str], *, verbose: int = 0,
                       stream: TextIO | None = None) -> Iterator[None]:
    """Our handler on ``LOGGERS`` for the block's life; the loggers are left as they were found after it
    (levels are process state: a command run in-process, as tests do, must not change the next one's)."""
    level, warning = level_for(env, verbose)
    handler = StderrHandler(stream)
    handler.addFilter(SecretFilter(secret_env_values(env)))
    json_lines = env.get(FORMAT_ENV, "").strip().lower() == "json"
    handler.setFormatter(JsonFormatter() if json_lines else HumanFormatter())
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addHandler(handler)
        # httpx's own request line (INFO) repeats ours without the request id: only its warnings.
        logger.setLevel(level if name == "reconciler" else max(level, logging.WARNING))
    try:
        if warning:
            logging.getLogger("reconciler").warning(warning)
        yield
    finally:
        for logger, old_level in saved:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
