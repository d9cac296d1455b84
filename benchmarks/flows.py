#!/usr/bin/env python3
"""WhatsApp Flows: two figures, each printed with its floor and the ratio to it.

1. **Upload pacing.** ``N`` draft Flows' JSON uploaded at once through the client (``upload_flow_json``:
   GetChatappUploadAuthorization, the OSS SDK's PutObject to the emulator's object storage,
   UpdateFlowJSONAsset) against the strict emulator at its documented rates: UpdateFlowJSONAsset at 5
   requests per second per account. Floor: ``N / 5`` seconds, the busiest action's calls over its rate (the
   convention of benchmarks/README.md's plan figures).
   Bound: ratio <= 1.2, with 0 throttled answers and 0 failures.
2. **Offline check.** ``flow_json.check_text`` of a valid Flow of ``SCREENS`` screens (every rule) against
   its floor, the strict parse every check needs (``flow_json.parse``: JSON with a key given twice refused).
   Bound: ratio <= 6 (the rules walk the document about twice; lines are indexed only when there is a
   problem to place).

Usage: python benchmarks/flows.py [--quick]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reconciler.client import CamsClient, Credentials  # noqa: E402
from reconciler.common import flow_json  # noqa: E402
from reconciler.emulator import start_emulator  # noqa: E402

SPACE = "293483938849001"


def big_flow(screens: int) -> dict[str, Any]:
    out = []
    for i in range(screens):
        last = i == screens - 1
        nxt = {"name": "complete", "payload": {"email": "${form.email}"}} if last else \
            {"name": "navigate", "next": {"type": "screen", "name": f"S{_letters(i + 1)}"},
             "payload": {"email": "${form.email}"}}
        out.append({"id": f"S{_letters(i)}", "title": f"Step {i}", "terminal": last,
                    "data": {"hint": {"type": "string", "__example__": "x"}},
                    "layout": {"type": "SingleColumnLayout", "children": [
                        {"type": "TextHeading", "text": "${data.hint}"},
                        {"type": "TextInput", "name": "email", "label": "Email"},
                        {"type": "Dropdown", "name": "choice", "label": "Pick", "data-source": [
                            {"id": str(j), "title": f"Option {j}"} for j in range(20)]},
                        {"type": "Footer", "label": "Next", "on-click-action": nxt}]}})
    return {"version": "7.0", "screens": out}


def _letters(n: int) -> str:
    text = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        text = chr(65 + r) + text
    return text


async def upload_figure(count: int) -> tuple[float, float, dict[str, Any]]:
    state = yaml.safe_load((REPO / "examples" / "emulator-state.yaml").read_text(encoding="utf-8"))
    data = json.dumps(big_flow(3)).encode()
    with start_emulator(state, qps=10) as emu:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url) as client:
            ids = [(await client.call("CreateFlow", {"CustSpaceId": SPACE, "FlowName": f"f{i}",
                                                     "Categories": ["OTHER"]}))["Data"]["FlowId"] for i in range(count)]
            t0 = time.monotonic()
            results = await asyncio.gather(*(client.upload_flow_json(SPACE, fid, data) for fid in ids),
                                           return_exceptions=True)
            wall = time.monotonic() - t0
            stats = client.stats
    failed = sum(1 for r in results if isinstance(r, BaseException))
    floor = count / 5.0
    return wall, floor, {"failed": failed + stats.total().failed, "throttled": stats.total().throttled,
                         "summary": stats.summary_line()}


def check_figure(screens: int, rounds: int) -> tuple[float, float]:
    text = json.dumps(big_flow(screens), indent=2)
    t0 = time.perf_counter()
    for _ in range(rounds):
        flow_json.parse(text)
    floor = (time.perf_counter() - t0) / rounds
    t0 = time.perf_counter()
    for _ in range(rounds):
        _, found = flow_json.check_text(text, endpoint=False)
        assert not found, found[:3]
    return (time.perf_counter() - t0) / rounds, floor


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    count, screens, rounds = (8, 50, 3) if quick else (30, 500, 10)
    wall, floor, notes = asyncio.run(upload_figure(count))
    ok_upload = wall / floor <= 1.2 and notes["failed"] == 0 and notes["throttled"] == 0
    check, parse = check_figure(screens, rounds)
    ok_check = check / parse <= 6
    print(f"upload pacing, {count} Flows: {wall:.2f} s, floor {floor:.2f} s, ratio {wall / floor:.2f} "
          f"(bound <= 1.2) {'pass' if ok_upload else 'FAIL'}; failed {notes['failed']}; {notes['summary']}")
    print(f"offline check, {screens} screens: {check * 1000:.1f} ms, floor (strict parse) {parse * 1000:.1f} ms, "
          f"ratio {check / parse:.1f} (bound <= 6) {'pass' if ok_check else 'FAIL'}")
    return 0 if ok_upload and ok_check else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
