"""Accounts below the CLI: each space's calls go to its account's client, each account's budget is its
own (on virtual time, through ``httpx.MockTransport``), and the account preflights fold into one."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from reconciler.client import CamsClient, Credentials
from reconciler.client.ratelimit import RateLimiter
from reconciler.core.plan import Preflight
from reconciler.engine.accounts import AccountClients, combine_preflights

SPACES_PER_ACCOUNT = 20


class VirtualTime:
    """A clock and a sleep that move only when every task is waiting: the earliest sleeper wakes first."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + delay, next(self._seq), future))
        await future

    async def run(self, awaitable: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(awaitable)
        while not task.done():
            for _ in range(50):  # let every runnable task run up to its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not task.done():
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
        return task.result()


def key_of(request: httpx.Request) -> str:
    return request.headers["authorization"].split("Credential=", 1)[1].split(",", 1)[0]


async def plan_reads(accounts: int) -> tuple[float, set[tuple[str, str]]]:
    """Virtual seconds to list ``SPACES_PER_ACCOUNT`` spaces in each of ``accounts`` accounts at 10/s, and
    which key asked for which space."""
    vt = VirtualTime()
    seen: set[tuple[str, str]] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.add((request.url.params["CustSpaceId"], key_of(request)))
        return httpx.Response(200, json={"Code": "OK", "PhoneNumbers": []})

    limiter = RateLimiter(10.0, clock=vt.clock, sleep=vt.sleep)  # one limiter, as the CLI shares it
    transport = httpx.MockTransport(handler)
    clients = {f"acct{a}": CamsClient(Credentials(f"KEY{a}", "secret"), endpoint="http://cams.test",
                                      transport=transport, limiter=limiter, clock=vt.clock, sleep=vt.sleep)
               for a in range(accounts)}
    spaces = {f"{a}{s:03d}": f"acct{a}" for a in range(accounts) for s in range(SPACES_PER_ACCOUNT)}
    router = AccountClients(clients, spaces)
    await vt.run(asyncio.gather(*(router.query_phone_numbers(space) for space in spaces)))
    for client in clients.values():
        await client.aclose()
    return vt.now, seen


def test_each_space_goes_to_its_accounts_client_and_budgets_are_independent():
    one, _ = asyncio.run(plan_reads(1))
    two, seen = asyncio.run(plan_reads(2))
    assert seen == {(f"{a}{s:03d}", f"KEY{a}") for a in range(2) for s in range(SPACES_PER_ACCOUNT)}
    assert one >= (SPACES_PER_ACCOUNT - 1) / 10.0 * 0.9  # the budget paces one account ...
    assert two < one * 1.2  # ... and a second account reads side by side, not after it


def test_a_space_no_account_lists_goes_to_the_default_account():
    seen: list[str] = []

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        async def query_phone_numbers(self, cust_space_id: str) -> list:
            seen.append(self.name)
            return []

    router = AccountClients({"default": Fake("default"), "b": Fake("b")}, {"1": "b"})
    asyncio.run(router.query_phone_numbers("1"))
    asyncio.run(router.query_phone_numbers("2"))
    assert seen == ["b", "default"]
    with pytest.raises(LookupError, match="per account"):
        asyncio.run(router.get_customer_account_info())


def test_preflights_fold_into_the_worst_naming_each_account():
    ok = Preflight("ok", "account active", {"HostingStatus": "TRUSTEESHIP"})
    frozen = Preflight("frozen", "account business is frozen", {"HostingStatus": "FREEZE"})
    assert combine_preflights({"a": ok}) is ok
    both = combine_preflights({"a": ok, "b": frozen})
    assert both.status == "frozen" and both.blocks_apply
    assert both.detail == "a: ok (account active); b: frozen (account business is frozen)"
    assert both.data == {"a": {"HostingStatus": "TRUSTEESHIP"}, "b": {"HostingStatus": "FREEZE"}}
    assert combine_preflights({"a": ok, "b": Preflight("error", "the account check failed")}).failed
