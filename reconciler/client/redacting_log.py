"""Keep secrets out of httpx's own log lines.

httpx logs every request at INFO as ``HTTP Request: POST <url> "HTTP/1.1 200 OK"``, and our URLs carry
every API parameter in the query string (the RPC wire format), ``VerifyCode`` and callback-URL tokens
included. A CI job that turns on INFO logging would print them. This filter masks every query value in
the arguments of httpx's records (keys stay visible). It is attached to the ``httpx`` logger once; that
is logging configuration of the process, which is where such a policy belongs, not state of ours.
"""

from __future__ import annotations

import logging

from reconciler.common.masking import mask_url

_LOGGER_NAMES = ("httpx",)


class QueryMaskingFilter(logging.Filter):
    """Rewrites URL-looking arguments (``httpx.URL`` or strings with ``://``) with their query masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_mask(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask(v) for k, v in record.args.items()}
        if isinstance(record.msg, str) and "://" in record.msg and "?" in record.msg:
            record.msg = " ".join(mask_url(w) or w if "://" in w else w for w in record.msg.split(" "))
        return True


def _mask(value: object) -> object:
    text = str(value) if type(value).__name__ == "URL" else value
    if isinstance(text, str) and "://" in text and "?" in text:
        return mask_url(text)
    return value


def install_httpx_redaction() -> None:
    """Attach the filter to httpx's logger unless it is already there (idempotent)."""
    for name in _LOGGER_NAMES:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryMaskingFilter) for f in logger.filters):
            logger.addFilter(QueryMaskingFilter())
