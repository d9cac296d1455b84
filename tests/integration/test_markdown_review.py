"""The PR comment as a reviewer sees it: the Markdown rendered to HTML by a CommonMark renderer with GitHub's
table extension (markdown-it-py), and assertions on what shows before anything is expanded (the text
outside ``<details>``, apart from each ``<summary>``)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from reconciler.cli import main
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Blocker, BlockerKind, Change, Plan, PlannedSpace, Preflight
from reconciler.core.source import Source
from reconciler.engine.drift import kind_of
from reconciler.render import render
from reconciler.render.markdown import SMALL_PLAN

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = str(REPO / "examples" / "emulator-state.yaml")
FP = "sha256:" + "0" * 64


def to_html(markdown: str) -> str:
    """As GitHub renders a comment: CommonMark, raw HTML allowed (``<details>``, ``<sub>``), GFM tables."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


class _Visible(HTMLParser):
    """The text a reader sees without clicking: everything but a ``<details>`` body (its ``<summary>`` is
    seen); ``diff`` blocks are collected with the sign of each line."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # open <details>
        self.in_summary = False
        self.in_diff = False
        self.text: list[str] = []
        self.diffs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self.depth += 1
        elif tag == "summary":
            self.in_summary = True
        elif tag == "code" and ("class", "language-diff") in attrs and self.depth == 0:
            self.in_diff = True
            self.diffs.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.depth -= 1
        elif tag == "summary":
            self.in_summary = False
        elif tag == "code":
            self.in_diff = False

    def handle_data(self, data: str) -> None:
        if self.depth == 0 or self.in_summary:
            self.text.append(data)
            if self.in_diff and self.depth == 0:
                self.diffs[-1] += data


def visible(markdown: str) -> _Visible:
    parser = _Visible()
    parser.feed(to_html(markdown))
    return parser


@pytest.fixture(scope="module")
def example_markdown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example repository's plan, as the PR job makes it (markdown on stdout, JSON saved), and the
    other formats of the same saved plan."""
    import contextlib
    import io

    out_file = tmp_path_factory.mktemp("plan") / "plan.json"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        assert main(["plan", SPACES, "--emulator", STATE, "--format", "markdown", "--out", str(out_file)]) == 0
    plan = Plan.from_dict(json.loads(out_file.read_text()))
    return {"markdown": buffer.getvalue(), **{fmt: render(plan, fmt) for fmt in ("text", "json", "github")}}


def test_a_small_plan_is_read_without_clicking(example_markdown: dict[str, str]) -> None:
    seen = visible(example_markdown["markdown"])
    text = "".join(seen.text)
    assert "<details>" not in example_markdown["markdown"]
    # every change's before/after is in a diff block, shown: what is there now (-) and what apply sets (+)
    diffs = "\n".join(seen.diffs)
    assert '- status_callback_url: "https://old-hooks.acme.example/cams/status"' in diffs
    assert '+ status_callback_url: "https://hooks.acme.example/cams/status"' in diffs
    assert '- about: "Acme Retail"' in diffs and '+ about: "Acme Retail, open 9 to 9"' in diffs
    # a change of a secret part reads as a change, not as "***" → "***"
    assert re.search(r'\+ status_callback_url: "https://hooks\.acme\.example/travel/status\?token=\*\*\*" +# differs',
                     diffs)
    assert "→" not in diffs
    for heading in ("acme-retail: 1 to sync, 1 webhook update, 1 profile update, 1 to update; 2 findings",
                    "acme-travel: 1 to verify, 1 webhook update; 1 finding", "Changes apply would make",
                    "Findings"):
        assert heading in text, heading


def test_findings_read_as_states_apart_from_changes(example_markdown: dict[str, str]) -> None:
    seen = visible(example_markdown["markdown"])
    text = "".join(seen.text)
    assert 'quality rating is "YELLOW"; expected GREEN' in text
    assert '"YELLOW" → ["GREEN"]' not in text and "YELLOW" not in "\n".join(seen.diffs)
    assert "is in the space but declared in no YAML" in text
    findings = text.split("Findings", 1)[1]
    assert "8613800001237" in findings and "8613800001299" in findings


