"""The emulator's fault injection: throttling bursts and latency spikes (besides the 5xx faults), all off by
default and deterministic per seed; ``reset(state)`` for suites that share one emulator."""

from __future__ import annotations

import asyncio
import re
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import build_parser
from reconciler.client import CamsClient, Credentials
from reconciler.client.ratelimit import AdaptiveSettings, RateLimiter
from reconciler.core.client_errors import ThrottledError, TransportError
from reconciler.emulator import StateFileError
from reconciler.emulator.faults import FaultInjector
from tests.helpers.reliability import emulator_state, number_entry

REPO = Path(__file__).resolve().parents[2]
SPACE = "293483938840009"
PHONE = "8613800000001"


def one_space_state(status_url: str = "https://h.example/s") -> dict[str, Any]:
    return emulator_state({SPACE: {"subscribed": True,
                                   "phone_numbers": [number_entry(PHONE, status_url, "https://h.example/u")]}})


def _throttles(inj: FaultInjector, n: int = 200) -> list[bool]:
    return [inj.next_throttle() is not None for _ in range(n)]


def _spikes(inj: FaultInjector, n: int = 200) -> list[float]:
    return [inj.next_latency_spike() for _ in range(n)]


def _faults(inj: FaultInjector, n: int = 200) -> list[str | None]:
    return [None if (f := inj.next_fault()) is None else f.code for _ in range(n)]


# -- the injector --------------------------------------------------------------------------------------------

def test_defaults_inject_nothing() -> None:
    inj = FaultInjector()
    assert not any(_throttles(inj)) and set(_spikes(inj)) == {0.0} and set(_faults(inj)) == {None}


def test_throttles_and_spikes_are_deterministic_per_seed_and_near_their_rate() -> None:
    def make(seed: int) -> FaultInjector:
        return FaultInjector(seed=seed, throttle_rate=0.25, spike_rate=0.1, spike_ms=300)

    first = make(5)
    throttles, spikes = _throttles(first, 400), _spikes(first, 400)
    again = make(5)
    assert _throttles(again, 400) == throttles and _spikes(again, 400) == spikes
    other = make(6)
    assert _throttles(other, 400) != throttles
    assert 60 <= sum(throttles) <= 140  # 25 % of 400 = 100; the bounds are > 4 sigma away
    assert set(spikes) == {0.0, 0.3} and 15 <= spikes.count(0.3) <= 70


def test_each_kind_has_its_own_stream() -> None:
    """Turning throttling or spikes on must not reshuffle the 5xx sequence a seed gives (and vice versa)."""
    plain = _faults(FaultInjector(0.2, seed=11))
    busy = FaultInjector(0.2, seed=11, throttle_rate=0.5, spike_rate=0.5, spike_ms=10)
    mixed: list[str | None] = []
    for _ in range(200):
        busy.next_throttle()
        busy.next_latency_spike()
        mixed.append(None if (f := busy.next_fault()) is None else f.code)
    assert mixed == plain
    assert _throttles(FaultInjector(0.9, seed=11, throttle_rate=0.3)) == \
        _throttles(FaultInjector(0.0, seed=11, throttle_rate=0.3))


@pytest.mark.parametrize("kwargs", [{"throttle_rate": 1.5}, {"throttle_rate": -0.1}, {"spike_rate": 2.0},
                                    {"spike_ms": -1.0}, {"rate": 1.01}])
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultInjector(**kwargs)


# -- over HTTP -----------------------------------------------------------------------------------------------

async def _calls(url: str, n: int, *, write: bool = False) -> list[str]:
    """n calls with no retry; the code each got ('OK' or the error code). The client's adaptive limiter is
    pinned at its maximum: slowing down after a throttle is its job, but not what is tested here."""
    out: list[str] = []
    limiter = RateLimiter(1000, settings=AdaptiveSettings(min_rate=1000))
    async with CamsClient(Credentials("demo", "demo-secret"), endpoint=url, limiter=limiter, max_attempts=1) as c:
        for _ in range(n):
            try:
                if write:
                    await c.call("UpdatePhoneWebhook", {"CustSpaceId": SPACE, "PhoneNumber": "8613800000001",
                                                         "StatusCallbackUrl": "https://h.example/new",
                                                         "UpCallbackUrl": "https://h.example/u"})
                else:
                    await c.query_phone_numbers(SPACE)
                out.append("OK")
            except ThrottledError as err:
                out.append(err.code)
    return out


def test_throttle_rate_one_refuses_everything_and_changes_nothing(emulator: Any) -> None:
    emu = emulator(one_space_state(), qps=0, throttle_rate=1.0, seed=1)
    assert asyncio.run(_calls(emu.url, 3, write=True)) == ["System.LimitControl"] * 3
    assert emu.backend.snapshot()["spaces"][SPACE]["phone_numbers"][0]["StatusCallbackUrl"] == "https://h.example/s"


def test_throttle_bursts_ignore_the_bucket_and_repeat_per_seed(emulator: Any) -> None:
    # qps=0: the bucket never refuses, so every System.LimitControl here is an injected burst
    first = asyncio.run(_calls(emulator(one_space_state(), qps=0, throttle_rate=0.4, seed=3).url, 40))
    again = asyncio.run(_calls(emulator(one_space_state(), qps=0, throttle_rate=0.4, seed=3).url, 40))
    assert first == again
    assert set(first) == {"OK", "System.LimitControl"}


