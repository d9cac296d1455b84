"""Endpoint checks (``endpoint_checks:``) against local HTTPS servers with generated certificates: valid,
expired, for another host, self-signed, expiring soon, slow, refusing, a 5xx — and a name that does not
resolve, through an injected resolver (nothing here touches the internet). Then the same checks as drift
findings (``drift``) and as the pre-apply refusal (``apply``), against the emulator.

Certificates are EC keys made with ``cryptography`` (fast); one module-wide CA signs all but the
self-signed one. The CLI tests trust the CA through ``SSL_CERT_FILE`` (OpenSSL's default verify paths, which
``ssl.create_default_context`` loads) and reach the servers as ``localhost``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reconciler.cli import main
from reconciler.core.drift_settings import EndpointChecks
from reconciler.core.source import Source
from reconciler.engine.endpoint_checks import Probe, check_url

NOW = dt.datetime.now(dt.UTC)
CHECKS = EndpointChecks(Source("x.yaml", 1), timeout_ms=1500, min_days_to_expiry=14)


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _cert(subject: str, key: Any, issuer_name: x509.Name, issuer_key: Any, *, days: tuple[int, int],
          ca: bool = False, sans: tuple[str, ...] = ()) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW + dt.timedelta(days=days[0])).not_valid_after(NOW + dt.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class Handler(BaseHTTPRequestHandler):
    status = 405  # a callback that takes only POST: still an answer
    delay: threading.Event | None = None

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        if self.delay is not None:
            self.delay.wait(5)
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class Servers:
    """One HTTPS server per certificate case, on loopback; ``url(case)`` is its URL for ``localhost``."""

    def __init__(self, tmp: Path) -> None:
        self.release = threading.Event()
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert("cams test CA", ca_key, _name("cams test CA"), ca_key, days=(-1, 30), ca=True)
        self.ca_file = tmp / "ca.pem"
        self.ca_file.write_bytes(_pem(ca))
        self.trust = ssl.create_default_context(cafile=str(self.ca_file))
        self.ports: dict[str, int] = {}
        self._servers: list[ThreadingHTTPServer] = []
        for case, (host, days, signer, status, slow) in {
            "valid": ("localhost", (-1, 90), "ca", 405, False),
            "expired": ("localhost", (-30, -1), "ca", 405, False),
            "wrong-host": ("other.test", (-1, 90), "ca", 405, False),
            "self-signed": ("localhost", (-1, 90), "self", 405, False),
            "expiring": ("localhost", (-1, 5), "ca", 405, False),
            "slow": ("localhost", (-1, 90), "ca", 405, True),
            "broken": ("localhost", (-1, 90), "ca", 503, False),
        }.items():
            key = ec.generate_private_key(ec.SECP256R1())
            if signer == "self":
                cert = _cert(host, key, _name(host), key, days=days, sans=(host,))
            else:
                cert = _cert(host, key, ca.subject, ca_key, days=days, sans=(host,))
            cert_file, key_file = tmp / f"{case}.pem", tmp / f"{case}.key"
            cert_file.write_bytes(_pem(cert))
            key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
            handler = type(f"H_{case}", (Handler,), {"status": status, "delay": self.release if slow else None})
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            server.socket = context.wrap_socket(server.socket, server_side=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
            self.ports[case] = server.server_port
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            self.ports["refusing"] = s.getsockname()[1]

    def url(self, case: str, path: str = "/cams/status?token=s3cr3t-hook-token") -> str:
        return f"https://localhost:{self.ports[case]}{path}"

    def stop(self) -> None:
        self.release.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    found = Servers(tmp_path_factory.mktemp("certs"))
    yield found
    found.stop()


async def _loopback(host: str, port: int) -> list[str]:
    """The test resolver: localhost and *.test are loopback, anything else does not exist."""
    if host == "localhost" or host.endswith(".test"):
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def probe(servers: Servers) -> Probe:
    return Probe(resolver=_loopback, ssl_context=servers.trust)


@pytest.mark.parametrize("case,check,words", [
    ("valid", None, ""),
    ("expired", "tls", "certificate has expired"),
    ("wrong-host", "tls", "Hostname mismatch"),
    ("self-signed", "tls", "self-signed certificate"),
    ("expiring", "tls-expiry", "days; endpoint_checks.min_days_to_expiry is 14"),
    ("refusing", "connect", ""),
    ("broken", "http", "answered HTTP 503"),
])
def test_each_certificate_and_server_case(servers: Servers, case: str, check: str | None, words: str) -> None:
    problem = asyncio.run(check_url(servers.url(case), CHECKS, probe(servers)))
    if check is None:
        assert problem is None
        return
    assert problem is not None and problem.check == check, problem
    assert words in problem.detail, problem
    assert "s3cr3t" not in problem.detail and "localhost:" not in problem.detail or case == "refusing"


def test_slow_endpoint_times_out_within_the_budget(servers: Servers) -> None:
    checks = EndpointChecks(Source("x.yaml", 1), timeout_ms=300)
    problem = asyncio.run(check_url(servers.url("slow"), checks, probe(servers)))
    assert problem is not None and problem.check == "timeout"
    assert problem.detail.startswith("no HTTP answer within 300 ms")


def test_name_that_does_not_resolve(servers: Servers) -> None:
    problem = asyncio.run(check_url("https://hooks.nowhere.example/x", CHECKS, probe(servers)))
    assert problem is not None and problem.check == "dns" and "hooks.nowhere.example does not resolve" in problem.detail


# -- as drift findings and as the pre-apply check, against the emulator ------------------------------------------

NUMBERS = ("8613800001234", "8613800001235")


def _world(tmp: Path, example_state: dict[str, Any], declared: tuple[str, str], actual: tuple[str, str],
           checks: dict[str, Any] | None = None) -> tuple[Path, Path]:
    space = {"name": "shop", "cust_space_id": "900300",
             "endpoint_checks": checks or {"timeout_ms": 1500},
             "numbers": [{"phone_number": n, "webhooks": {"status_callback_url": u}} for n, u in zip(NUMBERS, declared)]}
    spaces = tmp / "spaces"
    spaces.mkdir(exist_ok=True)
    (spaces / "shop.yaml").write_text(yaml.safe_dump({"version": 1, "spaces": [space]}))
    state = dict(example_state)
    state["spaces"] = {"900300": {"phone_numbers": [
        {"PhoneNumber": n, "Status": "CONNECTED", "VerifiedName": "Shop", "StatusCallbackUrl": u}
        for n, u in zip(NUMBERS, actual)]}}
    emu = tmp / "emulator.yaml"
    emu.write_text(yaml.safe_dump(state))
    return spaces, emu


def test_drift_reports_dead_endpoints(servers: Servers, tmp_path: Path, example_state, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(servers.ca_file))
    urls = (servers.url("valid"), servers.url("expired"))
    spaces, emu = _world(tmp_path, example_state, urls, urls)
    assert main(["drift", str(spaces), "--emulator", str(emu), "--format", "json"]) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["drift"]["counts"]["endpoint"] == 1 and doc["drift"]["total"] == 1
    [change] = doc["plan"]["changes"]
    assert change["address"] == "shop/8613800001235/drift/endpoint.status_callback_url"
    assert change["after"]["check"] == "tls" and "certificate has expired" in change["reason"]
    assert "s3cr3t-hook-token" not in out + err
    assert main(["drift", str(spaces), "--emulator", str(emu), "--no-endpoint-checks"]) == 0
    capsys.readouterr()
    assert main(["drift", str(spaces), "--emulator", str(emu)]) == 2
    assert "1 callback endpoint fails its check" in capsys.readouterr().out


def test_apply_refuses_to_repoint_to_a_dead_endpoint(servers: Servers, tmp_path: Path, example_state, capsys,
                                                     monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(servers.ca_file))
    old = (servers.url("valid"), servers.url("valid"))
    spaces, emu = _world(tmp_path, example_state, (servers.url("valid"), servers.url("wrong-host")), old)
    results = tmp_path / "results.json"
    assert main(["apply", str(spaces), "--emulator", str(emu), "--auto-approve", "--results", str(results)]) == 1
    err = capsys.readouterr().err
    assert "shop 8613800001235 webhooks.status_callback_url: the new URL" in err and "Hostname mismatch" in err
    assert "nothing was written" in err and "s3cr3t-hook-token" not in err
    recorded = json.loads(results.read_text())
    assert {r["status"] for r in recorded["results"]} <= {"not-attempted", "skipped"}, recorded["results"]
    # the same plan to a live endpoint is applied
    spaces, emu = _world(tmp_path, example_state, (servers.url("valid"), servers.url("valid", "/new")), old)
    assert main(["apply", str(spaces), "--emulator", str(emu), "--auto-approve"]) == 0
    capsys.readouterr()
    # and --skip-endpoint-checks lets an operator through on purpose
    spaces, emu = _world(tmp_path, example_state, (servers.url("valid"), servers.url("expired")), old)
    assert main(["apply", str(spaces), "--emulator", str(emu), "--auto-approve", "--skip-endpoint-checks"]) == 0
