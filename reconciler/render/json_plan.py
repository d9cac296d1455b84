"""The JSON plan: ``Plan.to_dict()`` (versioned by ``format_version``, described by
``reconciler/schemas/plan.schema.json``), keys in the model's fixed order, two-space indent."""

from __future__ import annotations

import json

from reconciler.core.plan import Plan
from reconciler.engine.drift import plan_drift
from reconciler.render.describe import drift_summary


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_drift_json(plan: Plan) -> str:
    """``drift --format json``: ``{"drift": {summary, in_sync, total, account_frozen, counts}, "plan": ...}``
    (as apply's ``{"plan", "apply"}``); ``plan`` is the plan document, which ``--out`` saves on its own."""
    drift = plan_drift(plan)
    head = {"summary": drift_summary(plan), "in_sync": drift.total == 0, **drift.to_dict()}
    return json.dumps({"drift": head, "plan": plan.to_dict()}, indent=2, ensure_ascii=False) + "\n"
