"""``apply --plan FILE``: load a saved plan, and run it only while what it depends on has not moved.

The reviewed plan is the only plan that may run, and the saved file is evidence of the review, not a
source of truth: anyone could edit it. So its overrides run only when recorded and re-asserted on the
command line (``override_problems``), apply plans the same spaces again, now, judges everything on that
fresh plan (the guards, the account check), and runs the fresh plan's writes only if they are exactly the
saved ones. The saved plan is stale, and
refused, only when something it depends on moved:

- the YAML of the planned spaces (the desired fingerprint), or a planned space's ``cust_space_id``;
- a saved write change: gone from the fresh plan, or different in any field (before, after, reason,
  severity, pending, source, ...), or computed from actual values that moved since (its ``basis``: the
  planned fields of that number, or the membership of the space where a sync or migration is planned);
- the account's frozen state.

Organic changes elsewhere do not refuse it: a quality rating or tier that moved, another number's name
status, fields no change touches, drift and unmanaged findings (report-only; an ``unmanaged_numbers: error``
finding blocks through the guards of the fresh plan instead). A write the fresh plan has and the saved one
does not (someone repointed another webhook in the console since the review) is not run: it was never
reviewed; the next plan shows it. A refusal names each address and field that moved, before → after
(redacted values only: a plan holds no secret).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from reconciler.core.model import DesiredState
from reconciler.core.plan import FORMAT_VERSION, READABLE_FORMATS, V1_BLOCKS, Action, Change, Plan
from reconciler.engine.apply_errors import OverrideError, PlanFileError, StalePlanError
from reconciler.engine.fingerprint import desired_fingerprint
from reconciler.engine.plan_signing import signature_problem
from reconciler.files import MAX_PLAN_BYTES, DuplicateKeyError, InputFileError, no_duplicate_keys, read_input

_MAX_LISTED = 8  # change addresses listed per space in a stale-plan message


def _plan_schema() -> dict[str, Any] | None:
    """``plan.schema.json`` shipped with the package, or None when this build has none."""
    try:
        text = resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise ValueError("the packaged plan.schema.json is not a JSON object")  # a broken build, not user input
    return schema


def load_saved_plan(path: str | Path, *, plan_key: str | None = None) -> Plan:
    """Read and check a plan written by ``plan --out``. Every way it can be wrong is a ``PlanFileError``
    naming the file: missing, not UTF-8 JSON (e.g. truncated), a key given twice in one object, another
    ``format_version``, not matching the schema (e.g. hand-edited), or, with ``plan_key``
    (``CAMS_RECONCILER_PLAN_KEY``), unsigned or signed otherwise (``plan_signing``)."""
    p = Path(path)
    if not os.path.lexists(p):
        raise PlanFileError(f"{p}: no such plan file (write one with `cams-reconciler plan --out {p}`)")
    try:
        raw = read_input(p, MAX_PLAN_BYTES)  # regular files only, bounded, never blocks (FIFO, /dev/zero)
    except InputFileError as exc:
        raise PlanFileError(f"{p}: {exc.reason.replace('the file', 'the plan file')}") from None
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicate_keys)
    except DuplicateKeyError as exc:
        raise PlanFileError(f"{p}: not a valid plan: the key {_short(json.dumps(str(exc)), 60)} appears twice in "
                            "one object (was it edited? Make the plan again with `plan --out`)") from None
    except UnicodeDecodeError:
        raise PlanFileError(f"{p}: not a plan file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{p}:{exc.lineno}:{exc.colno}: not a plan file: invalid JSON ({exc.msg}); "
                            "is it truncated? Make the plan again with `plan --out`") from None
    except RecursionError:  # the json module decodes recursively: `[[[[...` thousands deep exhausts the stack
        raise PlanFileError(f"{p}: not a plan file (JSON nested too deeply)") from None
    if not isinstance(data, dict):
        raise PlanFileError(f"{p}: not a plan file (expected a JSON object)")
    version = data.get("format_version")
    if version not in READABLE_FORMATS or isinstance(version, bool):
        raise PlanFileError(f"{p}: plan format_version {version!r} is not supported by this version "
                            f"(expected {FORMAT_VERSION}); make the plan again with this version")
    schema = _plan_schema()
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is not None:
            where = "/".join(str(x) for x in error.absolute_path) or "(top level)"
            raise PlanFileError(f"{p}: not a valid plan (at {where}: {_short(error.message)}); was it edited? "
                                "Make the plan again with `plan --out`")
    unsigned = signature_problem(data, plan_key)
    if unsigned:
        raise PlanFileError(f"{p}: refusing the plan: {unsigned}")
    try:
        return Plan.from_dict(data)
    except (KeyError, ValueError, TypeError) as exc:
        raise PlanFileError(f"{p}: not a valid plan ({type(exc).__name__}: {_short(str(exc))})") from None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def missing_spaces(saved: Plan, desired: DesiredState) -> list[str]:
    """Planned spaces that the desired state no longer declares."""
    return [s.name for s in saved.spaces if desired.space(s.name) is None]


@dataclass(frozen=True)
class Reviewed:
    """The plan ``apply --plan`` runs (fresh, limited to the reviewed writes) and what it leaves out."""

    plan: Plan
    not_reviewed: tuple[Change, ...]  # writes the fresh plan has that the saved one does not: not run


def staleness_reasons(saved: Plan, fresh: Plan) -> list[str]:
    """Every way ``fresh`` (the same spaces planned now) shows that ``saved`` is stale; empty = not stale."""
    reasons: list[str] = []
    if saved.desired_fingerprint != fresh.desired_fingerprint:
        reasons.append("the desired state (YAML) of the planned spaces changed since the plan was made "
                       f"(fingerprint {_fp(saved.desired_fingerprint)}→{_fp(fresh.desired_fingerprint)})")
    fresh_spaces = {s.name: s for s in fresh.spaces}
    for old in saved.spaces:
        new = fresh_spaces.get(old.name)
        if new is None:
            reasons.append(f"space {old.name} was planned but is not planned now")
        elif new.cust_space_id != old.cust_space_id:
            reasons.append(f"space {old.name} now points at cust_space_id {new.cust_space_id} "
                           f"(the plan used {old.cust_space_id})")
    if saved.preflight.blocks_apply != fresh.preflight.blocks_apply:
        reasons.append("the account's frozen state changed since the plan was made: "
                       f"{'frozen' if saved.preflight.blocks_apply else 'not frozen'} then, "
                       f"{'frozen' if fresh.preflight.blocks_apply else 'not frozen'} now")
    reasons.extend(_write_differences(saved, fresh))
    return reasons


@dataclass(frozen=True)
class Reasserted:
    """The overrides whoever runs ``apply --plan`` asserts on the command line (never read from the file).

    ``changed``: the spaces whose YAML changed since ``changed_since``, as apply computed them itself."""

    force: bool = False
    retry_sync: bool = False
    targets: tuple[str, ...] = ()
    changed_since: str | None = None
    changed: frozenset[str] | None = None


def override_problems(saved: Plan, desired: DesiredState, given: Reasserted) -> list[str]:
    """Every override of ``saved`` that is not both recorded in the plan (so the reviewer saw it) and
    re-asserted by the command line (so the file alone cannot widen what runs), and the reviewed writes
    the plan's own space list would silently drop. Empty: the plan may be re-planned and compared."""
    problems: list[str] = []
    for name, recorded, flag, made in (("force", saved.force, given.force, "plan --force --out FILE"),
                                       ("retry_sync", saved.retry_sync, given.retry_sync,
                                        "plan --retry-sync --out FILE")):
        option = "--" + name.replace("_", "-")
        if recorded and not flag:
            problems.append(f"the plan records an override ({made}); apply runs it only when re-asserted: "
                            f"`apply --plan FILE {option}` (the shipped workflow passes it only for a merged pull "
                            "request carrying the cams-reconciler/force label)" if name == "force" else
                            f"the plan records an override ({made}); apply runs it only when re-asserted: "
                            f"`apply --plan FILE {option}`")
        elif flag and not recorded:
            problems.append(f"{option} re-asserts an override the plan does not record, so the reviewer did not "
                            f"see it: make the plan with `{made}`, review it, then `apply --plan FILE {option}`")
    planned = [s.name for s in saved.spaces]
    listed = set(planned)
    dropped = sorted({c.space for c in saved.writes if c.space not in listed})
    if dropped:
        problems.append(f"the plan holds writes for {', '.join(dropped)}, which its list of planned spaces leaves "
                        "out: they would not be checked or run (was it edited? make the plan again)")
    declared = [s.name for s in desired.spaces]
    partial = set(planned) != set(declared)
    if given.targets and set(given.targets) != listed:
        problems.append(f"--target {' '.join(sorted(set(given.targets)))} is not the plan's spaces "
                        f"({', '.join(planned) or 'none'}): re-assert exactly the spaces the plan covers")
    elif given.changed_since is not None and given.changed is not None:
        missing = sorted(given.changed - listed)
        if missing:
            problems.append(f"the YAML of {_listing(missing)} changed since {given.changed_since}, and the plan does "
                            f"not cover {'it' if len(missing) == 1 else 'them'}: those changes were not reviewed "
                            "in this plan; make a plan that covers them")
    if partial and not given.targets and given.changed_since is None:
        problems.append(f"the plan covers {len(planned)} of the {len(declared)} declared spaces "
                        f"({', '.join(planned) or 'none'}); a scoped plan runs only when re-asserted: "
                        "`apply --plan FILE --changed-since REF` (apply checks that every space changed since REF "
                        "is in the plan) or `--target NAME` for each space it covers")
    # (On a plan of every declared space, --changed-since is only a check that holds, and --target must
    # name every space: neither widens anything, so a workflow may always pass them.)
    return problems


