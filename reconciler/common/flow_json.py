"""WhatsApp Flow JSON: the structure the platform requires, as tables, and one walker that applies them.

Shared by the product (offline validation, ``validate`` and ``plan`` report every problem with the file, line
and JSON pointer) and the emulator (``PublishFlow`` refuses a Flow whose uploaded JSON breaks a rule): one set
of rules, not two copies. The rules are the ones WhatsApp's public Flow JSON reference gives for the
versions named in ``SUPPORTED_VERSIONS``; docs/flows.md lists what is modelled and what is not.

The tables are the rules; ``problems`` only walks the document and looks each node up:

- ``TOP_LEVEL`` / ``SCREEN`` / ``LAYOUT``: the properties each object may have and which are required;
- ``COMPONENTS``: each component type, the version that introduced it, its required properties, whether it
  is an input (its ``name`` is a ``${form.…}`` field), where its children and actions are;
- ``ACTIONS``: each action, its required properties, its version, and the rules of where it may be used;
- ``VERSIONS``: which ``version`` values are current, which are retired.

Imports nothing of the product (the emulator imports it).
"""

from __future__ import annotations

import json
import json.decoder
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Flow JSON versions WhatsApp documents as current (new Flows may be published with them).
SUPPORTED_VERSIONS: tuple[str, ...] = ("6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2")
#: Versions WhatsApp has retired: a Flow cannot be published with them any more.
RETIRED_VERSIONS: tuple[str, ...] = ("2.1", "3.0", "3.1", "4.0", "5.0", "5.1")
#: ``data_api_version`` values the endpoint protocol has.
DATA_API_VERSIONS: tuple[str, ...] = ("3.0",)
#: The screen id WhatsApp reserves for the endpoint's "flow finished" answer: no screen may be called so.
RESERVED_SCREEN_IDS = frozenset({"SUCCESS"})
#: A screen id: letters and underscores (WhatsApp's rule).
SCREEN_ID = re.compile(r"^[A-Za-z_]+$")
#: The largest Flow JSON the platform takes (bytes).
MAX_BYTES = 10 * 1024 * 1024

#: ``${data.x}``, ``${form.x}``, ``${screen.ID.data.x}``, ``${screen.ID.form.x}`` (the first segment only)
_REFERENCE = re.compile(r"\$\{(?:screen\.([A-Za-z_]+)\.)?(data|form)\.([A-Za-z0-9_]+)")


