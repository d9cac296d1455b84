"""Template archive: ``archived: true/false`` on a declared template, and ``prune: archive`` on the space's
templates (the templates no item declares), through ``ArchiveChatappTemplate``.

An archived template cannot be sent (nor edited) and keeps its name; unarchiving makes it sendable again. It
is a softer end than a delete, whose name stays blocked for 30 days. The call names the state
(``ArchiveType`` ARCHIVED / NOT_ARCHIVED), so sending it again is harmless.

No API reads the flag back (the SDK's list and detail answers carry no field for it), so this is a recorded
kind, like the account webhook: its "actual" value is the state store's ``template-archive`` record of the
target (account, region, endpoint): per space, the keys (name/language) this tool last archived or
unarchived by their declared flag (``templates``), and the undeclared ones it archived under ``prune:
archive`` (``pruned``; a record written before ``prune: archive`` has none). A plan shows at most two
changes per space, one per direction: ``unarchive`` (every template to unarchive) and ``archive`` (every
template to archive); the template list (the ``templates`` kind's read) tells which templates are
undeclared. An archived template cannot be edited, so apply unarchives before the templates' edits and
archives after them (``goes_before``): a template declared again with a new body is unarchived and edited in
one apply. Each change is one call, only for the templates it names that the YAML still declares the same
way (or still leaves undeclared), recorded once accepted: its own direction's flags, the rest of the record
as stored (a failure leaves the record as it was for what failed, and the next plan offers it again). A change
of the older shape (one per space, no item, both lists) is still read and shown; ``apply --plan`` refuses such
a saved plan as stale (the fresh plan has the two changes), and the kind would run it as before: both calls,
after the edits, recorded once both are accepted. A template archived under ``prune: archive`` and declared
again without ``archived: true`` is unarchived: its archive was this tool's doing, for a reason that is gone.
A template archived in the console is not seen. The block is not a YAML key of its own: it is derived from the
``templates`` block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Address, Change
from reconciler.kinds import template_model as tm
from reconciler.kinds.account_webhook import now
from reconciler.kinds.base import (
    JSON,
    Api,
    Block,
    Kind,
    PlanContext,
    Presenter,
    Recorder,
    Refuse,
    Scope,
    Seen,
    Values,
    Write,
)
from reconciler.kinds.registration import register

if TYPE_CHECKING:
    from reconciler.core.model import Space
    from reconciler.core.source import Source

ARCHIVE_NOTE = "archived: it can no longer be sent (nor edited) until it is unarchived; its name stays taken"
UNARCHIVE_NOTE = "unarchived: it can be sent again"
PRUNED_NOTE = "not declared, and prune is archive"
REDECLARED_NOTE = "declared again; this tool archived it under prune: archive"
#: the items of the two changes a space may have (a change of the older shape has none, and does both)
ARCHIVE, UNARCHIVE = "archive", "unarchive"
IN_REVIEW_NOTE = ("in review: a template in review cannot be archived; a later plan archives it once Meta's "
                  "review ends")


@dataclass(frozen=True)
class TemplateArchive:
    """A space's templates as archive sees them: the declared flags ``(name/language, archived)`` in YAML
    order, every declared key, and whether ``prune: archive`` is on."""

    states: tuple[tuple[str, bool], ...] = ()
    declared: tuple[str, ...] = ()
    prune: bool = False

    def of(self, archived: bool) -> list[str]:
        return [key for key, want in self.states if want is archived]


@dataclass(frozen=True)
class Recorded:
    """This space's entry of the ``template-archive`` record (``exists`` False: none for this target)."""

    exists: bool = False
    at: str = "?"
    states: Mapping[str, bool] = field(default_factory=dict)
    pruned: frozenset[str] = frozenset()

    def archived(self, key: str) -> bool | None:
        """What this tool last set for ``key``: True, False, or None (nothing)."""
        if key in self.states:
            return self.states[key]
        return True if key in self.pruned else None


def recorded_of(space: Space, entry: Mapping[str, Any] | None) -> Recorded:
    """The record's entry for this space, read leniently (an entry made for another space id is none; an
    entry written before ``prune: archive`` has no ``pruned``)."""
    if not isinstance(entry, Mapping) or entry.get("cust_space_id") != space.cust_space_id:
        return Recorded()
    found, pruned = entry.get("templates"), entry.get("pruned")
    states = {str(k): v for k, v in found.items() if isinstance(v, bool)} if isinstance(found, Mapping) else {}
    keys = frozenset(k for k in pruned if isinstance(k, str)) if isinstance(pruned, list) else frozenset()
    return Recorded(True, str(entry.get("at", "?")), states, keys)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _directions(after: Mapping[str, Any]) -> set[bool]:
    """What a change's ``after`` sets: archived (True), unarchived (False), or both (a change of the shape
    before archive and unarchive were two changes)."""
    return {want for want, key in ((True, "archive"), (False, "unarchive")) if key in after}


