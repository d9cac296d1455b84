"""Putting a matrix run's pieces back together: per-account plans (``plan --out``) or drift reports
(``drift --out``) into one plan, rendered once (one comment, one set of annotations, one JSON document, one
exit code); per-account apply results into one outcome.

A merged plan is what one process over the same spaces would have planned, change by change: the pieces'
changes and spaces, the desired fingerprint of their spaces computed again from the YAML, the account checks
folded as one run folds them (``accounts.combine_preflights``), the blockers judged again on the whole
(``safety.plan_blockers``, as ``make_plan`` does), the calls summed and the provenance joined (each account
named as the piece that read it names it). What differs from one process is only what several processes
cost: each piece checked its account once, so shards of one account add a ``GetCustomerAccountInfo`` each.

Pieces that do not belong together are refused, every reason at once and nothing rendered: pieces of
different commits (or tool versions), of different options (``--force``, ``--retry-sync``, scope), two pieces
covering one space, a space the YAML expects in this run that no piece covers (an account or a shard whose
job did not run), a piece covering a space the YAML does not declare or made from other YAML (its desired
fingerprint), and, where plans are signed (``CAMS_RECONCILER_PLAN_KEY``), a piece whose signature does not
verify (``staleness.load_saved_plan``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.model import DesiredState
from reconciler.core.plan import Plan, Preflight, Scope
from reconciler.core.provenance import Provenance, Target
from reconciler.engine.accounts import combine_preflights, preflight_rank
from reconciler.engine.errors import EngineError
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.safety import plan_blockers
from reconciler.engine.staleness import load_saved_plan
from reconciler.files import read_input

MAX_RESULTS_BYTES = 64 * 1024 * 1024


class MergeError(EngineError):
    """Pieces that do not belong together: every reason, one per line, naming the files."""


@dataclass(frozen=True)
class Piece:
    path: str
    plan: Plan

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.account for s in self.plan.spaces))


def load_pieces(paths: Sequence[str], *, plan_key: str | None) -> list[Piece]:
    """Each file as a checked plan (schema, version, and with ``plan_key`` its signature)."""
    if len(set(paths)) != len(paths):
        raise MergeError("a piece is given twice: " + ", ".join(sorted({p for p in paths if paths.count(p) > 1})))
    return [Piece(p, load_saved_plan(p, plan_key=plan_key)) for p in paths]


def expected_spaces(desired: DesiredState, chosen: Iterable[str] | None) -> tuple[str, ...]:
    names = None if chosen is None else set(chosen)
    return tuple(s.name for s in desired.spaces if names is None or s.name in names)


def problems(pieces: Sequence[Piece], desired: DesiredState, expected: Sequence[str]) -> list[str]:
    """Why ``pieces`` do not make one plan of ``expected`` (space names) of ``desired``: every reason."""
    out: list[str] = []
    if not pieces:
        return ["no piece to merge"]

    def grouped(value_of: Any) -> dict[Any, list[str]]:
        seen: dict[Any, list[str]] = {}
        for piece in pieces:
            seen.setdefault(value_of(piece), []).append(piece.path)
        return seen

    for what, value_of in (("commits", lambda p: p.plan.provenance.git_commit if p.plan.provenance else None),
                           ("tool versions", lambda p: p.plan.provenance.tool_version if p.plan.provenance else None),
                           ("--force settings", lambda p: p.plan.force),
                           ("--retry-sync settings", lambda p: p.plan.retry_sync),
                           ("scopes (--changed-since)", lambda p: p.plan.scope.changed_since if p.plan.scope else None)):
        groups = grouped(value_of)
        if len(groups) > 1:
            out.append(f"the pieces are of different {what}: " + "; ".join(
                f"{'none' if v is None else v} ({', '.join(paths)})" for v, paths in groups.items()))
    owner: dict[str, str] = {}
    declared = {s.name: s for s in desired.spaces}
    for piece in pieces:
        unknown = [s.name for s in piece.plan.spaces if s.name not in declared]
        if unknown:
            out.append(f"{piece.path} covers {', '.join(unknown)}, which the YAML does not declare")
        for space in piece.plan.spaces:
            if space.name in owner:
                out.append(f"{piece.path} and {owner[space.name]} both cover space {space.name}")
            owner.setdefault(space.name, piece.path)
        known = [declared[s.name] for s in piece.plan.spaces if s.name in declared]
        if not unknown and known and piece.plan.desired_fingerprint != desired_fingerprint(known):
            out.append(f"{piece.path} was made from other YAML than this checkout's (its desired fingerprint "
                       "differs)")
    missing: dict[str, list[str]] = {}
    for name in expected:
        if name not in owner:
            missing.setdefault(declared[name].account, []).append(name)
    for account, names in missing.items():
        covered = any(s.account == account for p in pieces for s in p.plan.spaces)
        listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        out.append(f"no piece covers {'space(s) ' + listed + ' of ' if covered else ''}account {account}"
                   + ("" if covered else f" ({listed})") + ", which the YAML expects in this run")
    extra = sorted((set(owner) & set(declared)) - set(expected))  # undeclared ones are reported above
    if extra:
        out.append(f"the pieces cover {', '.join(extra[:10])}, which this run does not select")
    return out


def merge_plans(pieces: Sequence[Piece], desired: DesiredState, expected: Sequence[str]) -> Plan:
    """One plan of the pieces (``MergeError`` when they do not belong together)."""
    found = problems(pieces, desired, expected)
    if found:
        raise MergeError("refusing to merge the pieces:\n" + "\n".join(f"  - {p}" for p in found))
    declared = {s.name: s for s in desired.spaces}
    order = {name: i for i, name in enumerate(declared)}
    spaces = tuple(sorted((s for p in pieces for s in p.plan.spaces), key=lambda s: order[s.name]))
    calls: dict[str, int] = {}
    for piece in pieces:
        for action, n in piece.plan.calls.items():
            calls[action] = calls.get(action, 0) + n
    first = pieces[0].plan
    plan = dataclasses.replace(
        first, changes=tuple(c for p in pieces for c in p.plan.changes), spaces=spaces,
        desired_fingerprint=desired_fingerprint(declared[s.name] for s in spaces),
        preflight=_preflight(pieces, [s.account for s in spaces]), calls=dict(sorted(calls.items())),
        provenance=_provenance(pieces, [s.account for s in spaces]), blockers=(),
        scope=None if first.scope is None else Scope(first.scope.changed_since, len(desired.spaces)),
        # each piece's digest covers its own spaces' ${env:} values; apply checks each piece's, never this
        env_digest=first.env_digest if len(pieces) == 1 else None)
    return dataclasses.replace(plan, blockers=plan_blockers(plan, desired, force=plan.force))


def _preflight(pieces: Sequence[Piece], accounts_in_order: Sequence[str]) -> Preflight:
    by_account: dict[str, Preflight] = {}
    for piece in pieces:
        own = piece.accounts
        for account in own:
            preflight = piece.plan.preflight
            if len(own) > 1:  # a piece over several accounts folded its checks: take each one's part back
                data = preflight.data.get(account)
                preflight = Preflight(preflight.status, preflight.detail,
                                      data if isinstance(data, Mapping) else {})
            held = by_account.get(account)
            # shards of one account: the worst check
            if held is None or preflight_rank(preflight.status) < preflight_rank(held.status):
                by_account[account] = preflight
    ordered = {a: by_account[a] for a in dict.fromkeys(accounts_in_order) if a in by_account}
    return combine_preflights(ordered) if ordered else Preflight("skipped", "no space to plan")


def _provenance(pieces: Sequence[Piece], accounts_in_order: Sequence[str]) -> Provenance | None:
    """Each account as the piece that read it names it, in the order one run names them (the spaces'); the
    latest time; the pieces' one commit."""
    known = [p for p in pieces if p.plan.provenance is not None]
    if not known:
        return None
    targets: dict[str, Target] = {}
    for piece in known:
        assert piece.plan.provenance is not None
        for target in piece.plan.provenance.targets:
            if target.account in piece.accounts or target.account not in targets:
                targets[target.account] = target
    base = max((p.plan.provenance for p in known if p.plan.provenance), key=lambda v: v.created_at)
    rank = {a: i for i, a in enumerate(dict.fromkeys(accounts_in_order))}
    ordered = sorted(targets.values(), key=lambda t: rank.get(t.account, len(rank)))
    return dataclasses.replace(base, targets=tuple(ordered))


# -- apply outcomes -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One account's apply, as its results file says (or its absence)."""

    account: str
    status: str  # converged | failed | incomplete | error | interrupted | missing
    summary: str
    error: str | None = None
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    path: str | None = None

    @property
    def applied(self) -> bool:
        return self.status == "converged"


def load_outcomes(paths: Sequence[str], expected_accounts: Sequence[str]) -> list[Outcome]:
    """Each results file's account and outcome; an expected account with no file is ``missing``."""
    out: list[Outcome] = []
    for path in paths:
        data = _results(path)
        accounts = _results_accounts(data)
        name = ", ".join(accounts) if accounts else f"? ({Path(path).name})"
        counts = _mapping(data.get("counts"))
        out.append(Outcome(name, str(data.get("status")), str(data.get("summary", "")),
                           None if data.get("error") is None else str(data.get("error")),
                           {k: int(v) for k, v in counts.items() if isinstance(v, int)}, path))
    covered = {a for o in out for a in o.account.split(", ")}
    for account in expected_accounts:
        if account not in covered:
            out.append(Outcome(account, "missing", "no results: the account's apply job did not run or did not "
                                                   "upload its results"))
    return out


def _results(path: str) -> dict[str, Any]:
    from reconciler.files import InputFileError

    try:
        data = json.loads(read_input(Path(path), MAX_RESULTS_BYTES).decode("utf-8"))
    except InputFileError as exc:
        raise MergeError(f"{path}: {exc.reason}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise MergeError(f"{path}: not an apply results file (not JSON)") from None
    if not isinstance(data, dict) or "results" not in data or "status" not in data:
        raise MergeError(f"{path}: not an apply results file (written by `apply --results`)")
    return data


def _results_accounts(data: Mapping[str, Any]) -> list[str]:
    rows = _list(data.get("results"))
    named = [str(r["account"]) for r in rows if isinstance(r, dict) and isinstance(r.get("account"), str)]
    targets = _list(_mapping(data.get("provenance")).get("targets"))
    named += [str(t["account"]) for t in targets if isinstance(t, dict) and isinstance(t.get("account"), str)]
    return list(dict.fromkeys(named))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_results(path: str) -> bool:
    """Whether ``path`` holds apply results rather than a plan (by its keys; a bad file: neither)."""
    try:
        data = json.loads(read_input(Path(path), MAX_RESULTS_BYTES).decode("utf-8"))
    except Exception:  # noqa: BLE001 - the plan loader then says what is wrong with it
        return False
    return isinstance(data, dict) and "results" in data and "changes" not in data


# -- drift issues -------------------------------------------------------------------------------------------

MAX_ISSUES_BYTES = 64 * 1024 * 1024
_OPERATION_STATES = ("open", "closed")
_OPERATION_FIELDS = ("space", "title", "state", "body", "comment")


def _issues_document(path: str) -> Any:
    try:
        return json.loads(read_input(Path(path), MAX_ISSUES_BYTES).decode("utf-8"))
    except Exception:  # noqa: BLE001 - is_issues: not an issues file; merge_issues says why when it matters
        return None


def is_issues(path: str) -> bool:
    """Whether ``path`` holds drift issue operations (``drift --issues-out``) rather than a drift report."""
    from reconciler.engine.drift_issues import ISSUES_FORMAT

    data = _issues_document(path)
    return isinstance(data, dict) and data.get("format") == ISSUES_FORMAT


def merge_issues(paths: Sequence[str], plan: Plan) -> dict[str, Any]:
    """One issue operations document of the account jobs' (``drift --issues-out`` of each), for the spaces of
    ``plan`` (the merged drift report) in its order. Each space's operation is the one its account's job made
    from its own previous findings, so the document is what one process over every account writes. Refused
    (``MergeError``, every reason at once): files of different labels, an operation that is malformed or
    whose title is not its space's, a space two files cover or no drift piece covers, and a space the report
    read that no file covers (an account's job that wrote no issues)."""
    from reconciler.engine.drift_issues import ISSUES_FORMAT, title_of

    problems: list[str] = []
    labels: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    found: dict[str, dict[str, Any]] = {}
    spaces = {s.name: s for s in plan.spaces}
    for path in paths:
        data = _issues_document(path)
        if not isinstance(data, dict) or data.get("format") != ISSUES_FORMAT or data.get("version") != 1 \
                or not isinstance(data.get("operations"), list) or not isinstance(data.get("label"), str):
            problems.append(f"{path}: not a drift issues file of this version (written by `drift --issues-out`)")
            continue
        labels.setdefault(data["label"], []).append(path)
        for i, op in enumerate(data["operations"]):
            space = op.get("space") if isinstance(op, dict) else None
            if not isinstance(op, dict) or not isinstance(space, str) or op.get("title") != title_of(space) \
                    or op.get("state") not in _OPERATION_STATES \
                    or not all(op.get(k) is None or isinstance(op.get(k), str) for k in ("body", "comment")):
                problems.append(f"{path}: operations[{i}] is not an issue operation of its space")
                continue
            if space not in spaces:
                problems.append(f"{path} has the issue of space {space}, which no drift piece covers")
            elif space in owner:
                problems.append(f"{path} and {owner[space]} both have the issue of space {space}")
            else:
                # only the fields an operation has: anything else in a piece is not carried to the issues job
                owner[space], found[space] = path, {k: op.get(k) for k in _OPERATION_FIELDS}
    if len(labels) > 1:
        problems.append("the issues files are of different labels: " + "; ".join(
            f"{label} ({', '.join(files)})" for label, files in labels.items()))
    missing: dict[str, list[str]] = {}
    for space in plan.spaces:
        if not space.errored and space.name not in owner:
            missing.setdefault(space.account, []).append(space.name)
    for account, names in missing.items():
        problems.append(f"no issues file covers space(s) {', '.join(names)} of account {account} (its job must "
                        "run drift --issues-out)")
    if problems:
        raise MergeError("refusing to merge the drift issues:\n" + "\n".join(f"  - {p}" for p in problems))
    label = next(iter(labels)) if labels else "cams-drift"
    return {"format": ISSUES_FORMAT, "version": 1, "label": label,
            "operations": [found[s.name] for s in plan.spaces if s.name in found]}