@dataclass(frozen=True)
class ObjectRule:
    """The properties an object may have (``allowed``), of which ``required`` must be there."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.required + self.optional)


TOP_LEVEL = ObjectRule(("version", "screens"), ("data_api_version", "routing_model"))
SCREEN = ObjectRule(("id", "layout"), ("title", "terminal", "success", "data", "refresh_on_back", "sensitive"))
LAYOUT = ObjectRule(("type", "children"))
LAYOUT_TYPES = frozenset({"SingleColumnLayout"})


@dataclass(frozen=True)
class ComponentRule:
    required: tuple[str, ...]
    since: str = "2.1"
    #: an input: its ``name`` is a form field (``${form.name}``) and unique on its screen
    input: bool = False
    #: properties holding a list of nested components
    children: tuple[str, ...] = ()
    #: properties holding an action
    actions: tuple[str, ...] = ()
    #: a property holding a mapping of case → list of components (``Switch``)
    cases: str | None = None
    #: at most one per screen
    once: bool = False


_SELECT = ("on-select-action",)
COMPONENTS: Mapping[str, ComponentRule] = {
    "TextHeading": ComponentRule(("text",)),
    "TextSubheading": ComponentRule(("text",)),
    "TextBody": ComponentRule(("text",)),
    "TextCaption": ComponentRule(("text",)),
    "RichText": ComponentRule(("text",), since="5.1"),
    "Form": ComponentRule(("name", "children"), children=("children",)),
    "TextInput": ComponentRule(("name", "label"), input=True),
    "TextArea": ComponentRule(("name", "label"), input=True),
    "CheckboxGroup": ComponentRule(("name", "data-source"), input=True, actions=_SELECT),
    "RadioButtonsGroup": ComponentRule(("name", "data-source"), input=True, actions=_SELECT),
    "Dropdown": ComponentRule(("name", "label", "data-source"), input=True, actions=_SELECT),
    "ChipsSelector": ComponentRule(("name", "label", "data-source"), since="6.3", input=True, actions=_SELECT),
    "DatePicker": ComponentRule(("name", "label"), input=True, actions=_SELECT),
    "CalendarPicker": ComponentRule(("name", "label"), since="6.1", input=True, actions=_SELECT),
    "OptIn": ComponentRule(("name", "label"), input=True, actions=("on-click-action",)),
    "PhotoPicker": ComponentRule(("name", "label"), since="4.0", input=True),
    "DocumentPicker": ComponentRule(("name", "label"), since="4.0", input=True),
    "Footer": ComponentRule(("label", "on-click-action"), actions=("on-click-action",), once=True),
    "EmbeddedLink": ComponentRule(("text", "on-click-action"), actions=("on-click-action",)),
    "Image": ComponentRule(("src",)),
    "ImageCarousel": ComponentRule(("images",), since="7.1"),
    "If": ComponentRule(("condition", "then"), since="4.0", children=("then", "else")),
    "Switch": ComponentRule(("value", "cases"), since="4.0", cases="cases"),
    "NavigationList": ComponentRule(("name", "list-items"), since="6.2", actions=("on-click-action",)),
}


@dataclass(frozen=True)
class ActionRule:
    required: tuple[str, ...]
    since: str = "2.1"
    #: only on a screen marked ``terminal: true``
    terminal_only: bool = False
    #: only in a Flow with ``data_api_version`` (it calls the endpoint)
    needs_endpoint: bool = False
    #: the property naming a screen that must exist (``next.name``)
    screen_ref: tuple[str, ...] = field(default=())


ACTIONS: Mapping[str, ActionRule] = {
    "navigate": ActionRule(("next",), screen_ref=("next", "name")),
    "complete": ActionRule(("payload",), terminal_only=True),
    "data_exchange": ActionRule(("payload",), needs_endpoint=True),
    "update_data": ActionRule(("payload",), since="6.0"),
    "open_url": ActionRule(("url",), since="6.0"),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (an RFC 6901 JSON pointer) and what."""

    pointer: str
    message: str


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _ptr(*parts: str | int) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _object(value: Any, rule: ObjectRule, where: str, what: str) -> Iterator[Problem]:
    for name in rule.required:
        if name not in value:
            yield Problem(where, f"{what} needs '{name}'")
    for name in value:
        if name not in rule.allowed:
            yield Problem(f"{where}{_ptr(name)}", f"unknown property '{name}' of {what} "
                                                 f"(expected one of: {', '.join(sorted(rule.allowed))})")


def version_problem(version: Any) -> str | None:
    """Why ``version`` cannot be published, or None when it is a current version."""
    if not isinstance(version, str):
        return "'version' must be a string such as \"7.0\""
    if version in SUPPORTED_VERSIONS:
        return None
    supported = ", ".join(SUPPORTED_VERSIONS)
    if version in RETIRED_VERSIONS:
        return f"Flow JSON version {version} is retired by WhatsApp (supported: {supported})"
    return f"unknown Flow JSON version {version!r} (supported: {supported})"


@dataclass
class _Screen:
    """What the walk of one screen collected: its inputs and its actions, checked once the screen is whole."""

    index: int
    sid: str
    terminal: bool
    data_keys: frozenset[str]
    inputs: dict[str, str] = field(default_factory=dict)        # name -> pointer
    footers: list[str] = field(default_factory=list)
    strings: list[tuple[str, str]] = field(default_factory=list)  # (pointer, text) to scan for references
    actions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (pointer, action)


