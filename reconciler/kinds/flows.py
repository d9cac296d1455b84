"""The ``flows`` kind: a space's WhatsApp Flows, identified by name, each with its JSON in a file beside the
YAML. One change per Flow (its item is the declared name): create, update a draft (metadata and JSON, the
JSON diff by screen), publish, deprecate, replace a published one (only with ``replace_published``), delete
an undeclared draft (``prune``). The rules are flow_plan.py's; the model and the read flow_model.py's; the
JSON file and its offline check flow_files.py's; the lifecycle and the decisions are in docs/flows.md.

A plan only reads: it links the preview (``GetFlowPreviewUrl``, with its expiry) of each draft as uploaded,
and apply's outcome links the preview of the draft it just uploaded. Apply uploads through the client's
``upload_flow_json`` (object storage with temporary credentials: client/flow_assets.py) and verifies by
reading the JSON back (``read_flow_json``) and planning again.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from reconciler.core.digest import canonical_digest
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change, Severity
from reconciler.kinds import flow_files
from reconciler.kinds import flow_model as fm
from reconciler.kinds.base import (
    JSON,
    Api,
    Block,
    CallClient,
    Importer,
    Kind,
    Presenter,
    Refuse,
    Rules,
    Scope,
    Values,
    Write,
)
from reconciler.kinds.fields import Field
from reconciler.kinds.flow_plan import FlowOp, calls_of, plan_ops
from reconciler.kinds.registration import register


@runtime_checkable
class FlowClient(Protocol):
    """What the flows kind needs of a client beyond ``call``: the JSON upload and its read back."""

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...

    async def upload_flow_json(self, cust_space_id: str, flow_id: str, data: bytes, via: Any = None) -> str: ...

    async def read_flow_json(self, cust_space_id: str, flow_id: str, via: Any = None) -> bytes | None: ...


def _assets(client: CallClient) -> FlowClient:
    if not isinstance(client, FlowClient):
        raise Refuse("this client cannot upload or read a Flow's JSON; nothing was sent", "FlowClient")
    return client


# --- read -----------------------------------------------------------------------------------------------------


async def read_space(client: CallClient, cust_space_id: str, block: fm.FlowsBlock | None,
                     previews: bool = True) -> Values:
    """The space's Flows: every ``ListFlow`` item with its ``GetFlow`` data; the JSON read back and the
    preview link of the Flows the declared ones are (all of them for import: ``block`` None)."""
    assets = _assets(client)
    items = await fm.list_flows(client, cust_space_id)
    flows: list[dict[str, Any]] = []
    links: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for order, item in enumerate(items):
        name = str(item.get("FlowName") or "")
        owned = block is None or any(name in s.names() or s.is_derived(name) for s in block.items)
        if not owned and not (block is not None and block.prune):
            continue
        body: Mapping[str, Any] = await client.call("GetFlow", {"CustSpaceId": cust_space_id,
                                                                 "FlowId": item.get("FlowId")})
        data = body.get("Data")
        flow = fm.actual_flow(item, data if isinstance(data, Mapping) else {}, order)
        document = None
        if owned:
            raw = await assets.read_flow_json(cust_space_id, flow.flow_id, via=client)
            document = fm.parse_asset(raw)
            if block is None and raw is not None:  # import writes the JSON exactly as read back
                texts[flow.flow_id] = raw.decode("utf-8", "replace")
            if flow.status == "draft" and block is not None and previews:
                preview: Mapping[str, Any] = await client.call("GetFlowPreviewUrl", {
                    "CustSpaceId": cust_space_id, "FlowId": flow.flow_id})
                shown = preview.get("Data")
                shown = shown if isinstance(shown, Mapping) else {}
                links[flow.name] = {"url": str(shown.get("PreviewUrl") or ""), "expires": shown.get("PreviewUrlExpires")}
        flows.append(_flow_values(flow, document))
    return {"flows": flows, "previews": links, **({"texts": texts} if block is None else {})}


def _flow_values(flow: fm.ActualFlow, document: Any) -> dict[str, Any]:
    return {"FlowId": flow.flow_id, "FlowName": flow.name, "Categories": list(flow.categories),
            "Status": flow.status, "EndpointUri": flow.endpoint_uri, "JSONVersion": flow.json_version,
            "Document": document, "Order": flow.order}


def flows_of(current: Values | None) -> list[fm.ActualFlow]:
    """The Flows as ``read_space`` put them in the kind's values."""
    out = []
    listed: Any = (current or {}).get("flows") or []
    for v in listed:
        if isinstance(v, Mapping):
            out.append(fm.ActualFlow(flow_id=str(v.get("FlowId")), name=str(v.get("FlowName")),
                                     categories=tuple(v.get("Categories") or ()), status=str(v.get("Status")),
                                     endpoint_uri=str(v.get("EndpointUri") or ""),
                                     json_version=str(v.get("JSONVersion") or ""), document=v.get("Document"),
                                     order=int(v.get("Order") or 0)))
    return out


