"""The command line: thin. Each command is a module here with ``register(subparsers)``, which adds its parser
and sets ``func(args) -> int`` (the exit code). Errors the reconciler raises on purpose
(``ReconcilerError``) are printed as one ``error:`` line on stderr; nothing else is caught here, so a
traceback always means a bug.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn, Sequence

from reconciler import __version__
from reconciler.errors import ReconcilerError

# Order = order in --help.
COMMANDS = ("validate", "plan", "show", "drift", "apply", "migration", "import_", "call", "policy", "emulator")

# argparse exits 2 on a usage error, but 2 is what `drift` and `plan --detailed-exitcode` return for "changes
# found": a mistyped flag in a scheduled drift job would read as drift. Usage errors are errors: exit 1.
EXIT_USAGE = 1


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit ``EXIT_USAGE`` (subparsers inherit the class)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cams-reconciler",
        description="Terraform-style GitOps for WhatsApp business numbers on Alibaba Cloud CAMS.",
    )
    parser.add_argument("--version", action="version", version=f"cams-reconciler {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"reconciler.cli.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name != f"reconciler.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 1
    try:
        return int(args.func(args) or 0)
    except ReconcilerError as exc:
        print(exc.user_message(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
