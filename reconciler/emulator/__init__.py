"""A local CAMS (and the one BSS call the reconciler uses), over real HTTP, that the official SDK accepts.

Like moto or LocalStack: tests and users run the reconciler against it instead of the cloud. It speaks the
real wire protocol (RPC style, ACS3-HMAC-SHA256 signatures), answers with the real response shapes and error
codes, and keeps its state in memory, loaded from a YAML state file (see docs/emulator.md).

This package imports nothing of the rest of the reconciler but ``reconciler.common`` (the platform's rules
the product applies too: template rules, emoji table, key structure, URL masking, the input-file rule;
stdlib and PyYAML otherwise); the rest imports it only to start it::

    with start_emulator("examples/emulator-state.yaml") as emu:
        emu.url, emu.credentials, emu.backend.snapshot()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reconciler.emulator.audit import AuditLog
from reconciler.emulator.backend import CamsBackend
from reconciler.emulator.callers import Caller
from reconciler.emulator.errors import EmulatorApiError, StateFileError
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.ratelimit import make_limiter
from reconciler.emulator.server import EmulatorServer, serve_in_thread
from reconciler.emulator.state import load_state

__all__ = [
    "start_emulator", "EmulatorHandle", "StateFileError", "EmulatorApiError", "CamsBackend", "Caller", "load_state",
]


class EmulatorHandle:
    """A running emulator: its base URL, the first key's credentials, the backend, and ``stop()``.

    Also a context manager. Its repr shows the URL only (``credentials`` holds a secret).
    """

    def __init__(self, server: EmulatorServer, backend: CamsBackend, audit: AuditLog | None):
        self._server = server
        self._audit = audit
        self.backend = backend
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}"
        backend.objects.endpoint = self.url  # the object storage is served by this listener too
        self.credentials: tuple[str, str] = backend.first_credentials
        self._thread = serve_in_thread(server)
        self._stopped = False

    def reset(self, state: str | Path | Mapping[str, Any]) -> None:
        """Replace the whole emulated account with ``state`` (a path or a dict, validated like at start),
        keeping the server, its port and its fault settings. For test suites that run one emulator for many
        cases (a property test's examples): far cheaper than a new server per case. Raises ``StateFileError``.
        """
        self.backend.reset(load_state(state))
        self.credentials = self.backend.first_credentials

    @property
    def faults(self) -> FaultInjector:
        """The server's fault settings: tests arm per-action answer faults and holds here
        (``arm_answer_fault``, ``hold``; see ``faults.py``)."""
        return self._server.faults

    @property
    def endpoint(self) -> str:
        """``host:port``, the form the official SDK's ``Config(endpoint=...)`` takes."""
        return self.url.removeprefix("http://")

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._audit is not None:
            self._audit.close()

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<EmulatorHandle {self.url}{' stopped' if self._stopped else ''}>"


def start_emulator(
    state: str | Path | Mapping[str, Any],
    host: str = "127.0.0.1",
    port: int = 0,
    qps: float = 10.0,
    latency_ms: float = 0,
    fault_rate: float = 0.0,
    seed: int | None = None,
    audit_log: str | Path | None = None,
    throttle_rate: float = 0.0,
    latency_spike_rate: float = 0.0,
    latency_spike_ms: float = 0.0,
    limiter: str = "window",
    throttle_shape: str = "cams",
    retry_after_ms: float | str | None = None,
    answer_faults: Iterable[str] = (),
) -> EmulatorHandle:
    """Start the emulator in a background thread and return once it accepts connections.

    ``state`` is a state file path or an already-parsed dict (never modified). ``port=0`` picks a free port.
    ``qps`` <= 0 disables rate limiting. ``limiter``: ``window`` (strict: at most ``qps`` requests in any
    trailing second per account and action, refusals counted) or ``bucket`` (the lenient token bucket).
    ``throttle_shape`` (``cams``, ``gateway``, ``xml``, ``429``) and ``retry_after_ms`` (milliseconds or
    ``auto``) say how throttling answers look (see ``faults.py``). ``throttle_rate``: fraction of requests
    refused whatever the window says (throttling bursts); ``latency_spike_rate`` /
    ``latency_spike_ms``: fraction of responses delayed by that much more (see ``faults.py``); all three are
    deterministic per ``seed``, like ``fault_rate``. ``answer_faults``: ``ACTION:MODE[:COUNT]`` specs, the
    next COUNT calls of ACTION land and their answer is ``lost``, ``5xx`` or ``html`` (``faults.py``). Raises ``StateFileError`` for a bad state, ``ValueError``
    for a rate outside [0, 1] or a negative delay, ``OSError`` when the address cannot be bound.
    """
    backend = CamsBackend(load_state(state))
    faults = FaultInjector(fault_rate, seed, throttle_rate=throttle_rate, spike_rate=latency_spike_rate,
                           spike_ms=latency_spike_ms, throttle_shape=throttle_shape, retry_after_ms=retry_after_ms)
    faults.arm_answer_faults(answer_faults)
    flow_control = make_limiter(qps, limiter)
    if latency_ms < 0:
        raise ValueError("latency_ms must not be negative")
    audit = AuditLog(audit_log) if audit_log is not None else None
    try:
        server = EmulatorServer(
            (host, port), backend, limiter=flow_control, faults=faults, latency_ms=latency_ms, audit=audit
        )
    except BaseException:
        if audit is not None:
            audit.close()
        raise
    return EmulatorHandle(server, backend, audit)
