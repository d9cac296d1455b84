"""The contract of a kind (after Terraform's ``schema.Resource`` and octoDNS's ``Record``).

A kind names its instances by their ``Address`` (kind, space, number or None, item or None: the scope is
part of the address), ``read``s an instance's current values, ``plan``s it (the default compares the
declared ``Field``s one by one) and ``create``s, ``update``s or ``delete``s it, one instance, or one item of
a collection, at a time. ``depends_on`` names the kinds whose changes at the same place must be done first
(a number's webhooks wait for its membership); ``goes_before`` turns that around for one change (a template's
unarchive comes before its edit, though its archive follows it). What is not about the instance's life is a small part the
kind declares: ``rules`` (offline checks, the model built from YAML), ``importer`` (what ``import``
declares), ``presenter`` (how its changes read), ``recorder`` (a kind no API reads back: the state store's
record is its current value). The API actions it sends are its ``api``.

A kind is a stateless singleton (``kinds.register`` makes the one instance): what a run must share lives in
the run (``Write.run``), never on the kind. Values are JSON as the API answers them (``JSON``); a plan holds
them redacted (``Field.show``). This module has no ``Any`` (mypy checks that it does not).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeAlias, TypeVar

from reconciler.core.digest import canonical_digest
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Address, Change, Severity
from reconciler.kinds.fields import Field
from reconciler.kinds.onboarding import Records
from reconciler.kinds.username_refusals import Refusal

if TYPE_CHECKING:
    from reconciler.core.model import Number, Space
    from reconciler.core.source import Source

#: A value as the API answers it (and as a plan holds it, redacted).
JSON: TypeAlias = "None | bool | int | float | str | Sequence[JSON] | Mapping[str, JSON]"
#: An instance's current values, API-named, as read (or, for a number-list kind, the number's list item).
Values: TypeAlias = Mapping[str, JSON]
M = TypeVar("M")


class Scope(str, Enum):
    NUMBER = "number"  # a block under a number (``numbers[].webhooks``): Address.number is set
    SPACE = "space"  # a block on the space: Address.number is None


class CallClient(Protocol):
    """The one client method kinds use: an API action by name with API-named parameters."""

    async def call(self, action: str, params: Mapping[str, JSON]) -> dict[str, JSON]: ...


class Outcome(Exception):
    """A kind's write ends its change without sending (``Skip``) or with a failure it explains
    (``Refuse``): apply records the message as the change's result."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Skip(Outcome):
    """Nothing was sent, and nothing is wrong with the write itself (no code to send; no longer declared)."""


class Refuse(Outcome):
    """Nothing (more) was sent: the write would fail, or failed in a way the kind has explained."""


class StillDiffers(Refuse):
    """The re-read after a write still shows a difference (``Kind.verify``): the message is its reason."""


@dataclass(frozen=True)
class Api:
    """The API actions a kind sends: its read (None: its values are in the number's list item, read anyway),
    more reads it makes (``reads``), and the write of each action (``policy`` and the write ledger read them).
    A kind that only reports has no write."""

    read: str | None = None
    create: str | None = None
    update: str | None = None
    delete: str | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()  # further write actions (a kind whose creates take several calls)
    #: reads only a write makes, never a plan (a pre-validated number's id): apply's policy, not plan's
    apply_reads: tuple[str, ...] = ()

    def read_actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*([self.read] if self.read else []), *self.reads]))

    def write_actions(self) -> tuple[str, ...]:
        return tuple(a for a in dict.fromkeys([self.create, self.update, self.delete, *self.writes]) if a)


@dataclass(frozen=True)
class Block(Generic[M]):
    """An instance as the YAML declares it: its address, its space, its number (None: the space's own) and
    its model (the frozen dataclass the kind builds from the YAML)."""

    address: Address
    space: Space
    number: Number | None
    model: M

    def source(self, path: str) -> Source:
        """The YAML line of ``path`` inside the block (``webhooks.up_callback_url``), else the block's own."""
        if self.number is not None:
            return self.number.source_of(path)
        head = path.split(".", 1)[0]
        found = self.space.sources.get(path) or self.space.sources.get(head)
        return found if found is not None else self.space.source

    @property
    def arrives_by(self) -> str:
        """How a number not yet in the space comes in: ``migration`` or ``sync``."""
        return "migration" if self.number is not None and self.number.migration is not None else "sync"


