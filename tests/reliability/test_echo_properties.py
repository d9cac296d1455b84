"""A converged state echoed back the way the cloud may echo it plans the same: nothing to write (issue 24).

The example repository (every kind of the catalogue is declared in it) is applied to the emulator, so the
next plan has no write change (drift findings the API cannot fix stay). Then hypothesis replays that plan
through a transport that rewrites every answer as a cloud could send it: the enum-like values listed in
docs/emulator.md in another case (``body`` for ``BODY``, ``connected``, ``Png``, ``y``), and the response
model's defaults left out where the emulator fills them in (``IsOptOut: false``, ``Duration: 0``, ``[]``,
``""``) — the answers the emulator gives are already complete, so both spellings of "not set" are met.
Property: for every kind, the plan is the same set of changes as the plain one (no write appears, no
finding appears or goes away).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import kinds
from reconciler.client import CamsClient, Credentials
from reconciler.config import load_desired_state
from reconciler.core.plan import Action, Plan
from reconciler.emulator import EmulatorHandle, start_emulator
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import make_plan

ROOT = Path(__file__).resolve().parents[2]
#: the enum-like fields whose case the comparison ignores (docs/emulator.md, "Answer shapes")
ENUM_FIELDS = ("Status", "QualityRating", "CodeVerificationStatus", "MessagingLimitTier", "Vertical",
               "MarketingPaused", "CanSendMessage", "EncryptionPublicKeyStatus", "GenerateQrImage", "Category",
               "AuditStatus", "QualityScore", "Type", "Format", "UrlType")
CASES = {"keep": lambda s: s, "lower": str.lower, "upper": str.upper, "title": str.title}
#: top-level lists a client must find (a missing one is a malformed answer, by design): never dropped
KEPT = frozenset({"PhoneNumbers", "ListTemplate", "Data", "Model", "Total", "Code", "Message", "Success",
                  "RequestId"})
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _is_default(value: Any) -> bool:
    return value in ("", [], {}) or value is False or (type(value) is int and value == 0)


def echo(value: Any, cases: dict[str, str], drop: bool, top: bool = True) -> Any:
    """``value`` as a cloud could send it: enum-like fields in the case ``cases`` names, defaults dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if drop and not top and _is_default(item):
                continue
            if key in KEPT and top:
                out[key] = echo(item, cases, drop, top=False)
                continue
            if isinstance(item, str) and key in cases:
                item = CASES[cases[key]](item)
            out[key] = echo(item, cases, drop, top=False)
        return out
    if isinstance(value, list):
        return [echo(v, cases, drop, top=False) for v in value]
    return value


class EchoTransport(httpx.AsyncBaseTransport):
    """Forwards to the emulator and rewrites each successful JSON answer with ``echo``."""

    def __init__(self, cases: dict[str, str], drop: bool):
        self.inner = httpx.AsyncHTTPTransport()
        self.cases, self.drop = cases, drop

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if response.status_code == 200:
            content = json.dumps(echo(json.loads(content), self.cases, self.drop)).encode()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length",
                                                                                      "content-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _key(plan: Plan) -> list[tuple[str, str, str | None, str | None]]:
    """The plan's changes, but those of a recorded kind (the account webhook): no API reads it back, so no
    answer can echo it; without a state store its update is always planned (docs/state.md)."""
    return sorted((c.action.value, c.space, c.phone_number, c.field) for c in plan.changes
                  if getattr(kinds.kind_for(c), "recorder", None) is None)


@pytest.fixture
def converged(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EmulatorHandle, Any, Plan]]:
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")  # the example state's code for the migrating number
    desired = load_desired_state([str(ROOT / "examples" / "spaces")])
    with start_emulator(ROOT / "examples" / "emulator-state.yaml", qps=0) as emu:
        async def converge() -> Plan:
            async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=1000) as client:
                await apply_plan(client, await make_plan(client, desired), desired)
                return await make_plan(client, desired)
        plain = asyncio.run(converge())
        yield emu, desired, plain


def test_the_example_declares_every_kind() -> None:
    """Across the example repositories: a number's life (usernames) is shown in examples/onboarding and Flows in
    examples/flows, so that README's first command (examples/spaces) prints what it did."""
    declared: set[str] = set()
    for example in ("", "onboarding", "flows"):  # each its own repository (they may reuse a space's id)
        desired = load_desired_state([str(ROOT / "examples" / example / "spaces")])
        declared |= {name for space in desired.spaces for name in space.blocks} | {
            name for space in desired.spaces for number in space.numbers for name in number.blocks}
    assert {k.name for k in (*kinds.number_kinds(), *kinds.space_kinds())} <= declared


@SETTINGS
@given(cases=st.fixed_dictionaries({f: st.sampled_from(sorted(CASES)) for f in ENUM_FIELDS}), drop=st.booleans())
def test_a_converged_state_echoed_with_defaults_and_case_variants_plans_the_same(
        converged: tuple[EmulatorHandle, Any, Plan], cases: dict[str, str], drop: bool) -> None:
    emu, desired, plain = converged
    assert [c for c in _key(plain) if Action(c[0]).writes] == [], "the example did not converge"

    async def replan() -> Plan:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=1000,
                              transport=EchoTransport(cases, drop)) as client:
            return await make_plan(client, desired)

    echoed = asyncio.run(replan())
    assert [s.error for s in echoed.spaces if s.error] == []
    assert _key(echoed) == _key(plain)
