"""The journal: what an apply left unfinished that the API cannot show the next plan.

Two facts are invisible in CAMS' answers, yet decide what the next plan must say:

- a migration verified but not registered (the registration failed, or the verification's answer was lost
  and the number showed up in the space afterwards): the number is in the space, so a plan would see
  nothing to do, and ``ChatappMigrationRegister`` would never be sent. The journal records it, and the next
  plan shows ``register-migration`` for it.
- a sync that did not bring a declared number in (the number is not registered to the space's WABA
  upstream): planning the same sync again would fail the same way forever. The journal records it, and the
  next plan reports the number instead of syncing it (``--retry-sync`` plans the sync again).

A small JSON file (default ``.cams-reconciler/journal.json``, ``--journal FILE``), written atomically and
only when something changes. It holds space names and phone numbers, never a secret. In CI it must survive
between runs (cache or commit it; docs/apply.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.engine.errors import EngineError
from reconciler.files import write_atomically

DEFAULT_PATH = Path(".cams-reconciler") / "journal.json"
FORMAT_VERSION = 1
UNREGISTERED = "unregistered"  # a migration verified (or whose verification may have landed), not registered
UNSYNCED = "unsynced"  # a sync that did not bring the number in
KINDS = (UNREGISTERED, UNSYNCED)
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
    path: Path | None  # None: not kept (tests, or a run that asked for none)
    entries: dict[tuple[str, str, str], Entry] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> Journal:
        """The journal at ``path``; an empty one when the file does not exist yet."""
        if path is None:
            return cls(None)
        p = Path(path)
        if not p.exists():
            return cls(p)
        if not p.is_file():
            raise JournalError(f"{p}: the journal must be a regular file")
        try:
            if p.stat().st_size > _MAX_BYTES:
                raise JournalError(f"{p}: the journal is larger than {_MAX_BYTES // 1024 // 1024} MiB; "
                                   "is it the right file?")
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise JournalError(f"{p}: not a cams-reconciler journal ({type(exc).__name__}); move it away "
                               "to start a new one") from None
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION \
                or not isinstance(data.get("entries"), list):
            raise JournalError(f"{p}: not a cams-reconciler journal (format_version {FORMAT_VERSION} with "
                               "an entries list expected)")
        journal = cls(p)
        for i, raw in enumerate(data["entries"]):
            entry = _entry(raw)
            if entry is None:
                raise JournalError(f"{p}: entries[{i}] is not a journal entry (kind, space, cust_space_id, "
                                   "phone_number and at as strings)")
            journal.entries[entry.key] = entry
        return journal

    def for_space(self, kind: str, space: str) -> dict[str, Entry]:
        return {e.phone_number: e for e in self.entries.values() if e.kind == kind and e.space == space}

    def record(self, kind: str, space: str, cust_space_id: str, phone_number: str, detail: str) -> None:
        entry = Entry(kind, space, cust_space_id, phone_number, now(), detail)
        if self.entries.get(entry.key, None) is None or self.entries[entry.key].detail != detail:
            self.entries[entry.key] = entry
            self.changed = True

    def clear(self, kind: str, space: str, phone_numbers: Iterable[str]) -> None:
        for phone in phone_numbers:
            if self.entries.pop((kind, space, phone), None) is not None:
                self.changed = True

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION,
                "entries": [e.to_dict() for e in sorted(self.entries.values(), key=lambda e: e.key)]}

    def save(self) -> None:
        """Write the journal if anything changed (atomically; nothing at all while it was never needed)."""
        if self.path is None or not self.changed:
            return
        if not self.entries and not self.path.exists():
            return
        write_atomically(self.path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        self.changed = False


def _entry(raw: Any) -> Entry | None:
    if not isinstance(raw, dict):
        return None
    names = ("kind", "space", "cust_space_id", "phone_number", "at")
    if not all(isinstance(raw.get(n), str) for n in names) or raw["kind"] not in KINDS:
        return None
    detail = raw.get("detail", "")
    return Entry(raw["kind"], raw["space"], raw["cust_space_id"], raw["phone_number"], raw["at"],
                 detail if isinstance(detail, str) else "")