# --- rules, presentation, import -------------------------------------------------------------------------------


class FlowRules(Rules):
    def build(self, model: Callable[..., object], values: Mapping[str, Any], yaml_file: str) -> fm.FlowsBlock:
        """The block, each Flow's JSON read once, here (``check`` has refused an unreadable or invalid one)."""
        items = []
        for name, raw in (values.get("items") or {}).items():
            items.append(fm.FlowSpec(
                name=str(name), categories=tuple(raw.get("categories") or ()), json_file=str(raw["json_file"]),
                document=flow_files.document(yaml_file, str(raw["json_file"])),
                status=str(raw.get("status", "draft")), endpoint_uri=raw.get("endpoint_uri"),
                replace_published=bool(raw.get("replace_published", False)),
                replacement_name=raw.get("replacement_name")))
        return fm.FlowsBlock(tuple(items), bool(values.get("prune", False)))

    def check(self, block: Any, yaml_file: str) -> list[tuple[tuple[str | int, ...], str]]:
        if not isinstance(block, Mapping) or not isinstance(block.get("items"), Mapping):
            return []
        out: list[tuple[tuple[str | int, ...], str]] = []
        names = {str(n) for n in block["items"]}
        for name, flow in block["items"].items():
            if not isinstance(flow, Mapping):
                continue
            at: tuple[str | int, ...] = ("items", str(name))
            if not 1 <= len(str(name).strip()) <= fm.NAME_MAX:
                out.append((at, f"a Flow name has 1 to {fm.NAME_MAX} characters"))
            out.extend((at + path, message) for path, message in flow_files.problems(flow, yaml_file))
            replacement = flow.get("replacement_name")
            if isinstance(replacement, str) and (replacement == name or replacement in names):
                out.append((at + ("replacement_name",), f"replacement_name {replacement!r} is another declared "
                                                        "Flow's name (names are unique per space)"))
        return out


def _preview_line(preview: Any) -> str | None:
    if not isinstance(preview, Mapping) or not str(preview.get("url") or "").startswith(("https://", "http://")):
        return None
    expires = preview.get("expires")
    when = ""
    if isinstance(expires, int) and expires > 0:
        when = " (expires " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires / 1000)) + ")"
    return f"preview: {preview['url']}{when}"


class FlowPresenter(Presenter):
    def value_lines(self, change: Change) -> list[str] | None:
        after = change.after if isinstance(change.after, Mapping) else {}
        before = change.before if isinstance(change.before, Mapping) else {}
        lines: list[str] = []
        if before.get("status") or after.get("status"):
            lines.append(f"status: {before.get('status') or '(none)'} → {after.get('status') or '(none)'}")
        for name in ("categories", "endpoint_uri"):
            if name in after and before.get(name) != after.get(name):
                lines.append(f"{name}: {json.dumps(before.get(name))} → {json.dumps(after.get(name))}")
        lines.extend(f"json {line}" for line in after.get("screens") or [])
        if after.get("replacement"):
            lines.append(f"replaced by: {after['replacement']} (new Flow, published; {before.get('name')} deprecated)")
        for key in after.get("templates") or []:
            lines.append(f"template {key}: repointed to the new Flow (goes back to Meta's review)")
        if after.get("calls"):
            lines.append("calls: " + ", ".join(after["calls"]))
        if (line := _preview_line(before.get("preview"))) is not None:
            lines.append(line + " (the draft as uploaded now)")
        return lines or None

    def verified_note(self, change: Change, current: Values | None) -> str:
        previews: Mapping[str, Any] = (current or {}).get("previews") or {}  # type: ignore[assignment]
        line = _preview_line(previews.get(change.item or ""))
        return f"; {line}" if line else ""


