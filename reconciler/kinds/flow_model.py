"""The ``flows`` block of a space: its model, the API's Flows as read, the JSON diff by screen, and what a
declared Flow needs (pure but for ``read_flows``, the API reads). The ``flows`` kind plugs this into the
catalogue; docs/flows.md explains the YAML and the lifecycle.

A declared Flow is identified by its name. When a published Flow's JSON changes and the YAML opts in
(``replace_published: true``), the change is carried out by a new Flow under ``replacement_name`` or, when
the YAML gives none, under the derived name ``NAME-vN`` (the lowest N >= 2 no Flow of the space holds: names
stay unique per space and the deprecated Flow keeps its own). So the Flow that *is* the declared one now is
the newest not-deprecated Flow among the name, ``replacement_name`` and the derived names (``current``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.common import flow_json

#: The API's Flow statuses → the words the YAML and the plan use.
STATUS_NAMES = {"DRAFT": "draft", "PUBLISHED": "published", "DEPRECATED": "deprecated"}
STATUSES = ("draft", "published", "deprecated")
CATEGORIES = ("SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US", "CUSTOMER_SUPPORT",
              "SURVEY", "OTHER")
#: The longest Flow name (CreateFlow's limit as the emulator models it).
NAME_MAX = 200
#: Flows asked for per ListFlow page (its answer has no total: the read stops on a short page).
PAGE_SIZE = 50
#: The longest value a JSON diff line shows before it is cut.
SHOWN_CHARS = 80


def status_name(api_status: Any) -> str:
    """``PUBLISHED`` → ``published``; an unknown value is shown as read (lower case), never an error."""
    text = str(api_status or "").strip()
    return STATUS_NAMES.get(text.upper(), text.lower() or "unknown")


@dataclass(frozen=True)
class FlowSpec:
    """One declared Flow. ``document`` is the parsed JSON of ``json_file`` (read when the YAML is loaded)."""

    name: str
    categories: tuple[str, ...]
    json_file: str
    document: Any
    status: str = "draft"
    endpoint_uri: str | None = None
    replace_published: bool = False
    replacement_name: str | None = None

    def names(self) -> tuple[str, ...]:
        """The names this Flow may hold, oldest first (the derived ones are matched by ``is_derived``)."""
        return (self.name,) + ((self.replacement_name,) if self.replacement_name else ())

    def is_derived(self, name: str) -> bool:
        return self.replacement_name is None and re.fullmatch(re.escape(self.name) + r"-v([2-9]|[1-9]\d+)", name) is not None


@dataclass(frozen=True)
class FlowsBlock:
    items: tuple[FlowSpec, ...] = ()
    prune: bool = False

    def get(self, name: str) -> FlowSpec | None:
        return next((f for f in self.items if f.name == name), None)


@dataclass(frozen=True)
class ActualFlow:
    """A Flow as the API shows it. ``document`` is its JSON as read back (None: none uploaded, or not read)."""

    flow_id: str
    name: str
    categories: tuple[str, ...]
    status: str  # draft / published / deprecated (``status_name``)
    endpoint_uri: str = ""
    json_version: str = ""
    document: Any = None
    order: int = 0  # its position in ListFlow (creation order): the newest of several candidates wins


def current(spec: FlowSpec, flows: Iterable[ActualFlow]) -> ActualFlow | None:
    """The Flow that is ``spec`` now: the newest not-deprecated one among its names, else the newest of them."""
    mine = sorted((f for f in flows if f.name in spec.names() or spec.is_derived(f.name)), key=lambda f: f.order)
    live = [f for f in mine if f.status != "deprecated"]
    if live:
        return live[-1]
    return mine[-1] if mine else None


def replacement_for(spec: FlowSpec, taken: Iterable[str]) -> str:
    """The name of the Flow that replaces ``spec``'s published one: ``replacement_name``, else ``NAME-vN``
    with the lowest N >= 2 that no Flow of the space holds."""
    if spec.replacement_name:
        return spec.replacement_name
    names = set(taken)
    n = 2
    while f"{spec.name}-v{n}" in names:
        n += 1
    return f"{spec.name}-v{n}"


# --- the JSON diff, by screen --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenDiff:
    """What changed in one screen (or, with ``screen`` None, outside the screens): ``kind`` is ``added``,
    ``removed`` or ``changed``; ``lines`` the changed values, ``POINTER: before → after``."""

    screen: str | None
    kind: str
    lines: tuple[str, ...] = field(default=())

    def text(self) -> str:
        head = f"screen {self.screen}" if self.screen is not None else "flow"
        if self.kind != "changed":
            return f"{head}: {self.kind}"
        return f"{head}: " + "; ".join(self.lines)


def _short(value: Any) -> str:
    text = "(none)" if value is _MISSING else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


_MISSING = object()


def _leaves(before: Any, after: Any, where: str) -> Iterable[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            here = f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
            yield from _leaves(before.get(key, _MISSING), after.get(key, _MISSING), here)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from _leaves(b, a, f"{where}/{i}")
    elif before != after:
        yield f"{where or '/'}: {_short(before)} → {_short(after)}"


def screen_diff(before: Any, after: Any) -> list[ScreenDiff]:
    """``before`` → ``after`` (parsed Flow JSON documents), screen by screen in ``after``'s order, then the
    screens removed; changes outside the screens (``version``, ``routing_model``...) first."""
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    out: list[ScreenDiff] = []
    top = [line for key in dict.fromkeys([*b, *a]) if key != "screens"
           for line in _leaves(b.get(key, _MISSING), a.get(key, _MISSING), f"/{key}")]
    if top:
        out.append(ScreenDiff(None, "changed", tuple(top)))
    old, new = flow_json.screens_of(b), flow_json.screens_of(a)
    for sid, screen in new.items():
        if sid not in old:
            out.append(ScreenDiff(sid, "added"))
        elif old[sid] != screen:
            out.append(ScreenDiff(sid, "changed", tuple(_leaves(old[sid], screen, ""))))
    out.extend(ScreenDiff(sid, "removed") for sid in old if sid not in new)
    return out


def same_document(a: Any, b: Any) -> bool:
    """Two Flow JSON documents are the same when they parse to the same value (whitespace and key order
    do not count)."""
    return bool(a == b)


# --- reading --------------------------------------------------------------------------------------------------


class Client(Protocol):
    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


async def list_flows(client: Client, cust_space_id: str) -> list[dict[str, Any]]:
    """Every ``ListFlow`` item of the space, page by page until a short page."""
    found: list[dict[str, Any]] = []
    index = 1
    while True:
        body = await client.call("ListFlow", {"CustSpaceId": cust_space_id,
                                              "Page": {"Index": index, "Size": PAGE_SIZE}})
        page = body.get("Data") or []
        found.extend(item for item in page if isinstance(item, dict))
        if len(page) < PAGE_SIZE:
            return found
        index += 1


def actual_flow(item: Mapping[str, Any], data: Mapping[str, Any], order: int, document: Any = None) -> ActualFlow:
    """A Flow from its ``ListFlow`` item and its ``GetFlow`` ``Data``."""
    categories = data.get("Categories") or item.get("Categories") or []
    return ActualFlow(
        flow_id=str(item.get("FlowId") or data.get("FlowId") or ""),
        name=str(data.get("FlowName") or item.get("FlowName") or ""),
        categories=tuple(str(c) for c in categories if isinstance(c, str)),
        status=status_name(data.get("Status")), endpoint_uri=str(data.get("EndpointUri") or ""),
        json_version=str(data.get("JSONVersion") or ""), document=document, order=order)


def parse_asset(raw: bytes | None) -> Any:
    """The read-back JSON, parsed (None when none was uploaded; the text as is when it is not JSON)."""
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


# --- import ---------------------------------------------------------------------------------------------------

#: Where import puts each Flow's JSON, relative to the YAML it writes.
IMPORT_DIR = "flows"


def file_name(name: str, taken: set[str]) -> str:
    """A file name for a Flow's JSON: the name's letters, digits, ``-`` and ``_`` (others become ``_``),
    made unique among ``taken`` (which it joins)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "flow"
    candidate, n = f"{stem}.json", 2
    while candidate.lower() in taken:
        candidate, n = f"{stem}_{n}.json", n + 1
    taken.add(candidate.lower())
    return candidate


