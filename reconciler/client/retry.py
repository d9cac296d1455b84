"""When to try a failed call again, and how long to wait first.

Retried: throttling, HTTP 5xx, timeouts and connection errors: all transient. Never retried: permission,
subscription, ownership, signature/access-key errors and any other 4xx or failure code: sending the same
request again cannot succeed, and for a key that lacks a permission it would only burn the budget.

Each action has a ``RetryMode`` (see ``actions.py``): ``UNSENT_ONLY`` actions (a migration verify code may be
single-use) are retried only when the request provably was not processed.

Backoff is exponential with full jitter (``uniform(0, min(cap, base * 2**n))``, the variant the AWS
architecture blog found to spread competing clients best). A server's ``x-acs-retry-after`` hint
(milliseconds, as the official SDK reads it) or ``Retry-After`` (seconds or a date) raises the wait to
that, in full. Attempts are bounded, and so is the call's own time (``deadline``), which starts when its
first attempt is sent, not while it waits for a send slot.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from reconciler.client.actions import RetryMode
from reconciler.core.client_errors import (
    ClientError,
    ResponseTooLargeError,
    RunBudgetError,
    ServerError,
    ThrottledError,
    TransportError,
)


@dataclass(frozen=True)
class RetryPolicy:
    #: attempts per call, the first included. 8 makes a call fail under a 20 % fault rate with p = 0.2^8.
    max_attempts: int = 8
    base_delay: float = 0.1  # seconds
    max_delay: float = 8.0  # cap of one jittered backoff wait (a server's retry-after hint is not capped)
    #: seconds the call may take from the moment its first attempt is sent: attempts and backoff waits,
    #: not the time it queued in the rate limiter (a call never fails because others were ahead of it)
    deadline: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline <= 0:
            raise ValueError("delays must be >= 0 and the deadline > 0")


def is_retryable(error: ClientError, mode: RetryMode) -> bool:
    """Whether ``error`` may be retried for an action whose policy is ``mode``."""
    if isinstance(error, ThrottledError):
        return True  # refused at the gateway before the action ran: safe in every mode
    if isinstance(error, (ResponseTooLargeError, RunBudgetError)):
        return False  # the same answer again / no time left to send it in
    if isinstance(error, TransportError):
        if not error.sent:  # connect error / connect or pool timeout: nothing reached the server
            return True
        return mode is RetryMode.TRANSIENT
    if isinstance(error, ServerError):
        return mode is RetryMode.TRANSIENT
    return False


def backoff_delay(policy: RetryPolicy, retry_number: int, rng: random.Random,
                  retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``retry_number`` (1 for the first retry).

    A server's retry-after hint is honoured in full, however long: it knows when it will take the request
    again, and asking sooner only draws another refusal. The call's own time budget (``deadline``) is what
    bounds it: the caller gives up at once when the hint would outlast it (``CamsClient.call``).
    """
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** (retry_number - 1)))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay


def retry_after_hint(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The server's requested wait in seconds, if it sent a usable one.

    ``x-acs-retry-after`` is milliseconds (as the SDK reads it); ``Retry-After`` is seconds or an HTTP date.
    """
    raw = headers.get("x-acs-retry-after")
    if raw:
        try:
            ms = float(raw)
        except ValueError:
            ms = 0
        if ms > 0:
            return ms / 1000.0
    raw = headers.get("retry-after")
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
        if seconds > 0:
            return seconds
    return None


__all__ = ["RetryPolicy", "is_retryable", "backoff_delay", "retry_after_hint"]
