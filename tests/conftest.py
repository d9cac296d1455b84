"""Shared fixtures.

``emulator``: a factory that starts the bundled CAMS emulator in-process on a free loopback port and stops
every emulator it started when the test ends::

    def test_something(emulator):
        emu = emulator()                          # examples/emulator-state.yaml
        emu = emulator(state_dict, qps=0)         # any state (path or dict) and start_emulator options
        emu.url, emu.endpoint, emu.credentials, emu.backend.snapshot()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from reconciler.emulator import EmulatorHandle, start_emulator

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_STATE_PATH = REPO_ROOT / "examples" / "emulator-state.yaml"


@pytest.fixture(scope="session")
def example_state_path() -> Path:
    return EXAMPLE_STATE_PATH


@pytest.fixture
def example_state() -> dict[str, Any]:
    """The example state as a dict: a fresh copy per test, free to modify before starting an emulator."""
    return yaml.safe_load(EXAMPLE_STATE_PATH.read_text(encoding="utf-8"))


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
