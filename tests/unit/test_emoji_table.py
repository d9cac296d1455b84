"""The "no emoji" rule of ice breakers and commands (issue 24): Unicode's Extended_Pictographic property,
regional indicators and keycap sequences, from a generated table (``reconciler/common/emoji_table.py``, what
scripts/gen_emoji_table.py writes today) that the emulator and the validator both use."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from reconciler.common.emoji_table import first_emoji
from reconciler.emulator.settings_state import prompt_problem
from reconciler.kinds import get

ROOT = Path(__file__).resolve().parents[2]

EMOJI = {"⏰ at 9": "⏰", "Hi 👋": "👋", "☕": "☕", "🇩🇪": "🇩", "press 1️⃣": "1️⃣", "#⃣": "#⃣", "© Acme": "©",
         "👩‍💻": "👩"}
PLAIN = ("✓ done", "Öffnungszeiten 9–21", "营业时间", "1, 2, 3 # * go", "→ next", "½ price", "a\ufe0fb")


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_emoji_table", ROOT / "scripts" / "gen_emoji_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_is_the_generated_one() -> None:
    pytest.importorskip("regex")  # the generator's source of the Unicode property ([test] extra)
    text = _generator().render()
    target = "reconciler/common/emoji_table.py"
    assert (ROOT / target).read_text(encoding="utf-8") == text, f"{target}: run scripts/gen_emoji_table.py"


@pytest.mark.parametrize(("text", "found"), sorted(EMOJI.items()))
def test_emoji_are_found(text: str, found: str) -> None:
    assert first_emoji(text) == found


@pytest.mark.parametrize("text", PLAIN)
def test_text_that_only_looks_symbolic_is_not_an_emoji(text: str) -> None:
    assert first_emoji(text) is None


@pytest.mark.parametrize("text", [*EMOJI, *PLAIN])
def test_the_validator_and_the_emulator_agree(text: str) -> None:
    offline = get("automation").rules.check({"prompts": [text]}, "space.yaml")
    emulated = prompt_problem([text])
    assert bool(offline) == bool(emulated) == (text in EMOJI)
