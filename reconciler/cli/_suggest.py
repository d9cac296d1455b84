"""``did you mean …?`` for a mistyped command, flag or choice, added to argparse's own error message.

argparse says *what* was wrong (``invalid choice: 'paln'``, ``unrecognized arguments: --detaild``); this adds
the closest valid word, as the YAML loader does for a mistyped key and ``call`` for an action. Only names a
user may type are offered: hidden helpers (``__complete``) are neither suggested nor listed.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Iterable

_CHOICE = re.compile(r"^(?P<head>argument (?P<arg>.+?): invalid choice: )(?P<word>'[^']*'|\S+) "
                     r"\(choose from (?P<choices>.*)\)$", re.S)
_UNRECOGNIZED = "unrecognized arguments: "


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` most probably meant: a case-insensitive equal, else the nearest spelling."""
    names = [c for c in candidates if not c.startswith("__")]
    for name in names:
        if name.lower() == word.lower():
            return name
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if found:
        return found[0]
    prefixed = [n for n in names if n.startswith(word) and len(word) >= 3]  # an abbreviation (refused: say of what)
    return prefixed[0] if len(prefixed) == 1 else None


def with_suggestion(message: str, parser: argparse.ArgumentParser) -> str:
    """``message`` with ``; did you mean X?`` when a close match exists (and hidden names dropped)."""
    match = _CHOICE.match(message)
    if match:
        word = match["word"].strip("'")
        choices = [c.strip().strip("'") for c in match["choices"].split(",")]
        shown = [c for c in choices if not c.startswith("__")]
        guess = closest(word, shown)
        hint = f"; did you mean {guess}?" if guess else ""
        return f"{match['head']}{match['word']}{hint} (choose from {', '.join(shown)})"
    if message.startswith(_UNRECOGNIZED):
        options = [o for o in parser._option_string_actions if o.startswith("--")]
        words = message[len(_UNRECOGNIZED):].split()
        hints = {}
        for word in words:
            if word.startswith("--"):
                flag = word.split("=", 1)[0]
                guess = closest(flag, options)
                if guess:
                    hints[flag] = guess
        if len(words) == 1 and hints:
            return f"{message}; did you mean {next(iter(hints.values()))}?"
        if hints:
            return message + " (" + "; ".join(f"{w}: did you mean {g}?" for w, g in hints.items()) + ")"
    return message
