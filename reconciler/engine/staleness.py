"""``apply --plan FILE``: load a saved plan, and refuse it when the world moved since it was reviewed.

The reviewed plan is the only plan that may run. A saved plan carries a fingerprint of the desired state of
the spaces it planned and one of the actual state it saw in each space (``reconciler.engine.fingerprint``,
``ActualSpace.fingerprint``); it holds no actual values (they may carry callback tokens). So apply plans
the same spaces again, now, and compares:

- a different desired fingerprint → the YAML of the planned spaces changed since the plan;
- a different actual fingerprint for a space → someone or something changed that space since the plan;
- a planned space no longer declared → the YAML removed it;
- equal fingerprints but different write changes → the plan was made by a different version of this tool.

Where a fingerprint differs, the message also lists how the plan made now differs from the saved one (the
change addresses added and removed), which is as precise as "what changed" can be without storing values.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema
from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from reconciler.config.model import DesiredState
from reconciler.engine.apply_errors import PlanFileError, StalePlanError
from reconciler.engine.plan import FORMAT_VERSION, Change, Plan

_MAX_LISTED = 8  # change addresses listed per space in a stale-plan message


def _plan_schema() -> dict[str, Any] | None:
    """``plan.schema.json`` shipped with the package, or None when this build has none."""
    try:
        text = resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return json.loads(text)


def load_saved_plan(path: str | Path) -> Plan:
    """Read and check a plan written by ``plan --out``. Every way it can be wrong is a ``PlanFileError``
    naming the file: missing, not UTF-8 JSON (e.g. truncated), another ``format_version``, or not matching
    the schema (e.g. hand-edited)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise PlanFileError(f"{p}: no such plan file (write one with `cams-reconciler plan --out {p}`)") from None
    except OSError as exc:
        raise PlanFileError(f"{p}: cannot read the plan file ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
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
    if version != FORMAT_VERSION:
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
        elif new.actual_fingerprint != old.actual_fingerprint:
            reasons.append(f"actual state of space {old.name} changed since the plan was made "
                           f"(fingerprint {_fp(old.actual_fingerprint)}→{_fp(new.actual_fingerprint)})")
    diff_lines = _address_diff(saved, fresh)
    if reasons:
        reasons.extend(diff_lines)
    elif diff_lines:
        reasons.append("the fingerprints match but the plan computed now differs from the saved one (was it "
                       "made by another version of cams-reconciler?)")
        reasons.extend(diff_lines)
    return reasons


def check_still_declared(path: str | Path, saved: Plan, desired: DesiredState) -> None:
    """Refuse (before any call) a saved plan whose spaces the YAML no longer declares."""
    gone = missing_spaces(saved, desired)
    if gone:
        _refuse(path, [f"space {name} was planned but is no longer declared in the YAML" for name in gone])


def check_not_stale(path: str | Path, saved: Plan, fresh: Plan) -> None:
    """Raise ``StalePlanError`` naming every changed space and how the plan differs now."""
    reasons = staleness_reasons(saved, fresh)
    if reasons:
        _refuse(path, reasons)


def _refuse(path: str | Path, reasons: list[str]) -> None:
    raise StalePlanError(
        f"the saved plan {path} is stale; the reviewed plan is the only plan that may run, so make the plan "
        "again (`plan --out`) and review it:\n" + "\n".join(f"  - {r}" for r in reasons))


def _fp(fingerprint: str) -> str:
    """A short form of a fingerprint for messages (like a short git hash)."""
    return fingerprint.removeprefix("sha256:")[:12]


def _address_diff(saved: Plan, fresh: Plan) -> list[str]:
    """Per space, the changes the plan made now adds and no longer has, by address; and for a change both
    have, what differs in it (a webhook someone repointed since the review shows as a different ``before``)."""
    lines: list[str] = []
    names = sorted({c.space for c in saved.changes} | {c.space for c in fresh.changes})
    for name in names:
        old = {c.address: c for c in saved.for_space(name)}
        new = {c.address: c for c in fresh.for_space(name)}
        added, removed = sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())
        if added:
            lines.append(f"space {name}: the plan now also has {_listing(added)}")
        if removed:
            lines.append(f"space {name}: the plan no longer has {_listing(removed)}")
        for address in sorted(old.keys() & new.keys()):
            lines.extend(f"{address}: {what}" for what in _value_changes(old[address], new[address]))
    return lines


def _value_changes(old: Change, new: Change) -> list[str]:
    """``before.status_callback_url was "a" in the plan, is "b" now`` for each value that differs between
    two versions of one change. Values in a plan are redacted, so these lines hold no secret."""
    tree = DeepDiff({"before": old.before, "after": old.after}, {"before": new.before, "after": new.after},
                    view="tree")
    out: list[str] = []
    for levels in tree.values():
        for level in levels:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            out.append(f"{path} was {_shown(level.t1)} in the plan, is {_shown(level.t2)} now")
    return sorted(out)[:_MAX_LISTED]


def _shown(value: Any) -> str:
    if isinstance(value, NotPresent):
        return "absent"
    return _short(json.dumps(value, ensure_ascii=False), 80)


def _listing(addresses: Iterable[str]) -> str:
    items = list(addresses)
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")