def import_flows(flows: Sequence[ActualFlow], texts: Mapping[str, str]) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
    """What ``import`` declares for the space's Flows: the ``flows`` block, the JSON files to write beside the
    YAML (relative path → text, exactly as read back) and notes of what was left out. A Flow and its
    derived replacements (``NAME-vN``) are one declared Flow, as the plan reads them; a Flow with no JSON,
    or whose every version is deprecated, is left out (named in the notes). ``texts``: flow id → JSON text."""
    names = {f.name for f in flows}
    groups: dict[str, list[ActualFlow]] = {}
    for flow in sorted(flows, key=lambda f: f.order):
        base = re.sub(r"-v([2-9]|[1-9]\d+)$", "", flow.name)
        groups.setdefault(base if base in names else flow.name, []).append(flow)
    items: dict[str, Any] = {}
    files: dict[str, str] = {}
    notes: list[str] = []
    taken: set[str] = set()
    for name, group in groups.items():
        spec = FlowSpec(name, (), "", None)
        now = current(spec, group)
        if now is None or now.status == "deprecated":
            notes.append(f"flow {name}: deprecated (history: not declared)")
            continue
        text = texts.get(now.flow_id)
        if text is None:
            notes.append(f"flow {name}: no Flow JSON uploaded yet (not declared: a declared Flow needs its JSON)")
            continue
        path = f"{IMPORT_DIR}/{file_name(name, taken)}"
        files[path] = text
        item: dict[str, Any] = {"categories": list(now.categories) or ["OTHER"], "json_file": path,
                                "status": now.status}
        if now.endpoint_uri:
            item["endpoint_uri"] = now.endpoint_uri
        items[name] = item
    return ({"items": items} if items else None), files, notes


def errors_by_screen(message: str, document: Any) -> list[str]:
    """The platform's validation errors (``POINTER: message`` pieces separated by ``; ``, as PublishFlow
    refuses) grouped by the screen their pointer names (``/screens/N`` → that screen's id in ``document``),
    the Flow's own first. A message without pointers is one line as it came."""
    screens = document.get("screens") if isinstance(document, dict) else None
    ids = [s.get("id") if isinstance(s, dict) else None for s in screens] if isinstance(screens, list) else []
    head, _, rest = message.partition(": /")
    pieces = [p for p in ("/" + rest).split("; /") if p.strip("/ ")] if rest else []
    if not pieces:
        return [message]
    grouped: dict[str, list[str]] = {}
    for piece in pieces:
        pointer, _, text = (piece if piece.startswith("/") else "/" + piece).partition(": ")
        found = re.match(r"^/screens/(\d+)(/.*)?$", pointer)
        if found and int(found.group(1)) < len(ids) and isinstance(ids[int(found.group(1))], str):
            key, where = f"screen {ids[int(found.group(1))]}", found.group(2) or "/"
        else:
            key, where = "flow", pointer
        grouped.setdefault(key, []).append(f"{where}: {text}")
    order = sorted(grouped, key=lambda k: (k != "flow", k))
    return [f"{head}:"] + [f"{k}: " + "; ".join(grouped[k]) for k in order]
