"""The kind contract's promise: a kind written in one module, here a made-up one over actions the emulator
already serves (a number's message QR codes), is planned, applied and verified against the emulator over
HTTP with no change to the engine: create, update and delete of items, and a dependency (the codes of a
number that a sync brings in wait for its membership)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler import kinds
from reconciler.client import CamsClient, Credentials
from reconciler.core.model import DesiredState, Number, Space
from reconciler.core.plan import Action, Change, Plan
from reconciler.core.source import Source
from reconciler.emulator import EmulatorHandle
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import make_plan
from reconciler.engine.results import ApplyReport, Outcome
from reconciler.kinds.base import JSON, Api, Block, CallClient, Kind, Rules, Values, Write

RETAIL = "293483938849001"
PRESENT, SYNCED = "8613800001234", "8613800005678"  # the second is brought in by a sync
POSTER = "Hi Acme, I saw your poster"  # the example state's one code, a PNG


# -- the kind: everything it is, in one place ---------------------------------------------------------------

@dataclass(frozen=True)
class Posters:
    """Message → image type (PNG or SVG); ``prune``: delete codes of other messages."""

    images: tuple[tuple[str, str], ...]
    prune: bool = False


class PosterKind(Kind[Posters]):
    name = "poster"
    label = "posters"
    model = Posters
    api = Api(read="ListPhoneMessageQrdl", create="CreatePhoneMessageQrdl", update="UpdatePhoneMessageQrdl",
              delete="DeletePhoneMessageQrdl")
    depends_on = ("membership",)
    rules = Rules()

    async def read(self, client: CallClient, block: Block[Posters]) -> Values:
        assert block.number is not None
        body = await client.call(self.api.read or "", {"CustSpaceId": block.space.cust_space_id,
                                                       "PhoneNumber": block.number.phone_number})
        return {"codes": body.get("Data") or []}

    def plan(self, block: Block[Posters], current: Values | None) -> list[Change]:
        wanted = dict(block.model.images)
        if current is None:  # not in the space yet: each code is created once the number is there
            return [self.change(block, Action.CREATE, item=m, before=None, after=i, pending=True)
                    for m, i in wanted.items()]
        have = _codes(current)
        out = [self.change(block, Action.CREATE, item=m, before=None, after=i) for m, i in wanted.items()
               if m not in have]
        out += [self.change(block, Action.UPDATE, item=m, before=have[m]["GenerateQrImage"], after=i)
                for m, i in wanted.items() if m in have and have[m]["GenerateQrImage"] != i]
        if block.model.prune:
            out += [self.change(block, Action.DELETE, item=m, before=c["GenerateQrImage"], after=None)
                    for m, c in have.items() if m not in wanted]
        return out

    async def create(self, w: Write[Posters]) -> None:
        image = dict(w.block.model.images)[w.change.item or ""]
        await w.client.call(self.api.create or "", {**w.where, "PrefilledMessage": w.change.item,
                                                    "GenerateQrImage": image})

    async def update(self, w: Write[Posters]) -> None:
        code = _codes(w.current or {})[w.change.item or ""]
        await w.client.call(self.api.update or "", {**w.where, "QrdlCode": code["QrdlCode"],
                                                    "PrefilledMessage": w.change.item,
                                                    "GenerateQrImage": dict(w.block.model.images)[w.change.item or ""]})

    async def delete(self, w: Write[Posters]) -> None:
        code = _codes(w.current or {})[w.change.item or ""]
        await w.client.call(self.api.delete or "", {**w.where, "QrdlCode": code["QrdlCode"]})


def _codes(current: Values) -> dict[str, Mapping[str, JSON]]:
    found: Any = current.get("codes") or []
    return {str(c["PrefilledMessage"]): c for c in found}


# -- the test -----------------------------------------------------------------------------------------------

@pytest.fixture
def poster_kind() -> Iterator[PosterKind]:
    with kinds.registered(PosterKind()) as kind:  # for this test only: the catalogue is as before afterwards
        yield kind
    assert "poster" not in kinds.registry()


def desired(present: Posters, synced: Posters) -> DesiredState:
    src = Source("spaces/retail.yaml", 1)
    numbers = (Number.of(PRESENT, PRESENT, Source("spaces/retail.yaml", 5), poster=present),
               Number.of(SYNCED, SYNCED, Source("spaces/retail.yaml", 9), poster=synced))
    return DesiredState((Space("acme-retail", RETAIL, src, numbers, unmanaged_numbers="ignore"),),
                        ("spaces/retail.yaml",))


def run(emu: EmulatorHandle, work: Callable[[CamsClient], Any]) -> Any:
    async def go() -> Any:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=50) as client:
            return await work(client)
    return asyncio.run(go())


def plan_and_apply(emu: EmulatorHandle, state: DesiredState) -> tuple[Plan, ApplyReport]:
    async def work(client: CamsClient) -> tuple[Plan, ApplyReport]:
        plan = await make_plan(client, state, env={})
        return plan, await apply_plan(client, plan, state, env={})
    result: tuple[Plan, ApplyReport] = run(emu, work)
    return result


def codes_of(emu: EmulatorHandle, phone: str) -> dict[str, str]:
    async def work(client: CamsClient) -> dict[str, str]:
        body = await client.call("ListPhoneMessageQrdl", {"CustSpaceId": RETAIL, "PhoneNumber": phone})
        return {c["PrefilledMessage"]: c["GenerateQrImage"] for c in body["Data"]}
    found: dict[str, str] = run(emu, work)
    return found


def writes_during(emu: EmulatorHandle, audit: Path, action: str) -> list[tuple[str, str]]:
    """Hold the next ``action`` until nothing else moves, and return the writes answered meanwhile."""
    held = emu.faults.hold(action)
    seen: list[tuple[str, str]] = []

    def watch() -> None:
        held.arrived.wait(30)
        time.sleep(0.5)  # every write that does not wait for ``action`` would be answered by now
        lines = [json.loads(x) for x in audit.read_text(encoding="utf-8").splitlines()] if audit.exists() else []
        seen.extend((e["action"], e["parameters"].get("PhoneNumber", "")) for e in lines
                    if e["action"].startswith(("Create", "Update", "Delete")))
        held.release()

    threading.Thread(target=watch, daemon=True).start()
    return seen


@pytest.mark.usefixtures("poster_kind")
def test_a_kind_of_one_module_is_planned_applied_and_verified(emulator: Callable[..., EmulatorHandle],
                                                              tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    emu = emulator(qps=0, audit_log=str(audit))
    first = desired(Posters(((POSTER, "SVG"), ("New flyer", "PNG"))), Posters((("Welcome", "PNG"),)))
    during_sync = writes_during(emu, audit, "ChatappSyncPhoneNumber")
    plan, report = plan_and_apply(emu, first)
    # the codes waited for membership: a sync (a change of the whole space's list) comes before every
    # number's kinds that depend on it (without ``depends_on`` the synced number's create is sent meanwhile)
    assert during_sync == []
    planned = {(c.action, c.phone_number, c.item, c.pending) for c in plan.writes}
    assert planned == {(Action.SYNC, None, None, False), (Action.UPDATE, PRESENT, POSTER, False),
                       (Action.CREATE, PRESENT, "New flyer", False), (Action.CREATE, SYNCED, "Welcome", True)}
    assert all(r.outcome is Outcome.DONE for r in report.results), [(r.change.ref, r.message) for r in report.results]
    assert all("verified by re-read" in r.message for r in report.results)
    assert codes_of(emu, PRESENT) == {POSTER: "SVG", "New flyer": "PNG"}
    assert codes_of(emu, SYNCED) == {"Welcome": "PNG"}  # written after the sync brought the number in
    assert report.calls["CreatePhoneMessageQrdl"] == 2 and report.calls["UpdatePhoneMessageQrdl"] == 1

    second = desired(Posters((("New flyer", "PNG"),), prune=True), Posters((("Welcome", "PNG"),)))
    plan, report = plan_and_apply(emu, second)
    assert [(c.action, c.item) for c in plan.writes] == [(Action.DELETE, POSTER)]
    assert [r.outcome for r in report.results] == [Outcome.DONE]
    assert codes_of(emu, PRESENT) == {"New flyer": "PNG"}
    again, _ = plan_and_apply(emu, second)
    assert not again.writes  # converged
