"""What each declared Flow needs (reconciler/kinds/flow_plan.py), one case per rule of the lifecycle."""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.core.plan import Action
from reconciler.kinds.flow_model import ActualFlow, FlowsBlock, FlowSpec
from reconciler.kinds.flow_plan import plan_ops
from tests.helpers.paths import REPO_ROOT

DOC = json.loads((REPO_ROOT / "tests/fixtures/flows/signup.json").read_text(encoding="utf-8"))
EDITED = copy.deepcopy(DOC)
EDITED["screens"][0]["title"] = "Join us"


def spec(status: str = "draft", **kw: Any) -> FlowSpec:
    return FlowSpec(**{"name": "signup", "categories": ("SIGN_UP",), "json_file": "flows/signup.json",
                       "document": DOC, "status": status, **kw})


def flow(status: str, document: Any = DOC, name: str = "signup", order: int = 1, **kw: Any) -> ActualFlow:
    return ActualFlow(**{"flow_id": str(order), "name": name, "categories": ("SIGN_UP",), "status": status,
                         "document": document, "order": order, **kw})


def steps(block: FlowsBlock, flows: list[ActualFlow]) -> list[tuple[Action, str, str]]:
    return [(op.action, op.step, op.item) for op in plan_ops(block, flows)]


def test_create_then_publish_as_its_own_change() -> None:
    (op,) = plan_ops(FlowsBlock((spec("published"),)), [])
    assert (op.step, op.publish_held) == ("create", True)
    assert steps(FlowsBlock((spec("published"),)), [flow("draft")]) == [(Action.UPDATE, "publish", "signup")]
    assert steps(FlowsBlock((spec("published"),)), [flow("published")]) == []
    assert steps(FlowsBlock((spec("draft"),)), [flow("draft")]) == []


def test_a_draft_is_updated_with_its_json_diff_by_screen() -> None:
    (op,) = plan_ops(FlowsBlock((spec(document=EDITED),)), [flow("draft")])
    assert op.step == "update" and op.json_changed and [s.screen for s in op.screens] == ["DETAILS"]
    (op,) = plan_ops(FlowsBlock((spec(categories=("SURVEY",)),)), [flow("draft")])
    assert op.metadata == ("categories",) and not op.json_changed


def test_a_published_flow_changes_only_by_replacement_with_the_opt_in() -> None:
    (op,) = plan_ops(FlowsBlock((spec("published", document=EDITED),)), [flow("published")])
    assert (op.action, op.step, op.blocking) == (Action.DRIFT, "refused", True)
    flows = [flow("published"), flow("deprecated", name="signup-v2", order=2)]
    (op,) = plan_ops(FlowsBlock((spec("published", document=EDITED, replace_published=True),)), flows)
    assert (op.step, op.replacement) == ("replace", "signup-v3")


def test_an_interrupted_replacement_resumes() -> None:
    flows = [flow("published", document=DOC), flow("draft", document=EDITED, name="signup-v2", order=2)]
    block = FlowsBlock((spec("published", document=EDITED, replace_published=True),))
    assert steps(block, flows) == [(Action.UPDATE, "deprecate", "signup"), (Action.UPDATE, "publish", "signup")]


def test_deprecate_and_prune() -> None:
    assert steps(FlowsBlock((spec("deprecated"),)), [flow("published")]) == [(Action.UPDATE, "deprecate", "signup")]
    assert steps(FlowsBlock((spec("deprecated"),)), [flow("deprecated")]) == []
    others = [flow("draft", name="old_draft", order=2), flow("published", name="old_live", order=3),
              flow("deprecated", name="old_gone", order=4)]
    assert steps(FlowsBlock((), prune=False), others) == []
    assert steps(FlowsBlock((), prune=True), others) == [(Action.DELETE, "delete", "old_draft"),
                                                         (Action.DRIFT, "undeclared", "old_live")]
