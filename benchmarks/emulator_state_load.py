"""How long the emulator takes to load a large state file (issue 13: 20,000 numbers "in a few seconds").

    python benchmarks/emulator_state_load.py [--numbers 20000] [--spaces 20] [--repeat 3]

Writes a state file of ``--numbers`` numbers (every field the emulator keeps, half with a business profile)
spread over ``--spaces`` spaces to a temporary directory, then times ``load_state(path)`` (read, YAML,
validation, normalisation: everything ``emulator --state`` does before it listens) ``--repeat`` times and
prints the best and the median, and the best as a ratio to the bound (5 s; ``≤ 1`` passes). Exit 1 if the
bound is not met.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import machine_lines  # noqa: E402
from reconciler.emulator import load_state  # noqa: E402

BOUND_SECONDS = 5.0


def build_state(numbers: int, spaces: int) -> dict:
    out: dict = {"keys": [{"access_key_id": "bench", "access_key_secret": "bench-secret"}],
                 "account": {"Mpk": 1, "HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw",
                             "IsCertified": True, "AccountType": "1"},
                 "spaces": {}}
    per = -(-numbers // spaces)
    for s in range(spaces):
        phones = [f"86139{s:03d}{i:05d}" for i in range(per) if s * per + i < numbers]
        out["spaces"][f"2934839388{s:05d}"] = {
            "subscribed": True,
            "phone_numbers": [{
                "PhoneNumber": p, "VerifiedName": "Bench", "Status": "CONNECTED", "QualityRating": "GREEN",
                "CodeVerificationStatus": "VERIFIED", "NameStatus": "Approval", "NewNameStatus": "Approval",
                "MessagingLimitTier": "TIER_10K", "StatusCallbackUrl": f"https://hooks.bench.example/s?token=t{p}",
                "UpCallbackUrl": "https://hooks.bench.example/in", "StatusQueue": "Alicom-Queue-1-ChatAppStatus",
                "UpQueue": "Alicom-Queue-1-ChatAppInbound", "HttpFlag": "Y", "QueueFlag": "Y",
            } for p in phones],
            "business_profiles": {p: {"Vertical": "RETAIL", "About": "bench", "Websites": ["https://a.example"]}
                                  for p in phones[::2]},
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=20_000)
    parser.add_argument("--spaces", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.yaml"
        path.write_text(yaml.safe_dump(build_state(args.numbers, args.spaces), sort_keys=False), encoding="utf-8")
        size = path.stat().st_size
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            state = load_state(path)
            times.append(time.perf_counter() - t0)
        loaded = sum(len(s["phone_numbers"]) for s in state["spaces"].values())
    best = min(times)
    for line in machine_lines():
        print(line)
    print(f"emulator state load: {loaded:,} numbers in {args.spaces} spaces ({size / 1e6:.1f} MB of YAML)")
    print(f"  best {best:.2f} s, median {statistics.median(times):.2f} s over {len(times)} run(s)")
    print(f"  bound <= {BOUND_SECONDS:.0f} s: ratio {best / BOUND_SECONDS:.2f} -> "
          f"{'pass' if best <= BOUND_SECONDS else 'FAIL'}")
    return 0 if best <= BOUND_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
