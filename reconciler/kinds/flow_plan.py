"""What each declared Flow needs, from the YAML and the Flows as read (pure): the ``flows`` kind turns each
``FlowOp`` into a change, and its writes recompute the op of their item from a fresh read (so a write does
what is still needed, and an interrupted replacement resumes where it stopped).

The rules (docs/flows.md, "Plan"):

- not in the space: **create** a draft and upload its JSON. Publishing is its own reviewed change: a Flow
  declared ``published`` is published by a later plan, once its uploaded draft matches the YAML (the
  plan before it links the draft's preview for a reviewer's phone);
- a draft whose metadata or JSON differs: **update** it (``ModifyFlow``, upload), publish held as above;
  a draft that matches and is declared ``published``: **publish**;
- a published Flow declared ``deprecated``: **deprecate**. A published Flow whose JSON or metadata differs
  cannot change: with ``replace_published: true`` a **replace** (a new Flow under the replacement name,
  uploaded, published, the old one deprecated, the templates naming it repointed), without it a finding of
  severity error that blocks apply;
- a Flow of the declared one's names left published by an interrupted replacement: **deprecate**;
- not declared: a draft is **deleted** with ``prune: true``; a published one is reported (only deprecation
  ends it); deprecated ones are history and left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.core.plan import Action
from reconciler.kinds.flow_model import (
    ActualFlow,
    FlowsBlock,
    FlowSpec,
    ScreenDiff,
    current,
    replacement_for,
    screen_diff,
)


@dataclass(frozen=True)
class FlowOp:
    """One thing a Flow needs. ``step``: create, update, publish, deprecate, replace, delete, refused,
    undeclared, stuck. ``item``: the declared name (or the undeclared Flow's own)."""

    action: Action
    step: str
    item: str
    spec: FlowSpec | None
    flow: ActualFlow | None
    metadata: tuple[str, ...] = ()          # the differing metadata: categories, endpoint_uri
    screens: tuple[ScreenDiff, ...] = ()    # the JSON diff (empty: same JSON)
    json_changed: bool = False
    publish_held: bool = False              # declared published, published by a later plan
    replacement: str | None = None          # the replacement's name
    why: str = ""
    blocking: bool = False                  # a finding that blocks apply

    @property
    def key(self) -> tuple[str, str]:
        return self.item, self.step


def metadata_differs(spec: FlowSpec, flow: ActualFlow) -> tuple[str, ...]:
    out: list[str] = []
    if tuple(spec.categories) != tuple(flow.categories):
        out.append("categories")
    if (spec.endpoint_uri or "") != (flow.endpoint_uri or ""):
        out.append("endpoint_uri")
    return tuple(out)


def _json_diff(spec: FlowSpec, flow: ActualFlow | None) -> tuple[bool, tuple[ScreenDiff, ...]]:
    have = None if flow is None else flow.document
    if have == spec.document:
        return False, ()
    return True, tuple(screen_diff(have, spec.document))


def plan_ops(block: FlowsBlock, flows: Sequence[ActualFlow]) -> list[FlowOp]:
    ops: list[FlowOp] = []
    taken = [f.name for f in flows]
    for spec in block.items:
        ops.extend(_declared(spec, flows, taken))
    ops.extend(_undeclared(block, flows))
    return ops


def _declared(spec: FlowSpec, flows: Sequence[ActualFlow], taken: Sequence[str]) -> list[FlowOp]:
    flow = current(spec, flows)
    out: list[FlowOp] = []
    # A Flow of its names still published next to a newer live one: an interrupted replacement's old one.
    if flow is not None:
        for other in flows:
            if other is not flow and other.status == "published" and \
                    (other.name in spec.names() or spec.is_derived(other.name)) and other.order < flow.order:
                out.append(FlowOp(Action.UPDATE, "deprecate", other.name, spec, other,
                                  why=f"replaced by {flow.name}: deprecated"))
    if flow is None:
        if spec.status == "deprecated":
            return out
        changed, screens = _json_diff(spec, None)
        out.append(FlowOp(Action.CREATE, "create", spec.name, spec, None, screens=screens, json_changed=changed,
                          publish_held=spec.status == "published"))
        return out
    meta = metadata_differs(spec, flow)
    changed, screens = _json_diff(spec, flow)
    item = spec.name
    if flow.status == "draft":
        if spec.status == "deprecated":
            out.append(FlowOp(Action.DRIFT, "stuck", item, spec, flow,
                              why="a draft cannot be deprecated: publish it first, or stop declaring it and prune"))
        elif meta or changed:
            out.append(FlowOp(Action.UPDATE, "update", item, spec, flow, metadata=meta, screens=screens,
                              json_changed=changed, publish_held=spec.status == "published"))
        elif spec.status == "published":
            out.append(FlowOp(Action.UPDATE, "publish", item, spec, flow))
        return out
    if flow.status == "published":
        if spec.status == "deprecated":
            out.append(FlowOp(Action.UPDATE, "deprecate", item, spec, flow))
        elif meta or changed:
            if spec.replace_published:
                out.append(FlowOp(Action.UPDATE, "replace", item, spec, flow, metadata=meta, screens=screens,
                                  json_changed=changed, replacement=replacement_for(spec, taken)))
            else:
                out.append(FlowOp(Action.DRIFT, "refused", item, spec, flow, metadata=meta, screens=screens,
                                  json_changed=changed, blocking=True,
                                  why="a published Flow cannot change; set replace_published: true to replace "
                                      "it by a new Flow (its templates go back to Meta's review)"))
        elif spec.status == "draft":
            out.append(FlowOp(Action.DRIFT, "stuck", item, spec, flow,
                              why="published: a published Flow cannot become a draft again"))
        return out
    # every Flow of its names is deprecated (or in a state the platform added since)
    if spec.status != "deprecated":
        if spec.replace_published and flow.status == "deprecated":
            out.append(FlowOp(Action.UPDATE, "replace", item, spec, flow, metadata=meta, screens=screens,
                              json_changed=True, replacement=replacement_for(spec, taken)))
        else:
            out.append(FlowOp(Action.DRIFT, "stuck", item, spec, flow,
                              why=f"{flow.status}: it cannot be {spec.status} again; set replace_published: true "
                                  "to make a new Flow"))
    return out


def _undeclared(block: FlowsBlock, flows: Sequence[ActualFlow]) -> list[FlowOp]:
    out: list[FlowOp] = []
    for flow in flows:
        if any(flow.name in s.names() or s.is_derived(flow.name) for s in block.items):
            continue
        if flow.status == "draft" and block.prune:
            out.append(FlowOp(Action.DELETE, "delete", flow.name, None, flow,
                              why="not declared, and prune is on: the draft is deleted"))
        elif flow.status == "published" and block.prune:
            out.append(FlowOp(Action.DRIFT, "undeclared", flow.name, None, flow,
                              why="a published Flow the YAML does not declare: prune deletes drafts only; declare "
                                  "it with status: deprecated to deprecate it"))
    return out


def calls_of(op: FlowOp) -> tuple[str, ...]:
    """The API actions an op's write sends, in order."""
    if op.step == "create":
        return ("CreateFlow", "GetChatappUploadAuthorization", "PutObject", "UpdateFlowJSONAsset")
    if op.step == "update":
        upload = ("GetChatappUploadAuthorization", "PutObject", "UpdateFlowJSONAsset") if op.json_changed else ()
        return (("ModifyFlow",) if op.metadata else ()) + upload
    if op.step == "publish":
        return ("PublishFlow",)
    if op.step == "deprecate":
        return ("DeprecateFlow",)
    if op.step == "replace":
        return ("CreateFlow", "GetChatappUploadAuthorization", "PutObject", "UpdateFlowJSONAsset", "PublishFlow",
                "DeprecateFlow")
    if op.step == "delete":
        return ("DeleteFlow",)
    return ()