def check_overrides(path: str | Path, saved: Plan, desired: DesiredState, given: Reasserted) -> None:
    """Refuse (before any call) a saved plan whose overrides are not recorded and re-asserted both."""
    problems = override_problems(saved, desired, given)
    if problems:
        raise OverrideError(f"refusing to apply {path}: nothing was written:\n"
                            + "\n".join(f"  - {p}" for p in problems))


def check_still_declared(path: str | Path, saved: Plan, desired: DesiredState) -> None:
    """Refuse (before any call) a saved plan whose spaces the YAML no longer declares."""
    gone = missing_spaces(saved, desired)
    if gone:
        _refuse(path, [f"space {name} was planned but is no longer declared in the YAML" for name in gone])


def check_not_stale(path: str | Path, saved: Plan, fresh: Plan, desired: DesiredState | None = None) -> Reviewed:
    """Raise ``StalePlanError`` naming everything that moved; else the plan to run. A saved plan of format 1
    is compared with the YAML fingerprinted as format 1 did (``desired`` gives its spaces)."""
    if saved.format_version == 1 and desired is not None:
        spaces = [s for p in fresh.spaces if (s := desired.space(p.name)) is not None]
        fresh = dataclasses.replace(fresh, desired_fingerprint=desired_fingerprint(spaces, always=V1_BLOCKS))
    reasons = staleness_reasons(saved, fresh)
    if reasons:
        _refuse(path, reasons)
    reviewed = {c.key for c in saved.writes}
    extra = tuple(c for c in fresh.writes if c.key not in reviewed)
    run = dataclasses.replace(fresh, changes=tuple(c for c in fresh.changes
                                                   if not c.action.writes or c.key in reviewed))
    return Reviewed(run, extra)