@dataclass(frozen=True)
class PlanContext:
    """What planning knows beyond the API's answers (plain data; ``engine.diff`` fills it). ``env`` is only
    asked whether a migration's variable is set. ``elsewhere``: phone → the other managed space whose read
    shows it. ``unsynced``: phone → what the journal says of a sync that did not bring it in.
    ``verifying``: phone → when a verification of unknown outcome was journaled. ``verification``: phone →
    ``GetPhoneNumberVerificationStatus`` as read (None: the read failed). ``recorded``: a recorded kind's
    name → this target's record of what was last sent (None: no record). ``onboarding``: phone → what the
    journal holds of its onboarding (``kinds.onboarding.Records``: a code asked for, a verification sent).
    ``refused``: phone → the journal's last refused write of its username (``kinds.username_refusals``)."""

    env: Mapping[str, str] = field(default_factory=dict)
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    unsynced: Mapping[str, str] = field(default_factory=dict)
    verifying: Mapping[str, str] = field(default_factory=dict)
    verification: Mapping[str, str | None] = field(default_factory=dict)
    recorded: Mapping[str, Values | None] = field(default_factory=dict)
    onboarding: Mapping[str, Records] = field(default_factory=dict)
    refused: Mapping[str, Refusal] = field(default_factory=dict)


class Seen(Protocol):
    """One space as read (``engine.actual.ActualSpace``): the number list by phone, each reading kind's data
    by phone, and the space-level kinds' data."""

    @property
    def numbers(self) -> Mapping[str, Values]: ...

    @property
    def reads(self) -> Mapping[str, Mapping[str, Values]]: ...

    @property
    def space_reads(self) -> Mapping[str, Values]: ...


class Entry(Protocol):
    @property
    def at(self) -> str: ...

    @property
    def detail(self) -> str: ...


class Journal(Protocol):
    """The run's write-ahead journal (``engine.journal``), as a kind's write uses it."""

    def for_space(self, kind: str, space: str) -> Mapping[str, Entry]: ...

    def record(self, kind: str, space: str, cust_space_id: str, phone_number: str, detail: str) -> None: ...

    def clear(self, kind: str, space: str, phone_numbers: Sequence[str]) -> None: ...

    def save(self) -> None: ...


@dataclass(frozen=True)
class Attempt:
    """How one call went (``Run.attempt``): accepted (``value``: its answer), refused (``message``,
    ``code``, ``request_id`` when the answer had one), or sent with its answer lost (``lost``: it may have
    landed)."""

    ok: bool
    value: object = None
    lost: bool = False
    message: str = ""
    code: str | None = None
    request_id: str | None = None


class Run(Protocol):
    """What one apply run offers a kind's write: the environment (read when a secret is sent, never kept),
    the journal, a note that starts the change's result message, and ``attempt``: one call whose failure
    the kind handles itself (a lost answer it reads back) instead of ending the write."""

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def journal(self) -> Journal: ...

    def note(self, address: Address, text: str) -> None: ...

    async def attempt(self, call: Callable[[], Awaitable[object]]) -> Attempt: ...


@dataclass(frozen=True)
class Write(Generic[M]):
    """One write: the client, the instance, the change as just planned again, the values just read (None: not
    in the space) and the run."""

    client: CallClient
    block: Block[M]
    change: Change
    current: Values | None
    run: Run

    @property
    def where(self) -> dict[str, JSON]:
        """The instance's place as API parameters: the space, and the number for a number's kind."""
        out: dict[str, JSON] = {"CustSpaceId": self.block.space.cust_space_id}
        if self.block.number is not None:
            out["PhoneNumber"] = self.block.number.phone_number
        return out


Problems: TypeAlias = list[tuple[tuple[str | int, ...], str]]


