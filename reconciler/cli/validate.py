"""``cams-reconciler validate PATH...``: check desired-state YAML offline (no credentials, no network).

Prints ``OK: N spaces, M numbers in K files`` and exits 0, or every problem (one
``file:line:col: error: ...`` line each, on stderr) and exits 1. ``--format github`` prints the problems as
GitHub Actions annotations (on stdout, where the runner reads them) so a pull request shows each one on
its line; ``--format json`` prints a machine-readable report. Each problem is printed once, in the format
asked for (the runner's log shows the annotations too); stderr ends with the ``N problems found`` count. ``--print-schema`` writes the JSON Schema the
files are checked against, for editors and other tools.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reconciler.cli._terminal import Progress
from reconciler.config import ConfigError, Problem, load_desired_state
from reconciler.config.schema import schema_text

FORMATS = ("text", "github", "json")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check desired-state YAML offline",
        description="Check desired-state YAML files offline: syntax, schema, phone numbers, callback URLs, "
                    "secrets kept out of YAML, and uniqueness across files. Exit 0 when valid, 1 otherwise.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a YAML file, or a directory (every *.yaml/*.yml below it)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default), github (workflow annotations), or json")
    parser.add_argument("--print-schema", action="store_true",
                        help="print the JSON Schema of the format and exit")
    parser.set_defaults(func=run)


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github_line(p: Problem) -> str:
    props = [f"file={_github_escape(p.file, prop=True)}"]
    if p.line > 0:
        props += [f"line={p.line}", f"col={p.col}"]
    props.append("title=cams-reconciler validate")
    message = p.message + (f" ({p.field_path})" if p.field_path else "")
    return f"::error {','.join(props)}::{_github_escape(message)}"


def run(args: argparse.Namespace) -> int:
    if args.print_schema:
        sys.stdout.write(schema_text())
        return 0
    if not args.paths:
        print("error: validate needs at least one PATH (a YAML file or a directory)", file=sys.stderr)
        return 1
    progress = Progress(sys.stderr)  # 10,000 numbers take a second or two: say what is going on
    progress.show(f"validating {', '.join(args.paths)}…")
    try:
        state = load_desired_state(args.paths)
    except ConfigError as err:
        progress.clear()
        if args.format == "json":
            print(json.dumps({"valid": False, "problems": [
                {"file": p.file, "line": p.line, "col": p.col, "message": p.message, "field_path": p.field_path}
                for p in err.problems]}, indent=2))
        elif args.format == "github":  # within GitHub's 10 per kind, with a summary notice that survives
            from reconciler.render.github import within_limits  # only here: validate starts fast

            n = len(err.problems)
            annotations = within_limits([_github_line(p) for p in err.problems],
                                        f"{n} problem{'s' if n != 1 else ''} found in the YAML.",
                                        title="cams-reconciler validate")
            sys.stdout.write(annotations)
            shown = set(annotations.splitlines())
            for p in err.problems:  # each problem once: on stderr only those GitHub was not given
                if _github_line(p) not in shown:
                    print(p, file=sys.stderr)
        else:  # text: on stderr (json and github carry each problem once, on stdout)
            for p in err.problems:
                print(p, file=sys.stderr)
        n = len(err.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        return 1
    progress.clear()
    spaces, numbers, files = len(state.spaces), state.number_count, len(state.files)
    if args.format == "json":
        print(json.dumps({"valid": True, "spaces": spaces, "numbers": numbers, "files": list(state.files)},
                         indent=2))
    else:
        print(f"OK: {spaces} space{'s' if spaces != 1 else ''}, {numbers} number{'s' if numbers != 1 else ''} "
              f"in {files} file{'s' if files != 1 else ''}")
    return 0
