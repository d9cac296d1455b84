"""Values we did not write are data: the one rule every text and Markdown rendering applies to them.

A value read from the API (a status or tier this version does not know, a queue name, a phone number, a
server's error message) could hold a newline followed by ``::add-mask::…`` or ``::warning::…``: printed raw,
that starts a line of a CI log or a PR comment, where the runner or a reader takes it for ours. So every
control character (C0, DEL, C1), every Unicode line or paragraph separator and every bidirectional control
in such a value is written as an escape (``\\n``, ``\\x1b``, ``\\u2028``): visible, and never a line of its
own. (The ``github`` format has its own, stricter escaping: the workflow-command encoding.)
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 and DEL, C1 (NEL among them), line/paragraph separators, bidi marks, embeddings, overrides, isolates,
# and the BOM (a zero-width no-break space).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def printable(text: str) -> str:
    """``text`` with every character that could start a line, or reorder one, written as an escape."""
    return _UNSAFE.sub(_escape, text)


def json_text(value: Any) -> str:
    """``value`` as JSON (strings quoted, so a trailing space shows), with the characters JSON itself leaves
    raw (C1, separators, bidi controls) as ``\\uXXXX`` escapes: still valid JSON, and valid YAML."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))