class FlowImporter(Importer):
    """Each Flow (with its NAME-vN replacements) declared once, its JSON written beside the YAML exactly as
    read back (flow_model.import_flows)."""

    async def read_all(self, client: CallClient, cust_space_id: str) -> Values | None:
        return await read_space(client, cust_space_id, None)

    @staticmethod
    def _imported(current: Values) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
        texts: Any = current.get("texts") or {}
        return fm.import_flows(flows_of(current), texts)

    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        block, _, left = self._imported(current)
        notes.extend(left)
        return block

    def files(self, current: Values) -> Mapping[str, str]:
        return self._imported(current)[1]


# --- the kind -----------------------------------------------------------------------------------------------------


def _view(flow: fm.ActualFlow | None, preview: Any = None) -> dict[str, Any] | None:
    if flow is None:
        return None
    out: dict[str, Any] = {"name": flow.name, "flow_id": flow.flow_id, "status": flow.status,
                           "categories": list(flow.categories), "endpoint_uri": flow.endpoint_uri or None}
    if preview:
        out["preview"] = preview
    return out


def _reason(op: FlowOp) -> str:
    held = ("; publishing is its own change: the next plan publishes it once this draft's preview is "
            "reviewed") if op.publish_held else ""
    if op.step == "create":
        return "not in the space: created as a draft and its JSON uploaded" + held
    if op.step == "update":
        what = [*op.metadata, *(["JSON"] if op.json_changed else [])]
        return f"draft: {', '.join(what)} {'differs' if len(what) == 1 else 'differ'}" + held
    if op.step == "publish":
        return "the uploaded draft matches the YAML and is declared published: published (it cannot change afterwards)"
    if op.step == "deprecate":
        return op.why or "declared deprecated: deprecated (it can no longer be sent)"
    if op.step == "replace":
        return (f"a published Flow cannot change: replaced by a new Flow {op.replacement} (published), "
                f"{op.item} deprecated; templates that use it are repointed and go back to Meta's review")
    return op.why


