"""Injected faults, deterministic for a given seed: what a real service does to a client on a bad day.

Three independent kinds, each off by default:

- **server errors** (``rate``): a fraction of requests fail with HTTP 500 ``InternalError`` or 503
  ``ServiceUnavailable``. Nothing is changed by a failed request.
- **throttling bursts** (``throttle_rate``): a fraction of requests are answered HTTP 400
  ``System.LimitControl`` *whatever the token bucket says* — the gateway's flow control reacting to load we
  cannot see (other tenants, a shared key), which a client that only paces itself to the documented rate
  still meets. Nothing is changed by a throttled request.
- **latency spikes** (``spike_rate``, ``spike_ms``): a fraction of responses are delayed by ``spike_ms`` on
  top of the constant ``--latency-ms``; the request itself is served normally.

How a throttling answer looks (the flow-control window's and the bursts' alike) is a fault setting too:
``throttle_shape`` ``cams`` (HTTP 400, JSON ``Code: System.LimitControl``), ``gateway`` (HTTP 400, the API
gateway's lowercase JSON ``code: Throttling.User``, ``requestId``, ``message``), ``xml`` (HTTP 400, an XML
``<Error>`` body with ``Throttling.User``) or ``429`` (HTTP 429, gateway JSON ``code: Throttling``); and
``retry_after_ms`` makes every throttling answer carry ``x-acs-retry-after`` (milliseconds), the hint the
SDK reads: a number, or ``auto`` for the exact time until the window has room again.

Two more, aimed at one action rather than a fraction of all requests (they model the failures that make a
write's outcome uncertain, which a client must settle by reading, never by guessing):

- **answer faults** (``answer_faults``, ``arm_answer_fault``): the next ``count`` successful calls of an
  action *land* (the backend carries them out), then their answer is lost: the connection is closed with
  no response (``lost``), answered HTTP 503 ``ServiceUnavailable`` (``5xx``), or answered HTTP 200 with an
  HTML page instead of JSON (``html``). Per-action counters, so deterministic without a seed.
- **holds** (``hold``, Python only): the next request of an action stops before (``before``) or after
  (``after``: it has landed) the backend runs it, until the test releases it. ``Hold.arrived`` tells the
  test the request is there, so it can kill the client at exactly that point (no sleep race); ``release()``
  goes on, ``release(drop=True)`` closes the connection instead (before: the request never runs); ``done`` is
  set once the request is over (answered or dropped, and audited).

Determinism is per request *order*: the n-th request the emulator asks about gets the same verdict for the
same seed and rates. Each kind draws from its own generator (seeded from ``seed`` and the kind's name), and
each draw consumes a fixed count of numbers, so enabling one kind never shifts the sequence of another and
one verdict never shifts the ones after it.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.emulator.errors import EmulatorApiError


def _fraction(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0.0 and 1.0")
    return float(value)


def _stream(seed: int | None, kind: str) -> random.Random:
    """An independent generator per kind; ``seed`` None → unpredictable (fresh OS entropy)."""
    return random.Random(None if seed is None else f"{seed}:{kind}")


#: shape → (HTTP status, code, message, body style)
THROTTLE_SHAPES: dict[str, tuple[int, str, str, str]] = {
    "cams": (400, "System.LimitControl", "The system is under flow control.", "json"),
    "gateway": (400, "Throttling.User", "Request was denied due to user flow control.", "gateway"),
    "xml": (400, "Throttling.User", "Request was denied due to user flow control.", "xml"),
    "429": (429, "Throttling", "Request was denied due to flow control.", "gateway"),
}


def parse_retry_after(value: str | float | None) -> float | str | None:
    """``--retry-after-ms``: None/0 = no hint, ``auto``, or milliseconds >= 0. Raises ValueError."""
    if value is None or value == "":
        return None
    if value == "auto":
        return "auto"
    ms = float(value)
    if ms < 0 or ms != ms or ms == float("inf"):
        raise ValueError("retry-after ms must be a non-negative number or 'auto'")
    return ms or None


#: what a landed write's answer becomes (``answer_faults``)
ANSWER_FAULTS = ("lost", "5xx", "html")
HOLD_POINTS = ("before", "after")
#: how long a hold waits for its release at most: a test that forgets one must not hang the server forever
HOLD_TIMEOUT_S = 120.0


def parse_answer_fault(spec: str) -> tuple[str, str, int]:
    """``ACTION:MODE[:COUNT]`` (the CLI's ``--answer-fault``) → (action, mode, count). Raises ValueError."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ValueError(f"answer fault {spec!r}: ACTION:MODE[:COUNT] expected, e.g. ChatappMigrationRegister:lost")
    action, mode = parts[0], parts[1]
    if mode not in ANSWER_FAULTS:
        raise ValueError(f"answer fault {spec!r}: the mode must be one of {', '.join(ANSWER_FAULTS)}")
    count = 1
    if len(parts) == 3:
        if not parts[2].isdigit() or int(parts[2]) < 1:
            raise ValueError(f"answer fault {spec!r}: COUNT must be a whole number of at least 1")
        count = int(parts[2])
    return action, mode, count


@dataclass
class Hold:
    """One held request (see ``FaultInjector.hold``). The test waits on ``arrived``, acts (kills the client),
    then calls ``release``; the request thread waits on ``_released``."""

    action: str
    point: str
    arrived: threading.Event = field(default_factory=threading.Event)
    #: set once the held request is over (answered or dropped, and in the audit log)
    done: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)
    drop: bool = False

    def release(self, *, drop: bool = False) -> None:
        """Let the held request go on, or (``drop``) close its connection without answering (held
        ``before``: the action never runs)."""
        self.drop = drop
        self._released.set()

    def wait(self) -> None:
        self.arrived.set()
        self._released.wait(HOLD_TIMEOUT_S)