def problems(doc: Any, *, endpoint: bool) -> list[Problem]:
    """Every rule ``doc`` (a parsed Flow JSON) breaks, in document order. ``endpoint``: whether the Flow has
    an endpoint (``data_api_version`` and ``data_exchange`` need one)."""
    if not isinstance(doc, dict):
        return [Problem("", "a Flow JSON document is an object with 'version' and 'screens'")]
    found = list(_object(doc, TOP_LEVEL, "", "the Flow JSON"))
    version = doc.get("version")
    if "version" in doc and (why := version_problem(version)) is not None:
        found.append(Problem("/version", why))
        return found  # the other rules depend on the version
    vkey = _version_key(version) if isinstance(version, str) else (99,)
    data_api = doc.get("data_api_version")
    if data_api is not None:
        if data_api not in DATA_API_VERSIONS:
            found.append(Problem("/data_api_version", f"unknown data_api_version {data_api!r} "
                                                      f"(known: {', '.join(DATA_API_VERSIONS)})"))
        if not endpoint:
            found.append(Problem("/data_api_version", "data_api_version needs the Flow's endpoint_uri"))
        if "routing_model" not in doc:
            found.append(Problem("", "a Flow with data_api_version needs a 'routing_model'"))
    elif "routing_model" in doc:
        found.append(Problem("/routing_model", "routing_model is only for a Flow with data_api_version"))
    screens = doc.get("screens")
    if "screens" in doc and (not isinstance(screens, list) or not screens):
        found.append(Problem("/screens", "'screens' must be a non-empty list"))
        return found
    walked = [_walk_screen(s, i, vkey, data_api is not None, found) for i, s in enumerate(screens or [])]
    ids = {s.sid: s for s in walked if s is not None}
    seen: set[str] = set()
    for s in walked:
        if s is None:
            continue
        if s.sid in seen:
            found.append(Problem(_ptr("screens", s.index, "id"), f"screen id {s.sid!r} is used twice"))
        seen.add(s.sid)
        _check_screen(s, ids, found)
    if ids and not any(s.terminal for s in ids.values()):
        found.append(Problem("/screens", "no screen is terminal: one screen needs \"terminal\": true"))
    _check_routing(doc.get("routing_model"), ids, found)
    _check_actions_targets([a for s in walked if s is not None for a in s.actions], ids, found)
    return found


def _walk_screen(screen: Any, index: int, vkey: tuple[int, ...], has_api: bool,
                 found: list[Problem]) -> _Screen | None:
    where = _ptr("screens", index)
    if not isinstance(screen, dict):
        found.append(Problem(where, "a screen must be an object"))
        return None
    found.extend(_object(screen, SCREEN, where, "a screen"))
    sid = screen.get("id")
    if not isinstance(sid, str) or not SCREEN_ID.match(sid):
        found.append(Problem(where + "/id", "a screen id is letters and underscores only"))
        return None
    if sid in RESERVED_SCREEN_IDS:
        found.append(Problem(where + "/id", f"screen id {sid!r} is reserved by WhatsApp"))
    data = screen.get("data")
    if data is not None and not isinstance(data, dict):
        found.append(Problem(where + "/data", "'data' must be an object declaring the screen's data fields"))
        data = None
    state = _Screen(index, sid, screen.get("terminal") is True, frozenset(data or {}))
    layout = screen.get("layout")
    if isinstance(layout, dict):
        found.extend(_object(layout, LAYOUT, where + "/layout", "a layout"))
        if "type" in layout and layout["type"] not in LAYOUT_TYPES:
            found.append(Problem(where + "/layout/type", f"unknown layout type {layout['type']!r} "
                                                         f"(known: {', '.join(sorted(LAYOUT_TYPES))})"))
        _walk_components(layout.get("children"), where + "/layout/children", state, vkey, has_api, found)
    elif layout is not None:
        found.append(Problem(where + "/layout", "'layout' must be an object"))
    return state


def _walk_components(children: Any, where: str, screen: _Screen, vkey: tuple[int, ...], has_api: bool,
                     found: list[Problem]) -> None:
    if children is None:
        return
    if not isinstance(children, list):
        found.append(Problem(where, "must be a list of components"))
        return
    for i, comp in enumerate(children):
        here = f"{where}/{i}"
        if not isinstance(comp, dict):
            found.append(Problem(here, "a component must be an object"))
            continue
        ctype = comp.get("type")
        rule = COMPONENTS.get(ctype) if isinstance(ctype, str) else None
        if rule is None:
            found.append(Problem(here + "/type", f"unknown component type {ctype!r}"))
            continue
        if _version_key(rule.since) > vkey:
            found.append(Problem(here + "/type", f"{ctype} needs Flow JSON version {rule.since} or later"))
        for name in rule.required:
            if name not in comp:
                found.append(Problem(here, f"{ctype} needs '{name}'"))
        if rule.input and isinstance(comp.get("name"), str):
            if comp["name"] in screen.inputs:
                found.append(Problem(here + "/name", f"input name {comp['name']!r} is used twice on screen "
                                                     f"{screen.sid!r}"))
            screen.inputs.setdefault(comp["name"], here)
        if rule.once:
            screen.footers.append(here)
        for key in rule.children:
            _walk_components(comp.get(key), f"{here}/{key}", screen, vkey, has_api, found)
        if rule.cases and isinstance(comp.get(rule.cases), dict):
            for case, items in comp[rule.cases].items():
                _walk_components(items, f"{here}/{rule.cases}{_ptr(case)}", screen, vkey, has_api, found)
        for key in rule.actions:
            if key in comp:
                _check_action(comp[key], f"{here}/{key}", screen, vkey, has_api, found)
        for key, value in comp.items():
            if key not in rule.children and key not in rule.actions and key != rule.cases:
                _collect_strings(value, f"{here}{_ptr(key)}", screen)


