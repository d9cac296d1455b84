"""Shared builders and checks for the reliability suite (faults, properties, bad input).

Kept apart from the integration tests' helpers on purpose: this suite states its own scenarios, so what it
proves is readable here. Everything talks to the real emulator over loopback HTTP; the audit log is the
witness of which calls were made.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.cli import main
from reconciler.client.actions import ACTIONS
from reconciler.core.plan import Action, Plan
from reconciler.emulator.faults import Hold
from reconciler.engine import Journal
from reconciler.state.dir import DirStore
from reconciler.state.lock import held_locks
from reconciler.state.store import decode

#: API write action → the plan action it carries out (as the change reads: its label).
WRITE_ACTION_OF = {
    "ChatappSyncPhoneNumber": "sync",
    "ChatappMigrationVerified": "verify-migration",
    "ChatappMigrationRegister": "verify-migration",
    "UpdatePhoneWebhook": "update-webhook",
    "ModifyPhoneBusinessProfile": "update-profile",
}

ACCOUNT = {"Mpk": 1, "HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True,
           "AccountType": "1"}


def number_entry(phone: str, status_url: str | None, up_url: str | None, **extra: Any) -> dict[str, Any]:
    """A QueryChatappPhoneNumbers item as the emulator state holds it (healthy unless ``extra`` says not)."""
    entry: dict[str, Any] = {
        "PhoneNumber": phone, "VerifiedName": "Reliability", "Status": "CONNECTED", "QualityRating": "GREEN",
        "CodeVerificationStatus": "VERIFIED", "NameStatus": "Approval", "NewNameStatus": "Approval",
        "MessagingLimitTier": "TIER_10K", "StatusQueue": "Alicom-Queue-1-ChatAppStatus",
        "UpQueue": "Alicom-Queue-1-ChatAppInbound",
    }
    if status_url is not None:
        entry["StatusCallbackUrl"] = status_url
    if up_url is not None:
        entry["UpCallbackUrl"] = up_url
    entry.update(extra)
    return entry


def emulator_state(spaces: dict[str, dict[str, Any]], *, key: tuple[str, str] = ("demo", "demo-secret")) -> dict:
    return {"keys": [{"access_key_id": key[0], "access_key_secret": key[1]}], "account": dict(ACCOUNT),
            "spaces": spaces}


# -- audit log -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditEntry:
    action: str | None
    space: str | None
    phone: str | None
    http_status: int
    code: str

    @property
    def is_write(self) -> bool:
        return self.action in ACTIONS and ACTIONS[self.action].is_write


class AuditReader:
    """Reads an emulator audit log incrementally: ``mark()`` then ``since_mark()`` gives one phase's calls."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0

    def mark(self) -> None:
        self._offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> list[AuditEntry]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            f.seek(self._offset)
            data = f.read().decode("utf-8")
        return [_entry(json.loads(line)) for line in data.splitlines() if line.strip()]

    def all(self) -> list[AuditEntry]:
        if not self.path.exists():
            return []
        return [_entry(json.loads(line)) for line in self.path.read_text("utf-8").splitlines() if line.strip()]


def _entry(raw: dict[str, Any]) -> AuditEntry:
    params = raw.get("parameters") or {}
    return AuditEntry(raw.get("action"), params.get("CustSpaceId"), params.get("PhoneNumber"),
                      int(raw["http_status"]), str(raw.get("code", "")))


def unplanned_writes(entries: Iterable[AuditEntry], plan: Plan) -> list[AuditEntry]:
    """Writes in the log that no change of ``plan`` calls for (matched by action, space id and number;
    a sync is space-wide). Failed attempts count too: a write the plan did not call for must not even be
    tried."""
    planned = {(c.shown_action, c.cust_space_id, c.phone_number) for c in plan.changes if c.action.writes}
    out = []
    for e in entries:
        if not e.is_write:
            continue
        kind = WRITE_ACTION_OF.get(str(e.action))
        phone = None if kind == Action.SYNC.value else e.phone
        if (kind, e.space, phone) not in planned:
            out.append(e)
    return out


# -- a real run SIGKILLed at an exact point ------------------------------------------------------------------

def sigkill_at_hold(proc: subprocess.Popen[str], held: Hold) -> None:
    """SIGKILL ``proc`` once the emulator holds its request (``faults.hold``: before it runs, or after it
    landed), then end that request without an answer: the run dies with the request on the wire, no sleep
    race. Returns once the held request is over and in the audit log."""
    try:
        if not held.arrived.wait(60):
            proc.kill()
            raise AssertionError(f"the held request never arrived; the run said: {proc.communicate()}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        held.release(drop=True)  # the dead client's request: no answer (held before: it never runs)
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert held.done.wait(30)  # the held request is over and in the audit log
    assert proc.returncode == -signal.SIGKILL


def break_the_killed_runs_lock(journal: Path) -> None:
    """A killed run's state lock stays until an operator breaks it on purpose (``state unlock``), as after
    any killed apply: exactly one is left, in the ``dir:`` store beside ``journal``."""
    [lock] = held_locks(DirStore(journal.parent))
    assert main(["state", "unlock", lock.id, "--journal", str(journal)]) == 0


def journal_entries(journal: Path) -> list[tuple[str, str]]:
    """The journal's ``(kind, phone number)`` entries as the next run reads them: the records of the state
    store ``--journal`` names (a ``dir:`` store at its folder), and today's file while it has not been
    adopted."""
    store = DirStore(journal.parent)
    found = [(e["kind"], e["phone_number"]) for name in store.names()
             for doc in [decode(name, store.get(name).data)] if doc["kind"] == "journal"  # type: ignore[union-attr]
             for e in (doc["data"] or {}).get("entries", [])]  # None: an adopted file that kept nothing
    return sorted(found + [(e.kind, e.phone_number) for e in Journal.load(journal).entries.values()])
