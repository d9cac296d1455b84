"""The HTTP layer: a thin ``ThreadingHTTPServer`` in front of the backend.

Per request: stamp its arrival, read it, verify the V3 signature, find the action, apply flow control per
(account, action) at the arrival time, maybe inject a throttling burst or a server fault, run the backend
action, wait ``latency_ms`` (plus a latency spike, if one is drawn), answer (JSON, or a throttling answer
in the configured shape), write an audit line. Each request runs in
its own thread and the latency sleep holds no lock, so slow responses do not serialize concurrent callers.
The stdlib request log is silenced: a request line carries parameters such as verify codes.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from reconciler.emulator.audit import AuditLog
from reconciler.emulator.backend import CamsBackend
from reconciler.emulator.catalog import ACTIONS, VERSIONS
from reconciler.emulator.errors import EmulatorApiError
from reconciler.emulator.faults import FaultInjector, Hold
from reconciler.emulator.object_store import MAX_OBJECT_BYTES, OssError
from reconciler.emulator.ratelimit import Limiter
from reconciler.emulator.signature import IncomingRequest, NonceCache, verify

MAX_BODY = 1 << 20
#: What the HTTP layer refuses before a request is parsed (http.server's limits: a request line of 65,536
#: bytes, 100 headers of 65,536 bytes each), answered in the cloud's JSON error shape. The cloud's own limit
#: on a request's length is not documented: the emulator's is at most this, and the client refuses to send a
#: longer request line (client/client.py MAX_REQUEST_LINE).
_UNPARSED_ERRORS = {
    414: ("RequestURITooLong", "The request URI is too long: at most 65536 bytes in the request line."),
    431: ("RequestHeaderFieldsTooLarge", "The request headers are too large."),
}

#: what an ``html`` answer fault sends instead of the action's JSON (a 200 from a proxy or a captive portal)
HTML_ANSWER = b"<html><head><title>OK</title></head><body>Request accepted.</body></html>"


class _Dropped(Exception):
    """A held request released with ``drop``: no answer, and (held before it ran) no effect."""


def _held(faults: FaultInjector, action: str, point: str, taken: list[Hold]) -> bool:
    """Wait at a test's hold for ``action`` at ``point``, if one is armed (kept in ``taken``, to say when the
    request is over); True when it says to drop."""
    hold = faults.take_hold(action, point)
    if hold is None:
        return False
    taken.append(hold)
    hold.wait()
    return hold.drop


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], backend: CamsBackend, *, limiter: Limiter, faults: FaultInjector,
        latency_ms: float = 0.0, audit: AuditLog | None = None,
    ):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.backend = backend
        self.limiter = limiter
        self.faults = faults
        self.latency_ms = latency_ms
        self.audit = audit
        self.nonces = NonceCache()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-request (a killed apply, a timeout) is one line, not a traceback:
        it is the client's doing, and a log full of tracebacks hides the ones that are the emulator's."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):  # reset, broken pipe, aborted, timed out
            host, port = (tuple(client_address) + ("?", "?"))[:2]
            sys.stderr.write(f"emulator: client {host}:{port} dropped the connection ({type(exc).__name__})\n")
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm and delayed ACKs each response would
    # stall ~40 ms on loopback.
    disable_nagle_algorithm = True
    server: EmulatorServer
    server_version = "cams-emulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silenced on purpose: the stdlib logs the request line, which can carry secrets."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request refused before it could be parsed (a request line over 64 KiB, headers too large, a
        malformed request line): the cloud's JSON error, not the standard library's HTML page."""
        request_id = str(uuid.uuid4()).upper()
        error, text = _UNPARSED_ERRORS.get(code, ("InvalidRequest", "The request could not be read."))
        headers = getattr(self, "headers", None)  # not there when the request line itself was refused
        payload = {"RequestId": request_id, "HostId": (headers.get("Host") or "") if headers else "",
                   "Code": error, "Message": text,
                   "Recommend": f"https://api.aliyun.com/troubleshoot?q={error}&product=Cams&requestId={request_id}"}
        data = json.dumps(payload).encode()
        self.close_connection = True
        self.send_response(code)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.send_header("x-acs-request-id", request_id)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _read_body(self, limit: int = MAX_BODY) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    raise EmulatorApiError("RequestEntityTooLarge", "The request body is too large.", 413)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise EmulatorApiError("RequestEntityTooLarge", "The request body is too large.", 413)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        if self.headers.get("x-acs-action") is None and urlsplit(self.path).path not in ("", "/"):
            self._serve_object()  # the object storage Flow JSON is uploaded to (object_store.py)
            return
        holds: list[Hold] = []
        try:
            self._serve(holds)
        finally:
            for hold in holds:  # answered (or dropped) and audited: the test may look now
                hold.done.set()

    def _serve_object(self) -> None:
        """An object-storage request (path-style ``/BUCKET/KEY``): answered by the backend's ``ObjectStore``.
        Not flow-controlled nor audited (its headers carry the security token)."""
        store = self.server.backend.objects
        try:
            body = self._read_body(MAX_OBJECT_BYTES)
        except (ValueError, EmulatorApiError):
            self.close_connection = True  # the rest of the body is not read
            answer = store.refusal(OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed "
                                                              "size.", 400))
        else:
            parts = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = store.serve(self.command, parts.path, parts.query, headers, body)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _serve(self, holds: list[Hold]) -> None:
        srv = self.server
        arrived = time.monotonic()  # before any processing: the window counts arrivals, not our speed
        request_id = str(uuid.uuid4()).upper()
        action = self.headers.get("x-acs-action")
        version = self.headers.get("x-acs-version")
        access_key_id: str | None = None
        params: dict[str, str] = {}
        status = 200
        style = "json"
        extra_headers: dict[str, str] = {}
        answer_fault: str | None = None
        try:
            try:
                body = self._read_body()
            except ValueError:
                raise EmulatorApiError("InvalidRequest", "The request body could not be read.") from None
            parts = urlsplit(self.path)
            headers: dict[str, list[str]] = {}
            for name, value in self.headers.items():
                headers.setdefault(name.lower(), []).append(value)
            request = IncomingRequest(self.command, parts.path or "/", parts.query, headers, body)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            content_type = (self.headers.get("Content-Type") or "").lower()
            if body and content_type.startswith("application/x-www-form-urlencoded"):
                for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                    params.setdefault(name, value)
            access_key_id = verify(request, srv.backend.secret_for, srv.nonces)
            if not action:
                raise EmulatorApiError("MissingAction", "The x-acs-action header is missing.")
            spec = ACTIONS.get(action)
            if spec is None or spec.version != version:
                if version not in VERSIONS:
                    raise EmulatorApiError("InvalidVersion", f"Specified parameter Version {version!r} is not valid.")
                raise EmulatorApiError(
                    "InvalidAction.NotFound",
                    f"Specified api {action!r} is not found for version {version}, please check your url and method.",
                )
            # Flow control counts per account (UID): the keys of one account share its budget.
            account = srv.backend.account_of(access_key_id) or access_key_id
            if not srv.limiter.allow(account, action, now=arrived):
                raise srv.faults.throttle(srv.limiter.retry_after(account, action, now=arrived))
            throttled = srv.faults.next_throttle()  # a throttling burst: refused whatever the bucket says
            if throttled is not None:
                raise throttled
            fault = srv.faults.next_fault()
            if fault is not None:
                raise fault
            if _held(srv.faults, action, "before", holds):  # dropped before it ran: nothing changed
                answer_fault, status = "dropped", 0
                raise _Dropped()
            result = srv.backend.call(action, srv.backend.caller(access_key_id), params)
            payload: dict[str, Any] = {"RequestId": request_id, **result}
            # The write landed; its answer may still be lost (a test's hold, or an armed answer fault).
            answer_fault = "lost" if _held(srv.faults, action, "after", holds) else srv.faults.next_answer_fault(action)
        except _Dropped:
            payload = {}
        except EmulatorApiError as exc:
            status = exc.http_status
            style = exc.style
            extra_headers = exc.headers
            payload = {
                "RequestId": request_id, "HostId": self.headers.get("Host") or "", "Code": exc.code,
                "Message": exc.message, **exc.extra,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={exc.code}&product=Cams&requestId={request_id}",
            }
        except Exception:  # a bug in the emulator: answer like the real service would, and say so on stderr
            status = 500
            payload = {"RequestId": request_id, "Code": "InternalError",
                       "Message": "The request processing has failed due to some unknown error."}
            print(f"cams emulator: internal error handling {action}:\n{traceback.format_exc()}", file=sys.stderr)
        delay = srv.latency_ms / 1000.0 + srv.faults.next_latency_spike()
        if delay > 0:
            time.sleep(delay)
        if srv.audit is not None:
            srv.audit.record(
                request_id=request_id, access_key_id=access_key_id, action=action, version=version,
                params=params, http_status=status, code=str(payload.get("Code", "")), answer=answer_fault,
            )
        if answer_fault in ("lost", "dropped"):
            # No answer at all: the connection closes with nothing written (the client cannot tell whether
            # the request ran).
            self.close_connection = True
            return
        if answer_fault == "5xx":
            status, payload = 503, {"RequestId": request_id, "HostId": self.headers.get("Host") or "",
                                    "Code": "ServiceUnavailable",
                                    "Message": "The request has failed due to a temporary failure of the server."}
        data, content_type = render_body(payload, style)
        if answer_fault == "html":  # a proxy's page in place of the answer, with a 200
            data, content_type = HTML_ANSWER, "text/html;charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-acs-request-id", request_id)
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def render_body(payload: dict[str, Any], style: str) -> tuple[bytes, str]:
    """(body, content type) of an answer: CAMS JSON, the gateway's lowercase JSON, or an XML ``<Error>``."""
    if style == "gateway":
        gateway = {k[:1].lower() + k[1:]: v for k, v in payload.items()}
        return json.dumps(gateway, ensure_ascii=False).encode("utf-8"), "application/json;charset=utf-8"
    if style == "xml":
        fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in payload.items() if not isinstance(v, dict))
        return (f'<?xml version="1.0" encoding="UTF-8"?><Error>{fields}</Error>'.encode(),
                "text/xml;charset=utf-8")
    return json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json;charset=utf-8"


def serve_in_thread(server: EmulatorServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="cams-emulator", daemon=True)
    thread.start()
    return thread
