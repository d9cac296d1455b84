"""Where the repository's examples are."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_STATE_PATH = REPO_ROOT / "examples" / "emulator-state.yaml"
