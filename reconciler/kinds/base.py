"""What a kind declares, and the behaviour most kinds share.

A ``Kind`` is a singleton (``kinds.register`` makes the one instance). Its class attributes are the table
row — YAML names, API names, read and write actions — and its methods have defaults that fit a block of
plain fields compared one by one (``Field.compare``), which is what webhooks and business profiles are; a kind
with other needs (queues and expectations only report; a list of templates creates and deletes) overrides
``diff``, ``pending``, ``write_params`` or ``import_block``.

The methods are pure but for ``read`` and ``write`` (one API call each, through the client's generic
``call``). Values put into a ``Change`` go through ``Field.show``: URLs masked, lists as lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from reconciler.common.masking import mask_url
from reconciler.core.digest import canonical_digest
from reconciler.core.normalize import normalize_text, normalize_url
from reconciler.core.plan import Action, Change

if TYPE_CHECKING:
    from reconciler.config.model import Number, Space


class Scope(str, Enum):
    NUMBER = "number"  # a block under a number (``numbers[].webhooks``)
    SPACE = "space"  # a block on the space


class CallClient(Protocol):
    """The one client method kinds use: an API action by name with API-named parameters."""

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


def show_value(value: Any, *, url: bool = False) -> Any:
    """A value as a plan may hold it: URLs masked, tuples as lists, JSON-ready."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [mask_url(str(v)) if url else v for v in value]
    if url:
        return mask_url(str(value))
    return value


