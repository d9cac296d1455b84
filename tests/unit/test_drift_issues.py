"""One GitHub issue per space: the operations ``drift --issues-out`` writes (``engine.drift_issues``), carried
out by the shipped workflow's own ``run:`` script against a fake ``gh`` (offline: it keeps the issues in a
JSON file and logs every call), over the life of an issue: opened, updated, commented, closed."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.plan import Plan, PlannedSpace, Preflight
from reconciler.engine.drift_issues import issue_operations
from reconciler.engine.drift_state import Finding, compare

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "ci" / "github-actions" / "cams-drift.yml"
T0 = dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC)

FAKE_GH = r'''#!PYTHON
"""A fake gh: issues in $FAKE_GH_DB (JSON), every call appended to $FAKE_GH_LOG."""
import json, os, sys
db_path, log = os.environ["FAKE_GH_DB"], os.environ["FAKE_GH_LOG"]
db = json.load(open(db_path)) if os.path.exists(db_path) else {"issues": []}
args = sys.argv[1:]
with open(log, "a") as f:
    f.write(json.dumps(args) + "\n")
def opt(name):
    return args[args.index(name) + 1] if name in args else None
if args[:2] == ["label", "create"]:
    sys.exit(0)
if args[:2] == ["issue", "list"]:
    print(json.dumps([{"number": i["number"], "title": i["title"]} for i in db["issues"]
                      if i["state"] == "open" and opt("--label") in i["labels"]]))
    sys.exit(0)
if args[:2] == ["issue", "create"]:
    n = len(db["issues"]) + 1
    db["issues"].append({"number": n, "title": opt("--title"), "labels": [opt("--label")], "state": "open",
                         "body": open(opt("--body-file")).read(), "comments": []})
else:
    issue = next(i for i in db["issues"] if i["number"] == int(args[2]))
    if args[1] == "edit":
        issue["body"] = open(opt("--body-file")).read()
    elif args[1] == "comment":
        issue["comments"].append(opt("--body"))
    elif args[1] == "close":
        issue["state"] = "closed"
        issue["comments"].append(opt("--comment"))
json.dump(db, open(db_path, "w"))
'''


def script() -> str:
    wf = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    [step] = [s for s in wf["jobs"]["issues"]["steps"] if s.get("name") == "Open, update and close the drift issues"]
    return step["run"]


def plan_of(*spaces: str, errored: tuple[str, ...] = ()) -> Plan:
    return Plan((), tuple(PlannedSpace(s, "1", f"spaces/{s}.yaml", None if s in errored else "fp",
                                       error="boom" if s in errored else None) for s in spaces),
                "d", Preflight("ok"))


def finding(space: str, n: str, digest: str = "a") -> Finding:
    return Finding(f"{space}/{n}/drift/expect.quality_rating", space, "health",
                   f"! drift {n} expect.quality_rating", ('"YELLOW" → ["GREEN"]',), f"spaces/{space}.yaml:9",
                   n, "expect.quality_rating", digest)


class Runner:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        gh = bin_dir / "gh"
        gh.write_text(FAKE_GH.replace("PYTHON", sys.executable))
        gh.chmod(0o755)
        self.db, self.log = tmp / "db.json", tmp / "log.jsonl"
        self.env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                    "FAKE_GH_DB": str(self.db), "FAKE_GH_LOG": str(self.log)}

    def run(self, operations: dict[str, Any]) -> dict[str, Any]:
        (self.tmp / "drift-issues.json").write_text(json.dumps(operations))
        proc = subprocess.run(["bash", "-c", script()], cwd=self.tmp, env=self.env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(self.db.read_text()) if self.db.exists() else {"issues": []}


@pytest.mark.skipif(shutil.which("jq") is None, reason="the workflow's script uses jq (preinstalled on GitHub runners)")
def test_the_life_of_an_issue(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    plan = plan_of("shop", "depot")
    t, state = compare([], {}, None, ["shop", "depot"], T0)
    db = runner.run(issue_operations(t, plan))
    assert db["issues"] == []  # nothing found: nothing opened, nothing to close

    t, state = compare([finding("shop", "1")], {}, state, ["shop", "depot"], T0 + dt.timedelta(hours=6))
    db = runner.run(issue_operations(t, plan, link_base="https://github.com/o/r/blob/abc"))
    [issue] = db["issues"]
    assert issue["title"] == "cams drift: shop" and issue["labels"] == ["cams-drift"] and issue["state"] == "open"
    assert "[spaces/shop.yaml:9](https://github.com/o/r/blob/abc/spaces/shop.yaml#L9)" in issue["body"]

    t, state = compare([finding("shop", "1")], {}, state, ["shop", "depot"], T0 + dt.timedelta(hours=12))
    db = runner.run(issue_operations(t, plan))  # ongoing: the body is refreshed, no comment
    assert len(db["issues"]) == 1 and db["issues"][0]["comments"] == []

    t, state = compare([finding("shop", "1"), finding("shop", "2")], {}, state, ["shop", "depot"],
                       T0 + dt.timedelta(hours=18))
    db = runner.run(issue_operations(t, plan))
    [issue] = db["issues"]
    assert "! drift 2 expect.quality_rating" in issue["body"] and len(issue["comments"]) == 1
    assert "1 new, 0 resolved" in issue["comments"][0]

    # the space cannot be read: its issue is left as it is
    t, _ = compare([], {}, state, ["depot"], T0 + dt.timedelta(hours=20))
    db = runner.run(issue_operations(t, plan_of("shop", "depot", errored=("shop",))))
    assert db["issues"][0]["state"] == "open"

    t, state = compare([], {}, state, ["shop", "depot"], T0 + dt.timedelta(hours=24))
    db = runner.run(issue_operations(t, plan))
    [issue] = db["issues"]
    assert issue["state"] == "closed" and "2 resolved" in issue["comments"][-1]
    calls = [json.loads(line)[:2] for line in runner.log.read_text().splitlines()]
    assert calls.count(["issue", "create"]) == 1 and calls.count(["issue", "close"]) == 1

    t, state = compare([finding("shop", "1")], {}, state, ["shop", "depot"], T0 + dt.timedelta(hours=30))
    db = runner.run(issue_operations(t, plan))  # back again: a new issue (the closed one stays closed)
    assert [i["state"] for i in db["issues"]] == ["closed", "open"]


def test_operations_hold_no_more_than_the_report() -> None:
    t, _ = compare([finding("shop", "1")], {}, None, ["shop"], T0)
    doc = issue_operations(t, plan_of("shop"), label="ops-drift")
    assert doc["label"] == "ops-drift" and doc["format"] == "cams-reconciler/drift-issues"
    [op] = doc["operations"]
    assert op["state"] == "open" and op["body"].startswith("<!-- cams-reconciler drift issue: shop -->")