def test_latency_spike_delays_the_response(emulator: Any) -> None:
    """Observed through its effect, not a stopwatch: a client whose read timeout is far below the spike
    times out; the same call without spikes succeeds."""
    # the timeout leaves a loaded machine time to answer the calm call; the spike is far beyond it (its
    # request thread sleeps on after the test: the server does not wait for it to stop)
    spiky = emulator(one_space_state(), qps=0, latency_spike_rate=1.0, latency_spike_ms=20000, seed=1)
    calm = emulator(one_space_state(), qps=0, latency_spike_rate=0.0, latency_spike_ms=20000, seed=1)

    async def once(url: str) -> str:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=url, qps=1000, max_attempts=1,
                              timeout=1.0) as c:
            try:
                await c.query_phone_numbers(SPACE)
                return "OK"
            except TransportError as err:
                return type(err).__name__

    assert asyncio.run(once(calm.url)) == "OK"
    assert asyncio.run(once(spiky.url)) == "TimeoutError"


def test_reset_replaces_the_whole_account_on_the_same_port(emulator: Any) -> None:
    emu = emulator(one_space_state(), qps=0)
    port = emu.port
    asyncio.run(_calls(emu.url, 1, write=True))
    assert emu.backend.snapshot()["spaces"][SPACE]["phone_numbers"][0]["StatusCallbackUrl"] == "https://h.example/new"
    emu.reset(one_space_state("https://h.example/reset"))
    assert emu.port == port
    assert emu.backend.snapshot()["spaces"][SPACE]["phone_numbers"][0]["StatusCallbackUrl"] == "https://h.example/reset"
    assert asyncio.run(_calls(emu.url, 1)) == ["OK"]
    with pytest.raises(StateFileError):
        emu.reset({"keys": []})
    assert asyncio.run(_calls(emu.url, 1)) == ["OK"]  # a refused reset leaves the account as it was


# -- the command line ----------------------------------------------------------------------------------------

def test_cli_options_parse_and_refuse_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["emulator", "--state", "s.yaml", "--throttle-rate", "0.1",
                              "--latency-spike-rate", "0.05", "--latency-spike-ms", "250"])
    assert (args.throttle_rate, args.latency_spike_rate, args.latency_spike_ms) == (0.1, 0.05, 250.0)
    defaults = parser.parse_args(["emulator", "--state", "s.yaml"])
    assert (defaults.throttle_rate, defaults.latency_spike_rate, defaults.latency_spike_ms) == (0.0, 0.0, 0.0)
    for bad in (["--throttle-rate", "1.5"], ["--latency-spike-rate", "x"], ["--latency-spike-ms", "-3"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(["emulator", "--state", "s.yaml", *bad])
        assert exc.value.code == 1  # usage errors exit 1 (2 means "changes found")
    assert "Traceback" not in capsys.readouterr().err


def test_answer_faults_parse_strictly_and_count_down_per_action() -> None:
    faults = FaultInjector()
    faults.arm_answer_faults(["UpdatePhoneWebhook:html:2", "ChatappMigrationRegister:lost"])
    assert [faults.next_answer_fault("UpdatePhoneWebhook") for _ in range(3)] == ["html", "html", None]
    assert faults.next_answer_fault("ModifyPhoneBusinessProfile") is None  # other actions: untouched
    assert faults.next_answer_fault("ChatappMigrationRegister") == "lost"
    for bad in ("UpdatePhoneWebhook", "UpdatePhoneWebhook:garbled", "UpdatePhoneWebhook:lost:0", ":lost",
                "UpdatePhoneWebhook:lost:x"):
        with pytest.raises(ValueError):
            faults.arm_answer_faults([bad])
    parser = build_parser()
    args = parser.parse_args(["emulator", "--state", "s.yaml", "--answer-fault", "CreatePhoneMessageQrdl:5xx",
                              "--answer-fault", "UpdatePhoneWebhook:lost:3"])
    assert args.answer_fault == ["CreatePhoneMessageQrdl:5xx", "UpdatePhoneWebhook:lost:3"]
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["emulator", "--state", "s.yaml", "--answer-fault", "UpdatePhoneWebhook:maybe"])
    assert exc.value.code == 1


def test_a_lost_answer_lands_the_write_and_the_client_sees_no_response(emulator: Any) -> None:
    emu = emulator(one_space_state(), qps=0, answer_faults=["UpdatePhoneWebhook:lost"])

    async def go() -> Any:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=emu.url, max_attempts=1) as client:
            with pytest.raises(TransportError) as lost:
                await client.call("UpdatePhoneWebhook", {"CustSpaceId": SPACE, "PhoneNumber": PHONE,
                                                         "StatusCallbackUrl": "https://landed.example/s"})
            assert lost.value.sent
            return await client.query_phone_numbers(SPACE)

    [listed] = asyncio.run(go())
    assert listed["StatusCallbackUrl"] == "https://landed.example/s"  # it landed all the same


def test_cli_process_injects_throttling_bursts(tmp_path: Path) -> None:
    state = tmp_path / "state.yaml"
    state.write_text(yaml.safe_dump(one_space_state()))
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "emulator", "--state", str(state),
                             "--throttle-rate", "1.0", "--qps", "0", "--seed", "1"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(20), "the emulator printed nothing"
        match = re.fullmatch(r"listening on (http://\S+)\n", proc.stdout.readline())
        assert match
        assert asyncio.run(_calls(match[1], 2)) == ["System.LimitControl"] * 2
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "Traceback" not in err
