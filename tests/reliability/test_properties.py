"""Properties of plan and apply over random desired and actual states (hypothesis), against the real emulator
over loopback HTTP.

A scenario is a model-level ``DesiredState`` and an emulator state consistent enough to be applicable:
declared numbers are present, waiting to be synced (``pending_sync``) or being migrated in (with the code in
the environment); callback URLs come in many spellings of the same URL and carry secret tokens; business
profiles declare random subsets of fields with free text; queues and health expectations are random (drift
the API cannot fix); spaces hold numbers nobody declared. Secrets are planted everywhere the input can hold
one: tokens in desired and actual callback URLs, verify codes in the environment, the access key secret.

Properties:
- plan calls no write action (audit log and client counters), and every renderer, for every format, runs
  and never shows a planted secret;
- apply then plan shows no write change (drift findings may remain: nothing can fix them); apply wrote
  nothing the plan did not call for, every result is ``done``, and the apply report renders without a
  secret.

One emulator serves the whole module; its state is replaced per example (``EmulatorHandle.reset``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import event, given

from reconciler.client import CamsClient, Credentials
from reconciler.client.actions import ACTIONS
from reconciler.core.plan import Plan
from reconciler.emulator import EmulatorHandle, start_emulator
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import make_plan
from reconciler.engine.results import ApplyReport, Outcome
from reconciler.render import FORMATS, render, render_apply
from tests.helpers.reliability import AuditReader, emulator_state, unplanned_writes
from tests.helpers.scenarios import KEY_ID, SETTINGS, Scenario, scenarios

# -- the shared emulator -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorHandle, AuditReader]]:
    audit = tmp_path_factory.mktemp("properties") / "audit.jsonl"
    with start_emulator(emulator_state({}), qps=0, audit_log=audit) as emu:
        yield emu, AuditReader(audit)


def _client(emu: EmulatorHandle, scenario: Scenario) -> CamsClient:
    return CamsClient(Credentials(KEY_ID, scenario.key_secret), endpoint=emu.url, qps=5000, max_attempts=2)


def _assert_no_secret(text: str, scenario: Scenario, what: str) -> None:
    for secret in [*scenario.secrets, scenario.key_secret]:
        assert secret not in text, f"{what} shows a planted secret"


def _render_all(plan: Plan, scenario: Scenario) -> None:
    for fmt in FORMATS:
        _assert_no_secret(render(plan, fmt, plan_json_path="plan.json"), scenario, f"the {fmt} plan")
    _assert_no_secret(repr(plan) + str(plan.to_dict()), scenario, "the plan's repr / dict")


def _render_report(report: ApplyReport, scenario: Scenario) -> None:
    for fmt in FORMATS:
        _assert_no_secret(render_apply(report, fmt), scenario, f"the {fmt} apply report")
    _assert_no_secret(repr(report), scenario, "the apply report's repr")


# -- properties ----------------------------------------------------------------------------------------------

@SETTINGS
@given(scenario=scenarios())
def test_plan_only_reads_and_renders_no_secret(shared: tuple[EmulatorHandle, AuditReader], scenario: Scenario) -> None:
    emu, audit = shared
    emu.reset(scenario.state)
    audit.mark()

    async def go() -> tuple[Plan, int]:
        async with _client(emu, scenario) as client:
            plan = await make_plan(client, scenario.desired, env=scenario.env)
            writes = sum(s.calls for a, s in client.stats.actions.items() if ACTIONS[a].is_write)
            return plan, writes

    plan, client_writes = asyncio.run(go())
    entries = audit.since_mark()
    assert client_writes == 0
    assert entries and all(e.http_status == 200 for e in entries)
    assert [e for e in entries if e.is_write] == []
    _render_all(plan, scenario)


@SETTINGS
@given(scenario=scenarios())
def test_apply_then_plan_has_no_write_change(shared: tuple[EmulatorHandle, AuditReader], scenario: Scenario) -> None:
    emu, audit = shared
    emu.reset(scenario.state)

    async def go() -> tuple[Plan, ApplyReport, Plan, list]:
        async with _client(emu, scenario) as client:
            first = await make_plan(client, scenario.desired, env=scenario.env)
            audit.mark()
            report = await apply_plan(client, first, scenario.desired, env=scenario.env)
            applied = audit.since_mark()
            second = await make_plan(client, scenario.desired, env=scenario.env)
            return first, report, second, applied

    first, report, second, applied = asyncio.run(go())
    for action in sorted({c.action.value for c in first.changes}):  # coverage: --hypothesis-show-statistics
        event(f"planned {action}")
    assert unplanned_writes(applied, first) == []
    failed = [(r.change.address, r.outcome.value, r.message) for r in report.results if r.outcome is not Outcome.DONE]
    assert failed == []
    assert [c.address for c in second.writes] == []
    assert report.follow_up == ()
    _render_report(report, scenario)
    _render_all(second, scenario)
