"""``cams-reconciler validate PATH...``: check desired-state YAML offline (no credentials, no network).

Prints ``OK: N spaces, M numbers in K files`` and exits 0, or every problem (one
``file:line:col: error: ...`` line each, on stderr) and exits 1. ``--format github`` prints the problems as
GitHub Actions annotations (on stdout, where the runner reads them) so a pull request shows each one on
its line; ``--format json`` prints a machine-readable report, ``--format markdown`` a table for a PR
comment (the formats: ``reconciler.render.formats``). Each problem is printed once, in the format asked for
(the runner's log shows the annotations too); stderr ends with the ``N problems found`` count.
``--print-schema`` writes the JSON Schema the files are checked against, for editors and other tools.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli._terminal import Progress
from reconciler.core.errors import ExitCode
from reconciler.render import DEFAULT_FORMAT, FORMATS, Validation, format_help, get_format


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check desired-state YAML offline",
        description="Check desired-state YAML files offline: syntax, schema, phone numbers, callback URLs, "
                    "secrets kept out of YAML, and uniqueness across files. Exit 0 when valid, 1 otherwise.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a YAML file, or a directory (every *.yaml/*.yml below it)")
    parser.add_argument("--format", choices=FORMATS, default=DEFAULT_FORMAT, help=f"output format: {format_help()}")
    parser.add_argument("--print-schema", action="store_true",
                        help="print the JSON Schema of the format and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.config import ConfigError, load_desired_state  # here: --help stays quick
    from reconciler.config.schema import schema_text

    if args.print_schema:
        sys.stdout.write(schema_text())
        return ExitCode.OK
    if not args.paths:
        print("error: validate needs at least one PATH (a YAML file or a directory)", file=sys.stderr)
        return ExitCode.ERROR
    progress = Progress(sys.stderr)  # 10,000 numbers take a second or two: say what is going on
    progress.show(f"validating {', '.join(args.paths)}…")
    try:
        state = load_desired_state(args.paths)
    except ConfigError as err:
        result = Validation(problems=err.problems)
    else:
        result = Validation(spaces=len(state.spaces), numbers=state.number_count, files=tuple(state.files))
    progress.clear()
    out = get_format(args.format).validate(result)
    sys.stdout.write(out.stdout)
    sys.stdout.flush()
    sys.stderr.write(out.stderr)
    return ExitCode.OK if result.valid else ExitCode.ERROR
