"""The journal: what an apply left unfinished that the API cannot show the next plan.

Facts that CAMS' answers do not show, or not without knowing where to look, yet decide what the next plan
must say:

- a migration verification about to be sent, or sent with its outcome unknown (``verifying``). Recorded
  *before* the code is sent and saved at once (write-ahead: if it cannot be saved, the code is not sent),
  so a crash or a SIGKILL anywhere between the verification and the registration leaves a record. The next
  plan reads the number's state (the space's list, ``GetPhoneNumberVerificationStatus``) and shows what is
  left: nothing, the registration, or the verification again. The code it names was spent: apply does not
  send the variable's code for that number again until ``migration send-code`` (which asks for a new code)
  clears the entry — a one-time code is never sent twice.
- a migration verified but not registered (``unregistered``: the registration failed, or its answer was
  lost). The plan itself goes by the number's status (listed ``PENDING`` until registered), so an entry
  whose number the list shows registered is settled and removed, never planned again.
- a username write refused because the name is not free (``username-refused``, ``kinds.username_refusals``):
  the name, the code, the request id and the platform's suggestions, which the next plan shows while the
  YAML declares that name; a successful write of the number's name removes it.
- a sync that did not bring a declared number in (the number is not registered to the space's WABA
  upstream): planning the same sync again would fail the same way forever. The journal records it, and the
  next plan reports the number instead of syncing it (``--retry-sync`` plans the sync again).

It is kept in the state store (``reconciler.state``; docs/state.md), one record per target (account,
region, endpoint), written only when something changes, and always as a merge: ``save`` re-reads the
target's record and applies this run's own records and removals to it, so a run never drops an entry
another run wrote. It holds space names and phone numbers, never a secret. ``Journal.load(path)`` still
reads (and ``save`` writes) a lone journal file of today's format: the store adopts such a file once
(``state.records``).

It is an input of every plan and apply, read under the input rules (``reconciler/files.py``: a regular file
of bounded size, never a FIFO or a device, read without blocking) and checked strictly: valid UTF-8 JSON,
no duplicate key, no unknown field, every field of every entry of its type. A journal that is not a valid
one is **refused, never replaced**: its entries may be the only record of a verify code already spent, so
the run stops with one line naming the file, the line or the field, and the file is left exactly as it
was. As apply writes it back, a symbolic link is refused too, as for every output: replacing the link
would leave its target stale, writing through it would let a checkout aim the journal at any file.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.core.defaults import JOURNAL_PATH
from reconciler.engine.errors import EngineError
from reconciler.files import DuplicateKeyError, InputFileError, no_duplicate_keys, read_input, write_atomically
from reconciler.kinds.membership import SPENT, UNREGISTERED, UNSYNCED, VERIFYING, code_of, with_code
from reconciler.kinds.onboarding import JOURNAL_KINDS as ONBOARDING_KINDS
from reconciler.kinds.username_refusals import USERNAME_REFUSED, Refusal

if TYPE_CHECKING:  # the store is imported when a journal is kept in it, not for --help
    from reconciler.state.records import RunState

JOURNAL = "journal"  # the record kind (``reconciler.state.records.JOURNAL``)

DEFAULT_PATH = Path(JOURNAL_PATH)
FORMAT_VERSION = 1
# the membership's entries, onboarding's (a code asked for, a verification of unknown outcome, a code spent),
# and a username write refused because the name is not free (its suggestions, for the next plan)
KINDS = (UNREGISTERED, UNSYNCED, VERIFYING, SPENT, *ONBOARDING_KINDS, USERNAME_REFUSED)
_MAX_BYTES = 4 * 1024 * 1024  # a journal of thousands of entries is far smaller


class JournalError(EngineError):
    """The journal file cannot be read or is not a journal: one line naming it."""


@dataclass(frozen=True)
class Entry:
    kind: str  # one of KINDS
    space: str
    cust_space_id: str
    phone_number: str
    at: str  # ISO 8601 UTC, when it was recorded
    detail: str = ""  # what happened, secret-free

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.space, self.phone_number)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "space": self.space, "cust_space_id": self.cust_space_id,
                "phone_number": self.phone_number, "at": self.at, "detail": self.detail}


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Journal:
    path: Path | None  # None: not kept (tests, or a run that asked for none), or kept in the store
    entries: dict[tuple[str, str, str], Entry] = field(default_factory=dict)
    changed: bool = False
    # Kept in the state store: the run's view of it, and this run's own records (an Entry) and removals
    # (None) by key, which ``save`` merges into what the store holds then.
    state: RunState | None = field(default=None, repr=False)
    _ops: dict[tuple[str, str, str], Entry | None] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, state: RunState) -> Journal:
        """The journal of every target of ``state`` (one record per target, merged: spaces are unique).
        ``JournalError`` for a record that is not a valid journal (left as it is)."""
        journal = cls(None, state=state)
        for path in {p for k, p in state.legacy.items() if k == JOURNAL}:
            cls.load(path)  # today's file is checked even when this run does not adopt it: never lost quietly
        for account in state.targets:
            where = f"{state.store.url}: the journal of {state.target(account).describe()}"
            data = state.load(JOURNAL, account, read_legacy=_legacy_data)
            if data is None:
                continue
            for entry in _entries_of(where, data):
                journal.entries[entry.key] = entry
        return journal

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> Journal:
        """The journal at ``path``; an empty one when the file does not exist yet. ``JournalError`` (one line,
        the file left as it is) for anything else than a valid journal in a regular file."""
        if path is None:
            return cls(None)
        p = Path(path)
        try:
            if stat.S_ISLNK(os.lstat(p).st_mode):
                raise JournalError(f"{p}: the journal is a symbolic link (to {os.readlink(p)}); apply writes the "
                                   "journal back and never through a link: give the real path (--journal)")
        except FileNotFoundError:
            return cls(p)
        except OSError as exc:
            raise JournalError(f"{p}: cannot read the journal: {exc.strerror or exc}") from None
        try:
            raw = read_input(p, _MAX_BYTES)
        except InputFileError as exc:
            reason = exc.reason.replace("cannot read the file", "cannot read the journal")
            if reason == "no such file":  # gone between the two looks: as if it had not been there
                return cls(p)
            raise JournalError(f"{p}: {reason}") from None
        journal = cls(p)
        for entry in _parse(p, raw):
            journal.entries[entry.key] = entry
        return journal

    def for_space(self, kind: str, space: str) -> dict[str, Entry]:
        return {e.phone_number: e for e in self.entries.values() if e.kind == kind and e.space == space}

    def record(self, kind: str, space: str, cust_space_id: str, phone_number: str, detail: str) -> None:
        entry = Entry(kind, space, cust_space_id, phone_number, now(), detail)
        if self.entries.get(entry.key, None) is None or self.entries[entry.key].detail != detail:
            self.entries[entry.key] = entry
            self._ops[entry.key] = entry
            self.changed = True

    def clear(self, kind: str, space: str, phone_numbers: Iterable[str]) -> None:
        for phone in phone_numbers:
            if self.entries.pop((kind, space, phone), None) is not None:
                self._ops[(kind, space, phone)] = None
                self.changed = True

    def spend(self, space: str, phone_number: str) -> bool:
        """A new code was asked for: the verification of ``phone_number`` recorded as sent (its outcome
        unknown) becomes a ``spent`` entry that names the old code by its digest, so that apply never sends
        that code again should the variable still hold it. False when no verification was recorded."""
        entry = self.entries.get((VERIFYING, space, phone_number))
        if entry is None:
            return False
        self.clear(VERIFYING, space, [phone_number])
        digest = code_of(entry.detail)
        if digest is not None:
            self.record(SPENT, space, entry.cust_space_id, phone_number, with_code(f"sent at {entry.at}", digest))
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION,
                "entries": [e.to_dict() for e in sorted(self.entries.values(), key=lambda e: e.key)]}

    def save(self) -> None:
        """Write the journal if anything changed (atomically; nothing at all while it was never needed). In
        the store: this run's records and removals, merged into each target's record as it is now."""
        if self.state is not None and self.changed:
            self._save_to_store(self.state)
            return
        if self.path is None or not self.changed:
            return
        if not self.entries and not self.path.exists():
            return
        write_atomically(self.path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        self.changed = False

    def _save_to_store(self, state: RunState) -> None:
        by_account: dict[str, dict[tuple[str, str, str], Entry | None]] = {}
        for key, op in self._ops.items():
            by_account.setdefault(state.account_of(key[1]), {})[key] = op
        for account, ops in by_account.items():
            where = f"{state.store.url}: the journal of {state.target(account).describe()}"

            def merge(current: Any, ops: dict[tuple[str, str, str], Entry | None] = ops, where: str = where) -> Any:
                entries = {e.key: e for e in _entries_of(where, current)} if current is not None else {}
                for key, op in ops.items():
                    if op is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = op
                if not entries:  # nothing left undone (a write-ahead entry settled): no record at all
                    return None
                return {"format_version": FORMAT_VERSION,
                        "entries": [e.to_dict() for e in sorted(entries.values(), key=lambda e: e.key)]}

            names = ", ".join(sorted({f"{k[0]} {k[2]}" for k in ops}))
            state.update(JOURNAL, account, merge, what=names, read_legacy=_legacy_data)
        self._ops.clear()
        self.changed = False


def _legacy_data(path: Path) -> Any:
    """Today's journal file, checked strictly, as the store's record data."""
    return Journal.load(path).to_dict()


_KEEP = "the file is left as it is: fix it, or move it away to start a new journal (its entries are then forgotten)"
_TOP_FIELDS = ("format_version", "entries")
_ENTRY_FIELDS = ("kind", "space", "cust_space_id", "phone_number", "at", "detail")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")  # as ``now()`` writes it
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # the values are printed in plans: no escape codes


def _parse(p: Path, raw: bytes) -> list[Entry]:
    """The entries of a journal file's bytes, or ``JournalError`` naming the line or the field."""
    bad = f"{p}: not a cams-reconciler journal"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JournalError(f"{bad}: not UTF-8 text; {_KEEP}") from None
    try:
        data = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except DuplicateKeyError as exc:
        raise JournalError(f"{bad}: duplicate key {exc.args[0]!r}; {_KEEP}") from None
    except json.JSONDecodeError as exc:
        raise JournalError(f"{p}:{exc.lineno}:{exc.colno}: not a cams-reconciler journal: invalid JSON "
                           f"({exc.msg}); {_KEEP}") from None
    except RecursionError:
        raise JournalError(f"{bad}: nested too deeply to be a journal; {_KEEP}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise JournalError(f"{bad}: {exc}; {_KEEP}") from None
    return _entries_of(bad, data)


def _entries_of(bad: str, data: Any) -> list[Entry]:
    """The entries of a journal document (a file's, or a store record's data), checked strictly."""
    if not isinstance(data, dict):
        raise JournalError(f"{bad}: a JSON object with format_version and entries expected; {_KEEP}")
    for name in data:
        if name not in _TOP_FIELDS:
            raise JournalError(f"{bad}: unknown field {name!r} (expected format_version and entries); {_KEEP}")
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise JournalError(f"{bad}: format_version {FORMAT_VERSION} expected, found {json.dumps(version)[:40]}; "
                           f"{_KEEP}")
    items = data.get("entries")
    if not isinstance(items, list):
        raise JournalError(f"{bad}: entries must be a list; {_KEEP}")
    entries: list[Entry] = []
    first: dict[tuple[str, str, str], int] = {}
    for i, item in enumerate(items):
        entry = _entry(item, f"{bad}: entries[{i}]")
        if entry.key in first:
            raise JournalError(f"{bad}: entries[{i}] has the kind, space and phone_number of "
                               f"entries[{first[entry.key]}]; {_KEEP}")
        first[entry.key] = i
        entries.append(entry)
    return entries


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise JournalError(f"{where}: an object expected; {_KEEP}")
    for name in raw:
        if name not in _ENTRY_FIELDS:
            raise JournalError(f"{where}.{name}: unknown field (expected {', '.join(_ENTRY_FIELDS)}); {_KEEP}")
    for name in _ENTRY_FIELDS:
        value = raw.get(name, "" if name == "detail" else None)
        if not isinstance(value, str):
            raise JournalError(f"{where}.{name}: a string expected; {_KEEP}")
        if _CONTROL.search(value):
            raise JournalError(f"{where}.{name}: holds a control character; {_KEEP}")
        if name != "detail" and not value:
            raise JournalError(f"{where}.{name}: must not be empty; {_KEEP}")
    if raw["kind"] not in KINDS:
        raise JournalError(f"{where}.kind: one of {', '.join(KINDS)} expected; {_KEEP}")
    if not _AT.fullmatch(raw["at"]):
        raise JournalError(f"{where}.at: a UTC time as YYYY-MM-DDTHH:MM:SSZ expected; {_KEEP}")
    if raw["kind"] == USERNAME_REFUSED:
        try:
            Refusal.parse(raw.get("detail", ""), raw["at"])
        except ValueError as exc:
            raise JournalError(f"{where}.detail: {exc}; {_KEEP}") from None
    return Entry(raw["kind"], raw["space"], raw["cust_space_id"], raw["phone_number"], raw["at"],
                 raw.get("detail", ""))