def normalize_urls(value: Any) -> tuple[str | None, ...] | None:
    """A list of URLs for comparison (a single string where a list is documented is tolerated)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value] if value.strip() else []
    return tuple(normalize_url(str(v)) for v in value)


def _compare_url(value: Any) -> Any:
    return normalize_url(None if value is None else str(value))


@dataclass(frozen=True)
class Field:
    """One field of a kind: its YAML (and model attribute) name, its API name, how it compares and shows.

    ``url``: a URL (or, with ``many``, a list of them): masked wherever it is shown and checked offline as a
    URL; ``callback``: a callback URL (the callback rules apply: https unless the space opts in to http).
    ``many``: a list, compared as an ordered list and sent as a JSON list.
    ``absent``: what an answer without the field means (the response model's default: ``False``, ``()``),
    so a declared default compares equal to a cloud that leaves the field out; None: absent is unknown.
    """

    name: str
    api: str
    compare: Callable[[Any], Any] | None = None
    url: bool = False
    callback: bool = False
    many: bool = False
    absent: Any = None

    def normalized(self, value: Any) -> Any:
        if self.compare is not None:
            return self.compare(value)
        if self.many:
            return normalize_urls(value) if self.url else (None if value is None else tuple(value))
        return _compare_url(value) if self.url else normalize_text(value)

    def same(self, declared: Any, actual: Any) -> bool:
        if actual is None:
            actual = self.absent
        if self.many and isinstance(actual, list):
            actual_cmp: Any = tuple(actual)
        else:
            actual_cmp = actual
        return bool(declared == actual_cmp or self.normalized(declared) == self.normalized(actual))

    def show(self, value: Any) -> Any:
        if self.many and isinstance(value, str):
            value = [value]
        return show_value(value, url=self.url)

    def param(self, value: Any) -> Any:
        """The declared value as the write's parameter (lists as lists: the client encodes them)."""
        return list(value) if self.many and value is not None else value


class Kind:
    """One managed kind. Subclasses set the class attributes and override what differs."""

    #: the YAML key of the block, and the first segment of its changes' ``field``
    name: ClassVar[str] = ""
    scope: ClassVar[Scope] = Scope.NUMBER
    #: a number block that may also be set in the space's ``defaults`` (merged field by field)
    inheritable: ClassVar[bool] = False
    #: the frozen dataclass the config builds from the block (its attributes are the fields' names)
    model: ClassVar[type]
    #: words for messages: "business profile"
    label: ClassVar[str] = ""
    fields: ClassVar[tuple[Field, ...]] = ()
    #: the plan action of this kind's changes; None: report only (its findings are ``Action.DRIFT``)
    action: ClassVar[Action | None] = None
    #: the API action read for each present number that declares the block; None: its values are in the
    #: number's ``QueryChatappPhoneNumbers`` item (read anyway: no extra call)
    read_action: ClassVar[str | None] = None
    #: the API action that sets the block's values
    write_action: ClassVar[str | None] = None
    #: how ``drift`` counts this kind's changes (``core.drift_kinds.DriftKind`` value)
    drift_kind: ClassVar[str] = "other"
    #: an empty current value is shown as "none" (callback URLs) rather than as read ("")
    blank_as_none: ClassVar[bool] = True
    #: for ``import``: a block that every number has alike goes to the space's ``defaults``
    import_shared: ClassVar[bool] = False
    #: the block is a collection (QR codes, templates): its diff may give several changes per number, each
    #: naming its item in ``field``, and apply keeps them apart (re-check, write and verify item by item)
    items: ClassVar[bool] = False
    # No API reads it back: its "actual" value is the state store's record of what this tool sent to the
    # target (``diff`` gets the record as ``data``; apply stores ``record_of`` after a write and reports it
    # as sent, never as verified by a re-read).
    recorded: ClassVar[bool] = False
    #: whether ``import`` reads and writes this block (expectations such as ``health`` are declared by hand:
    #: reading them for every number would cost a call each for nothing)
    imported: ClassVar[bool] = True

    # -- config -------------------------------------------------------------------------------------------
    def build(self, values: Mapping[str, Any]) -> Any:
        """The model of a checked block (lists become tuples: the model is frozen)."""
        return self.model(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def build_from(self, values: Mapping[str, Any], yaml_file: str) -> Any:
        """``build`` for a number's block written in ``yaml_file`` (a kind whose block names a file beside
        the YAML reads it here)."""
        return self.build(values)

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def url_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.url)

    def declared(self, model: Any) -> dict[str, Any]:
        """Field name → declared value, for the fields the block declares (None means "not managed")."""
        return {f.name: v for f in self.fields if (v := getattr(model, f.name, None)) is not None}

    # -- read ---------------------------------------------------------------------------------------------
    def reads(self, number: Number) -> bool:
        """Whether planning this number calls ``read_action`` (it declares the block)."""
        return self.read_action is not None and number.block(self.name) is not None

    async def read(self, client: CallClient, cust_space_id: str, phone_number: str) -> Mapping[str, Any]:
        """The block's current values (API names), by ``read_action``'s answer ``Data``."""
        assert self.read_action is not None
        body = await client.call(self.read_action, {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number})
        return dict(body.get("Data") or {})

    async def read_space(self, client: CallClient, space: Space) -> Mapping[str, Any]:
        """A space-level kind's current state (``Scope.SPACE`` kinds with a ``read_action`` override this)."""
        raise NotImplementedError(f"kind {self.name} reads no space-level state")

    def current(self, item: Mapping[str, Any], data: Mapping[str, Any] | None) -> Mapping[str, Any]:
        """Where this kind's API fields are: its own read's data, or else the number's list item."""
        if self.read_action is not None:
            return data or {}
        return item

    # -- diff ---------------------------------------------------------------------------------------------
    def differing(self, model: Any, current: Mapping[str, Any]) -> list[Field]:
        return [f for f in self.fields if (want := getattr(model, f.name, None)) is not None
                and not f.same(want, current.get(f.api))]

    def diff(self, space: Space, number: Number | None, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        """The changes for a declared block of a number present in the space (pure; ``number`` is None for a
        space-level kind, ``item`` then empty). Default: one change listing every declared field that
        differs, of ``action`` (a report-only kind's: ``drift``)."""
        current = self.current(item, data)
        differing = self.differing(model, current)
        if not differing:
            return []
        before = {f.name: f.show((current.get(f.api) or None) if self.blank_as_none else current.get(f.api))
                  for f in differing}
        after = {f.name: f.show(getattr(model, f.name)) for f in differing}
        path = f"{self.name}.{differing[0].name}" if len(differing) == 1 else self.name
        names = [f.name for f in differing]
        reason = self.reason(names, before, after)
        after.update(self.extra_after(model))
        basis = canonical_digest({f.api: current.get(f.api) for f in differing})
        where = f"{self.name}.{names[0]}"
        source = number.source_of(where) if number is not None else space.sources.get(where) \
            or space.sources.get(self.name) or space.source
        return [change(space, number, self.action or Action.DRIFT, field=path, before=before, after=after,
                       source=source, reason=reason, basis=basis)]

    def reason(self, names: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
        return f"{self.label} {', '.join(names)} {'differs' if len(names) == 1 else 'differ'}"

    def extra_after(self, model: Any) -> dict[str, Any]:
        """What a change also sends, beyond the differing fields (shown in ``after``)."""
        return {}

    def same_everywhere(self, blocks: list[dict[str, Any] | None]) -> dict[str, Any] | None:
        """For import (``import_shared`` kinds): the block every number has alike, complete, else None."""
        first = blocks[0] if blocks else None
        if first is None or len(first) != len(self.fields) or any(b != first for b in blocks):
            return None
        return first

    def pending(self, space: Space, number: Number, model: Any, arrives_by: str) -> list[Change]:
        """For a number the plan brings in: the declared values, set once it is there where they differ
        (``before`` unknown: Terraform's "known after apply")."""
        if self.action is None:
            return []
        after = {f.name: f.show(v) for f in self.fields if (v := getattr(model, f.name, None)) is not None}
        if not after:
            return []
        first = next(iter(after))
        after.update(self.extra_after(model))
        return [change(space, number, self.action, field=self.name, before=None, after=after, pending=True,
                       source=number.source_of(f"{self.name}.{first}"),
                       reason=f"after {arrives_by}: set where it differs (current values are unknown until the "
                              "number is in the space)")]

    def check(self, block: Any) -> list[tuple[tuple[Any, ...], str]]:
        """Offline rules beyond the JSON Schema for a (schema-valid) block: ``(path inside the block,
        message)`` for every problem; the config rules add file, line and field."""
        return []

    def check_in(self, block: Any, yaml_file: str) -> list[tuple[tuple[Any, ...], str]]:
        """``check`` for a number's block written in ``yaml_file`` (a rule that reads a file the block names
        beside the YAML, such as a key, overrides this one)."""
        return self.check(block)

    def unknown(self, change: Change) -> bool:
        """The change exists only because the current value cannot be known (a recorded kind with no record
        for this target): ``drift`` reports it as a notice, never as drift."""
        return False

    def record_of(self, space: Space, model: Any) -> dict[str, Any] | None:
        """A recorded kind: what the state store keeps of a write just made (secret-free)."""
        return None

    def adopt(self, space: Space, model: Any, recorded: Mapping[str, Any]) -> dict[str, Any] | None:
        """A recorded kind: an entry read from an older record format, as it may be stored now (None: drop)."""
        return dict(recorded)

    def verified_note(self, change: Change, data: Mapping[str, Any] | None) -> str:
        """What apply adds to a verified change's result (templates: "; pending review")."""
        return ""

    def value_lines(self, change: Change) -> list[str] | None:
        """How a change's values read in every format (None: ``key: before → after`` lines)."""
        return None

    # -- write --------------------------------------------------------------------------------------------
    def read_actions(self) -> tuple[str, ...]:
        """Every API action this kind's reads may send (``policy --for plan``)."""
        return (self.read_action,) if self.read_action else ()

    def write_actions(self) -> tuple[str, ...]:
        """Every API action this kind's writes may send (``policy --for apply``)."""
        return (self.write_action,) if self.write_action else ()

    async def write_change(self, client: CallClient, space: Space, model: Any, change: Change) -> None:
        """A space-level kind's write for ``change`` (``Scope.SPACE`` kinds that write override this)."""
        raise NotImplementedError(f"kind {self.name} writes no space-level state")

    def write_params(self, model: Any, differing: Iterable[str]) -> dict[str, Any]:
        """The write's parameters beyond the number: every declared field (the API sets what it is given;
        undeclared fields are not sent, so they stay as they are)."""
        return {f.api: f.param(v) for f in self.fields if (v := getattr(model, f.name, None)) is not None}

    async def write(self, client: CallClient, cust_space_id: str, phone_number: str, model: Any,
                    differing: Iterable[str], *, current: Mapping[str, Any] | None = None,
                    change: Change | None = None) -> None:
        """Send the change. ``current``: the block's values as just read (the number's item for a kind read
        from the number list; the kind's own read for a number that just arrived; None when apply did not
        read it again: a kind whose write needs the current values reads them here). ``change``: the change
        being carried out (an ``items`` kind writes the item its ``field`` names)."""
        assert self.write_action is not None
        params = {"CustSpaceId": cust_space_id, "PhoneNumber": phone_number,
                  **self.write_params(model, differing)}
        await client.call(self.write_action, params)

    def write_action_for(self, change: Change) -> str | None:
        """The API action whose acknowledgement completes ``change`` (the write ledger, after an abandoned
        apply): ``write_action`` unless a kind sends different calls for different changes."""
        return self.write_action

    # -- import -------------------------------------------------------------------------------------------
    async def read_for_import(self, client: CallClient, cust_space_id: str) -> Mapping[str, Any] | None:
        """A space-level kind's read of everything the space holds, for ``import`` (None: nothing to read)."""
        return None

    def import_space_block(self, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A space-level kind's block for ``import`` from ``read_for_import``'s data (None: nothing)."""
        return None

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        """The block for ``import`` from what the API shows (None: nothing to declare). Default: the
        non-empty fields as read. ``options``: the import command's choices (``record_health``)."""
        current = self.current(item, data)
        out: dict[str, Any] = {}
        for f in self.fields:
            value = current.get(f.api)
            if f.many:
                items = [value] if isinstance(value, str) else list(value or ())
                kept = [str(v).strip() for v in items if str(v).strip()]
                if kept:
                    out[f.name] = kept
            elif isinstance(value, str):
                if value.strip():
                    out[f.name] = value.strip()
            elif value is not None:  # a boolean or a number stays one
                out[f.name] = value
        return out or None


def change(space: Space, number: Number | None, action: Action, **kw: Any) -> Change:
    """A ``Change`` about ``number`` (or the whole space) of ``space``."""
    return Change(action=action, space=space.name, cust_space_id=space.cust_space_id,
                  phone_number=None if number is None else number.phone_number, **kw)
