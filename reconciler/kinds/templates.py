"""The ``templates`` kind: a space's WhatsApp message templates, identified by name + language.

Plan: a declared template the space lacks is created; one whose content (category, components, example,
TTL) differs is updated — with the warning, for an approved one, that the edit sends it back to review and
stops it from sending until it is approved again; with ``prune: true``, a template no item declares is
deleted (``prune: archive`` archives it instead: template_archive.py). Review status and quality are the platform's: compared with ``expect`` and reported as drift. A
template in review is "pending review", never a failure or a change.

Apply writes each change after guards that read the template first: an approved template edited less than
24 hours ago, or a new category for an approved template, is refused before the write, as is a create
beyond the WABA's ``max_templates``. docs/templates.md tells the whole story; the pure parts are in
template_model.py (comparison, parameters), template_rules.py (offline rules) and template_render.py (the
reviewer's view).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reconciler.common import template_rules
from reconciler.core.digest import canonical_digest
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change
from reconciler.kinds import template_model as tm
from reconciler.kinds import template_render
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
from reconciler.kinds.fields import Field, show_value
from reconciler.kinds.flows import flow_targets
from reconciler.kinds.registration import register

if TYPE_CHECKING:
    from reconciler.core.model import Space

REVIEW_WARNING = ("modifying an approved template sends it back to review: it cannot be sent until Meta "
                  "approves it again")


def _refused(message: str) -> Refuse:
    """A template write refused before sending (the platform's limits say it would fail): apply records the
    change as failed with this message and goes on."""
    return Refuse(message, "TemplateGuard")


def _shown(components: Any) -> list[Any]:
    """Components as a plan holds them: as compared (no empty lists), any query value of a URL masked."""
    def mask(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: (show_value(v, url=True) if k == "Url" and isinstance(v, str) else mask(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value
    return list(mask(tm.components_of(components)))


def _declared_view(t: tm.Template) -> dict[str, Any]:
    return {"category": t.category, "components": _shown(t.components), "example": dict(t.example or {})}


def _actual_view(detail: Mapping[str, Any]) -> dict[str, Any]:
    return {"status": tm.status_name(detail.get("AuditStatus")), "category": detail.get("Category"),
            "components": _shown(detail.get("Components")), "example": dict(detail.get("Example") or {})}


class TemplateRules(Rules):
    def build(self, model: Callable[..., object], values: Mapping[str, Any], yaml_file: str) -> tm.TemplatesBlock:
        return tm.build_block(values)

    def check(self, block: Any, yaml_file: str) -> list[tuple[tuple[str | int, ...], str]]:
        """Offline rules beyond the schema, ``(path inside the block, message)``, every problem at once."""
        if not isinstance(block, Mapping) or not isinstance(block.get("items"), list):
            return []
        out: list[tuple[tuple[Any, ...], str]] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(block["items"]):
            if not isinstance(item, Mapping):
                continue
            at: tuple[Any, ...] = ("items", i)
            key = f"{item.get('name')}/{item.get('language')}"
            if key in seen:
                out.append((at + ("name",), f"template {key} is declared twice (first as items[{seen[key]}])"))
            seen.setdefault(key, i)
            out.extend((at + path, message) for path, message in _unsendable(item.get("components")))
            found = template_rules.problems(item.get("category"), item.get("components"), item.get("example"))
            found += template_rules.check_ttl(item.get("category"), item.get("message_send_ttl_seconds"))
            out.extend((at + path, message) for path, message in found)
        return out


class TemplatePresenter(Presenter):
    def value_lines(self, change: Change) -> list[str] | None:
        """The reviewer's view: the message rendered with its examples, before and after, and a line diff
        of the body (template_render.review_lines)."""
        before = change.before if isinstance(change.before, Mapping) else None
        after = change.after if isinstance(change.after, Mapping) else None
        if change.action is Action.DRIFT or (before is None and after is None):
            return None
        out: list[str] = []
        if before is not None and before.get("status"):
            out.append(f"status: {before['status']}")
        if after is not None and before is not None and before.get("category") != after.get("category"):
            out.append(f"category: {before.get('category')} → {after.get('category')}")
        elif after is not None and before is None:
            out.append(f"category: {after.get('category')}")
        if after is not None and after.get("fields"):
            out.append(f"changes: {', '.join(after['fields'])}")
        if before is not None and after is None:
            out.append(f"category: {before.get('category')}")
        out.extend(template_render.review_lines(before if before and "components" in before else None, after))
        return out

    def verified_note(self, change: Change, current: Values | None) -> str:
        details: Mapping[str, Any] = (current or {}).get("details") or {}  # type: ignore[assignment]
        detail = details.get(change.item or "")
        if change.action is Action.DELETE or not isinstance(detail, Mapping):
            return ""
        status = tm.status_name(detail.get("AuditStatus"))
        return "; pending review by Meta (not sendable until approved)" if status == "PENDING" else f"; {status}"


class TemplateImporter(Importer):
    async def read_all(self, client: CallClient, cust_space_id: str) -> Values | None:
        found: Values = await tm.read_templates(client, cust_space_id, None)
        return found

    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        details: Mapping[str, Any] = current.get("details") or {}  # type: ignore[assignment]
        if not details:
            return None
        return {"items": [tm.import_item(details[k]) for k in sorted(details)]}


@register
class TemplatesKind(Kind[tm.TemplatesBlock]):
    """A collection on the space: one change per template (name/language), created, updated and deleted
    one by one."""

    name = "templates"
    label = "templates"
    scope = Scope.SPACE
    model = tm.TemplatesBlock
    api = Api(read="ListChatappTemplate", reads=("GetChatappTemplateDetail",), create="CreateChatappTemplate",
              update="ModifyChatappTemplate", delete="DeleteChatappTemplate")
    #: a FLOW button may name a declared Flow (``flow: signup``): the Flow's changes come first
    depends_on = ("flows",)
    rules = TemplateRules()
    importer = TemplateImporter()
    presenter = TemplatePresenter(drift=DriftKind.TEMPLATE)

    async def read(self, client: CallClient, block: Block[tm.TemplatesBlock]) -> Values:
        found: dict[str, Any] = dict(await tm.read_templates(client, block.space.cust_space_id,
                                                             [t.key for t in block.model.items]))
        names = list(dict.fromkeys(n for t in block.model.items for n in t.flows))
        if names:  # the ids the buttons' ``flow:`` names stand for (None: known after apply)
            targets = await flow_targets(client, block.space, names)
            found["flow_ids"], found["flows_waiting"] = targets["ids"], targets["waiting"]
        return found

    @staticmethod
    def _resolved(t: tm.Template, current: Values | None) -> tm.Template:
        ids: Any = (current or {}).get("flow_ids") or {}
        return tm.with_flow_ids(t, ids)

    @staticmethod
    def _waiting_for(t: tm.Template, current: Values | None) -> list[str]:
        """The Flows ``t``'s buttons name that will not be published after this apply."""
        waiting: Any = (current or {}).get("flows_waiting") or []
        return [n for n in t.flows if n in waiting]

    def plan(self, block: Block[tm.TemplatesBlock], current: Values | None) -> list[Change]:
        space, model = block.space, block.model
        data: Mapping[str, Any] = current or {}
        listed: Mapping[str, Any] = data.get("listed") or {}
        details: Mapping[str, Any] = data.get("details") or {}
        out: list[Change] = []
        for i, as_declared in enumerate(model.items):
            t = self._resolved(as_declared, current)
            source = _source(space, i)
            field = f"{self.name}.{t.key}"
            detail = details.get(t.key)
            waits = self._waiting_for(as_declared, current)
            if waits and (detail is None or tm.differing(t, detail)):
                out.append(self.change(block, Action.DRIFT, item=t.key, field=f"{field}.flow", before=None,
                                       after={"flow": waits}, source=source,
                                       reason=f"waits for Flow {', '.join(waits)} to be published (a FLOW button "
                                              "needs a published Flow): a later plan writes it"))
                continue
            if detail is None:
                out.append(self.change(block, Action.CREATE, item=t.key, before=None, after=_declared_view(t),
                                       source=source, reason="not in the space: created, then pending review by Meta"
                                       + _flow_note(t, as_declared), basis=canonical_digest(None)))
                continue
            status = tm.status_name(detail.get("AuditStatus"))
            fields = tm.differing(t, detail)
            if fields:
                reason = f"{', '.join(fields)} {'differs' if len(fields) == 1 else 'differ'}" + _flow_note(t, as_declared)
                if status == "APPROVED":
                    reason += f"; {REVIEW_WARNING}"
                after = {**_declared_view(t), "fields": fields}
                out.append(self.change(block, Action.UPDATE, item=t.key, before=_actual_view(detail), after=after,
                                       source=source, reason=reason, basis=_basis(detail)))
            for what, actual, expected, why in tm.health_findings(model.expect_of(t), detail):
                out.append(self.change(block, Action.DRIFT, item=t.key, field=f"{field}.{what}", before=actual,
                                       after=expected, source=source, reason=why))
        if model.prune_deletes:  # ``prune: archive`` is template_archive's
            declared = {t.key for t in model.items}
            for key, listed_item in sorted(listed.items()):
                if key in declared:
                    continue
                out.append(self.change(block, Action.DELETE, item=key,
                                       before={"status": tm.status_name(listed_item.get("AuditStatus")),
                                               "category": listed_item.get("Category")}, after=None,
                                       source=space.sources.get(f"{self.name}.prune", space.source),
                                       reason="not declared, and prune is on: deleted (its name cannot be used "
                                              "again for 30 days)", basis=_basis(listed_item)))
        return out

    # -- write --------------------------------------------------------------------------------------------
    async def create(self, w: Write[tm.TemplatesBlock]) -> None:
        key, cid, block = w.change.item or "", w.block.space.cust_space_id, w.block.model
        t = block.get(key)
        if t is None:
            raise _refused(f"template {key} is no longer declared; nothing was sent")
        t = self._ready(t, w.current)
        listed = {tm.key_of(i): i for i in await tm.list_templates(w.client, cid)}
        if key in listed:
            return  # already there (an earlier run): the re-read compares its content
        if len(listed) >= block.max_templates:
            raise _refused(
                f"template {key} not created: the space holds {len(listed)} templates and max_templates is "
                f"{block.max_templates} (the WABA's limit); delete some or raise max_templates once the "
                "business is verified. Nothing was sent")
        await w.client.call("CreateChatappTemplate", tm.create_params(cid, t))

    async def update(self, w: Write[tm.TemplatesBlock]) -> None:
        key, cid = w.change.item or "", w.block.space.cust_space_id
        t = w.block.model.get(key)
        if t is None:
            raise _refused(f"template {key} is no longer declared; nothing was sent")
        t = self._ready(t, w.current)
        # The list has the last update time (the detail does not); the detail has the content.
        listed = {tm.key_of(i): i for i in await tm.list_templates(w.client, cid)}
        item = listed.get(key)
        if item is None:
            raise _refused(f"template {key} is no longer in the space; plan again. Nothing was sent")
        detail = await tm.detail_of(w.client, cid, item)
        await self._modify(w.client, cid, t, key, {**detail, "LastUpdateTime": item.get("LastUpdateTime")})

    async def delete(self, w: Write[tm.TemplatesBlock]) -> None:
        key, cid = w.change.item or "", w.block.space.cust_space_id
        language = key.partition("/")[2]
        listed = {tm.key_of(i): i for i in await tm.list_templates(w.client, cid)}
        item = listed.get(key)
        if item is None:
            return  # already gone: the re-read confirms
        await w.client.call("DeleteChatappTemplate", tm.delete_params(cid, str(item["TemplateCode"]), language))
    def _ready(self, t: tm.Template, current: Values | None) -> tm.Template:
        """``t`` with its FLOW buttons' ids as just read; refused while a Flow it names has no id yet."""
        t = self._resolved(t, current)
        if tm.flow_ids_pending(t):
            missing = ", ".join(n for n in t.flows if not ((current or {}).get("flow_ids") or {}).get(n))  # type: ignore[union-attr]
            raise _refused(f"template {t.key}: Flow {missing} has no id yet (not created, or deprecated); "
                           "nothing was sent")
        return t

    async def _modify(self, client: CallClient, cid: str, t: tm.Template, key: str,
                      detail: Mapping[str, Any]) -> None:
        fields = tm.differing(t, detail)
        if not fields:
            return  # in effect already
        if tm.status_name(detail.get("AuditStatus")) == "APPROVED":
            if "category" in fields:
                raise _refused(f"template {key}: the category of an approved template cannot change "
                                         f"({detail.get('Category')} → {t.category}); create it under a new name. "
                                         "Nothing was sent")
            last = detail.get("LastUpdateTime")
            now = _now_ms()
            if isinstance(last, int) and now - last < tm.EDIT_INTERVAL_MS:
                hours = (tm.EDIT_INTERVAL_MS - (now - last)) / 3_600_000
                raise _refused(f"template {key}: an approved template may be edited once in 24 hours "
                                         f"and it was last updated less than 24 hours ago; try again in "
                                         f"{hours:.1f} h. Nothing was sent")
        await client.call("ModifyChatappTemplate", tm.modify_params(cid, t, str(detail.get("TemplateCode")), fields))


def _unsendable(components: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Fields of the components CreateChatappTemplate cannot send (the request model's; a field only the
    detail answer has, such as ``Latitude`` or ``ExtendAttrs``, is the platform's), each with its path."""
    out: list[tuple[tuple[Any, ...], str]] = []

    def walk(value: Any, shape: Any, path: tuple[Any, ...]) -> None:
        if isinstance(shape, Mapping) and isinstance(value, Mapping):
            for key, item in value.items():
                if key == tm.FLOW_KEY and "FlowAction" in shape:
                    continue  # a button's ``flow: NAME``: the YAML's, replaced by its FlowId before sending
                if key not in shape:
                    out.append((path + (key,), f"{key} is not a field CreateChatappTemplate can send"))
                else:
                    walk(item, shape[key], path + (key,))
        elif isinstance(shape, list) and isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, shape[0], path + (i,))

    walk(components, [tm.SENDABLE_COMPONENT], ("components",))
    return out


def _flow_note(t: tm.Template, declared: tm.Template) -> str:
    """What a reviewer must know of a FLOW button whose Flow this apply creates or replaces."""
    if not tm.flow_ids_pending(t):
        return ""
    return f" (its FLOW button gets the id of the new Flow {', '.join(declared.flows)}, known after apply)"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _basis(detail: Mapping[str, Any]) -> str:
    return canonical_digest({k: detail.get(k) for k in ("TemplateCode", "Category", "Components", "Example",
                                                        "MessageSendTtlSeconds", "AuditStatus")})


def _source(space: Space, index: int) -> Any:
    return space.sources.get(f"templates.items[{index}]") or space.sources.get("templates.items") or \
        space.sources.get("templates") or space.source


