"""A fleet of accounts as a CI matrix would run it (issue 28): 4 accounts × 500 spaces against the emulator
at 10 requests/second per account and API, planned

- by one process over every account (``plan DIR``), and
- by 4 processes side by side, one per account (``plan DIR --account NAME``, each with only its own
  account's key in its environment, as matrix jobs get them), whose pieces ``show --merge`` joins.

CAMS budgets requests per account and API, so both ways share one floor: one account's busiest action's
calls at the rate (every account is read side by side in either). The figures are each way's wall time
against that floor, the peak memory of each process, and the merged plan compared with the single-process
plan change by change (and as a whole document: spaces, fingerprints, preflight, calls, provenance). The
emulator runs as a process of its own, so its work is not counted in any client's memory or time; its
audit log gives the throttling answers it sent each way (they must be none: a fast run that was throttled
is not a pass).

The 4 processes share this machine's cores, unlike matrix jobs (a runner each), so the figure is a
stricter test than CI. One thing no CI job pays is left out: compiling the product's source to bytecode.
An installed package is compiled when it is installed, but an environment that forbids writing bytecode
(``PYTHONDONTWRITEBYTECODE``, set in some sandboxes) makes every process compile each module it imports
(~180 modules, 0.3-0.4 s of CPU), and 4 processes starting at once on shared cores pay it side by side.
So before timing, one untimed warm-up plan (one space of an account of its own, so no timed account's
budget is touched) compiles them into a temporary bytecode cache (``PYTHONPYCACHEPREFIX``) that every
timed process reads.

    .venv/bin/python benchmarks/fleet.py [--accounts 4] [--spaces 500] [--qps 10] [--latency-ms 50]

Prints figures and a verdict line (each wall time within 1.10 × the floor, no throttled answer, the merge
identical); asserts
nothing about time elsewhere. Exit 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import REPO, ServerView, emulator_process

ACCOUNTS = ("north", "south", "east", "west")
#: the warm-up plan's account (one space): a budget of its own, so no timed account's window holds its calls
WARMUP = "warmup"
NUMBERS_PER_SPACE = 2
BOUND = 1.10


def space_id(a: int, s: int) -> str:
    return f"{600000000000000 + a * 100000 + s}"


def phone(a: int, s: int, k: int) -> str:
    return f"86139{a}{s:05d}{k:02d}"


def emulator_state(accounts: int, spaces: int, names: tuple[str, ...] = ACCOUNTS, first: int = 0) -> dict[str, Any]:
    """Each account its own key and spaces; every declared number present, one profile per space that
    differs from the YAML in one space of ten (so the plan has changes to compare). ``first``: the index of
    the first account (it sets the ids and numbers, so accounts made by separate calls do not collide)."""
    out: dict[str, Any] = {}
    for a, name in enumerate(names[:accounts], start=first):
        own: dict[str, Any] = {}
        for s in range(spaces):
            items = [{"PhoneNumber": phone(a, s, k), "VerifiedName": f"{name} {s}", "Status": "CONNECTED",
                      "QualityRating": "GREEN", "CodeVerificationStatus": "VERIFIED", "NameStatus": "Approval",
                      "NewNameStatus": "Approval", "MessagingLimitTier": "TIER_10K",
                      "StatusCallbackUrl": f"https://hooks.{name}.example/{s}/status",
                      "UpCallbackUrl": f"https://hooks.{name}.example/{s}/inbound"} for k in range(NUMBERS_PER_SPACE)]
            own[space_id(a, s)] = {"phone_numbers": items, "business_profiles": {
                phone(a, s, 0): {"Vertical": "RETAIL", "About": "old" if s % 10 == 0 else f"{name} shop {s}"}}}
        out[name] = {"keys": [{"access_key_id": f"key-{name}", "access_key_secret": f"{name}-secret"}],
                     "account": {"Mpk": 1051360339700000 + a, "HostingStatus": "TRUSTEESHIP",
                                 "CreditLimitStatus": "Thaw", "IsCertified": True},
                     "spaces": own}
    return {"accounts": out}


def write_repository(root: Path, accounts: int, spaces: int, names: tuple[str, ...] = ACCOUNTS,
                     first: int = 0) -> None:
    lines = ["version: 1", "accounts:"]
    for name in names[:accounts]:
        upper = name.upper()
        lines += [f"  - name: {name}", f"    access_key_id_env: CAMS_{upper}_ACCESS_KEY_ID",
                  f"    access_key_secret_env: CAMS_{upper}_ACCESS_KEY_SECRET"]
    (root / "accounts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for a, name in enumerate(names[:accounts], start=first):
        body = ["version: 1", "spaces:"]
        for s in range(spaces):
            body += [f"  - name: {name}-{s:04d}", f"    account: {name}", f'    cust_space_id: "{space_id(a, s)}"',
                     "    defaults:", "      webhooks:", f"        status_callback_url: https://hooks.{name}.example/{s}/status",
                     f"        up_callback_url: https://hooks.{name}.example/{s}/inbound", "    numbers:",
                     f'      - phone_number: "+{phone(a, s, 0)}"', "        business_profile:",
                     "          vertical: RETAIL", f"          about: {name} shop {s}",
                     *(f'      - phone_number: "+{phone(a, s, k)}"' for k in range(1, NUMBERS_PER_SPACE))]
        (root / f"{name}.yaml").write_text("\n".join(body) + "\n", encoding="utf-8")


def credentials(names: tuple[str, ...]) -> dict[str, str]:
    env = {}
    for name in names:
        env[f"CAMS_{name.upper()}_ACCESS_KEY_ID"] = f"key-{name}"
        env[f"CAMS_{name.upper()}_ACCESS_KEY_SECRET"] = f"{name}-secret"
    return env


@dataclass(frozen=True)
class Run:
    label: str
    wall: float
    peak_mb: float
    code: int


def warm_up(url: str, base: dict[str, str], root: Path) -> None:
    """One untimed plan of the warm-up account's one space: every module a plan imports is compiled into
    ``base``'s bytecode cache (see the module's docstring)."""
    (root / "warm").mkdir()
    write_repository(root / "warm", 1, 1, (WARMUP,), len(ACCOUNTS))
    done = subprocess.run([sys.executable, "-m", "reconciler", "plan", "warm", "--endpoint", url, "--format", "json",
                           "--out", "warm.json"], cwd=root, env={**base, **credentials((WARMUP,))},
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"[fleet] the warm-up plan exited {done.returncode}: {done.stderr.strip()[-400:]}")


def throttled(audit: Path, before: ServerView) -> int:
    """Throttling answers the emulator logged since ``before`` was read."""
    return ServerView.from_audit_log(audit).throttled - before.throttled


def start(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "reconciler", *argv], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes], label: str, started: float) -> Run:
    """Wait for ``proc`` with ``wait4``: its own peak memory (``ru_maxrss``, KB on Linux), not the children's max."""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        print(f"[fleet] {label} exited {proc.returncode}: {err.strip()[-400:]}", file=sys.stderr)
    return Run(label, wall, usage.ru_maxrss / 1024, proc.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=4, choices=range(1, len(ACCOUNTS) + 1))
    parser.add_argument("--spaces", type=int, default=500, help="spaces per account (default 500)")
    parser.add_argument("--qps", type=float, default=10.0, help="emulator and client rate (default 10)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="emulator latency (default 50 ms)")
    args = parser.parse_args()
    names = ACCOUNTS[:args.accounts]
    # Per account: one list per space, one profile per space; the busiest action's calls set the floor.
    floor = args.spaces / args.qps
    with tempfile.TemporaryDirectory(prefix="cams-fleet-") as tmp:
        root = Path(tmp)
        (root / "spaces").mkdir()
        write_repository(root / "spaces", args.accounts, args.spaces)
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("CAMS_", "ALIBABA_CLOUD_")) and k != "PYTHONDONTWRITEBYTECODE"}
        base.update({"SOURCE_DATE_EPOCH": "1764979200", "PYTHONPATH": str(REPO),
                     "PYTHONPYCACHEPREFIX": str(root / "bytecode")})
        audit = root / "audit.jsonl"
        state = emulator_state(args.accounts, args.spaces)
        state["accounts"].update(emulator_state(1, 1, (WARMUP,), len(ACCOUNTS))["accounts"])
        print(f"[fleet] {args.accounts} accounts x {args.spaces} spaces ({NUMBERS_PER_SPACE} numbers each) at "
              f"{args.qps:g}/s per account and API, latency {args.latency_ms:g} ms; floor {floor:.1f} s "
              f"(one account's {args.spaces} QueryChatappPhoneNumbers / {args.qps:g}/s)", flush=True)
        with emulator_process(state, qps=args.qps, latency_ms=args.latency_ms, audit_log=audit) as emu:
            del state
            warm_up(emu.url, base, root)
            common = ["--endpoint", emu.url, "--qps", f"{args.qps:g}", "--format", "json"]
            seen = ServerView.from_audit_log(audit)
            started = time.perf_counter()
            single = finish(start(["plan", "spaces", *common, "--out", "single.json"],
                                  {**base, **credentials(names)}, root), "one process", started)
            single_throttled = throttled(audit, seen)
            seen = ServerView.from_audit_log(audit)
            started = time.perf_counter()
            procs = [(name, start(["plan", "spaces", "--account", name, *common, "--out", f"plan-{name}.json"],
                                  {**base, **credentials((name,))}, root)) for name in names]
            pieces = [finish(proc, f"process {name}", started) for name, proc in procs]
            matrix_wall = time.perf_counter() - started
            matrix_throttled = throttled(audit, seen)
        merge = subprocess.run([sys.executable, "-m", "reconciler", "show", "--merge",
                                *(f"plan-{n}.json" for n in names), "--yaml", "spaces", "--format", "json",
                                "--out", "merged.json"], cwd=root, env=base, capture_output=True, text=True)
        same_changes = same_document = False
        changes = 0
        if merge.returncode == 0 and single.code == 0:
            one = json.loads((root / "single.json").read_text())
            merged = json.loads((root / "merged.json").read_text())
            changes = len(one["changes"])
            same_changes = one["changes"] == merged["changes"]
            same_document = one == merged
        else:
            print(f"[fleet] merge exited {merge.returncode}: {merge.stderr.strip()[-400:]}", file=sys.stderr)
    print(f"[fleet] one process, {args.accounts} accounts: wall {single.wall:.1f} s, {single.wall / floor:.3f} x floor; "
          f"peak memory {single.peak_mb:.0f} MB; throttled answers {single_throttled}")
    for run in pieces:
        print(f"[fleet] {run.label}: wall {run.wall:.1f} s, {run.wall / floor:.3f} x floor; peak memory "
              f"{run.peak_mb:.0f} MB")
    print(f"[fleet] {args.accounts} processes side by side: wall {matrix_wall:.1f} s, {matrix_wall / floor:.3f} x floor; "
          f"peak memory per process at most {max(r.peak_mb for r in pieces):.0f} MB; throttled answers "
          f"{matrix_throttled}")
    print(f"[fleet] merged plan vs single-process plan: {changes} changes, identical change by change: "
          f"{same_changes}; identical as a whole document: {same_document}")
    ok = (single.code == 0 and all(r.code == 0 for r in pieces) and same_changes and same_document
          and single.wall <= BOUND * floor and matrix_wall <= BOUND * floor and single_throttled == matrix_throttled == 0)
    print(f"[fleet] verdict: {'PASS' if ok else 'FAIL'} (each way within {BOUND:.2f} x the floor, no throttled "
          "answer; the merge identical)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
