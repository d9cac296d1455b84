"""No secret in any log line, at the most talkative level, in both log formats (hypothesis, planted secrets).

The scenarios are those of ``test_properties`` (``tests.helpers.scenarios``) (tokens in desired and actual callback URLs, migration verify
codes in the environment, a random access key secret); plan and apply run against the emulator with faults
and throttling on, so that retry, throttle, backoff and give-up lines are written too. The log's secret
filter is *not* told the secret values (the environment it gets holds only the log settings), so what holds
is the client's masking at the source together with the filter's own rules (each rule has its unit test in
``tests/unit/test_cli_logging.py``).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given

from reconciler.cli._logging import logging_configured
from reconciler.client import CamsClient, Credentials
from reconciler.emulator import EmulatorHandle, start_emulator
from reconciler.engine.apply import apply_plan
from reconciler.engine.planner import make_plan
from tests.helpers.reliability import emulator_state
from tests.helpers.scenarios import KEY_ID, SETTINGS, Scenario, scenarios

FEW = SETTINGS.__class__(SETTINGS, max_examples=15)


@pytest.fixture(scope="module")
def faulty() -> Iterator[EmulatorHandle]:
    with start_emulator(emulator_state({}), qps=0, fault_rate=0.15, throttle_rate=0.15, seed=3) as emu:
        yield emu


def _run(emu: EmulatorHandle, scenario: Scenario, fmt: str) -> str:
    stream = io.StringIO()
    env = {"CAMS_RECONCILER_LOG": "debug", "CAMS_RECONCILER_LOG_FORMAT": fmt}

    async def go() -> None:
        async with CamsClient(Credentials(KEY_ID, scenario.key_secret), endpoint=emu.url, qps=5000,
                              max_attempts=3) as client:
            plan = await make_plan(client, scenario.desired, env=scenario.env)
            await apply_plan(client, plan, scenario.desired, env=scenario.env)

    with logging_configured(env, stream=stream):
        asyncio.run(go())
    return stream.getvalue()


@FEW
@given(scenario=scenarios())
def test_debug_logs_hold_no_planted_secret(faulty: EmulatorHandle, scenario: Scenario) -> None:
    faulty.reset(scenario.state)
    for fmt in ("human", "json"):
        text = _run(faulty, scenario, fmt)
        assert "attempt 1" in text  # the requests are logged: the property is not vacuous
        for secret in [*scenario.secrets, *scenario.env.values(), scenario.key_secret]:
            assert secret not in text, f"{fmt} log shows a planted secret"
        if fmt == "json":
            assert all(json.loads(line)["logger"] for line in text.splitlines())


def test_a_throttled_and_retried_call_is_visible_at_info(faulty: EmulatorHandle) -> None:
    """Throttle and retry lines exist (the emulator above throttles 15 %), with their structured fields."""
    stream = io.StringIO()
    faulty.reset(emulator_state({"900": {"subscribed": True, "phone_numbers": []}}, key=(KEY_ID, "s3cr3tK3yZ")))

    async def go() -> None:
        async with CamsClient(Credentials(KEY_ID, "s3cr3tK3yZ"), endpoint=faulty.url, qps=5000,
                              max_attempts=8) as client:
            await asyncio.gather(*(client.query_phone_numbers("900") for _ in range(60)))

    with logging_configured({"CAMS_RECONCILER_LOG": "info", "CAMS_RECONCILER_LOG_FORMAT": "json"}, stream=stream):
        asyncio.run(go())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = {line.get("event") for line in lines}
    assert {"throttle", "retry"} <= events
    retry = next(line for line in lines if line.get("event") == "retry")
    assert retry["level"] == "info" and retry["action"] == "QueryChatappPhoneNumbers" and retry["delay_s"] >= 0
    assert "request" not in events  # requests are debug
    assert logging.getLogger("reconciler").level == logging.NOTSET  # left as it was found
