"""The registry of output formats (``reconciler.render.formats``): every registered format renders every report
kind, a format that leaves one out cannot be registered, and every command's ``--format`` choices are the
registry's."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from reconciler.cli import build_parser
from reconciler.config.errors import Problem
from reconciler.core.plan import Action, Change, Plan
from reconciler.core.source import Source
from reconciler.engine.results import ApplyReport, ChangeResult, Outcome
from reconciler.render import FORMATS, REPORT_KINDS, PlanOptions, Validation, get_format, render
from reconciler.render.formats import Audience, OutputFormat, format_names, register
from tests.helpers.plans import full_plan

REPO = Path(__file__).resolve().parents[2]
PROBLEMS = (Problem("spaces/a.yaml", 5, 7, "unknown key 'nubmers': did you mean 'numbers'?", "spaces[0].nubmers"),
            Problem("spaces/b,c.yaml", 0, 0, "holds no YAML file"))


def _report(plan: Plan) -> ApplyReport:
    changes = [c for c in plan.changes if c.action.writes][:3]
    outcomes = (Outcome.DONE, Outcome.FAILED, Outcome.SKIPPED)
    return ApplyReport(tuple(ChangeResult(c, o, f"message {i}", "Ram.PermissionDeny" if o is Outcome.FAILED else None)
                             for i, (c, o) in enumerate(zip(changes, outcomes))),
                       follow_up=(Change(Action.UPDATE, "acme", "900", "4", reason="not in the plan",
                                         source=Source("spaces/a.yaml", 9, 3), kind="webhooks", label="update-webhook"),),
                       calls={"UpdatePhoneWebhook": 2})


def _renderings(fmt: OutputFormat, kind: str, plan: Plan) -> list[str]:
    """Everything ``fmt`` prints for ``kind`` (each variant), one string per variant."""
    options = PlanOptions(plan_json_path="plan.json")
    if kind == "plan":
        return [fmt.plan(plan, options)]
    if kind == "drift":
        return [fmt.drift(plan, options)]
    if kind == "apply":
        report = _report(plan)
        return [fmt.apply(report, plan=plan), fmt.apply(report), fmt.apply(ApplyReport(()), plan=plan, nothing_to_do=True)]
    if kind == "validate":
        bad, good = fmt.validate(Validation(problems=PROBLEMS)), fmt.validate(Validation(spaces=2, numbers=3, files=("a.yaml",)))
        assert bad.stderr.endswith("2 problems found\n") and not good.stderr
        if fmt.name == "json":
            assert json.loads(good.stdout)["valid"] is True
        else:  # the same one line in every other format (github's runner shows it in the log)
            assert good.stdout == "OK: 2 spaces, 3 numbers in 1 file\n"
        return [bad.stdout or bad.stderr]
    raise AssertionError(f"no sample for the report kind {kind!r}: add one here")


@pytest.mark.parametrize("kind", REPORT_KINDS)
@pytest.mark.parametrize("name", FORMATS)
def test_every_format_renders_every_report_kind(name: str, kind: str) -> None:
    fmt = get_format(name)
    plan = full_plan()
    for text in _renderings(fmt, kind, plan):
        assert text.strip(), f"{name} renders nothing for {kind}"
        assert text.endswith("\n")
        if name == "json":
            json.loads(text)  # one document
        if name == "github":
            assert all(line.startswith("::") for line in text.splitlines()), text  # workflow commands only
            assert text.splitlines()[-1].startswith("::notice ")  # the summary notice survives


def test_the_report_kinds_are_the_abstract_methods() -> None:
    assert set(OutputFormat.__abstractmethods__) == set(REPORT_KINDS)


def test_a_format_that_leaves_a_kind_out_cannot_be_registered() -> None:
    class Partial(OutputFormat):
        name = "partial"
        help = "no validate"
        audience = Audience.MACHINE

        def plan(self, plan, options):
            return ""

        def drift(self, plan, options):
            return ""

        def apply(self, report, *, plan=None, nothing_to_do=False):
            return ""

    with pytest.raises(TypeError, match="validate"):
        register(Partial)
    assert "partial" not in format_names()
    with pytest.raises(ValueError, match="twice"):
        register(type(get_format("json")))


def _format_choices(parser: argparse.ArgumentParser) -> dict[str, tuple[str, ...] | None]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: dict[str, tuple[str, ...] | None] = {}
    for name, command in sub.choices.items():
        for action in command._actions:
            if "--format" in action.option_strings:
                found[name] = tuple(action.choices) if action.choices is not None else None
    return found


def test_every_commands_format_choices_are_the_registry() -> None:
    found = _format_choices(build_parser())
    # `matrix` prints no report: its formats are the CI systems whose matrix it fills (json, github, gitlab)
    assert found.pop("matrix") == ("json", "github", "gitlab")
    assert {"plan", "drift", "show", "apply", "validate"} <= set(found)
    assert found == dict.fromkeys(found, format_names())


def test_colour_only_for_a_terminal_audience() -> None:
    plan = full_plan()
    for name in FORMATS:
        coloured = render(plan, name, color=True)
        assert ("\x1b[" in coloured) is (get_format(name).audience is Audience.TERMINAL), name
        assert "\x1b[" not in render(plan, name, color=False)


def test_machine_readable_formats_print_no_plan_before_applying() -> None:
    plan = full_plan()
    for name in FORMATS:
        fmt = get_format(name)
        preview = fmt.apply_preview(plan, PlanOptions())
        assert (preview is None) is fmt.machine_readable, name
        assert fmt.machine_readable is (name in ("json", "github"))
        assert fmt.read_as_printed is (name == "text")


def test_github_escaping_lives_in_one_module() -> None:
    """The annotation escaping (``%25``, ``%0A``, ``%3A``...) is written once: render/github.py."""
    holders = [p.relative_to(REPO).as_posix() for p in (REPO / "reconciler").rglob("*.py")
               if "%0A" in p.read_text(encoding="utf-8")]
    assert holders == ["reconciler/render/github.py"]


def test_validate_annotations_escape_properties_and_keep_each_problem_once() -> None:
    out = get_format("github").validate(Validation(problems=PROBLEMS))
    assert out.stdout.splitlines() == [
        "::error file=spaces/a.yaml,line=5,col=7,title=cams-reconciler validate::unknown key 'nubmers': did you "
        "mean 'numbers'? (spaces[0].nubmers)",
        "::error file=spaces/b%2Cc.yaml,title=cams-reconciler validate::holds no YAML file",
        "::notice title=cams-reconciler validate::2 problems found in the YAML.",
    ]
    assert out.stderr == "2 problems found\n"  # both annotated: none repeated on stderr


def test_apply_annotations_put_failures_on_their_lines() -> None:
    plan = full_plan()
    report = _report(plan)
    lines = get_format("github").apply(report).splitlines()
    failed = next(r for r in report.results if r.outcome is Outcome.FAILED)
    assert any(line.startswith("::error ") and f"line={failed.change.source.line}" in line
               and "Ram.PermissionDeny%3A" not in line.split("::")[2] and "Ram.PermissionDeny: message" in line
               for line in lines)
    assert sum(line.startswith("::warning ") for line in lines) == 2  # the skipped write and the follow-up
    assert lines[-1].startswith("::notice title=cams-reconciler apply::Apply failed: 1 done, 1 failed, 1 skipped")


def test_validate_markdown_is_a_table_of_the_problems() -> None:
    out = get_format("markdown").validate(Validation(problems=PROBLEMS))
    assert "| `spaces/a.yaml:5:7` | unknown key 'nubmers': did you mean 'numbers'? (spaces[0].nubmers) |" in out.stdout
    assert out.stdout.startswith("### ") and "2 problems found" in out.stdout.splitlines()[0]