def _refuse(path: str | Path, reasons: list[str]) -> None:
    raise StalePlanError(
        f"the saved plan {path} is stale: what it was reviewed against moved, and the reviewed plan is the "
        "only plan that may run. Make the plan again (`plan --out`), review it, then `apply --plan` it:\n"
        + "\n".join(f"  - {r}" for r in reasons))


def _fp(fingerprint: str) -> str:
    """A short form of a fingerprint for messages (like a short git hash)."""
    return fingerprint.removeprefix("sha256:")[:12]


def _write_differences(saved: Plan, fresh: Plan) -> list[str]:
    """Per space, the reviewed writes the fresh plan no longer has, and for each one both have, every
    field that differs (and whether the actual values it was computed from moved)."""
    lines: list[str] = []
    new_writes = {c.key: c for c in fresh.writes}
    gone: dict[str, list[str]] = {}
    for old in saved.writes:
        new = new_writes.get(old.key)
        if new is None:
            gone.setdefault(old.space, []).append(old.ref)
            continue
        lines.extend(f"{old.ref}: {what}" for what in _value_changes(old, new))
    for name, addresses in sorted(gone.items()):
        lines.append(f"space {name}: the plan no longer has {_listing(addresses)} (already in effect, or "
                     "what it was computed from changed)")
    return lines


def _value_changes(old: Change, new: Change) -> list[str]:
    """``after.status_callback_url was "a" in the plan, is "b" now`` for each field that differs between
    two versions of one change. Values in a plan are redacted, so these lines hold no secret."""
    a, b = old.review_form(), new.review_form()
    basis_moved = a.pop("basis") != b.pop("basis")
    tree = DeepDiff(a, b, view="tree")
    out: list[str] = []
    for levels in tree.values():
        for level in levels:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            out.append(f"{path} was {_shown(level.t1)} in the plan, is {_shown(level.t2)} now")
    out = sorted(out)[:_MAX_LISTED]
    if basis_moved:
        what = "the space's membership" if old.action in (Action.SYNC, Action.VERIFY_MIGRATION,
                                                          Action.REGISTER_MIGRATION) else "the actual value"
        out.append(f"{what} it was planned from changed since the plan was made"
                   + ("" if out else " (only in masked parts, or in values a plan does not show)"))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, NotPresent):
        return "absent"
    return _short(json.dumps(value, ensure_ascii=False), 80)


def _listing(addresses: Iterable[str]) -> str:
    items = list(addresses)
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")
