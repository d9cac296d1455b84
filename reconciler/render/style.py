"""ANSI colour for the text format, or nothing: ``Style(False)`` returns every text unchanged.

The renderer says *what* a piece of text is (a change's symbol, an error, the summary); this says how it
looks. Whether to colour at all is the command line's decision (terminals only, ``NO_COLOR``,
``--no-color``: ``cli/_terminal.py``), so a rendered plan saved to a file or piped never holds escapes.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.core.plan import Action

RESET = "\033[0m"
# Terraform's palette: green creates, yellow updates, red what needs a person, magenta the unknown.
_ACTION_CODES: Mapping[Action, str] = {
    Action.SYNC: "32",  # green
    Action.VERIFY_MIGRATION: "36",  # cyan
    Action.REGISTER_MIGRATION: "36",
    Action.CREATE: "32",
    Action.UPDATE: "33",  # yellow
    Action.DELETE: "31",
    Action.DRIFT: "31",  # red
    Action.UNMANAGED: "35",  # magenta
    Action.MISPLACED: "35",
}


class Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}{RESET}" if self.enabled and text else text

    def action(self, text: str, action: Action) -> str:
        return self.paint(text, _ACTION_CODES.get(action, "1"))  # an action without a colour: bold

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def error(self, text: str) -> str:
        return self.paint(text, "1;31")

    def good(self, text: str) -> str:
        return self.paint(text, "32")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")