@register
class FlowsKind(Kind[fm.FlowsBlock]):
    """A collection on the space: one change per Flow."""

    name = "flows"
    label = "WhatsApp Flows"
    scope = Scope.SPACE
    model = fm.FlowsBlock
    api = Api(read="ListFlow", reads=("GetFlow", "GetFlowJSONAssest", "GetFlowPreviewUrl"), create="CreateFlow",
              update="ModifyFlow", delete="DeleteFlow",
              writes=("GetChatappUploadAuthorization", "UpdateFlowJSONAsset", "PublishFlow", "DeprecateFlow"))
    rules = FlowRules()
    importer = FlowImporter()
    presenter = FlowPresenter(drift=DriftKind.FLOW)

    async def read(self, client: CallClient, block: Block[fm.FlowsBlock]) -> Values:
        return await read_space(client, block.space.cust_space_id, block.model)

    def plan(self, block: Block[fm.FlowsBlock], current: Values | None) -> list[Change]:
        previews: Mapping[str, Any] = (current or {}).get("previews") or {}  # type: ignore[assignment]
        out: list[Change] = []
        for op in plan_ops(block.model, flows_of(current)):
            source = block.source(f"flows.items.{op.item}") if op.spec is not None else block.source("flows.prune")
            after: dict[str, Any] | None = None
            if op.spec is not None and op.action is not Action.DELETE:
                after = {"name": op.replacement or op.item,
                         "status": "published" if op.step in ("publish", "replace") else
                         "deprecated" if op.step == "deprecate" else
                         (op.flow.status if op.flow is not None and op.step in ("refused", "stuck") else "draft"),
                         "categories": list(op.spec.categories), "endpoint_uri": op.spec.endpoint_uri,
                         "json_file": op.spec.json_file, "screens": [s.text() for s in op.screens],
                         "calls": list(calls_of(op))}
                if op.replacement:
                    after["replacement"] = op.replacement
                    after["templates"] = self.templates_using(block, op.item)
            before = _view(op.flow, previews.get(op.flow.name) if op.flow is not None else None)
            severity = Severity.ERROR if op.blocking else Severity.WARNING
            change = self.change(block, op.action, item=op.item, before=before, after=after, source=source,
                                 reason=_reason(op), severity=severity, basis=_basis(op))
            # a Flow's update says which lifecycle step it is: publish, deprecate, replace
            out.append(dataclasses.replace(change, label=op.step if op.step in _LABELS else change.label))
        return out

    @staticmethod
    def templates_using(block: Block[fm.FlowsBlock], flow_name: str) -> list[str]:
        """The declared templates (name/language) whose FLOW button names ``flow_name`` (``flow:``)."""
        templates = block.space.block("templates")
        items = getattr(templates, "items", ()) or ()
        return sorted(t.key for t in items if flow_name in getattr(t, "flows", ()))

    # -- write --------------------------------------------------------------------------------------------
    def _op(self, w: Write[fm.FlowsBlock]) -> FlowOp | None:
        """The change's op against the Flows just read (None: nothing left to do for its item)."""
        wanted = w.change.label or w.change.action.value
        for op in plan_ops(w.block.model, flows_of(w.current)):
            if op.item == w.change.item and (op.step == wanted or op.action is w.change.action):
                return op
        return None

    async def create(self, w: Write[fm.FlowsBlock]) -> None:
        op = self._op(w)
        if op is None or op.spec is None or op.step != "create":
            return  # already there (an earlier run): the re-read compares it
        flow_id = await self._create_flow(w, op.spec, op.spec.name)
        await self._upload(w, op.spec, flow_id)

    async def update(self, w: Write[fm.FlowsBlock]) -> None:
        op = self._op(w)
        if op is None or op.spec is None:
            return
        cid = w.block.space.cust_space_id
        if op.step == "update" and op.flow is not None:
            if op.metadata:
                await w.client.call("ModifyFlow", {**self._metadata(op.spec), "CustSpaceId": cid,
                                                   "FlowId": op.flow.flow_id, "FlowName": op.flow.name})
            if op.json_changed:
                await self._upload(w, op.spec, op.flow.flow_id)
        elif op.step == "publish" and op.flow is not None:
            await self._publish(w, op.flow, op.spec)
        elif op.step == "deprecate" and op.flow is not None:
            await w.client.call("DeprecateFlow", {"CustSpaceId": cid, "FlowId": op.flow.flow_id})
        elif op.step == "replace" and op.flow is not None and op.replacement:
            new_id = await self._create_flow(w, op.spec, op.replacement)
            await self._upload(w, op.spec, new_id)
            await self._publish(w, fm.ActualFlow(new_id, op.replacement, op.spec.categories, "draft"), op.spec)
            if op.flow.status == "published":
                await w.client.call("DeprecateFlow", {"CustSpaceId": cid, "FlowId": op.flow.flow_id})
        elif op.blocking:
            raise Refuse(op.why, "FlowImmutable")

    async def delete(self, w: Write[fm.FlowsBlock]) -> None:
        op = self._op(w)
        if op is None or op.flow is None or op.step != "delete":
            return  # already gone (or no longer a draft: the re-read says)
        await w.client.call("DeleteFlow", {"CustSpaceId": w.block.space.cust_space_id, "FlowId": op.flow.flow_id})

    def verify(self, w: Write[fm.FlowsBlock], left: list[Change]) -> str:
        """In effect when nothing of this Flow's write is still planned; a publish the write held for its own
        change (declared published, just created or updated) is what the next plan does, not a failure."""
        held = w.change.label not in ("publish", "replace") and \
            isinstance(w.change.after, Mapping) and w.change.after.get("status") == "draft"
        remaining = [c for c in left if c.item == w.change.item and c.action is not Action.DRIFT
                     and not (held and c.label == "publish")]
        return super().verify(w, remaining)

    # -- the calls -------------------------------------------------------------------------------------------
    @staticmethod
    def _metadata(spec: fm.FlowSpec) -> dict[str, JSON]:
        params: dict[str, JSON] = {"Categories": list(spec.categories)}
        if spec.endpoint_uri:
            params["EndpointUri"] = spec.endpoint_uri
        return params

    async def _create_flow(self, w: Write[fm.FlowsBlock], spec: fm.FlowSpec, name: str) -> str:
        """CreateFlow, or the Flow of that name an earlier run (or a lost answer) already created."""
        cid = w.block.space.cust_space_id
        result = await w.run.attempt(lambda: w.client.call("CreateFlow", {
            **self._metadata(spec), "CustSpaceId": cid, "FlowName": name}))
        if result.ok and isinstance(result.value, Mapping):
            data = result.value.get("Data")
            if isinstance(data, Mapping) and data.get("FlowId"):
                return str(data["FlowId"])
        # a lost answer, or refused as a duplicate: the list says whether it is there
        found = next((i for i in await fm.list_flows(w.client, cid) if i.get("FlowName") == name), None)
        if found is None:
            raise Refuse(result.message or f"CreateFlow of {name} failed", result.code)
        return str(found.get("FlowId"))

    async def _upload(self, w: Write[fm.FlowsBlock], spec: fm.FlowSpec, flow_id: str) -> None:
        data = json.dumps(spec.document, ensure_ascii=False, indent=2).encode("utf-8")
        await _assets(w.client).upload_flow_json(w.block.space.cust_space_id, flow_id, data, via=w.client)

    async def _publish(self, w: Write[fm.FlowsBlock], flow: fm.ActualFlow, spec: fm.FlowSpec) -> None:
        cid = w.block.space.cust_space_id
        result = await w.run.attempt(lambda: w.client.call("PublishFlow", {"CustSpaceId": cid, "FlowId": flow.flow_id}))
        if result.ok or result.lost:
            return  # a lost answer: the re-read says whether it is published
        lines = fm.errors_by_screen(result.message, spec.document)
        raise Refuse(f"PublishFlow of {flow.name} refused by the platform: " + " | ".join(lines), result.code)


