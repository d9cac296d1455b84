"""The output formats: one class per format, registered once, each rendering every kind of report.

After Terraform's views (one constructor per output, each implementing a command's whole view): a format is
a subclass of ``OutputFormat`` that implements every report kind (``REPORT_KINDS``): the plan, the drift
report, what apply prints (the plan before asking, its results after writing) and validate's verdict.
``@register`` adds it to the registry; the commands' ``--format`` choices are ``format_names()``. A format
that leaves a kind out cannot be registered (the kinds are abstract methods), and
``tests/unit/test_formats.py`` renders every kind in every registered format.

What a format's stdout is for (``audience``) decides, here and nowhere else, what goes around it:

- ``terminal`` (text): a person reads stdout. Colour only here (and only when the CLI found a terminal); a
  run-level error said on stdout needs no copy on stderr.
- ``document`` (markdown): stdout is pasted elsewhere (a PR comment, a job summary), so a run-level error is
  also said on stderr, where the CI log shows it.
- ``machine`` (json, github): a program reads stdout (a tool, the Actions runner): ``machine_readable``.
  Nothing but the document goes there: no colour, the calls line and errors on stderr, and apply prints no
  plan before its results (json: the one ``{"plan", "apply"}`` document holds both; github: the results'
  annotations, which must not compete with the plan's for GitHub's 10 per kind). Progress is never on
  stdout in any format (``cli._terminal.Progress`` draws on stderr, on a terminal only).

Each format imports its renderer when asked: a command pays only for the format it prints (``validate``
never imports the engine).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, NamedTuple, TypeVar

if TYPE_CHECKING:
    from reconciler.config.errors import Problem
    from reconciler.core.plan import Plan
    from reconciler.engine.results import ApplyReport

#: The kinds of report every format renders: the names of ``OutputFormat``'s abstract methods.
REPORT_KINDS = ("plan", "drift", "apply", "validate")
DEFAULT_FORMAT = "text"
VALIDATE_TITLE = "cams-reconciler validate"


class Audience(str, Enum):
    TERMINAL = "terminal"
    DOCUMENT = "document"
    MACHINE = "machine"


class PlanOptions(NamedTuple):  # immutable; no dataclasses import on --help's path
    """How a plan (or drift report) is shown. ``plan_json_path``: where the full JSON plan was saved, named
    by markdown when it has to cut details. ``link_base``: where markdown links to YAML lines point (e.g.
    ``https://github.com/OWNER/REPO/blob/SHA``); relative links when None. ``color``: ANSI colour (the CLI
    decides: terminals only; formats for other audiences never colour). ``verbose``: text lists the in-sync
    spaces one by one instead of folding them into one line."""

    plan_json_path: str | None = None
    link_base: str | None = None
    color: bool = False
    verbose: bool = False


class Validation(NamedTuple):  # immutable; no dataclasses import on --help's path
    """What ``validate`` found: the problems (none: valid), or what was loaded."""

    problems: Sequence[Problem] = ()
    spaces: int = 0
    numbers: int = 0
    files: Sequence[str] = ()

    @property
    def valid(self) -> bool:
        return not self.problems

    def ok_line(self) -> str:
        s, n, f = self.spaces, self.numbers, len(self.files)
        return (f"OK: {s} space{'s' if s != 1 else ''}, {n} number{'s' if n != 1 else ''} "
                f"in {f} file{'s' if f != 1 else ''}")

    def count_line(self) -> str:
        n = len(self.problems)
        return f"{n} problem{'s' if n != 1 else ''} found"


class Output(NamedTuple):  # immutable; no dataclasses import on --help's path
    """A report that goes to both streams (``validate``: the verdict on stdout or stderr, the count on stderr)."""

    stdout: str = ""
    stderr: str = ""


class OutputFormat(ABC):
    """One output format: its name, its audience, and a rendering of every report kind."""

    name: ClassVar[str]
    help: ClassVar[str]  # a few words for ``--format``'s help
    audience: ClassVar[Audience]

    @property
    def machine_readable(self) -> bool:
        """A program reads stdout: nothing but the document goes there."""
        return self.audience is Audience.MACHINE

    @property
    def read_as_printed(self) -> bool:
        """The person running the command reads stdout as printed (an error said there needs no copy on
        stderr)."""
        return self.audience is Audience.TERMINAL

    def options(self, options: PlanOptions) -> PlanOptions:
        """``options`` as this format honours them: colour for a terminal audience only."""
        if options.color and self.audience is not Audience.TERMINAL:
            return PlanOptions(options.plan_json_path, options.link_base, False, options.verbose)
        return options

    @abstractmethod
    def plan(self, plan: Plan, options: PlanOptions) -> str:
        """``plan`` and ``show``."""

    @abstractmethod
    def drift(self, plan: Plan, options: PlanOptions) -> str:
        """``drift``: the same plan as a drift report (its own title, summary and counts: ``engine.drift``)."""

    def apply_preview(self, plan: Plan, options: PlanOptions) -> str | None:
        """What ``apply`` prints before asking and writing: the plan, for a person; nothing for a program
        (the results carry what it needs)."""
        return None if self.machine_readable else self.plan(plan, options)

    @abstractmethod
    def apply(self, report: ApplyReport, *, plan: Plan | None = None, nothing_to_do: bool = False) -> str:
        """What ``apply`` prints after writing (``plan``: the plan it ran, for a format that holds it too;
        ``nothing_to_do``: the plan had no write)."""

    @abstractmethod
    def validate(self, result: Validation) -> Output:
        """``validate``'s verdict."""


_F = TypeVar("_F", bound=type[OutputFormat])
_REGISTRY: dict[str, OutputFormat] = {}


