"""A template as a reviewer reads it: the message with its examples filled in, and what an edit changes.

Pure functions over the API's structure (``Components``, ``Example``; see template_rules.py): no I/O, no
dependence on a renderer. The plan's text and the PR comment (render/markdown.py) show a template change as
``review_lines(before, after)``: the message before, the message after, and a line-level diff of the body
texts (the part reviewers argue about).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

Components = Sequence[Mapping[str, Any]]


def fill(text: str, example: Mapping[str, Any] | None) -> str:
    """``text`` with each ``{{N}}`` replaced by its example; a placeholder without one stays visible."""
    example = example or {}

    def one(match: re.Match[str]) -> str:
        value = example.get("{{" + match.group(1) + "}}")
        return str(value) if isinstance(value, str) and value else match.group(0)

    return _PLACEHOLDER.sub(one, text)


def _component(components: Components, kind: str) -> Mapping[str, Any] | None:
    return next((c for c in components if isinstance(c, Mapping) and c.get("Type") == kind), None)


def render(components: Components | None, example: Mapping[str, Any] | None = None) -> list[str]:
    """The message as the recipient sees it, one list item per line: header, body, footer, then one line per
    button (``[Text] → url``, ``[Text] ☎ number``, ``[Text]``)."""
    if not components:
        return []
    out: list[str] = []
    header = _component(components, "HEADER")
    if header is not None:
        fmt = header.get("Format", "TEXT")
        if fmt == "TEXT":
            out.append(f"*{fill(str(header.get('Text') or ''), example)}*")
        else:
            out.append(f"[{str(fmt).lower()}: {header.get('Url') or '?'}]")
    body = _component(components, "BODY")
    if body is not None:
        text = body.get("Text")
        out.extend(fill(str(text), example).splitlines() if text else ["(text written by the platform)"])
    footer = _component(components, "FOOTER")
    if footer is not None and footer.get("Text"):
        out.append(f"_{fill(str(footer['Text']), example)}_")
    buttons = _component(components, "BUTTONS")
    for button in (buttons or {}).get("Buttons") or []:
        if not isinstance(button, Mapping):
            continue
        label = f"[{button.get('Text') or button.get('Type')}]"
        if button.get("Type") == "URL":
            label += f" → {fill(str(button.get('Url') or ''), example)}"
        elif button.get("Type") == "PHONE_NUMBER":
            label += f" ☎ {button.get('PhoneNumber') or ''}"
        out.append(label)
    return out


def body_text(components: Components | None) -> str:
    body = _component(components or [], "BODY")
    return str(body.get("Text") or "") if body is not None else ""


def body_diff(before: Components | None, after: Components | None) -> list[str]:
    """A line-level diff of the two BODY texts (placeholders as written): ``- old``, ``+ new``, ``  same``;
    empty when the bodies are equal."""
    old, new = body_text(before).splitlines(), body_text(after).splitlines()
    if old == new:
        return []
    return [line[0] + " " + line[2:] if line[:1] in "+-" else "  " + line[2:]
            for line in difflib.ndiff(old, new) if not line.startswith("?")]


def review_lines(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """What a reviewer needs of one template change. ``before``/``after`` are ``{"components": [...],
    "example": {...}}`` (None: the template is created / deleted)."""
    out: list[str] = []
    if before is not None:
        out.append("before:" if after is not None else "deleted message:")
        out.extend("  | " + line for line in render(before.get("components"), before.get("example")))
    if after is not None:
        out.append("after:" if before is not None else "message:")
        out.extend("  | " + line for line in render(after.get("components"), after.get("example")))
    if before is not None and after is not None:
        diff = body_diff(before.get("components"), after.get("components"))
        if diff:
            out.append("body diff:")
            out.extend("  " + line for line in diff)
    return out
