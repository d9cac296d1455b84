"""Shared fixtures.

``emulator``: a factory that starts the bundled CAMS emulator in-process on a free loopback port and stops
every emulator it started when the test ends::

    def test_something(emulator):
        emu = emulator()                          # examples/emulator-state.yaml
        emu = emulator(state_dict, qps=0)         # any state (path or dict) and start_emulator options
        emu.url, emu.endpoint, emu.credentials, emu.backend.snapshot()

``emu``: one emulator for the whole module (a server start per test would cost the suite minutes), its state
reset before each test. A module chooses the state with an ``emu_state`` fixture and the start options with
``emu_options`` (both module-scoped; the example state and ``qps=0`` unless it overrides them)::

    @pytest.fixture(scope="module")
    def emu_state() -> dict[str, Any]:
        return STATE

    def test_something(emu): ...

``demo_credentials``: the example state's key in the environment, and no ambient endpoint or token, for
tests that run the CLI as a user does.

Helpers that are plain functions (not fixtures) live in the ``tests.helpers`` package; test modules never
import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.emulator import EmulatorHandle, start_emulator
from tests.helpers.paths import EXAMPLE_STATE_PATH


@pytest.fixture(autouse=True)
def _journal_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its own apply journal (the default, .cams-reconciler/journal.json, is relative to
    the working directory: the repository, when the suite runs)."""
    path = tmp_path / "journal.json"
    monkeypatch.setenv("CAMS_RECONCILER_JOURNAL", str(path))
    return path


@pytest.fixture(scope="session")
def example_state_path() -> Path:
    return EXAMPLE_STATE_PATH


@pytest.fixture
def example_state() -> dict[str, Any]:
    """The example state as a dict: a fresh copy per test, free to modify before starting an emulator."""
    return yaml.safe_load(EXAMPLE_STATE_PATH.read_text(encoding="utf-8"))


GLOBEX_SPACE = "293483938849003"


@pytest.fixture
def two_account_state(example_state: dict[str, Any]) -> dict[str, Any]:
    """The example state as two accounts (the emulator's ``accounts:`` form): ``acme`` holds the example's
    keys, account data and every space but globex-support, which ``globex`` holds with its own key."""
    spaces = example_state["spaces"]
    globex = {GLOBEX_SPACE: spaces.pop(GLOBEX_SPACE)}
    return {"accounts": {
        "acme": {"keys": example_state["keys"], "account": example_state["account"], "spaces": spaces},
        "globex": {"keys": [{"access_key_id": "globex", "access_key_secret": "globex-secret"}],
                   "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
                   "spaces": globex},
    }}


@pytest.fixture(scope="module")
def emu_state() -> Any:
    """The state ``emu`` starts from and is reset to before each test (a path or a dict)."""
    return EXAMPLE_STATE_PATH


@pytest.fixture(scope="module")
def emu_options() -> dict[str, Any]:
    """``start_emulator`` options of ``emu``'s emulator: no flow control unless a module asks for it."""
    return {"qps": 0}


@pytest.fixture(scope="module")
def module_emulator(emu_state: Any, emu_options: dict[str, Any]) -> Iterator[EmulatorHandle]:
    with start_emulator(emu_state, **emu_options) as handle:
        yield handle


@pytest.fixture
def emu(module_emulator: EmulatorHandle, emu_state: Any) -> EmulatorHandle:
    """The module's emulator, its state reset to ``emu_state`` (the server, port and options stay)."""
    module_emulator.reset(emu_state)
    return module_emulator


@pytest.fixture
def demo_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorHandle]]:
    handles: list[EmulatorHandle] = []

    def start(state: Any = None, **options: Any) -> EmulatorHandle:
        handle = start_emulator(EXAMPLE_STATE_PATH if state is None else state, **options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()
