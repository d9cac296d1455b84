"""The client's CPU per call through the real HTTP stack (httpx → httpcore → sockets) against the emulator.

httpcore asks which async library runs it several times per request by importing ``sniffio``; when that
package is missing, every ask is a failed import that searches the whole module path (a quarter of the
client's CPU per call, docs/client.md). A finder placed first on ``sys.meta_path`` sees every import that
is not already loaded: after a warm-up call, further calls must look up no module at all.
"""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from reconciler.client import CamsClient, Credentials


def test_calls_through_the_http_stack_look_up_no_module(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator(qps=0)
    looked_up: list[str] = []

    def find_spec(fullname: str, *_: Any) -> None:
        looked_up.append(fullname)  # and None: the other finders decide

    recorder = SimpleNamespace(find_spec=find_spec)

    async def run() -> None:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=100) as client:
            await client.get_customer_account_info()  # the first call imports what the stack needs
            monkeypatch.setattr(sys, "meta_path", [recorder, *sys.meta_path])
            await asyncio.gather(*(client.get_customer_account_info() for _ in range(5)))

    asyncio.run(run())
    assert looked_up == []