def register(cls: _F) -> _F:
    """Add a format. Instantiating it here fails (TypeError) when it leaves a report kind out."""
    fmt = cls()
    if fmt.name in _REGISTRY:
        raise ValueError(f"output format {fmt.name!r} registered twice")
    _REGISTRY[fmt.name] = fmt
    return cls


def format_names() -> tuple[str, ...]:
    """Every registered format, in registration order: the ``--format`` choices of every command."""
    return tuple(_REGISTRY)


def get_format(name: str) -> OutputFormat:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; expected one of {', '.join(_REGISTRY)}") from None


def format_help(default: str = DEFAULT_FORMAT) -> str:
    """``--format``'s help: each format and what it is for."""
    return ", ".join(f"{f.name}{' (default)' if f.name == default else ''}: {f.help}" for f in _REGISTRY.values())


def _lines(*parts: str | None) -> str:
    """Parts printed one after another, each ending its line (as ``print`` would)."""
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts if p is not None)


@register
class TextFormat(OutputFormat):
    name = "text"
    help = "for a terminal or a CI log"
    audience = Audience.TERMINAL

    def plan(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.text import render_text
        return render_text(plan, color=options.color, verbose=options.verbose)

    def drift(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.text import render_text
        return render_text(plan, report="drift", color=options.color, verbose=options.verbose)

    def apply(self, report: ApplyReport, *, plan: Plan | None = None, nothing_to_do: bool = False) -> str:
        from reconciler.render.apply_report import apply_text
        body = ("\nNo changes to apply: the spaces already match the YAML (drift findings, if any, are "
                "report-only)." if nothing_to_do else "\n" + apply_text(report))
        return _lines(body, None if report.provenance is None else report.provenance.line("Apply"))

    def validate(self, result: Validation) -> Output:
        if result.valid:
            return Output(stdout=_lines(result.ok_line()))
        return Output(stderr=_lines(*(str(p) for p in result.problems), result.count_line()))


@register
class MarkdownFormat(OutputFormat):
    name = "markdown"
    help = "a pull-request comment or job summary"
    audience = Audience.DOCUMENT

    def plan(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.markdown import render_markdown
        return render_markdown(plan, plan_json_path=options.plan_json_path, link_base=options.link_base)

    def drift(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.markdown import render_markdown
        return render_markdown(plan, plan_json_path=options.plan_json_path, link_base=options.link_base,
                               report="drift")

    def apply(self, report: ApplyReport, *, plan: Plan | None = None, nothing_to_do: bool = False) -> str:
        from reconciler.render.apply_report import apply_markdown
        body = "\n**No changes to apply.**" if nothing_to_do else "\n" + apply_markdown(report)
        return _lines(body, None if report.provenance is None else f"<sub>{report.provenance.line('Apply')}</sub>")

    def validate(self, result: Validation) -> Output:
        from reconciler.render.markdown import problems_markdown
        if result.valid:
            return Output(stdout=_lines(result.ok_line()))
        return Output(stdout=problems_markdown(result.problems, result.count_line()),
                      stderr=_lines(result.count_line()))


@register
class JsonFormat(OutputFormat):
    name = "json"
    help = "for programs (the plan file's format)"
    audience = Audience.MACHINE

    def plan(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.json_plan import render_json
        return render_json(plan)

    def drift(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.json_plan import render_drift_json
        return render_drift_json(plan)

    def apply(self, report: ApplyReport, *, plan: Plan | None = None, nothing_to_do: bool = False) -> str:
        import json  # here: every command's --help imports this registry

        document = report.to_dict() if plan is None else {"plan": plan.to_dict(), "apply": report.to_dict()}
        return _lines(json.dumps(document, indent=2, ensure_ascii=False))

    def validate(self, result: Validation) -> Output:
        import json

        if result.valid:
            document: dict[str, object] = {"valid": True, "spaces": result.spaces, "numbers": result.numbers,
                                           "files": list(result.files)}
            return Output(stdout=_lines(json.dumps(document, indent=2)))
        document = {"valid": False, "problems": [
            {"file": p.file, "line": p.line, "col": p.col, "message": p.message, "field_path": p.field_path}
            for p in result.problems]}
        return Output(stdout=_lines(json.dumps(document, indent=2)), stderr=_lines(result.count_line()))


@register
class GithubFormat(OutputFormat):
    name = "github"
    help = "GitHub Actions annotations on the YAML lines"
    audience = Audience.MACHINE

    def plan(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.github import render_github
        return render_github(plan)

    def drift(self, plan: Plan, options: PlanOptions) -> str:
        from reconciler.render.github import render_github
        return render_github(plan, report="drift")

    def apply(self, report: ApplyReport, *, plan: Plan | None = None, nothing_to_do: bool = False) -> str:
        from reconciler.render.apply_report import apply_github
        return apply_github(report, nothing_to_do=nothing_to_do)

    def validate(self, result: Validation) -> Output:
        if result.valid:
            return Output(stdout=_lines(result.ok_line()))
        from reconciler.render.github import problem_annotation, within_limits  # only here: validate starts fast

        lines = [problem_annotation(p, VALIDATE_TITLE) for p in result.problems]
        n = len(result.problems)
        annotations = within_limits(lines, f"{n} problem{'s' if n != 1 else ''} found in the YAML.",
                                    title=VALIDATE_TITLE)
        shown = set(annotations.splitlines())
        # Each problem once: on stderr only those GitHub was not given (past its 10 per kind).
        rest = [str(p) for p, line in zip(result.problems, lines) if line not in shown]
        return Output(stdout=annotations, stderr=_lines(*rest, result.count_line()))


__all__ = ["REPORT_KINDS", "DEFAULT_FORMAT", "Audience", "PlanOptions", "Validation", "Output", "OutputFormat",
           "register", "format_names", "get_format", "format_help"]
