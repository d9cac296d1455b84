"""What counts as drift (``engine.drift``): one definition for drift's exit code, table and summary.

Over every subset of a plan holding every kind of change (hypothesis), and with the account frozen or not:
the count is not 0 exactly when the plan has changes (the exit-2 rule), the summary says "none" exactly when
it is 0, and the Markdown table's total row, the JSON counts and the summary all give the same numbers."""

from __future__ import annotations

import dataclasses
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Plan, Preflight
from reconciler.engine.drift import count, plan_drift
from reconciler.render import render
from reconciler.render.describe import drift_summary
from tests.helpers.plans import full_plan

FULL = full_plan()
WORDS = {"webhook": r"(\d+) webhooks? differs? from", "unmanaged": r"(\d+) unmanaged numbers?",
         "missing": r"(\d+) declared numbers? (?:is|are) missing", "profile": r"(\d+) business profiles? differs?",
         "queue": r"(\d+) queue names? differs?", "health": r"(\d+) numbers? (?:is|are) outside",
         "migration": r"(\d+) migrations? (?:is|are) waiting"}


def _plan(picked: list[int], frozen: bool) -> Plan:
    changes = tuple(c for i, c in enumerate(FULL.changes) if i in picked)
    pf = Preflight("frozen", "the account is frozen") if frozen else FULL.preflight
    return dataclasses.replace(FULL, changes=changes, preflight=pf)


@settings(max_examples=60, deadline=None)
@given(picked=st.sets(st.integers(0, len(FULL.changes) - 1)).map(sorted), frozen=st.booleans())
def test_drift_counts_agree_everywhere(picked: list[int], frozen: bool) -> None:
    plan = _plan(picked, frozen)
    drift = plan_drift(plan)
    assert (drift.total > 0) == (bool(plan.changes) or plan.preflight.blocks_apply)  # every finding counts
    summary = drift_summary(plan)
    assert summary.startswith("Drift: none") == (drift.total == 0)
    for kind, pattern in WORDS.items():  # the summary's numbers are the counts
        found = re.search(pattern, summary)
        assert (int(found.group(1)) if found else 0) == drift[DriftKind(kind)], (kind, summary)
    assert ("the account is frozen" in summary) == frozen
    doc = json.loads(render(plan, "json", report="drift"))["drift"]
    assert doc["total"] == drift.total and doc["summary"] == summary
    table = [line for line in render(plan, "markdown", report="drift").splitlines() if line.startswith("| ")]
    head = [c.strip() for c in table[0].strip("|").split("|")][1:]
    total = [int(c.strip(" *")) for c in table[-1].strip("|").split("|")[1:]]
    assert dict(zip(head, total)) == {k: v for k, v in doc["counts"].items() if k in head}
    assert sum(total) + int(frozen) == drift.total


def test_units_people_count_in() -> None:
    by_kind = count(FULL.changes)
    assert by_kind[DriftKind.MISSING] == 1  # the one sync names one missing number
    assert by_kind[DriftKind.HEALTH] == 1 and by_kind[DriftKind.QUEUE] == 1
    pending = [dataclasses.replace(c, pending=True) for c in FULL.changes if c.action is Action.UPDATE]
    assert pending and count(pending).total == 0  # part of their sync or migration, not counted again
    two_fields_one_number = [dataclasses.replace(c, field=f) for c in FULL.changes if c.field == "expect.quality_rating"
                             for f in ("expect.quality_rating", "expect.status")]
    assert count(two_fields_one_number)[DriftKind.HEALTH] == 1
    assert {c.action for c in FULL.changes} == set(Action)
