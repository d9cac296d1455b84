"""No dead code: vulture over the product, scripts, benchmarks and tests ([tool.vulture] in pyproject.toml).

Names reached by reflection come from the registries that reach them, so a new action or field needs no
whitelist line: the emulator dispatches an action to the backend method of the same name
(``getattr(backend, action)``), and a kind reads its model's attributes by its fields' names.
Hooks of other libraries are listed, each with its reader, in tests/vulture_whitelist.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reconciler.emulator.catalog import ACTIONS
from reconciler.kinds import kinds

ROOT = Path(__file__).resolve().parents[2]


def test_vulture_finds_nothing_unused() -> None:
    reflected = sorted({*ACTIONS, *(f.name for kind in kinds() for f in kind.fields)})
    run = subprocess.run([sys.executable, "-m", "vulture", "--ignore-names", ",".join(reflected)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
