"""``cams-reconciler emulator``: run the bundled CAMS emulator as a server until SIGINT or SIGTERM.

It prints exactly one line, ``listening on http://HOST:PORT``, once it accepts connections (scripts and CI
wait for that line to learn the port when ``--port 0``), and exits 0 when told to stop.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from reconciler.cli._numbers import DELAY_MS_RANGE, QPS_RANGE, bounded_float
from reconciler.core.errors import ExitCode


def _fault_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0.0 and 1.0")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _retry_after(text: str) -> str:
    if text != "auto":
        _non_negative(text)
    return text


def _answer_fault(text: str) -> str:
    from reconciler.emulator.faults import parse_answer_fault  # argparse calls this only when the flag is given

    try:
        parse_answer_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="run a local CAMS emulator (offline testing of your YAML and of the tool)",
        description="Serve a local CAMS/BSS emulator that speaks the real wire protocol, from a state file.",
    )
    parser.add_argument("--state", required=True, metavar="FILE", help="the emulator state file (YAML)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on; 0 picks a free one (default)")
    parser.add_argument("--qps", type=bounded_float(*QPS_RANGE, allow_zero=True), default=10.0,
                        help="requests per second per (account, action) before a throttling answer; "
                             "0 = unlimited (default 10, as documented)")
    parser.add_argument("--limiter", choices=("window", "bucket"), default="window",
                        help="flow-control model: window = at most --qps requests in any trailing second, "
                             "refusals counted (strict, default); bucket = the lenient token bucket")
    parser.add_argument("--throttle-shape", choices=("cams", "gateway", "xml", "429"), default="cams",
                        help="how throttling answers look: cams = 400 JSON System.LimitControl (default); "
                             "gateway = 400 lowercase JSON Throttling.User; xml = 400 XML <Error>; "
                             "429 = HTTP 429 Throttling")
    parser.add_argument("--retry-after-ms", type=_retry_after, default=None, metavar="MS|auto",
                        help="throttling answers carry x-acs-retry-after: MS milliseconds, or auto = the time "
                             "until the window has room (default: no hint)")
    parser.add_argument("--latency-ms", type=bounded_float(*DELAY_MS_RANGE), default=0.0, help="delay every response (default 0)")
    parser.add_argument("--fault-rate", type=_fault_rate, default=0.0,
                        help="fraction of requests answered HTTP 500/503 (default 0.0)")
    parser.add_argument("--throttle-rate", type=_fault_rate, default=0.0,
                        help="fraction of requests answered HTTP 400 System.LimitControl whatever the --qps "
                             "bucket says: throttling bursts (default 0.0)")
    parser.add_argument("--latency-spike-rate", type=_fault_rate, default=0.0,
                        help="fraction of responses delayed by --latency-spike-ms more (default 0.0)")
    parser.add_argument("--latency-spike-ms", type=bounded_float(*DELAY_MS_RANGE), default=0.0,
                        help="the extra delay of a latency spike (default 0)")
    parser.add_argument("--answer-fault", action="append", default=[], type=_answer_fault,
                        metavar="ACTION:MODE[:N]",
                        help="the next N (default 1) calls of ACTION land, then their answer is lost (no "
                             "response), 5xx (HTTP 503) or html (HTTP 200 with an HTML page); repeatable")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for the fault, throttle and latency-spike sequences (deterministic)")
    parser.add_argument("--audit-log", metavar="FILE", default=None,
                        help="append one JSON line per request (secrets masked)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.emulator import StateFileError, start_emulator

    if args.audit_log and os.path.exists(args.audit_log) and os.path.exists(args.state) \
            and os.path.samefile(args.audit_log, args.state):
        print(f"error: will not write the audit log {args.audit_log}: it is the state file", file=sys.stderr)
        return ExitCode.ERROR
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            handle = start_emulator(
                args.state, host=args.host, port=args.port, qps=args.qps, latency_ms=args.latency_ms,
                fault_rate=args.fault_rate, seed=args.seed, audit_log=args.audit_log,
                throttle_rate=args.throttle_rate, latency_spike_rate=args.latency_spike_rate,
                latency_spike_ms=args.latency_spike_ms, limiter=args.limiter, throttle_shape=args.throttle_shape,
                retry_after_ms=args.retry_after_ms, answer_faults=args.answer_fault,
            )
        except StateFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return ExitCode.ERROR
        except OSError as exc:
            if exc.filename:  # opening --audit-log failed (a socket error names no file)
                print(f"error: cannot open the audit log {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
                return ExitCode.ERROR
            print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return ExitCode.ERROR
        try:
            print(f"listening on {handle.url}", flush=True)
            while not stop.wait(0.5):
                pass
        finally:
            handle.stop()
        return ExitCode.OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
