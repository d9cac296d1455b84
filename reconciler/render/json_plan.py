"""The JSON plan: ``Plan.to_dict()`` (versioned by ``format_version``, described by
``reconciler/schemas/plan.schema.json``), keys in the model's fixed order, two-space indent."""

from __future__ import annotations

import json

from reconciler.engine.plan import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"
