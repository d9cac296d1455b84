"""What ``apply`` did, change by change: the record a CI job keeps and a person reads after a failure.

Every write change of the plan ends with exactly one outcome:

- ``done``: the change is in effect, proven by re-reading the space after the writes (or the re-read made
  before writing showed it was already in effect, so no write was needed);
- ``failed``: a write was refused (the API's code and message are kept) or the re-read still differs;
- ``skipped``: never attempted, with why (missing verify-code variable, interrupted, an earlier refusal in
  the same space, the number is not in the space).

The file is written on every way out of apply (``ResultsRecorder``): a refusal or an error before the writes
(status ``error``, every planned write ``skipped`` with the reason), an interruption before the writing
phase, both signals during it, a crash while reporting. ``WriteLedger`` keeps, outside the executor, which
writes were sent and which the API acknowledged, so a second signal (which abandons the executor) still
reports an acknowledged write as ``done`` and only the unanswered ones as "may or may not have landed".

The JSON form (``--results FILE``, ``schemas/results.schema.json``) holds no secret: messages come from
``ClientError`` (which scrubs what it sent) or are written here without values; ``before``/``after`` are the
plan's already-redacted values. The file is written atomically so a reader never sees half of it.
How a person reads the report (the table, the annotations) is ``reconciler.render``'s: ``render_apply``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from reconciler.client.actions import ACTIONS
from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.errors import ExitCode
from reconciler.core.plan import Action, Address, Change, Plan
from reconciler.core.provenance import Provenance
from reconciler.engine.counting import METHOD_ACTIONS
from reconciler.files import write_atomically

RESULTS_FORMAT_VERSION = 1



def _transient(code: str) -> bool:
    """A failure code a retry may not meet again. (The client already retried these before giving up.)"""
    return (code.startswith(("Throttling", "System.LimitControl", "Timeout", "Connect", "Transport"))
            or code in {"InternalError", "ServiceUnavailable", "ServerError"})


class Outcome(str, Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ChangeResult:
    change: Change
    outcome: Outcome
    message: str
    code: str | None = None  # the API error code of a failed write

    def to_dict(self) -> dict[str, Any]:
        c = self.change
        return {
            "address": c.ref,
            "action": c.shown_action,
            "space": c.space,
            "cust_space_id": c.cust_space_id,
            "phone_number": c.phone_number,
            "field": c.field,
            "pending": c.pending,
            "status": self.outcome.value,
            "code": self.code,
            "message": self.message,
            "before": c.before,
            "after": c.after,
        }


@dataclass(frozen=True)
class ApplyReport:
    """Everything one apply run did. ``follow_up`` lists differences the final re-read found that the plan
    did not call for (typically the webhooks of a number that a sync just brought in): the next plan shows
    them, this apply does not act on them (only the reviewed plan may run)."""

    results: tuple[ChangeResult, ...]
    interrupted_by: str | None = None  # "SIGINT" | "SIGTERM"
    follow_up: tuple[Change, ...] = ()
    calls: Mapping[str, int] = field(default_factory=dict)  # API action → calls made while applying
    # Space name → the account whose key wrote it (``space_accounts(plan)``); a space not listed: ``default``.
    accounts: Mapping[str, str] = field(default_factory=dict)
    # What the run was for: tool version, time, commit, account/region/endpoint (``reconciler.provenance``).
    provenance: Provenance | None = None
    error: str | None = None  # the one-line error that ended the run early (refusal, failure, crash)

    @classmethod
    def abandoned(cls, plan: Plan, finished: Iterable[ChangeResult], signal_name: str,
                  calls: Mapping[str, int], ledger: WriteLedger | None = None) -> ApplyReport:
        """The report of an apply stopped by a second interrupt without waiting for its writes in flight:
        what had finished; writes the API acknowledged as done (not re-read); writes sent but unanswered as
        not finished (they may have landed or not); the rest as not started."""
        results = {r.change.key: r for r in finished}
        ledger = ledger if ledger is not None else WriteLedger()
        for change in plan.writes:
            if change.key in results:
                continue
            results[change.key] = ledger.outcome_after_abandon(change, signal_name)
        ordered = sorted(results.values(), key=lambda r: r.change.sort_key)
        return cls(tuple(ordered), signal_name, (), dict(sorted(calls.items())), accounts=space_accounts(plan))

    def account_of(self, change: Change) -> str:
        return self.accounts.get(change.space, DEFAULT_ACCOUNT)

    @classmethod
    def not_run(cls, plan: Plan | None, why: str, *, interrupted_by: str | None = None,
                error: str | None = None, finished: Iterable[ChangeResult] = (),
                calls: Mapping[str, int] | None = None, ledger: WriteLedger | None = None) -> ApplyReport:
        """The report of a run that ended before (or while) writing for a reason other than the executor's
        own outcome: every planned write not already finished is ``skipped`` with ``why`` (or ``done`` /
        "may or may not" per the ledger when its write had been sent)."""
        results = {r.change.key: r for r in finished}
        for change in (plan.writes if plan is not None else ()):
            if change.key in results:
                continue
            if ledger is not None and ledger.sent(change):
                results[change.key] = ledger.outcome_after_abandon(change, interrupted_by or "an error")
            else:
                results[change.key] = ChangeResult(change, Outcome.SKIPPED, f"not attempted: {why}")
        ordered = sorted(results.values(), key=lambda r: r.change.sort_key)
        return cls(tuple(ordered), interrupted_by, (), dict(sorted((calls or {}).items())),
                   accounts=space_accounts(plan) if plan is not None else {}, error=error)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def converged(self) -> bool:
        """Every planned write is in effect and the run was not cut short."""
        return self.interrupted_by is None and self.error is None and all(r.outcome is Outcome.DONE for r in self.results)

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted_by is not None:
            return ExitCode.for_signal(self.interrupted_by)
        return ExitCode.OK if self.converged and self.error is None else ExitCode.ERROR

    @property
    def status(self) -> str:
        if self.interrupted_by is not None:
            return "interrupted"
        if self.error is not None:
            return "error"
        if self.converged:
            return "converged"
        return "failed" if self.count(Outcome.FAILED) else "incomplete"  # incomplete: only skips

    @property
    def write_calls(self) -> int:
        return sum(n for a, n in self.calls.items() if a in ACTIONS and ACTIONS[a].is_write)

    @property
    def retryable(self) -> bool:
        """Some failure is one a later run may not meet again (throttling, a server error, the network)."""
        return any(r.outcome is Outcome.FAILED and r.code is not None and _transient(r.code) for r in self.results)

    def summary_line(self) -> str:
        line = (f"Apply {self.status}: {self.count(Outcome.DONE)} done, {self.count(Outcome.FAILED)} failed, "
                f"{self.count(Outcome.SKIPPED)} skipped")
        writes = self.write_calls
        line += f"; {writes} write call{'s' if writes != 1 else ''}."
        if self.interrupted_by:
            line += f" Interrupted by {self.interrupted_by}: run apply again to finish."
        elif self.error is not None:
            line += f" Stopped by an error: {self.error}"
        elif self.retryable:
            line += " Run apply again to retry what failed on a passing fault (throttling, 5xx, the network)."
        elif not self.converged:
            line += " See each result for what to fix; running apply again alone will not fix it."
        if self.follow_up:
            line += (f" The re-read found {len(self.follow_up)} difference(s) the plan did not include: "
                     "run plan again.")
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": RESULTS_FORMAT_VERSION,
            "status": self.status,
            "interrupted_by": self.interrupted_by,
            "error": self.error,
            "summary": self.summary_line(),
            "counts": {o.value: self.count(o) for o in Outcome},
            "calls": dict(sorted(self.calls.items())),
            "results": [{**r.to_dict(), "account": self.account_of(r.change)} for r in self.results],
            "follow_up": [c.to_dict() for c in self.follow_up],
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
        }


def write_results(path: str | os.PathLike[str], report: ApplyReport) -> None:
    """Write the JSON results atomically (``reconciler.files``): a CI step reading them after a crash or a
    kill finds the previous complete file or the new one, never a torn one."""
    write_atomically(path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


#: A write as the ledger knows it: (API action, CustSpaceId, PhoneNumber or None for a space-wide sync).
WriteKey = tuple[str, str, "str | None"]

#: The API action whose acknowledgement completes each membership action (a migration: its registration);
#: a kind's change is recorded by apply itself (``begin``/``acknowledge``).
_COMPLETING_ACTION = {Action.SYNC: "ChatappSyncPhoneNumber", Action.VERIFY_MIGRATION: "ChatappMigrationRegister",
                      Action.REGISTER_MIGRATION: "ChatappMigrationRegister"}
_FIRST_ACTION = {**_COMPLETING_ACTION, Action.VERIFY_MIGRATION: "ChatappMigrationVerified"}


class WriteLedger:
    """Which writes were sent and which the API acknowledged, recorded by ``wrap(client)`` as they happen.

    Kept by the CLI, outside the executor: a second signal cancels the executor before it reports, and the
    ledger is then the only witness of what had landed."""

    def __init__(self) -> None:
        self.started: set[WriteKey] = set()
        self.acknowledged: set[WriteKey] = set()
        # Changes by their identity (address and action), as apply starts and finishes them: one change may
        # send several calls (a collection's items) and one call key may serve several changes (a space's
        # templates), so they are told apart by the change, not by the call. Membership changes are told by
        # their calls (``key``): a verification and its registration are two calls of one change.
        self.changes_started: set[tuple[Address, Action]] = set()
        self.changes_acknowledged: set[tuple[Address, Action]] = set()

    def begin(self, change: Change) -> None:
        self.changes_started.add(change.key)

    def acknowledge(self, change: Change) -> None:
        self.changes_acknowledged.add(change.key)

    def wrap(self, client: Any) -> LedgerClient:
        return LedgerClient(client, self)

    @staticmethod
    def key(action: str, change: Change) -> WriteKey:
        return (action, change.cust_space_id, None if change.action is Action.SYNC else change.phone_number)

    def sent(self, change: Change) -> bool:
        if change.action not in _FIRST_ACTION:
            return change.key in self.changes_started
        first = _FIRST_ACTION.get(change.action)
        return first is not None and self.key(first, change) in self.started

    def _acknowledged(self, change: Change) -> bool:
        if change.action not in _COMPLETING_ACTION:
            return change.key in self.changes_acknowledged
        done = _COMPLETING_ACTION.get(change.action)
        return done is not None and self.key(done, change) in self.acknowledged

    def outcome_after_abandon(self, change: Change, signal_name: str) -> ChangeResult:
        """What can be said of ``change`` when apply stopped without waiting for it."""
        done = _COMPLETING_ACTION.get(change.action)
        if self._acknowledged(change):
            return ChangeResult(change, Outcome.DONE, f"written (acknowledged by the API); not re-read because "
                                f"apply was stopped by {_signal_phrase(signal_name)}: the next plan confirms it")
        if change.action is Action.VERIFY_MIGRATION and self.key(_FIRST_ACTION[change.action], change) in self.acknowledged:
            register = self.key(done or "", change) in self.started
            return ChangeResult(change, Outcome.SKIPPED, (
                "verified (acknowledged by the API), " + ("the registration was sent but not answered"
                                                          if register else "not registered")
                + f" when apply was stopped by {_signal_phrase(signal_name)}; run plan to see, and register it "
                f"with `cams-reconciler call ChatappMigrationRegister CustSpaceId={change.cust_space_id} "
                f"PhoneNumber={change.phone_number}` if it is not"))
        if self.sent(change):
            return ChangeResult(change, Outcome.SKIPPED, f"not finished: apply was stopped by "
                                f"{_signal_phrase(signal_name)} without waiting for the writes in flight; this one "
                                "may or may not have landed, run plan to see")
        return ChangeResult(change, Outcome.SKIPPED, f"not started: apply was stopped by {_signal_phrase(signal_name)}")


def _signal_phrase(name: str) -> str:
    return f"a second {name}" if name.startswith("SIG") else name


class LedgerClient:
    """Passes calls through to ``inner``, recording each write in the ledger when sent and when answered."""

    def __init__(self, inner: Any, ledger: WriteLedger) -> None:
        self._inner = inner
        self._ledger = ledger

    async def call(self, action: str, params: Mapping[str, Any]) -> Any:
        """The generic call (the kinds' writes), recorded like the typed methods."""
        if not ACTIONS[action].is_write:
            return await self._inner.call(action, params)
        key: WriteKey = (action, str(params.get("CustSpaceId")), params.get("PhoneNumber"))
        self._ledger.started.add(key)
        result = await self._inner.call(action, params)
        self._ledger.acknowledged.add(key)
        return result

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        action = METHOD_ACTIONS.get(name)
        if action is None or not ACTIONS[action].is_write:
            return target

        async def recorded(cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
            phone = None if action == "ChatappSyncPhoneNumber" else (args[0] if args else kwargs.get("phone_number"))
            key: WriteKey = (action, cust_space_id, phone)
            self._ledger.started.add(key)
            result = await target(cust_space_id, *args, **kwargs)
            self._ledger.acknowledged.add(key)
            return result

        return recorded


class ResultsRecorder:
    """Writes ``--results`` once, whichever way apply ends: the final report when there is one, else the
    best account of the run so far (``fallback``). Holds what the CLI learns as it goes."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = path
        self.plan: Plan | None = None
        self.finished: list[ChangeResult] = []
        self.ledger = WriteLedger()
        self.calls: Counter[str] = Counter()
        self.provenance: Provenance | None = None
        self.written = False

    def write(self, report: ApplyReport) -> None:
        if self.path is not None:
            write_results(self.path, report)
        self.written = True

    def fallback(self, *, error: str | None = None, interrupted_by: str | None = None) -> ApplyReport:
        if interrupted_by is not None:
            why = f"apply was interrupted ({interrupted_by}) before this write"
        else:
            why = f"apply stopped before this write: {error}"
        report = ApplyReport.not_run(self.plan, why, interrupted_by=interrupted_by, error=error,
                                     finished=self.finished, calls=self.calls, ledger=self.ledger)
        return replace(report, provenance=self.provenance)


def space_accounts(plan: Plan) -> dict[str, str]:
    """Space name → the account of that space in ``plan`` (what ``ApplyReport.accounts`` holds)."""
    return {s.name: s.account for s in plan.spaces}