class Rules:
    """Offline rules and the model: what ``config`` asks of a kind. ``inheritable``: a number's block the
    space's ``defaults`` may also set (merged field by field)."""

    def __init__(self, *, inheritable: bool = False) -> None:
        self.inheritable = inheritable

    def build(self, model: type, values: Mapping[str, JSON], yaml_file: str) -> object:
        """The model of a checked block (lists become tuples: the model is frozen); ``yaml_file``: where it is
        written (a block that names a file beside the YAML reads it here)."""
        return model(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def check(self, block: JSON, yaml_file: str) -> Problems:
        """Rules beyond the JSON Schema for a (schema-valid) block: ``(path inside the block, message)`` for
        every problem; the config adds file, line and field."""
        return []


class Presenter:
    """How a kind's changes read. ``labels``: a kind's own word for an action (``update-webhook``);
    ``drift``: how ``drift`` counts its findings; ``blank_as_none``: an empty current value shows as none."""

    def __init__(self, *, labels: Mapping[Action, str] | None = None, drift: DriftKind = DriftKind.OTHER,
                 blank_as_none: bool = True) -> None:
        self.labels: Mapping[Action, str] = dict(labels or {})
        self.drift = drift
        self.blank_as_none = blank_as_none

    def label(self, action: Action) -> str:
        return self.labels.get(action, "")

    def drift_of(self, change: Change) -> DriftKind | None:
        """How ``drift`` counts ``change`` (None: by its action)."""
        return self.drift

    def reason(self, kind_label: str, names: Sequence[str], before: Mapping[str, JSON],
               after: Mapping[str, JSON]) -> str:
        return f"{kind_label} {', '.join(names)} {'differs' if len(names) == 1 else 'differ'}"

    def value_lines(self, change: Change) -> list[str] | None:
        """How a change's values read in every format (None: ``key: before → after`` lines)."""
        return None

    def verified_note(self, change: Change, current: Values | None) -> str:
        """What a verified result adds (templates: "; pending review")."""
        return ""


class Importer:
    """What ``import`` declares from what the API shows (a kind without one is never imported: expectations
    are its owner's to state). ``shared``: a block every number has alike goes to the space's ``defaults``."""

    def __init__(self, *, shared: bool = False) -> None:
        self.shared = shared

    async def read_all(self, client: CallClient, cust_space_id: str) -> Values | None:
        """A space-level kind's read of everything the space holds, for ``block`` (None: nothing to import)."""
        return None

    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        """The block to declare (None: nothing). Default: the kind's non-empty ``fields`` as read. ``notes``:
        what was left out and why (import prints them)."""
        out: dict[str, JSON] = {}
        for f in fields:
            value = current.get(f.api)
            if f.many:
                listed = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
                kept: list[JSON] = [str(v).strip() for v in listed if str(v).strip()]
                if kept:
                    out[f.name] = kept
            elif isinstance(value, str):
                if value.strip():
                    out[f.name] = value.strip()
            elif value is not None:  # a boolean or a number stays one
                out[f.name] = value
        return out or None

    def warnings(self, current: Values) -> list[str]:
        """What import warns of about this block as read (health that is not healthy today)."""
        return []

    def files(self, current: Values) -> Mapping[str, str]:
        """Files ``import`` writes beside the YAML for this block, relative path → text (a Flow's JSON)."""
        return {}

    def same_everywhere(self, fields: Sequence[Field],
                        blocks: Sequence[Mapping[str, JSON] | None]) -> Mapping[str, JSON] | None:
        """For a ``shared`` kind: the block every number has alike, complete, else None."""
        first = blocks[0] if blocks else None
        if first is None or len(first) != len(fields) or any(b != first for b in blocks):
            return None
        return first


class Recorder:
    """A kind no API reads back: its current value is the state store's record of what this tool sent to
    the target (``PlanContext.recorded``); apply stores ``record_of`` after a write and reports it as sent."""

    def record_of(self, space: Space, model: object, change: Change | None = None,
                  stored: Values | None = None) -> dict[str, JSON] | None:
        """The entry to store once ``change`` (the change as applied) was accepted. ``stored``: this space's
        entry as stored now (None: none), for a kind whose changes each set a part of it (the rest is kept)."""
        return None

    def adopt(self, space: Space, model: object, recorded: Values) -> dict[str, JSON] | None:
        """An entry of an older record format, as it may be stored now (None: drop it)."""
        return dict(recorded)

    def unknown(self, change: Change) -> bool:
        """The change exists only because there is no record for this target: a notice, never drift."""
        return False


class Kind(Generic[M]):
    """One managed kind. Subclasses set the class attributes and override what differs."""

    #: the YAML key of the block, and ``Address.kind``
    name: ClassVar[str] = ""
    #: words for messages: "business profile"
    label: ClassVar[str] = ""
    scope: ClassVar[Scope] = Scope.NUMBER
    #: the frozen dataclass the config builds from the block (its attributes are the fields' names)
    model: type[M]
    fields: ClassVar[tuple[Field, ...]] = ()
    api: ClassVar[Api] = Api()
    #: kinds whose changes at the same place (the number; the space for a space-wide change) come first
    depends_on: ClassVar[tuple[str, ...]] = ()
    #: its instances are blocks of the YAML (membership's are the declared numbers themselves)
    block: ClassVar[bool] = True
    rules: ClassVar[Rules] = Rules()
    importer: ClassVar[Importer | None] = Importer()
    presenter: ClassVar[Presenter] = Presenter()
    recorder: ClassVar[Recorder | None] = None

    # -- addresses ----------------------------------------------------------------------------------------
    def blocks(self, space: Space) -> list[Block[M]]:
        """Every instance the space declares of this kind (a collection's whole block is one)."""
        if self.scope is Scope.SPACE:
            model = space.block(self.name)
            return [] if model is None else [Block(Address(self.name, space.name), space, None, model)]
        return [Block(Address(self.name, space.name, n.phone_number), space, n, m)
                for n in space.numbers if (m := n.block(self.name)) is not None]

    def block_at(self, space: Space, address: Address) -> Block[M] | None:
        """The declared instance at ``address`` (its item stripped), or None: apply's way back from a change."""
        where = Address(address.kind, address.space, address.number)
        return next((b for b in self.blocks(space) if b.address == where), None)

    def change(self, block: Block[M], action: Action, *, item: str | None = None, field: str | None = None,
               before: JSON = None, after: JSON = None, reason: str = "", basis: str | None = None,
               pending: bool = False, severity: Severity = Severity.WARNING, source: Source | None = None) -> Change:
        """A change of this kind about ``block`` (or one of its items)."""
        path = field or (f"{self.name}.{item}" if item else self.name)
        return Change(action=action, kind=self.name, item=item, label=self.presenter.label(action),
                      space=block.space.name, cust_space_id=block.space.cust_space_id,
                      phone_number=None if block.number is None else block.number.phone_number,
                      field=path, before=before, after=after, severity=severity, pending=pending,
                      source=source or block.source(path), reason=reason, basis=basis)

    @property
    def writes(self) -> bool:
        """Whether the kind changes anything (else it only reports: its findings are ``drift``)."""
        api = self.api
        return bool(api.create or api.update or api.delete or api.writes)

    def goes_before(self, change: Change) -> tuple[str, ...]:
        """The kinds of ``depends_on`` (directly or not) whose changes at the same place wait for ``change``
        instead: the order between two changes can be the changes' own (an unarchive comes before the
        template's edit, an archive after it). Default: none (the kind's changes follow its dependencies)."""
        return ()

    # -- read ---------------------------------------------------------------------------------------------
    async def read(self, client: CallClient, block: Block[M]) -> Values:
        """The instance's current values by ``api.read`` (its answer's ``Data``)."""
        params: dict[str, JSON] = {"CustSpaceId": block.space.cust_space_id}
        if block.number is not None:
            params["PhoneNumber"] = block.number.phone_number
        return await self._read_at(client, params)

    async def read_number(self, client: CallClient, space: Space, phone_number: str) -> Values:
        """``api.read`` of a number of the space that declares no instance of this kind (``more_reads``)."""
        return await self._read_at(client, {"CustSpaceId": space.cust_space_id, "PhoneNumber": phone_number})

    async def _read_at(self, client: CallClient, params: Mapping[str, JSON]) -> Values:
        assert self.api.read is not None
        body = await client.call(self.api.read, params)
        data = body.get("Data")
        return dict(data) if isinstance(data, Mapping) else {}

    def more_reads(self, space: Space, listed: Mapping[str, Values], read: Mapping[str, Values]) -> list[str]:
        """The numbers of the space (``listed``: its list, by phone) whose ``api.read`` planning needs beyond
        the declared instances', decided from those (``read``: phone → data): read by the plan only (apply's
        re-reads plan its writes), through the same client. Default: none."""
        return []

    def current(self, block: Block[M], seen: Seen, context: PlanContext) -> Values | None:
        """Where the instance's values are in what was read: the recorded value of a recorded kind, its own
        read, else its number's list item (None: the number is not in the space), or the space's list."""
        if self.recorder is not None:
            return context.recorded.get(self.name) or {}
        if block.number is None:
            own = seen.space_reads.get(self.name) if self.api.read else None
            return own if own is not None else {"PhoneNumbers": list(seen.numbers.values())}
        phone = block.number.phone_number
        if phone not in seen.numbers:
            return None
        if self.api.read:
            return seen.reads.get(self.name, {}).get(phone) or {}
        return seen.numbers[phone]

    # -- plan ---------------------------------------------------------------------------------------------
    def plan_space(self, space: Space, seen: Seen, context: PlanContext) -> list[Change]:
        """Every change of this kind in ``space`` (pure): each declared instance planned on its own."""
        out: list[Change] = []
        for block in self.blocks(space):
            out.extend(self.plan(block, self.current(block, seen, context)))
        return out

    def plan(self, block: Block[M], current: Values | None) -> list[Change]:
        """The changes for one instance (pure). ``current`` None: the number is not in the space yet, so the
        declared values are set once it is there, where they differ (``pending``: "known after apply").
        Default: one change listing every declared field that differs (``update``; ``drift`` for a kind
        that only reports)."""
        action = Action.UPDATE if self.writes else Action.DRIFT
        declared = {f.name: v for f in self.fields if (v := getattr(block.model, f.name, None)) is not None}
        if current is None:
            if not self.writes or not declared:
                return []
            first = next(iter(declared))
            return [self.change(block, action, pending=True, source=block.source(f"{self.name}.{first}"),
                               after={f.name: f.show(declared[f.name]) for f in self.fields if f.name in declared},
                               reason=f"after {block.arrives_by}: set where it differs (current values are "
                                      "unknown until the number is in the space)")]
        differing = [f for f in self.fields if f.name in declared and not f.same(declared[f.name], current.get(f.api))]
        if not differing:
            return []
        blank = self.presenter.blank_as_none
        before: dict[str, JSON] = {f.name: f.show((current.get(f.api) or None) if blank else current.get(f.api))
                                   for f in differing}
        after: dict[str, JSON] = {f.name: f.show(declared[f.name]) for f in differing}
        names = [f.name for f in differing]
        path = f"{self.name}.{names[0]}" if len(names) == 1 else self.name
        return [self.change(block, action, field=path, before=before, after=after,
                            source=block.source(f"{self.name}.{names[0]}"),
                            reason=self.presenter.reason(self.label, names, before, after),
                            basis=canonical_digest({f.api: current.get(f.api) for f in differing}))]

    # -- write --------------------------------------------------------------------------------------------
    def params(self, w: Write[M]) -> dict[str, JSON]:
        """A create's or update's parameters beyond the place: every declared field (undeclared fields are
        not sent, so they stay as they are)."""
        return {f.api: f.param(v) for f in self.fields if (v := getattr(w.block.model, f.name, None)) is not None}

    async def create(self, w: Write[M]) -> None:
        assert self.api.create is not None
        await w.client.call(self.api.create, {**w.where, **self.params(w)})

    async def update(self, w: Write[M]) -> None:
        assert self.api.update is not None
        await w.client.call(self.api.update, {**w.where, **self.params(w)})

    async def delete(self, w: Write[M]) -> None:
        assert self.api.delete is not None
        await w.client.call(self.api.delete, w.where)

    # -- verify -------------------------------------------------------------------------------------------
    def verify(self, w: Write[M], left: list[Change]) -> str:
        """After the write, the instance read (``w.current``) and planned again (``left``: the write changes
        still planned for it): what the result adds when it is in effect; ``StillDiffers`` (or another
        ``Refuse``) when it is not."""
        if left:
            raise StillDiffers(left[0].reason)
        return self.presenter.verified_note(w.change, w.current)
