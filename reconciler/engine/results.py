"""What ``apply`` did, change by change: the record a CI job keeps and a person reads after a failure.

Every write change of the plan ends with exactly one outcome:

- ``done``: the change is in effect, proven by re-reading the space after the writes (or the re-read made
  before writing showed it was already in effect, so no write was needed);
- ``failed``: a write was refused (the API's code and message are kept) or the re-read still differs;
- ``skipped``: never attempted, with why (missing verify-code variable, interrupted, an earlier refusal in
  the same space, the number is not in the space).

The JSON form (``--results FILE``, ``schemas/results.schema.json``) holds no secret: messages come from
``ClientError`` (which scrubs what it sent) or are written here without values; ``before``/``after`` are the
plan's already-redacted values. The file is written atomically so a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping

from reconciler.client.actions import ACTIONS
from reconciler.config.model import DEFAULT_ACCOUNT
from reconciler.files import write_atomically
from reconciler.engine.plan import Change, Plan
from reconciler.provenance import Provenance

RESULTS_FORMAT_VERSION = 1

#: Exit codes of an apply run, after the shell convention for a process ended by a signal (128 + n).
EXIT_OK = 0
EXIT_FAILED = 1
SIGNAL_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


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
            "address": c.address,
            "action": c.action.value,
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

    @classmethod
    def abandoned(cls, plan: Plan, finished: Iterable[ChangeResult], signal_name: str,
                  calls: Mapping[str, int]) -> "ApplyReport":
        """The report of an apply stopped by a second interrupt without waiting for its writes in flight:
        what had finished, and every other write change as not finished (it may have landed or not)."""
        results = {r.change.address: r for r in finished}
        for change in plan.writes:
            results.setdefault(change.address, ChangeResult(
                change, Outcome.SKIPPED, f"not finished: apply was stopped by a second {signal_name} without "
                "waiting for the writes in flight; this one may or may not have landed, run plan to see"))
        ordered = sorted(results.values(), key=lambda r: r.change.sort_key)
        return cls(tuple(ordered), signal_name, (), dict(sorted(calls.items())), accounts=space_accounts(plan))

    def account_of(self, change: Change) -> str:
        return self.accounts.get(change.space, DEFAULT_ACCOUNT)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def converged(self) -> bool:
        """Every planned write is in effect and the run was not cut short."""
        return self.interrupted_by is None and all(r.outcome is Outcome.DONE for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.interrupted_by is not None:
            return SIGNAL_EXIT_CODES.get(self.interrupted_by, EXIT_FAILED)
        return EXIT_OK if self.converged else EXIT_FAILED

    @property
    def status(self) -> str:
        if self.interrupted_by is not None:
            return "interrupted"
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
            "summary": self.summary_line(),
            "counts": {o.value: self.count(o) for o in Outcome},
            "calls": dict(sorted(self.calls.items())),
            "results": [{**r.to_dict(), "account": self.account_of(r.change)} for r in self.results],
            "follow_up": [c.to_dict() for c in self.follow_up],
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
        }


def render_report(report: ApplyReport, fmt: str) -> str:
    """The end-of-run summary: a table of every change's outcome, then the summary line.

    ``text`` is an aligned table for a terminal, ``markdown`` a table for a CI job summary or PR comment,
    ``json`` the same document as ``--results``.
    """
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    # Several accounts: the rows account by account, each account's after a heading (outcome None).
    order = {a: i for i, a in enumerate(dict.fromkeys(report.account_of(r.change) for r in report.results))}
    rows: list[tuple[str, str | None, str]] = []
    current: str | None = None
    for r in sorted(report.results, key=lambda r: order[report.account_of(r.change)]):
        account = report.account_of(r.change)
        if len(order) > 1 and account != current:
            current = account
            rows.append((f"Account {account}", None, ""))
        rows.append((r.change.address, r.outcome.value, _detail(r)))
    follow = [(c.address, "not planned", c.reason) for c in report.follow_up]
    if fmt == "markdown":
        lines = ["### Apply results", "", "| change | result | detail |", "| --- | --- | --- |"]
        for addr, outcome, detail in rows + follow:
            if outcome is None:
                lines.append(f"| **{_md_escape(addr)}** | | |")
                continue
            lines.append(f"| `{addr}` | {_md_outcome(outcome)} | {_md_escape(detail)} |")
        if not rows and not follow:
            lines.append("| (nothing to apply) | | |")
        lines += ["", f"**{report.summary_line()}**"]
        return "\n".join(lines)
    lines = []
    if rows or follow:
        width = max(len(a) for a, _, _ in rows + follow)
        lines.append(f"{'CHANGE'.ljust(width)}  {'RESULT'.ljust(11)}  DETAIL")
        for addr, outcome, detail in rows + follow:
            lines.append(f"== {addr}" if outcome is None else f"{addr.ljust(width)}  {outcome.ljust(11)}  {detail}")
        lines.append("")
    lines.append(report.summary_line())
    return "\n".join(lines)


def _detail(r: ChangeResult) -> str:
    return r.message if r.code is None or r.message.startswith(r.code) else f"{r.code}: {r.message}"


def _md_outcome(outcome: str) -> str:
    return {"done": "✅ done", "failed": "❌ failed", "skipped": "⏭️ skipped"}.get(outcome, f"⚠️ {outcome}")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_results(path: str | os.PathLike[str], report: ApplyReport) -> None:
    """Write the JSON results atomically (``reconciler.files``): a CI step reading them after a crash or a
    kill finds the previous complete file or the new one, never a torn one."""
    write_atomically(path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


def outcomes_by_address(results: Iterable[ChangeResult]) -> dict[str, Outcome]:
    """Address → outcome (tests and the summary use it to look results up)."""
    return {r.change.address: r.outcome for r in results}


def space_accounts(plan: Plan) -> dict[str, str]:
    """Space name → the account of that space in ``plan`` (what ``ApplyReport.accounts`` holds)."""
    return {s.name: s.account for s in plan.spaces}