_LABELS = frozenset({"publish", "deprecate", "replace"})


def _basis(op: FlowOp) -> str:
    flow = op.flow
    return canonical_digest(None if flow is None else {"id": flow.flow_id, "status": flow.status,
                                                       "categories": list(flow.categories),
                                                       "endpoint": flow.endpoint_uri, "json": flow.document})


# --- what a template's ``flow:`` button gets ----------------------------------------------------------------------


async def flow_targets(client: CallClient, space: Any, names: Sequence[str]) -> dict[str, Any]:
    """What a template button's ``flow: NAME`` stands for: ``{"ids": {name: id or None}, "waiting": [...]}``.
    A name the space's ``flows`` declares is the Flow its rule picks (flow_model.current), as it will be after
    the Flows' own changes: its id is None when this apply creates it by a replacement (known after apply);
    any other name is the Flow of that name. A name is *waiting* while that Flow will not be published after
    this apply (a draft, a create whose publish is its own later change, a deprecated or missing Flow): a
    template's FLOW button needs a published Flow, so the template's write waits for a later plan."""
    cid = space.cust_space_id
    block = space.block("flows")
    specs = {s.name: s for s in getattr(block, "items", ())}
    declared = fm.FlowsBlock(tuple(specs[n] for n in names if n in specs))
    flows = flows_of(await read_space(client, cid, declared, previews=False)) if declared.items else []
    steps = {op.item: op.step for op in plan_ops(declared, flows) if op.spec is not None}
    ids: dict[str, str | None] = {}
    waiting: list[str] = []
    others = [n for n in names if n not in specs]
    listed = await fm.list_flows(client, cid) if others else []
    for name in names:
        if name in specs:
            now = fm.current(specs[name], flows)
            step = steps.get(name)
            ids[name] = None if step == "replace" or now is None else now.flow_id
            live = step in ("publish", "replace") or (step in (None, "refused") and now is not None
                                                      and now.status == "published")
            if not live:
                waiting.append(name)
            continue
        ids[name] = None
        for item in listed:
            if item.get("FlowName") != name:
                continue
            body: Mapping[str, Any] = await client.call("GetFlow", {"CustSpaceId": cid, "FlowId": item.get("FlowId")})
            data = body.get("Data")
            if isinstance(data, Mapping) and fm.status_name(data.get("Status")) == "published":
                ids[name] = str(item.get("FlowId"))
        if ids[name] is None:
            waiting.append(name)
    return {"ids": ids, "waiting": waiting}