def test_one_counting_rule_for_the_table_and_every_summary(example_markdown: dict[str, str]) -> None:
    md = example_markdown["markdown"]
    summary = re.search(r"\*\*(Plan: .*?)\*\*", md).group(1)
    assert summary in example_markdown["text"].splitlines()
    assert json.loads(example_markdown["json"])["summary"] == summary
    assert example_markdown["github"].splitlines()[-1].endswith("::" + summary)
    header = next(line for line in md.splitlines() if line.startswith("| space |"))
    total = next(line for line in md.splitlines() if line.startswith("| **total** |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    totals = [int(c.strip().strip("*")) for c in total.strip("|").split("|")[1:]]
    table = dict(zip(columns, totals, strict=True))
    findings = re.search(r"; (\d+) findings? \(report only: (.*?)\)", summary)
    assert findings, summary
    named = {name: int(n) for n, name in (part.split(" ", 1) for part in findings.group(2).split(", "))}
    assert named == {k: v for k, v in table.items() if k in named}  # each finding column, as the summary says
    assert int(findings.group(1)) == sum(named.values())
    for words, column in (("to sync", "sync"), ("to verify", "verify"), ("webhook update", "webhook"),
                          ("profile update", "profile"), ("to update", "update")):
        assert re.search(rf"(\d+) {words}", summary).group(1) == str(table[column]), column


def _webhook_change(i: int, space: str) -> Change:
    return Change(Action.UPDATE, space, "1", f"8613800{i:06d}", "webhooks.status_callback_url",
                  {"status_callback_url": f"https://old.example/{i}"}, {"status_callback_url": f"https://new.example/{i}"},
                  Source(f"spaces/{space}.yaml", 10 + i), reason="status callback url differs", kind="webhooks", label="update-webhook")


def test_a_large_plan_is_collapsed_per_space_with_what_is_inside_in_view() -> None:
    changes = [_webhook_change(i, f"space-{i % 3}") for i in range(SMALL_PLAN + 5)]
    changes.append(Change(Action.DRIFT, "space-0", "1", "8613800000000", "expect.quality_rating", "RED",
                          ["GREEN", "YELLOW"], Source("spaces/space-0.yaml", 3)))
    spaces = tuple(PlannedSpace(f"space-{i}", "1", f"spaces/space-{i}.yaml", FP) for i in range(3))
    md = render(Plan(tuple(changes), spaces, FP, Preflight("ok")), "markdown")
    seen = visible(md)
    text = "".join(seen.text)
    assert md.count("<details>") == 3 and not seen.diffs  # the values are one click away
    assert "space-0: 9 webhook updates; 1 finding (report only)" in text
    assert "space-1: 8 webhook updates" in text and "space-2: 8 webhook updates" in text
    assert "Plan: 0 to sync, 0 to verify, 25 webhook updates, 0 profile updates; 1 finding (report only: 1 drift)." in text
    assert 'quality rating is "RED"; expected YELLOW or better' in md  # inside, as a state


def test_a_threshold_refusal_says_how_to_override_it() -> None:
    plan = Plan((_webhook_change(1, "s"),), (PlannedSpace("s", "1", "spaces/s.yaml", FP),), FP, Preflight("ok"),
                blockers=(Blocker(BlockerKind.THRESHOLD, "space s: the plan updates the webhooks of 1 of the 1 "
                                  "declared numbers", "s"),))
    text = "".join(visible(render(plan, "markdown")).text)
    assert "Apply would refuse: space s" in text
    assert "plan --force" in text and "cams-reconciler/force" in text
    frozen = Plan((), (), FP, Preflight("frozen", "frozen"), blockers=(Blocker(BlockerKind.FROZEN, "frozen"),))
    assert "--force" not in "".join(visible(render(frozen, "markdown")).text).split("Apply would refuse", 1)[1]


def test_no_value_can_close_its_diff_block_or_inject_html() -> None:
    hostile = "```\n</code></pre><img src=x onerror=alert(1)>\n```"
    change = Change(Action.UPDATE, "s", "1", "8613800000001", "business_profile",
                    {"about": "ok"}, {"about": hostile}, Source("spaces/s.yaml", 4), kind="business_profile", label="update-profile")
    html = to_html(render(Plan((change,), (PlannedSpace("s", "1", "spaces/s.yaml", FP),), FP, Preflight("ok")),
                          "markdown"))
    assert "<img" not in html
    assert html.count('<code class="language-diff">') == 1


def test_every_change_kind_is_named_never_other() -> None:
    from reconciler import kinds as catalogue

    for kind in catalogue.kinds():  # (membership's findings are counted by their action)
        assert kind.name == "membership" or kind.presenter.drift is not DriftKind.OTHER, kind.name
    qr = Change(Action.DELETE, "s", "1", "8613800000001", "qr_codes.spring", {"message": "hi"}, None, kind="qr_codes",
                item="spring")
    template = Change(Action.UPDATE, "s", "1", None, "templates.order_update", {"category": "UTILITY"}, None,
                      kind="templates", item="order_update")
    assert kind_of(template) is DriftKind.TEMPLATE  # its own category (a bare string once read as "other")
    assert kind_of(qr) is DriftKind.QR_CODE
    md = render(Plan((qr,), (PlannedSpace("s", "1", "spaces/s.yaml", FP),), FP, Preflight("ok")), "markdown",
                report="drift")
    assert "1 message QR code differs from the YAML" in md and "other" not in md.lower().split("calls:")[0]


def test_a_token_written_in_the_yaml_changes_by_fingerprint(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """acme-travel's status URL carries its token in the YAML, and CAMS has an old one: masked, both read
    ``token=***``; with the fingerprint key set (as the plan and apply jobs share it), each side shows its
    keyed fingerprint, and they differ. Never the token."""
    monkeypatch.setenv("CAMS_RECONCILER_FINGERPRINT_KEY", "a-key-the-plan-does-not-hold")
    assert main(["plan", SPACES, "--emulator", STATE, "--format", "markdown", "--target", "acme-travel"]) == 0
    md = capsys.readouterr().out
    seen = visible(md)
    before = re.search(r'- status_callback_url: "[^"]*token=\*\*\* \(fingerprint ([0-9a-f]{12})\)"', "\n".join(seen.diffs))
    after = re.search(r'\+ status_callback_url: "[^"]*token=\*\*\* \(fingerprint ([0-9a-f]{12})\)"', "\n".join(seen.diffs))
    assert before and after and before.group(1) != after.group(1), seen.diffs
    assert "tr4vel-s3cret" not in md and "old-token-123" not in md
