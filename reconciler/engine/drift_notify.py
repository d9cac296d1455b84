"""A chat message with what is new and what is resolved since the last drift run (``--notify-url-env``).

Slack and Lark/Feishu incoming webhooks and DingTalk robots all take a JSON POST of a text message; each has
its own envelope (``PAYLOADS``) and its own way of saying "refused" in a 200 answer (DingTalk ``errcode``,
Lark ``code``). The webhook URL is a secret (whoever has it can post): it is read from the environment
variable the command names, sent to, and never printed: every error here names the variable, not the URL.
Nothing is posted when nothing is new or resolved: an ongoing finding is already known.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.core.errors import ReconcilerError
from reconciler.core.redact import scrub_values, url_secret_values
from reconciler.engine.drift_state import Transitions

MAX_LINES = 30
TIMEOUT_S = 10.0


class NotifyError(ReconcilerError):
    """The chat notification could not be sent (one line, no URL)."""


def _slack(text: str) -> dict[str, Any]:
    return {"text": text}


def _dingtalk(text: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": text}}


def _lark(text: str) -> dict[str, Any]:
    return {"msg_type": "text", "content": {"text": text}}


PAYLOADS: Mapping[str, Callable[[str], dict[str, Any]]] = {"slack": _slack, "dingtalk": _dingtalk, "lark": _lark}


def message(transitions: Transitions) -> str | None:
    """The text: a headline, then one line per new and per resolved finding (capped). None: nothing to say."""
    new, resolved = transitions.new, transitions.resolved
    if not new and not resolved:
        return None
    lines = [f"cams-reconciler drift {transitions.now}: {len(new)} new, {len(resolved)} resolved"]
    for label, items in (("new", new), ("resolved", resolved)):
        for t in items:
            detail = f" — {t.finding.details[0]}" if t.finding.details and label == "new" else ""
            lines.append(f"{label}: {t.finding.space} {t.finding.headline}{detail}")
    if len(lines) > MAX_LINES + 1:
        lines = lines[:MAX_LINES + 1] + [f"… and {len(lines) - MAX_LINES - 1} more (see the drift report)"]
    return "\n".join(lines)


def _refused(fmt: str, body: Any) -> str | None:
    """What a 200 answer says when the platform refused the message."""
    if not isinstance(body, Mapping):
        return None
    if fmt == "dingtalk" and body.get("errcode") not in (None, 0):
        return f"errcode {body.get('errcode')}: {str(body.get('errmsg', ''))[:200]}"
    if fmt == "lark":
        code = body.get("code", body.get("StatusCode"))
        if code not in (None, 0):
            return f"code {code}: {str(body.get('msg', body.get('StatusMessage', '')))[:200]}"
    return None


def notify(env: Mapping[str, str], url_env: str, fmt: str, transitions: Transitions, *,
           transport: httpx.BaseTransport | None = None) -> bool:
    """Post the message (True), or nothing to post (False). Raises ``NotifyError`` on any failure."""
    text = message(transitions)
    if text is None:
        return False
    url = env.get(url_env, "")
    where = f"the chat webhook (URL from ${url_env}, not shown)"
    if not url:
        raise NotifyError(f"--notify-url-env {url_env}: the variable is not set")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise NotifyError(f"{where} is not a URL") from None
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise NotifyError(f"{where} must be an https:// URL")
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=transport, follow_redirects=False) as client:
            answer = client.post(url, content=json.dumps(PAYLOADS[fmt](text), ensure_ascii=False).encode(),
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    except httpx.HTTPError as exc:
        raise NotifyError(f"{where} could not be reached: {type(exc).__name__}") from None
    if answer.status_code // 100 != 2:
        raise NotifyError(f"{where} answered HTTP {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        body = None
    refused = _refused(fmt, body)
    if refused:  # a platform's message could quote the request: scrub the URL's secrets from it
        raise NotifyError(f"{where} refused the message: {scrub_values(refused, [url, *url_secret_values(url)])}")
    return True
