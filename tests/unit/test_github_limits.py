"""Annotations within GitHub's limits (10 of each kind per step): the most important first, a summary notice
that always survives, and "N more in the plan comment" when some were left out."""

from __future__ import annotations

from collections import Counter

from reconciler.core.plan import Action, Change, Plan, PlannedSpace, Preflight, Severity
from reconciler.core.source import Source
from reconciler.render import render
from reconciler.render.github import PER_KIND, command, within_limits

FP = "sha256:" + "0" * 64
F = "spaces/big.yaml"


def kinds(out: str) -> Counter[str]:
    return Counter(line[2:].split(" ", 1)[0].split("::", 1)[0] for line in out.splitlines())


def big_plan() -> Plan:
    drift = [Change(Action.DRIFT, "big", "1", f"86{i:09d}", "expect.status", "A", "B", Source(F, 100 + i))
             for i in range(12)]
    webhooks = [Change(Action.UPDATE, "big", "1", f"87{i:09d}", "webhooks.status_callback_url",
                       "https://a.example/s", "https://b.example/s", Source(F, 200 + i), kind="webhooks", label="update-webhook") for i in range(25)]
    unmanaged = [Change(Action.UNMANAGED, "big", "1", f"88{i:09d}", severity=Severity.ERROR, source=Source(F, 1))
                 for i in range(15)]
    notices = [Change(Action.UNMANAGED, "other", "2", f"89{i:09d}", severity=Severity.NOTICE, source=Source(F, 2))
               for i in range(30)]
    broken = PlannedSpace("broken", "3", F, None, error="Forbidden.NoPermission: denied", error_code="Forbidden",
                          line=3)
    return Plan(tuple(drift + webhooks + unmanaged + notices), (PlannedSpace("big", "1", F, FP), broken), FP,
                Preflight("frozen", "account frozen"))


def test_each_kind_is_capped_and_the_summary_survives_last() -> None:
    plan = big_plan()
    out = render(plan, "github")
    lines = out.splitlines()
    counted = kinds(out)
    assert counted["error"] == PER_KIND and counted["warning"] == PER_KIND and counted["notice"] == PER_KIND
    last = lines[-1]
    assert last.startswith("::notice title=cams-reconciler plan::" + plan.summary_line())
    # 15 unmanaged + 1 space + frozen + "could not be read" = 18 errors, 10 shown; 37 warnings, 10 shown;
    # 30 notices, 9 shown (one is the summary)
    assert " 56 more in the plan comment (8 errors, 27 warnings, 21 notices not annotated" in last


def test_most_important_first() -> None:
    lines = render(big_plan(), "github").splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    # run-wide errors (no file): the frozen account and the "could not be read" line, before any line-level one
    assert "file=" not in errors[0].split("::", 2)[1] and "file=" not in errors[1].split("::", 2)[1]
    assert any("cams account frozen" in e for e in errors[:2])
    assert "space broken" in errors[2]  # then the unread space, then the unmanaged numbers
    warnings = [line for line in lines if line.startswith("::warning")]
    assert all("update-webhook" in w for w in warnings), "writes come before report-only drift"
    # kinds are grouped, most severe first, the summary last
    order = [line[2:].split(" ", 1)[0].split("::", 1)[0] for line in lines]
    assert order == sorted(order[:-1], key=["error", "warning", "notice"].index) + ["notice"]


def test_nothing_is_said_to_be_left_out_when_nothing_is() -> None:
    lines = [command("warning", f"w{i}", file=F, line=i + 1) for i in range(PER_KIND)]
    lines += [command("notice", f"n{i}", file=F, line=1) for i in range(PER_KIND - 1)]
    out = within_limits(lines, "Plan: all shown.", title="t").splitlines()
    assert out[:-1] == lines and out[-1] == "::notice title=t::Plan: all shown."
    one_more = within_limits(lines + [command("warning", "w-extra", file=F, line=99)], "S.", title="t")
    assert one_more.splitlines()[-1] == ("::notice title=t::S. 1 more in the plan comment (1 warning not "
                                         "annotated: GitHub shows 10 of each kind per step).")
    assert "w-extra" not in one_more


def test_a_small_plan_is_unchanged() -> None:
    c = Change(Action.UPDATE, "s", "1", "1", "webhooks.status_callback_url", "a", "b", Source(F, 3), kind="webhooks", label="update-webhook")
    out = render(Plan((c,), (PlannedSpace("s", "1", F, FP),), FP, Preflight("ok")), "github").splitlines()
    assert len(out) == 2 and out[0].startswith("::warning file=spaces/big.yaml,line=3")
    assert out[1].startswith("::notice title=cams-reconciler plan::Plan: 0 to sync") and "more" not in out[1]
