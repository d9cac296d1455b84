"""The command line: thin. Each command is a module here with ``register(subparsers)``, which adds its parser
and sets ``func(args) -> int`` (the exit code). Errors the reconciler raises on purpose
(``ReconcilerError``) are printed as one ``error:`` line on stderr; nothing else is caught here, so a
traceback always means a bug.

Start-up is kept close to a bare interpreter's: the top-level parser is built from the ``COMMANDS`` table
alone, and only the module of the command being run is imported (``--version`` and ``--help`` import no
command at all; ``validate`` never imports the HTTP client). Parsing is two-stage and never guesses: the
words before the command are the global options, the words after it are parsed by the command's own parser
(``allow_abbrev=False``, options accepted anywhere among the positionals), so a usage error shows that
command's usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import TYPE_CHECKING

from reconciler import __version__

if TYPE_CHECKING:  # ``typing`` costs a quarter of --version's own time: annotations only
    from collections.abc import Sequence
    from typing import NoReturn


class Command:
    __slots__ = ("module", "help")

    def __init__(self, module: str, help: str | None) -> None:  # noqa: A002 - argparse's word for it
        self.module = module  # under reconciler.cli
        self.help = help  # None: hidden (a helper the completion scripts call)


# Order = order in --help. The help lines are here, not in the modules, so that --help imports none of them
# (tests/unit/test_cli_parsing.py checks each module registers the same line).
COMMANDS: dict[str, Command] = {
    "validate": Command("validate", "check desired-state YAML offline"),
    "fmt": Command("fmt", "rewrite desired-state YAML in the canonical layout (comments kept, meaning unchanged)"),
    "plan": Command("plan", "show what apply would change (read-only)"),
    "show": Command("show", "render a saved plan file (no API call)"),
    "matrix": Command("matrix", "print the CI jobs a run needs: one per account, large accounts in shards (offline)"),
    "drift": Command("drift", "check that the real state matches the YAML (read-only)"),
    "apply": Command("apply", "apply a plan: sync, migrate, update webhooks and profiles, then verify"),
    "migration": Command("migration", "migration helpers: send-code (have the verify code sent to the number's "
                                      "owner)"),
    "onboarding": Command("onboarding", "onboarding helpers: send-code (have a new registration code sent to a "
                                        "new number)"),
    "state": Command("state", "inspect and mend the state store: list, show, rm, lock, unlock, migrate"),
    "import": Command("import_", "write the desired-state YAML of an existing space (adoption)"),
    "call": Command("call", "call one CAMS/BSS API action and print the JSON response"),
    "policy": Command("policy", "print the least-privilege RAM policy a command needs"),
    "emulator": Command("emulator", "run a local CAMS emulator (offline testing of your YAML and of the tool)"),
    "completion": Command("completion", "print a shell completion script (bash, zsh or fish)"),
    "__complete": Command("completion", None),
}

EPILOG = """\
examples:
  cams-reconciler validate spaces/
  cams-reconciler plan spaces/ --emulator examples/emulator-state.yaml
  cams-reconciler plan spaces/ --changed-since origin/main --format markdown --out plan.json
  cams-reconciler apply spaces/ --plan plan.json
  cams-reconciler drift spaces/ --format markdown
  cams-reconciler completion bash > ~/.local/share/bash-completion/completions/cams-reconciler

environment:
  CAMS_RECONCILER_LOG=debug|info|warn   log level on stderr (default warn; -v is info, -vv debug)
  CAMS_RECONCILER_LOG_FORMAT=json       log as JSON lines (default: human lines)
  NO_COLOR=1                            no colour, even on a terminal (or --no-color)
  credentials: the Alibaba Cloud chain (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, ...); see each command's --help

Run `cams-reconciler COMMAND --help` for a command's options."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that never guesses (no abbreviations: a flag added later must not change what an
    old script's shortened flag means) and whose usage errors exit ``ExitCode.USAGE`` (subparsers inherit it).

    argparse exits 2 on a usage error, but 2 is what `drift` and `plan --detailed-exitcode` return for
    "changes found": a mistyped flag in a scheduled drift job would read as drift. Usage errors are errors."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        from reconciler.cli._suggest import with_suggestion  # here: --help and --version need neither
        from reconciler.core.errors import ExitCode

        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {with_suggestion(message, self)}\n")


def add_output_options(parser: argparse.ArgumentParser, *, suffix: str = "") -> None:
    """``-v/--verbose`` and ``--no-color``: accepted before the command and after it."""
    group = parser.add_argument_group("output")
    group.add_argument("-v", "--verbose", action="count", default=0, dest="verbose" + suffix,
                       help="more detail: list in-sync spaces and log at info (-vv: debug, every request)")
    group.add_argument("--no-color", action="store_true", dest="no_color" + suffix,
                       help="no colour even on a terminal (also NO_COLOR)")