class FaultInjector:
    """Verdicts for the next request, one method per fault kind. Thread-safe (request threads call it)."""

    def __init__(self, rate: float = 0.0, seed: int | None = None, *, throttle_rate: float = 0.0,
                 spike_rate: float = 0.0, spike_ms: float = 0.0, throttle_shape: str = "cams",
                 retry_after_ms: float | str | None = None):
        self.rate = _fraction("fault rate", rate)
        self.throttle_rate = _fraction("throttle rate", throttle_rate)
        self.spike_rate = _fraction("latency spike rate", spike_rate)
        if spike_ms < 0:
            raise ValueError("latency spike ms must not be negative")
        self.spike_ms = float(spike_ms)
        if throttle_shape not in THROTTLE_SHAPES:
            raise ValueError(f"throttle shape must be one of {', '.join(THROTTLE_SHAPES)}, not {throttle_shape!r}")
        self.throttle_shape = throttle_shape
        self.retry_after_ms = parse_retry_after(retry_after_ms)
        # The 5xx stream keeps the plain seed: sequences recorded before the other kinds existed still hold.
        self._rng = random.Random(seed)
        self._throttle_rng = _stream(seed, "throttle")
        self._spike_rng = _stream(seed, "latency-spike")
        self._lock = threading.Lock()
        self._answer_faults: dict[str, list[str]] = {}  # action → modes of its next landed calls, in order
        self._holds: dict[tuple[str, str], Hold] = {}

    # -- per-action faults ----------------------------------------------------------------------------------
    def arm_answer_fault(self, action: str, mode: str = "lost", count: int = 1) -> None:
        """The next ``count`` successful calls of ``action`` land, then their answer is ``mode``."""
        if mode not in ANSWER_FAULTS:
            raise ValueError(f"answer fault mode must be one of {', '.join(ANSWER_FAULTS)}, not {mode!r}")
        if count < 1:
            raise ValueError("answer fault count must be at least 1")
        with self._lock:
            self._answer_faults.setdefault(action, []).extend([mode] * count)

    def arm_answer_faults(self, specs: Iterable[str]) -> None:
        """Several ``ACTION:MODE[:COUNT]`` specs (``parse_answer_fault``)."""
        for spec in specs:
            self.arm_answer_fault(*parse_answer_fault(spec))

    def next_answer_fault(self, action: str) -> str | None:
        """What the answer of a call of ``action`` that just landed becomes, or None (answered normally)."""
        with self._lock:
            queue = self._answer_faults.get(action)
            return queue.pop(0) if queue else None

    def hold(self, action: str, point: str = "before") -> Hold:
        """Hold the next request of ``action`` at ``point`` until ``Hold.release`` (one request; Python
        only: a test's instrument, not a server option)."""
        if point not in HOLD_POINTS:
            raise ValueError(f"hold point must be one of {', '.join(HOLD_POINTS)}, not {point!r}")
        held = Hold(action, point)
        with self._lock:
            self._holds[(action, point)] = held
        return held

    def take_hold(self, action: str, point: str) -> Hold | None:
        """The hold armed for this request, if any (it is used up)."""
        with self._lock:
            return self._holds.pop((action, point), None)

    def next_fault(self) -> EmulatorApiError | None:
        """The server error for the next request, or None. Draws exactly two numbers (fail?, which?)."""
        with self._lock:
            fail, kind = self._rng.random(), self._rng.random()
        if fail >= self.rate:
            return None
        if kind < 0.5:
            return EmulatorApiError(
                "InternalError", "The request processing has failed due to some unknown error.", http_status=500
            )
        return EmulatorApiError(
            "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", http_status=503
        )

    def throttle(self, window_wait: float = 0.0) -> EmulatorApiError:
        """A throttling answer in the configured shape; ``window_wait``: seconds until the window has room
        (the ``auto`` retry-after hint)."""
        status, code, message, style = THROTTLE_SHAPES[self.throttle_shape]
        headers: dict[str, str] = {}
        if self.retry_after_ms == "auto":
            headers["x-acs-retry-after"] = str(max(1, math.ceil(window_wait * 1000)))
        elif self.retry_after_ms:
            headers["x-acs-retry-after"] = str(int(self.retry_after_ms))
        return EmulatorApiError(code, message, http_status=status, style=style, headers=headers)

    def next_throttle(self) -> EmulatorApiError | None:
        """A flow-control refusal for the next request regardless of the window, or None. One draw."""
        if self.throttle_rate <= 0.0:
            return None
        with self._lock:
            draw = self._throttle_rng.random()
        if draw >= self.throttle_rate:
            return None
        return self.throttle(1.0)

    def next_latency_spike(self) -> float:
        """Extra delay in seconds for the next response (0.0 for most). One draw."""
        if self.spike_rate <= 0.0 or self.spike_ms <= 0.0:
            return 0.0
        with self._lock:
            draw = self._spike_rng.random()
        return self.spike_ms / 1000.0 if draw < self.spike_rate else 0.0
