"""``cams-reconciler fmt [--check] PATH...``: desired-state YAML in its one canonical layout, as ``terraform
fmt`` does for HCL (the layout: ``reconciler/config/fmt.py`` and docs/config.md, "Formatting").

Comments are kept and what the loader reads never changes (a file that would be read differently is left
as it is, with an error). ``--check`` writes nothing: it lists the files that are not in the layout and
exits 1 when there is any, for CI and the pre-commit hook (``.pre-commit-hooks.yaml``). Exit 0: every file
is (now) in the layout; 1: a file could not be formatted, or ``--check`` found one to reformat.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.core.errors import ExitCode


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fmt", help="rewrite desired-state YAML in the canonical layout (comments kept, meaning unchanged)",
        description="Rewrite desired-state YAML files in one canonical layout: keys in the order of the "
                    "format's schema, two-space indentation, double quotes where a string needs quotes; "
                    "comments are kept and what the files mean never changes. With --check, write nothing: "
                    "list the files that would change and exit 1 if there is any.",
        epilog="examples:\n  cams-reconciler fmt spaces/\n  cams-reconciler fmt --check spaces/   # CI, pre-commit",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a YAML file, or a directory (every *.yaml/*.yml below it)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file is not in the canonical layout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.config.errors import ConfigError
    from reconciler.config.fmt import format_text
    from reconciler.config.loader import discover, read_text
    from reconciler.files import write_atomically

    files, problems = discover(args.paths)
    failed = bool(problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    changed: list[str] = []
    for file in files:
        text, problems = read_text(file)
        if text is None:
            failed = True
            for problem in problems:
                print(problem, file=sys.stderr)
            continue
        kept: list[str] = []
        try:
            result = format_text(text, file, kept)
        except ConfigError as exc:
            failed = True
            print(str(exc), file=sys.stderr)
            continue
        if args.verbose:
            for path in kept:
                print(f"note: {file}: {path} keeps its key order (comments between its keys)", file=sys.stderr)
        if result == text:
            continue
        changed.append(file)
        if args.check:
            print(f"would reformat {file}")
        else:
            write_atomically(file, result)
            print(f"formatted {file}")
    if args.check and changed:
        n = len(changed)
        print(f"{n} file{'s' if n != 1 else ''} not in the canonical layout: run `cams-reconciler fmt` on "
              f"{'it' if n == 1 else 'them'}", file=sys.stderr)
        return ExitCode.ERROR
    return ExitCode.ERROR if failed else ExitCode.OK
