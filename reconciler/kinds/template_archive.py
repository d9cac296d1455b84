"""Template archive (``archived: true/false`` on a declared template): ``ArchiveChatappTemplate``.

An archived template cannot be sent (nor edited) and keeps its name; unarchiving makes it sendable again. It
is a softer end than a delete, whose name stays blocked for 30 days. The call names the state
(``ArchiveType`` ARCHIVED / NOT_ARCHIVED), so sending it again is harmless.

No API reads the flag back (the SDK's list and detail answers carry no field for it), so this is a recorded
kind, like the account webhook: its "actual" value is the state store's ``template-archive`` record of the
target (account, region, endpoint): per space, the keys (name/language) this tool last archived or
unarchived. A plan shows one change per space listing every template whose declared flag the record does not
hold; apply sends at most two calls (archive, unarchive) and records the declared flags only once both are
accepted, so a failure in between leaves the record as it was and the next plan offers the change again. A
template archived in the console is not seen. The block is not a YAML key of its own: it is derived from the
``templates`` items that declare ``archived``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Address, Change
from reconciler.kinds import template_model as tm
from reconciler.kinds.account_webhook import now
from reconciler.kinds.base import JSON, Api, Block, Kind, Presenter, Recorder, Refuse, Scope, Values, Write
from reconciler.kinds.registration import register

if TYPE_CHECKING:
    from reconciler.core.model import Space

ARCHIVE_NOTE = "archived: it can no longer be sent (nor edited) until it is unarchived; its name stays taken"
UNARCHIVE_NOTE = "unarchived: it can be sent again"


@dataclass(frozen=True)
class TemplateArchive:
    """The declared flags of a space's templates: ``(name/language, archived)``, in YAML order."""

    states: tuple[tuple[str, bool], ...] = ()

    def of(self, archived: bool) -> list[str]:
        return [key for key, want in self.states if want is archived]


def recorded_states(space: Space, recorded: Mapping[str, Any]) -> dict[str, bool]:
    """The record's flags for this space (empty when it was made for another space id)."""
    if recorded.get("cust_space_id") != space.cust_space_id:
        return {}
    found = recorded.get("templates")
    return {str(k): v for k, v in found.items() if isinstance(v, bool)} if isinstance(found, Mapping) else {}


class TemplateArchiveRecorder(Recorder):
    def record_of(self, space: Space, model: object) -> dict[str, JSON]:
        assert isinstance(model, TemplateArchive)
        return {"cust_space_id": space.cust_space_id, "templates": dict(model.states), "at": now()}

    def unknown(self, change: Change) -> bool:
        return change.before is None


class TemplateArchivePresenter(Presenter):
    def value_lines(self, change: Change) -> list[str] | None:
        after = change.after if isinstance(change.after, Mapping) else {}
        lines = [f"archive {key}: {ARCHIVE_NOTE}" for key in after.get("archive") or ()]
        lines += [f"unarchive {key}: {UNARCHIVE_NOTE}" for key in after.get("unarchive") or ()]
        return lines or None


@register
class TemplateArchiveKind(Kind[TemplateArchive]):
    name = "template_archive"
    label = "template archive"
    scope = Scope.SPACE
    model = TemplateArchive
    api = Api(update="ArchiveChatappTemplate")
    #: the templates are created or edited first (an archived template cannot be edited)
    depends_on = ("templates",)
    block = False  # derived from the ``templates`` items that declare ``archived``
    importer = None  # not readable: import cannot know it
    presenter = TemplateArchivePresenter(drift=DriftKind.TEMPLATE)
    recorder = TemplateArchiveRecorder()

    def blocks(self, space: Space) -> list[Block[TemplateArchive]]:
        templates = space.block("templates")
        if not isinstance(templates, tm.TemplatesBlock):
            return []
        states = tuple((t.key, t.archived) for t in templates.items if t.archived is not None)
        if not states:
            return []
        return [Block(Address(self.name, space.name), space, None, TemplateArchive(states))]

    def plan(self, block: Block[TemplateArchive], current: Values | None) -> list[Change]:
        space, model = block.space, block.model
        recorded = recorded_states(space, current or {})
        todo = {want: [k for k, w in model.states if w is want and recorded.get(k) is not want] for want in (True, False)}
        if not todo[True] and not todo[False]:
            return []
        after: dict[str, JSON] = {"archive": list(todo[True]), "unarchive": list(todo[False])}
        parts = ([f"{', '.join(todo[True])} {ARCHIVE_NOTE}"] if todo[True] else []) + \
                ([f"{', '.join(todo[False])} {UNARCHIVE_NOTE}"] if todo[False] else [])
        why = ("no record that this tool set it for this target (account, region, endpoint), and the API cannot "
               "read it back" if not recorded else "differs from what this tool last set (the API cannot read it back)")
        before: JSON = {"recorded_at": str((current or {}).get("at", "?"))} if recorded else None
        first = (todo[True] or todo[False])[0]  # the change points at the first template it changes
        keys = [t.key for t in space.block("templates").items]
        source = space.sources.get(f"templates.items[{keys.index(first)}]") or space.sources.get("templates") \
            or space.source
        return [self.change(block, Action.UPDATE, before=before, after=after, source=source,
                            reason=f"{'; '.join(parts)} ({why})")]

    async def update(self, w: Write[TemplateArchive]) -> None:
        after: Mapping[str, Any] = w.change.after if isinstance(w.change.after, Mapping) else {}
        cid = w.block.space.cust_space_id
        declared = dict(w.block.model.states)
        codes = {tm.key_of(i): str(i.get("TemplateCode")) for i in await tm.list_templates(w.client, cid)}
        for archive_type, want, keys in (("ARCHIVED", True, after.get("archive")),
                                         ("NOT_ARCHIVED", False, after.get("unarchive"))):
            # only what the plan showed and the YAML still declares the same way
            chosen = [k for k in keys or () if declared.get(k) is want]
            missing = [k for k in chosen if k not in codes]
            if missing:
                raise Refuse(f"template {', '.join(missing)} is not in the space; nothing was "
                             f"{'archived' if want else 'unarchived'} (plan again)", "TemplateGuard")
            if chosen:
                await w.client.call("ArchiveChatappTemplate", {
                    "CustSpaceId": cid, "ChannelType": "WHATSAPP", "ArchiveType": archive_type,
                    "TemplateList": [{"TemplateCode": codes[k], "Language": k.partition("/")[2]} for k in chosen]})
