"""The emulator as a process of its own, for benchmarks: ``python benchmarks/_emulator_server.py STATE.json
--qps Q --latency-ms L [--limiter window|bucket] [--audit-log FILE]``.

Like ``cams-reconciler emulator``, but the state is JSON handed over as a dict (``start_emulator`` validates
it the same way): the CLI's YAML state loader keeps line positions for its error messages, which makes a
20,000-number state file take minutes to load, and the benchmark measures plans, not that loader.
Prints ``listening on URL`` once it accepts connections; serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from reconciler.emulator import start_emulator


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state")
    parser.add_argument("--qps", type=float, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--limiter", default="window")
    parser.add_argument("--audit-log")
    args = parser.parse_args()
    state = json.loads(Path(args.state).read_text(encoding="utf-8"))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with start_emulator(state, qps=args.qps, latency_ms=args.latency_ms, limiter=args.limiter,
                        audit_log=args.audit_log) as emu:
        del state
        print(f"listening on {emu.url}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