def _collect_strings(value: Any, where: str, screen: _Screen) -> None:
    """Remember every string under ``value`` that holds a ``${`` reference (its pointer is built only then)."""
    if isinstance(value, (dict, list)) and "${" not in json.dumps(value, ensure_ascii=False):
        return  # nothing to find: the C encoder says so faster than a walk
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if "${" in item:
                screen.strings.append((where + _ptr(*path), item))
        elif isinstance(item, dict):  # pushed in reverse: popped in document order
            stack.extend(reversed([(v, (*path, k)) for k, v in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([(v, (*path, i)) for i, v in enumerate(item)]))


def _check_action(action: Any, where: str, screen: _Screen, vkey: tuple[int, ...], has_api: bool,
                  found: list[Problem]) -> None:
    if not isinstance(action, dict):
        found.append(Problem(where, "an action must be an object with a 'name'"))
        return
    name = action.get("name")
    rule = ACTIONS.get(name) if isinstance(name, str) else None
    if rule is None:
        found.append(Problem(where + "/name", f"unknown action {name!r} (known: {', '.join(ACTIONS)})"))
        return
    screen.actions.append((where, action))
    if _version_key(rule.since) > vkey:
        found.append(Problem(where + "/name", f"action {name} needs Flow JSON version {rule.since} or later"))
    for prop in rule.required:
        if prop not in action:
            found.append(Problem(where, f"action {name} needs '{prop}'"))
    if rule.terminal_only and not screen.terminal:
        found.append(Problem(where + "/name", f"action {name} is only allowed on a terminal screen "
                                              f"(screen {screen.sid!r} is not terminal)"))
    if rule.needs_endpoint and not has_api:
        found.append(Problem(where + "/name", f"action {name} needs data_api_version (a Flow with an endpoint)"))
    _collect_strings({k: v for k, v in action.items() if k != "name"}, where, screen)


def _check_screen(screen: _Screen, ids: Mapping[str, _Screen], found: list[Problem]) -> None:
    for extra in screen.footers[1:]:
        found.append(Problem(extra, f"screen {screen.sid!r} has more than one Footer"))
    if screen.terminal and not screen.footers:
        found.append(Problem(_ptr("screens", screen.index), f"terminal screen {screen.sid!r} needs a Footer"))
    for where, text in screen.strings:
        for match in _REFERENCE.finditer(text):
            other, space, name = match.groups()
            target = screen if other is None else ids.get(other)
            if target is None:
                found.append(Problem(where, f"{match.group(0)}}} refers to screen {other!r}, which does not exist"))
                continue
            known = target.data_keys if space == "data" else frozenset(target.inputs)
            if name not in known:
                what = "declares no data field" if space == "data" else "has no input"
                found.append(Problem(where, f"{match.group(0)}}}: screen {target.sid!r} {what} named {name!r}"))


def _check_routing(routing: Any, ids: Mapping[str, _Screen], found: list[Problem]) -> None:
    if routing is None:
        return
    if not isinstance(routing, dict):
        found.append(Problem("/routing_model", "routing_model maps each screen id to the screen ids it may go to"))
        return
    for source, targets in routing.items():
        where = "/routing_model" + _ptr(source)
        if source not in ids:
            found.append(Problem(where, f"routing_model names screen {source!r}, which does not exist"))
        if not isinstance(targets, list):
            found.append(Problem(where, "must be a list of screen ids"))
            continue
        for i, target in enumerate(targets):
            if target not in ids:
                found.append(Problem(f"{where}/{i}", f"routing_model names screen {target!r}, which does not exist"))


def _check_actions_targets(actions: list[tuple[str, dict[str, Any]]], ids: Mapping[str, _Screen],
                           found: list[Problem]) -> None:
    """Every ``navigate`` names a screen of this Flow (``next: {type: screen, name: ID}``)."""
    for where, action in actions:
        rule = ACTIONS[action["name"]]
        if not rule.screen_ref:
            continue
        holder: Any = action
        for part in rule.screen_ref:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, str) or holder not in ids:
            found.append(Problem(where + _ptr(*rule.screen_ref), f"navigates to screen {holder!r}, which does not exist"))


# --- reading a Flow JSON file with positions ---------------------------------------------------------------


class FlowJsonSyntaxError(ValueError):
    """Not JSON (or a key given twice): ``line`` and ``message``."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse(text: str) -> Any:
    """The document in ``text``; ``FlowJsonSyntaxError`` (with a line) when it is not JSON or repeats a key."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise FlowJsonSyntaxError(exc.lineno, exc.msg) from None
    except ValueError as exc:  # a key given twice: the scan knows its line
        duplicates: list[tuple[int, str]] = []
        line_index(text, duplicates)
        line = duplicates[0][0] if duplicates else 1
        raise FlowJsonSyntaxError(line, str(exc)) from None


_WS = " \t\n\r"
_DECODER = json.JSONDecoder()
_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - untyped in typeshed


def line_index(text: str, duplicates: list[tuple[int, str]] | None = None) -> dict[str, int]:
    """JSON pointer → the 1-based line where that value starts, for every value of a valid JSON ``text``;
    a key given twice in one object is added to ``duplicates`` as (line, key)."""
    out: dict[str, int] = {}
    newlines = [i for i, c in enumerate(text) if c == "\n"]

    def at_line(pos: int) -> int:
        lo, hi = 0, len(newlines)
        while lo < hi:
            mid = (lo + hi) // 2
            if newlines[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo + 1

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        return pos

    def value(pos: int, pointer: str) -> int:
        pos = skip(pos)
        out.setdefault(pointer, at_line(pos))
        if text[pos] == "{":
            pos = skip(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                start = skip(pos)
                key, pos = _scanstring(text, start + 1)
                child = f"{pointer}{_ptr(key)}"
                if child in out and duplicates is not None:
                    duplicates.append((at_line(start), key))
                pos = skip(pos) + 1  # the colon
                pos = skip(value(pos, child))
                if text[pos] == "}":
                    return pos + 1
                pos += 1  # the comma
        if text[pos] == "[":
            pos = skip(pos + 1)
            if text[pos] == "]":
                return pos + 1
            i = 0
            while True:
                pos = skip(value(pos, f"{pointer}/{i}"))
                i += 1
                if text[pos] == "]":
                    return pos + 1
                pos += 1
        _, end = _DECODER.raw_decode(text, pos)
        return int(end)

    try:
        value(0, "")
    except (IndexError, ValueError):
        pass  # not valid JSON: ``parse`` reports it; the lines found so far stand
    return out


def line_of(lines: Mapping[str, int], pointer: str) -> int:
    """The line of ``pointer``, or of its nearest ancestor that has one (a missing property: its object)."""
    while pointer:
        if pointer in lines:
            return lines[pointer]
        pointer = pointer.rsplit("/", 1)[0]
    return lines.get("", 1)


def screens_of(doc: Any) -> dict[str, Any]:
    """Screen id → screen, for a diff by screen (screens without a string id are left out)."""
    screens = doc.get("screens") if isinstance(doc, dict) else None
    return {s["id"]: s for s in screens or [] if isinstance(s, dict) and isinstance(s.get("id"), str)}


@dataclass(frozen=True)
class LocatedProblem:
    """A problem of a Flow JSON file: its line, its JSON pointer and what is wrong."""

    line: int
    pointer: str
    message: str


def check_text(text: str, *, endpoint: bool) -> tuple[Any, list[LocatedProblem]]:
    """(the parsed document or None, every problem with its line). Not JSON: one problem at its line."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, [LocatedProblem(1, "", f"a Flow JSON file is at most {MAX_BYTES} bytes")]
    try:
        doc = parse(text)
    except FlowJsonSyntaxError as exc:
        return None, [LocatedProblem(exc.line, "", f"not valid JSON: {exc.message}")]
    found = problems(doc, endpoint=endpoint)
    if not found:
        return doc, []
    lines = line_index(text)  # only when there is something to place: it reads the text in Python
    return doc, [LocatedProblem(line_of(lines, p.pointer), p.pointer, p.message) for p in found]