def top_parser() -> argparse.ArgumentParser:
    """The parser of the words before the command: global options and the command's name only."""
    parser = _Parser(prog="cams-reconciler",
                     description="Terraform-style GitOps for WhatsApp business numbers on Alibaba Cloud CAMS.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cams-reconciler {__version__}")
    add_output_options(parser, suffix="_global")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        if command.help is not None:  # a hidden helper is no choice here: no usage or error lists it
            sub.add_parser(name, help=command.help, add_help=False)
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    """The full parser of one command (importing only its module), ``prog`` = ``cams-reconciler NAME``."""
    holder = _Parser(prog="cams-reconciler").add_subparsers(dest="command")
    importlib.import_module(f"reconciler.cli.{COMMANDS[name].module}").register(holder)
    parser: argparse.ArgumentParser = holder.choices[name]
    add_output_options(parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """One parser holding every command (for tests and the completion scripts; ``main`` builds only what
    it runs)."""
    parser = _Parser(prog="cams-reconciler", description="Terraform-style GitOps for WhatsApp business "
                     "numbers on Alibaba Cloud CAMS.")
    parser.add_argument("--version", action="version", version=f"cams-reconciler {__version__}")
    add_output_options(parser, suffix="_global")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in dict.fromkeys(c.module for c in COMMANDS.values()):
        importlib.import_module(f"reconciler.cli.{name}").register(sub)
    for parser_ in sub.choices.values():
        add_output_options(parser_)
    return parser


def _command_index(argv: Sequence[str]) -> int | None:
    """Where the command's name is: the first word that is not an option (no global option takes a value)."""
    for i, word in enumerate(argv):
        if word == "--":
            return i + 1 if i + 1 < len(argv) else None
        if not word.startswith("-") or word == "-":
            return i
    return None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Both stages. Exits (``ExitCode.USAGE``, or 0 for --help/--version) like argparse on bad input."""
    top = top_parser()
    at = _command_index(argv)
    if at is None:
        top.parse_args(argv)  # --version, --help, or a bad global option
        from reconciler.core.errors import ExitCode

        top.print_help(sys.stderr)
        raise SystemExit(ExitCode.USAGE)
    head = [w for w in argv[:at] if w != "--"]
    hidden = COMMANDS.get(argv[at]) is not None and COMMANDS[argv[at]].help is None
    # An unknown command: the top-level usage, rightly (with the command it probably meant).
    glob = top.parse_args(head if hidden else [*head, argv[at]])
    parser = command_parser(argv[at])
    # Options anywhere among the positionals (`call ACTION --emulator F Key=V`). Intermixed parsing refuses
    # sub-commands (`migration send-code`) and REMAINDER (a helper taking raw words says ``plain_parse``).
    nested = any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    parse = parser.parse_args if nested or parser.get_default("plain_parse") else parser.parse_intermixed_args
    args = parse(argv[at + 1:])
    args.verbose += glob.verbose_global
    args.no_color = args.no_color or glob.no_color_global
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. A closed stdout (``... | head -2``) ends it quietly with 141, as ``git`` ends
    (killed by SIGPIPE); Python ignores that signal, so it shows as ``BrokenPipeError`` on a write or on
    the flush at the end (also after ``--help``), caught here rather than printed at interpreter exit."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not as "Exception ignored" at exit
    except BrokenPipeError:
        _discard_stdout()
        from reconciler.core.errors import ExitCode

        return ExitCode.SIGPIPE


def run() -> NoReturn:
    """The program (``cams-reconciler``, ``python -m reconciler``): ``main()``, then exit with its code.

    Before exiting, everything still alive is moved out of the garbage collector's reach (``gc.freeze``):
    the interpreter's shutdown runs full collections that would scan every object a run loaded (a plan of
    thousands of spaces: a quarter of a second of CPU) to find nothing, since the process ends anyway.
    Objects are still released as modules are torn down, and exit handlers and flushes run as before.
    In-process callers (tests) use ``main()``, which leaves the collector alone."""
    import gc

    code = main()
    gc.freeze()
    sys.exit(code)


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush of what is still buffered says nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to flush
        pass


def _main(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(words)
    at = _command_index(words)
    command = COMMANDS.get(words[at]) if at is not None else None
    if command is not None and command.help is None:  # a helper at TAB time: no log, no colour, just quick
        args.color = False
        return _run(args)
    from reconciler.cli._logging import logging_configured  # after parsing: --help needs neither
    from reconciler.cli._terminal import use_color

    args.color = use_color(sys.stdout, os.environ, no_color=args.no_color)
    with logging_configured(os.environ, verbose=args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from reconciler.core.errors import ExitCode, ReconcilerError

    try:
        return int(args.func(args) or ExitCode.OK)
    except ReconcilerError as exc:
        if exc.quotes_server:
            from reconciler.render.escape import printable

            print(printable(exc.user_message()), file=sys.stderr)
        else:
            print(exc.user_message(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.SIGINT