class TemplateArchiveRecorder(Recorder):
    def record_of(self, space: Space, model: object, change: Change | None = None,
                  stored: Values | None = None) -> dict[str, JSON]:
        """The record once ``change`` was accepted: the declared flags of its direction (archive or unarchive;
        a change of the older shape, or none, both) as declared, the other flags as ``stored`` has them (the
        other change may not be accepted yet); and the undeclared templates archived under ``prune:
        archive``: those this change archived and those the record already held that are still listed
        (``before``), plus, until their unarchive is accepted, those declared again."""
        assert isinstance(model, TemplateArchive)
        record = recorded_of(space, stored)
        after = change.after if change is not None and isinstance(change.after, Mapping) else {}
        before = change.before if change is not None and isinstance(change.before, Mapping) else {}
        directions = _directions(after) if change is not None else {True, False}
        flags, declared = dict(model.states), set(model.declared)
        templates: dict[str, JSON] = {k: v for k, v in record.states.items() if k in flags}
        templates.update({k: want for k, want in flags.items() if want in directions})
        pruned = set(_strings(before.get("archived_by_prune"))) - declared
        if model.prune and True in directions:
            pruned |= set(_strings(after.get("not_declared"))) - declared
        if False not in directions:  # declared again: still archived until its unarchive is accepted
            pruned |= {k for k in record.pruned if k in declared and k not in flags}
        entry: dict[str, JSON] = {"cust_space_id": space.cust_space_id, "templates": templates, "at": now()}
        if pruned:
            entry["pruned"] = sorted(pruned)
        return entry

    def unknown(self, change: Change) -> bool:
        """No record for this target (the change has no ``before``), or undeclared templates in review that
        cannot be archived yet: a notice, never drift (a template in review is never drift)."""
        return change.before is None


class TemplateArchivePresenter(Presenter):
    def value_lines(self, change: Change) -> list[str] | None:
        after = change.after if isinstance(change.after, Mapping) else {}
        pruned, again = set(_strings(after.get("not_declared"))), set(_strings(after.get("declared_again")))
        lines = [f"archive {key}{f' ({PRUNED_NOTE})' if key in pruned else ''}: {ARCHIVE_NOTE}"
                 for key in _strings(after.get("archive"))]
        lines += [f"unarchive {key}{f' ({REDECLARED_NOTE})' if key in again else ''}: {UNARCHIVE_NOTE}"
                  for key in _strings(after.get("unarchive"))]
        lines += [f"not yet archived {key} ({PRUNED_NOTE}): {IN_REVIEW_NOTE}"
                  for key in _strings(after.get("in_review"))]
        return lines or None


