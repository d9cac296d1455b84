"""A man in the middle for the fault matrix: forwards every request to the emulator unchanged (the signature
still checks) and rewrites the answer of one action, the way a broken proxy or a changed API would.

``TamperProxy(upstream_url, tamper)``: ``tamper(action, body_bytes) -> bytes | None`` (None: pass it through).
Over real loopback HTTP, so the client, the engine and the CLI see exactly what they would in production.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Tamper = Callable[[str, bytes], "bytes | None"]


class TamperProxy:
    def __init__(self, upstream: str, tamper: Tamper) -> None:
        target = urlsplit(upstream)
        host, port = target.hostname or "127.0.0.1", target.port or 80

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                conn = http.client.HTTPConnection(host, port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection"}}
                conn.request("POST", self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                action = self.headers.get("x-acs-action", "")
                changed = tamper(action, data)
                if changed is not None:
                    data = changed
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in {"content-length", "connection", "transfer-encoding"}:
                        self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TamperProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
