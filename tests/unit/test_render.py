"""Renderers: text symbols and summary, markdown size limit and links, github escaping, json schema, and no
planted secret in any format."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from reconciler.core.model import Space
from reconciler.core.plan import Action, Change, Plan, PlannedSpace, Preflight
from reconciler.core.source import Source
from reconciler.engine.actual import ActualSpace
from reconciler.engine.diff import diff_space
from reconciler.engine.drift import plan_drift
from reconciler.kinds.webhooks import Webhooks
from reconciler.render import FORMATS, render
from reconciler.render.github import escape_data, escape_property
from reconciler.render.markdown import LIMIT
from tests.helpers.plans import FP, PLANTED, full_plan, n


def schema() -> dict:
    return json.loads(resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text())


def test_full_plan_has_every_action():
    assert {c.action for c in full_plan().changes} == set(Action)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_planted_secret_in_any_format(fmt):
    out = render(full_plan(), fmt, plan_json_path="plan.json")
    for secret in PLANTED:
        assert secret not in out
    assert "token=***" in out or fmt == "github" and "token=***" in out.replace("%3D", "=")


def test_text_is_terraform_like_with_symbols_summary_and_calls():
    out = render(full_plan(), "text")
    lines = out.splitlines()
    assert "Space acme (900) — examples/spaces/acme.yaml" in lines
    for symbol, action in [("+", "sync"), (">", "verify-migration"), ("~", "update-webhook"),
                           ("~", "update-profile"), ("!", "drift"), ("?", "unmanaged"),
                           (">", "register-migration"), ("?", "misplaced")]:
        assert any(line.startswith(f"  {symbol} ") and f" {action}" in line for line in lines), action
    assert "  ~ update-webhook 1 webhooks.status_callback_url  (examples/spaces/acme.yaml:11)" in lines
    assert "1 space in sync (-v lists it)" in lines  # the clean space, folded
    assert "  no changes" in render(full_plan(), "text", verbose=True).splitlines()  # -v lists it
    assert ("Plan: 1 to sync, 1 to verify, 1 to register, 1 webhook update, 1 profile update, 1 to create, 1 to update, 1 to delete; 4 findings (report only: 2 drift, 1 unmanaged, 1 misplaced)."
            in lines)
    assert lines[-1] == ("Calls: GetCustomerAccountInfo 1, QueryChatappPhoneNumbers 2, "
                         "QueryPhoneBusinessProfile 1 (4 total)")
    assert out.index("Plan:") > out.index("Space acme")


def test_text_shows_frozen_account():
    out = render(full_plan(Preflight("frozen", "account business is frozen (HostingStatus is FREEZE)")), "text")
    assert "Account preflight: frozen" in out and "apply will refuse" in out


def test_json_validates_against_schema_and_round_trips():
    plan = full_plan(Preflight("no-data", "no account information", {}))
    out = render(plan, "json")
    data = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert list(data) == ["format_version", "summary", "counts", "desired_fingerprint", "preflight", "spaces",
                          "calls", "force", "retry_sync", "blockers", "changes", "provenance"]
    assert Plan.from_dict(data).to_dict() == data
    assert render(Plan.from_dict(data), "json") == out  # deterministic


def test_schema_rejects_what_a_plan_must_not_be():
    data = json.loads(render(full_plan(), "json"))
    validator = jsonschema.Draft202012Validator(schema())
    bad_version = dict(data, format_version=3)
    login = json.loads(json.dumps(data))
    login["preflight"]["data"]["LoginEmail"] = "x@y"
    bad_action = json.loads(json.dumps(data))
    bad_action["changes"][0]["action"] = "destroy"
    for bad in (bad_version, login, bad_action):
        assert not validator.is_valid(bad)


def test_markdown_summary_first_details_per_space_and_links():
    out = render(full_plan(), "markdown")
    assert out.index("**Plan: ") < out.index("| space |") < out.index("#### acme: ")
    assert "<details>" not in out  # a small plan is shown open
    assert "#### clean" not in out  # the clean space has no section
    assert "In sync (1): clean" in out
    assert "[examples/spaces/acme.yaml:11](examples/spaces/acme.yaml#L11)" in out
    assert "| space | sync | verify | register | webhook | profile | create | update | delete | drift | unmanaged | misplaced |" in out
    assert "| acme | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 2 | 1 | 1 |" in out
    assert "✅ Account preflight: ok" in out


def test_markdown_stays_under_limit_with_5000_changes_and_says_what_was_cut():
    changes = tuple(
        Change(Action.UPDATE, f"space-{i % 300}", str(i % 300), f"86138{i:08d}", "webhooks",
               {"status_callback_url": f"https://old.example/{i}/status?token=***"},
               {"status_callback_url": f"https://new.example/{i}/status?token=***"},
               Source(f"spaces/space-{i % 300}.yaml", 10 + i), reason="status callback url differ", kind="webhooks", label="update-webhook")
        for i in range(5000))
    spaces = tuple(PlannedSpace(f"space-{i}", str(i), f"spaces/space-{i}.yaml", FP) for i in range(300))
    plan = Plan(changes, spaces, FP, Preflight("ok"), {"QueryChatappPhoneNumbers": 300})
    out = render(plan, "markdown", plan_json_path="out/plan.json")
    assert len(out) < LIMIT
    assert "more spaces with changes" in out
    import re
    m = re.search(r"(\d+) change\(s\) left out", out)
    assert m, out[-500:]
    shown = out.count("`~` **update-webhook**")
    assert shown + int(m.group(1)) == 5000 and shown > 50
    assert "`out/plan.json`" in out
    assert out.count("<details>") == out.count("</details>")


def test_markdown_escapes_values():
    c = Change(Action.DRIFT, "s|x", "1", "1", "queues.up_queue", "a`b", "<img src=x>\nline2",
               Source("f.yaml", 3), reason="<b>x</b> | y")
    out = render(Plan((c,), (PlannedSpace("s|x", "1", "f.yaml", FP),), FP, Preflight("ok")), "markdown")
    import re
    outside_code = re.sub(r"(`+).*?\1", "", out)
    assert "<img" not in outside_code and "<b>x" not in outside_code
    assert "&lt;b&gt;x&lt;/b&gt;" in out
    assert "| s\\|x |" in out
    assert "line2" in out and "\nline2" not in out


def test_github_annotations_with_file_line_and_severity():
    out = render(full_plan(policy="error"), "github")
    lines = out.splitlines()
    assert any(line.startswith("::error file=examples/spaces/acme.yaml,line=1,") for line in lines)  # unmanaged
    assert any(line.startswith("::warning file=examples/spaces/acme.yaml,line=11,") for line in lines)
    assert lines[-1].startswith("::notice title=cams-reconciler plan::Plan: 1 to sync")
    for line in lines:  # every line is one command; nothing spills onto a new line
        assert line.startswith("::")


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    c = Change(Action.DRIFT, "s", "1", "1", "queues.up_queue", "x", "y::error::injected\nz",
               Source("dir,with:odd/f.yaml", 3))
    out = render(Plan((c,), (), FP, Preflight("ok")), "github")
    first = out.splitlines()[0]
    assert first.startswith("::warning file=dir%2Cwith%3Aodd/f.yaml,line=3,title=cams drift%3A s 1::")
    assert "\n" not in first and "%0A" in first
    # the runner ends the properties at the first "::" after them: the payload's "::" stays inside the data
    assert first.split("::", 2)[1] == "warning file=dir%2Cwith%3Aodd/f.yaml,line=3,title=cams drift%3A s 1"


def test_frozen_preflight_is_an_error_annotation_and_counts_as_change():
    plan = Plan((), (), FP, Preflight("frozen", "frozen!"))
    assert plan_drift(plan).total == 1
    assert "::error title=cams account frozen::frozen!" in render(plan, "github")


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError):
        render(full_plan(), "yaml")


def test_empty_plan_renders_in_every_format():
    plan = Plan((), (PlannedSpace("s", "1", "f.yaml", FP),), FP, Preflight("ok"), {})
    assert "Plan: 0 to sync, 0 to verify, 0 webhook updates, 0 profile updates; no findings." in render(
        plan, "text")
    for fmt in FORMATS:
        assert render(plan, fmt)


def test_markdown_links_point_under_the_link_base_for_pr_comments():
    # A PR comment lives under /pull/N: only an absolute blob link opens the YAML line.
    base = "https://github.com/acme/numbers/blob/0123abc"
    md = render(full_plan(), "markdown", link_base=base + "/")
    assert f"]({base}/examples/spaces/acme.yaml#L11)" in md
    assert "](examples/spaces/acme.yaml#L" not in md


def test_github_actions_environment_gives_the_default_link_base():
    from reconciler.render import github_link_base
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/numbers", "GITHUB_SHA": "f00"}
    assert github_link_base(env) == "https://github.com/acme/numbers/blob/f00"
    assert github_link_base({"GITHUB_REPOSITORY": "acme/numbers"}) is None


def test_pending_updates_are_marked_in_text_and_markdown():
    space = Space("acme", "1001", Source("spaces/acme.yaml", 1), (
        n("8613800001234", 5, webhooks=Webhooks("https://h.example/s", "https://h.example/u")),))
    plan = Plan(tuple(diff_space(space, ActualSpace("1001", {}, {}), env={})),
                (PlannedSpace("acme", "1001", "spaces/acme.yaml", "sha256:" + "0" * 64),),
                "sha256:" + "0" * 64, Preflight("ok"))
    assert any(c.pending for c in plan.changes)
    assert "(~) update-webhook 8613800001234" in render(plan, "text")
    assert "`(~)` **update-webhook**" in render(plan, "markdown")
