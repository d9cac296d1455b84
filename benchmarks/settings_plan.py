"""What the number-settings blocks (issue 16) cost a plan. Prints figures; asserts nothing about time.

One generated repository planned twice against the strict emulator (at most --qps requests in any trailing
second per account and action, --latency-ms per answer), client at the same qps:

- baseline: every number declares webhooks, one in --profile-every a business profile (the reads of before);
- settings: the same, plus one in --settings-every numbers declaring commerce, automation, encryption_key,
  qr_codes, health and marketing (each its own read), and every space an account_webhook (no read).

For each it prints the calls by action, the floor (the busiest action's calls / qps: actions have budgets
of their own, so reads of different actions overlap), the wall time and the ratio wall / floor. The
difference in calls is exactly the declared blocks' reads, one per declaring number and block: nothing is
read for a number that does not declare a block.

    python benchmarks/settings_plan.py [--spaces 10] [--numbers 100] [--settings-every 4] [--profile-every 2]
        [--qps 10] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from reconciler.client import CamsClient, Credentials
from reconciler.client.actions import ACTIONS
from reconciler.config import load_desired_state
from reconciler.emulator import start_emulator
from reconciler.engine.planner import make_plan

REPO = Path(__file__).resolve().parent.parent
KEY = REPO / "tests" / "fixtures" / "keys" / "flows-2048.pem"
SETTINGS_READS = ("GetCommerceSetting", "GetConversationalAutomation", "GetPhoneEncryptionPublicKey",
                  "ListPhoneMessageQrdl", "GetWhatsappHealthStatus", "GetChatappPhoneNumberSetting")


def phone(i: int) -> str:
    return f"86139{i:08d}"


def space_id(s: int) -> str:
    return f"{600000000000000 + s}"


def hook(s: int) -> str:
    return f"https://hooks.example/{s}/status"


def state(per_space: list[list[int]], profile_every: int) -> dict[str, Any]:
    spaces: dict[str, Any] = {}
    for s, idx in enumerate(per_space):
        spaces[space_id(s)] = {
            "phone_numbers": [{"PhoneNumber": phone(i), "Status": "CONNECTED", "QualityRating": "GREEN",
                               "StatusCallbackUrl": hook(s)} for i in idx],
            "business_profiles": {phone(i): {"About": f"Shop {s}"} for i in idx if i % profile_every == 0},
        }
    return {"keys": [{"access_key_id": "bench", "access_key_secret": "bench-secret"}],
            "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": spaces}


def repository(root: Path, per_space: list[list[int]], *, profile_every: int, settings_every: int | None) -> Path:
    spaces_dir = root / "spaces"
    spaces_dir.mkdir(parents=True)
    (spaces_dir / "keys").mkdir()
    shutil.copy(KEY, spaces_dir / "keys" / "flows.pem")
    for s, idx in enumerate(per_space):
        numbers = []
        for i in idx:
            number: dict[str, Any] = {"phone_number": "+" + phone(i)}
            if i % profile_every == 0:
                number["business_profile"] = {"about": f"Shop {s}"}
            if settings_every and i % settings_every == 0:
                number.update({
                    "commerce": {"cart_enabled": True},
                    "automation": {"prompts": ["Where is my order?"]},
                    "encryption_key": {"public_key_file": "keys/flows.pem"},
                    "qr_codes": {"codes": [{"message": f"Hello shop {s}"}]},
                    "health": {"can_send": True},
                    "marketing": {"paused": False},
                })
            numbers.append(number)
        space: dict[str, Any] = {"name": f"space-{s}", "cust_space_id": space_id(s), "unmanaged_numbers": "ignore",
                                 "defaults": {"webhooks": {"status_callback_url": hook(s)}}, "numbers": numbers}
        if settings_every:
            space["account_webhook"] = {"status_callback_url": f"https://hooks.example/{s}/account"}
        (spaces_dir / f"space-{s:03d}.yaml").write_text(yaml.safe_dump({"version": 1, "spaces": [space]},
                                                                       sort_keys=False), encoding="utf-8")
    return spaces_dir


def measure(per_space: list[list[int]], args: argparse.Namespace, settings_every: int | None) -> tuple[Counter[str], float]:
    with tempfile.TemporaryDirectory(prefix="cams-bench-settings-") as tmp:
        spaces = repository(Path(tmp), per_space, profile_every=args.profile_every, settings_every=settings_every)
        desired = load_desired_state([spaces])
        with start_emulator(state(per_space, args.profile_every), qps=args.qps, latency_ms=args.latency_ms) as emu:
            async def go() -> tuple[Counter[str], float]:
                async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=args.qps) as client:
                    t0 = time.perf_counter()
                    plan = await make_plan(client, desired, env={})
                    return Counter(plan.calls), time.perf_counter() - t0

            return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=10)
    parser.add_argument("--numbers", type=int, default=100)
    parser.add_argument("--settings-every", type=int, default=4)
    parser.add_argument("--profile-every", type=int, default=2)
    parser.add_argument("--qps", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    per_space: list[list[int]] = [[] for _ in range(args.spaces)]
    for i in range(args.numbers):
        per_space[i % args.spaces].append(i)
    def rate(action: str) -> float:
        """Each action has its own budget: --qps, or its lower documented rate (client/actions.py)."""
        documented = ACTIONS[action].qps if action in ACTIONS else None
        return min(args.qps, documented) if documented else args.qps

    rows = []
    for label, every in (("baseline", None), ("settings", args.settings_every)):
        calls, wall = measure(per_space, args, every)
        busiest, most = max(calls.items(), key=lambda kv: kv[1] / rate(kv[0]))
        floor = most / rate(busiest)
        rows.append((label, calls, wall, floor))
        print(f"[{label}] calls: " + ", ".join(f"{a} {n}" for a, n in sorted(calls.items()))
              + f" ({sum(calls.values())} total)")
        print(f"[{label}] floor {floor:.2f} s ({busiest} {most} / {rate(busiest):g} qps); wall {wall:.2f} s; "
              f"ratio {wall / floor:.3f}")
    (_, base, base_wall, base_floor), (_, more, wall, floor) = rows
    added = {a: more[a] - base.get(a, 0) for a in more if more[a] != base.get(a, 0)}
    declaring = len([i for i in range(args.numbers) if i % args.settings_every == 0])
    print(f"[added] {sum(added.values())} calls: " + ", ".join(f"{a} +{n}" for a, n in sorted(added.items()))
          + f" — {declaring} of {args.numbers} numbers declare the six blocks")
    expected = {a: declaring for a in SETTINGS_READS}
    print(f"[added] verdict: {'PASS' if added == expected else 'FAIL'} (one read per declaring number and block, "
          "nothing else)")
    print(f"[floor] {base_floor:.2f} s → {floor:.2f} s; plan wall {base_wall:.2f} s → {wall:.2f} s "
          f"(wall / new floor {wall / floor:.3f})")
    return 0 if added == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
