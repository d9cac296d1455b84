"""A plan of several accounts is grouped by account in the text plan and the PR comment (and a plan of one
account looks as it always did); the saved plan round-trips each space's account."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from reconciler.core.plan import Action, Change, Plan, PlannedSpace, Preflight
from reconciler.core.source import Source
from reconciler.render import render

FP = "sha256:" + "0" * 64


def plan(accounts: tuple[str, str, str]) -> Plan:
    """Three spaces: the first and third in accounts[0] and [2]; only the clean one has no change."""
    spaces = tuple(PlannedSpace(name, cid, f"spaces/{name}.yaml", FP, account=account)
                   for (name, cid), account in zip((("shop", "1"), ("clean", "2"), ("trips", "3")), accounts))
    changes = (
        Change(Action.UPDATE, "shop", "1", "861", "webhooks", {"StatusCallbackUrl": "a"},
               {"StatusCallbackUrl": "b"}, Source("spaces/shop.yaml", 9, 7), kind="webhooks", label="update-webhook"),
        Change(Action.UPDATE, "trips", "3", "862", "webhooks", {"StatusCallbackUrl": "c"},
               {"StatusCallbackUrl": "d"}, Source("spaces/trips.yaml", 9, 7), kind="webhooks", label="update-webhook"),
    )
    return Plan(changes, spaces, FP, Preflight("ok", "retail: ok; travel: ok"), {})


def test_text_groups_spaces_by_account_in_first_use_order():
    out = render(plan(("retail", "travel", "retail")), "text").splitlines()
    assert [l for l in out if l.startswith("== ")] == ["== Account retail (2 spaces)", "== Account travel (1 space)"]
    order = [l.split()[1] for l in out if l.startswith(("Space ", "== "))]
    assert order == ["Account", "shop", "trips", "Account"]  # clean (travel) is folded under its heading
    assert out[out.index("== Account travel (1 space)") + 2] == "1 space in sync (-v lists it)"
    listed = render(plan(("retail", "travel", "retail")), "text", verbose=True).splitlines()
    order = [l.split()[1] for l in listed if l.startswith(("Space ", "== "))]
    assert order == ["Account", "shop", "trips", "Account", "clean"]  # trips (retail) before clean (travel)


def test_markdown_groups_the_table_and_the_details_by_account():
    md = render(plan(("retail", "travel", "retail")), "markdown")
    assert "| **Account retail (2 spaces)** |" in md
    assert "#### Account retail (2 spaces)" in md
    assert "#### Account travel" not in md  # its only space is in sync: no details section to head
    assert md.index("#### Account retail") < md.index("#### shop: ") < md.index("#### trips: ")


def test_one_account_shows_no_account_heading():
    for fmt in ("text", "markdown"):
        assert "Account default" not in render(plan(("default",) * 3), fmt)
        assert "Account retail" not in render(plan(("retail",) * 3), fmt)


def test_the_saved_plan_records_each_spaces_account():
    saved = json.loads(render(plan(("retail", "travel", "retail")), "json"))
    schema = json.loads(resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text())
    jsonschema.validate(saved, schema)
    assert [s["account"] for s in saved["spaces"]] == ["retail", "travel", "retail"]
    again = Plan.from_dict(saved)
    assert [s.account for s in again.spaces] == ["retail", "travel", "retail"]
    for s in saved["spaces"]:
        del s["account"]  # a plan saved before accounts existed
    assert {s.account for s in Plan.from_dict(saved).spaces} == {"default"}


def test_apply_results_group_by_account_and_record_it():
    from reconciler.engine.results import ApplyReport, ChangeResult, Outcome, space_accounts
    from reconciler.render import render_apply

    p = plan(("retail", "travel", "retail"))
    report = ApplyReport(tuple(ChangeResult(c, Outcome.DONE, "in effect") for c in p.changes),
                         accounts=space_accounts(p) | {"trips": "travel"})
    md = render_apply(report, "markdown").splitlines()
    assert md.index("| **Account retail** | | |") < md.index("| **Account travel** | | |")
    assert [r["account"] for r in report.to_dict()["results"]] == ["retail", "travel"]
    single = ApplyReport(report.results)
    assert "Account" not in render_apply(single, "text") and "Account" not in render_apply(single, "markdown")
    assert {r["account"] for r in single.to_dict()["results"]} == {"default"}