@register
class TemplateArchiveKind(Kind[TemplateArchive]):
    name = "template_archive"
    label = "template archive"
    scope = Scope.SPACE
    model = TemplateArchive
    api = Api(update="ArchiveChatappTemplate")
    #: an archived template cannot be edited: its archive waits for the templates' edits, and its unarchive
    #: goes before them (``goes_before``)
    depends_on = ("templates",)
    block = False  # derived from the ``templates`` block
    importer = None  # not readable: import cannot know it
    presenter = TemplateArchivePresenter(drift=DriftKind.TEMPLATE)
    recorder = TemplateArchiveRecorder()

    def goes_before(self, change: Change) -> tuple[str, ...]:
        """A change that only unarchives goes before the templates' edits (one declared again may be edited in
        the same plan) and before the space's archive change (whose record, written last, then starts from the
        one the unarchive left: side by side, either would drop what the other recorded); one that archives
        (or both, in the older shape) follows the edits."""
        return (("templates", self.name) if _directions(change.after if isinstance(change.after, Mapping) else {})
                == {False} else ())

    def blocks(self, space: Space) -> list[Block[TemplateArchive]]:
        templates = space.block("templates")
        if not isinstance(templates, tm.TemplatesBlock):
            return []
        states = tuple((t.key, t.archived) for t in templates.items if t.archived is not None)
        # a block whenever templates are declared: one archived under prune: archive may be declared again
        if not states and not templates.items and not templates.prune_archives:
            return []
        model = TemplateArchive(states, tuple(t.key for t in templates.items), templates.prune_archives)
        return [Block(Address(self.name, space.name), space, None, model)]

    def current(self, block: Block[TemplateArchive], seen: Seen, context: PlanContext) -> Values | None:
        """The record (the flags this tool set) and the template list (which templates are undeclared)."""
        templates = seen.space_reads.get("templates") or {}
        listed = templates.get("listed")
        return {"record": context.recorded.get(self.name), "listed": listed if isinstance(listed, Mapping) else {}}

    def plan(self, block: Block[TemplateArchive], current: Values | None) -> list[Change]:
        space, model = block.space, block.model
        data: Mapping[str, Any] = current or {}
        record = recorded_of(space, data.get("record"))
        listed: Mapping[str, Any] = data.get("listed") or {}
        flags, declared = dict(model.states), set(model.declared)
        archive = [k for k, want in model.states if want and record.archived(k) is not True]
        unarchive = [k for k, want in model.states if not want and record.archived(k) is not False]
        again = [k for k in model.declared if k not in flags and k in record.pruned and k in listed]
        undeclared = [k for k in sorted(listed) if k not in declared]
        todo = [k for k in undeclared if model.prune and record.archived(k) is not True]
        in_review = [k for k in todo if tm.status_name(listed[k].get("AuditStatus")) == "PENDING"]
        pruned = [k for k in todo if k not in in_review]
        # the undeclared templates the record holds as archived, carried into the record this change writes
        kept = [k for k in undeclared if k in record.pruned or (model.prune and record.states.get(k) is True)]
        why = ("no record that this tool set it for this target (account, region, endpoint), and the API "
               "cannot read it back" if not record.exists
               else "differs from what this tool last set (the API cannot read it back)")
        before: JSON = None
        if record.exists:
            before = {"recorded_at": record.at, **({"archived_by_prune": kept} if kept else {})}
        out: list[Change] = []
        # one change per direction: the unarchive goes before the templates' edits, the archive after them
        for item, key, wanted, extra, extra_key, extra_note, note in (
                (UNARCHIVE, "unarchive", unarchive, again, "declared_again", REDECLARED_NOTE, UNARCHIVE_NOTE),
                (ARCHIVE, "archive", archive, pruned, "not_declared", PRUNED_NOTE, ARCHIVE_NOTE)):
            if not wanted and not extra:
                continue
            after: dict[str, JSON] = {key: [*wanted, *extra]}
            if extra:
                after[extra_key] = list(extra)
            parts = ([f"{', '.join(wanted)} {note}"] if wanted else []) + \
                ([f"{', '.join(extra)} ({extra_note}) {note}"] if extra else [])
            out.append(self.change(block, Action.UPDATE, item=item, before=before, after=after,
                                   source=_source(space, [*wanted, *extra][0]), reason=f"{'; '.join(parts)} ({why})"))
        if in_review:
            out.append(self.change(block, Action.DRIFT, after={"in_review": list(in_review)},
                                   source=_source(space, in_review[0]),
                                   reason=f"{', '.join(in_review)} ({PRUNED_NOTE}) {IN_REVIEW_NOTE}"))
        return out

    async def update(self, w: Write[TemplateArchive]) -> None:
        after: Mapping[str, Any] = w.change.after if isinstance(w.change.after, Mapping) else {}
        cid, model = w.block.space.cust_space_id, w.block.model
        flags, declared = dict(model.states), set(model.declared)
        pruned, again = set(_strings(after.get("not_declared"))), set(_strings(after.get("declared_again")))
        codes = {tm.key_of(i): str(i.get("TemplateCode")) for i in await tm.list_templates(w.client, cid)}
        for archive_type, want, keys in (("ARCHIVED", True, _strings(after.get("archive"))),
                                         ("NOT_ARCHIVED", False, _strings(after.get("unarchive")))):
            # only what the plan showed and the YAML still declares the same way (or still leaves undeclared)
            chosen = [k for k in keys if flags.get(k) is want]
            missing = [k for k in chosen if k not in codes]
            if missing:
                raise Refuse(f"template {', '.join(missing)} is not in the space; nothing was "
                             f"{'archived' if want else 'unarchived'} (plan again)", "TemplateGuard")
            # undeclared (or declared again): one deleted since the plan has nothing left to archive
            chosen += [k for k in keys if k in codes and (
                (want and model.prune and k in pruned and k not in declared)
                or (not want and k in again and k in declared and k not in flags))]
            if chosen:
                await w.client.call("ArchiveChatappTemplate", {
                    "CustSpaceId": cid, "ChannelType": "WHATSAPP", "ArchiveType": archive_type,
                    "TemplateList": [{"TemplateCode": codes[k], "Language": k.partition("/")[2]} for k in chosen]})


def _source(space: Space, key: str) -> Source:
    """The YAML line of the template ``key`` declares, or of ``prune`` for an undeclared one."""
    block = space.block("templates")
    keys = [t.key for t in block.items] if isinstance(block, tm.TemplatesBlock) else []
    found = space.sources.get(f"templates.items[{keys.index(key)}]") if key in keys else \
        space.sources.get("templates.prune")
    return found or space.sources.get("templates") or space.source
