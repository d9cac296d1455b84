"""``cams-reconciler show PLAN_FILE``: render a saved plan (``plan --out``) again, without any API call.

Like ``terraform show``: a plan is made once (its API calls paid once) and then shown as often and in as
many formats as needed. The pull-request workflow relies on it: ``plan --format markdown --out plan.json``
produces the PR comment and the saved plan in one run, and ``show plan.json --format github`` turns the
same plan into annotations on the YAML lines, with no second read of the account.

The file is checked by ``reconciler.engine.staleness.load_saved_plan`` (the same check ``apply --plan``
makes): a missing, truncated, hand-edited or other-version file is one ``error:`` line and exit 1. The
saved plan holds no secret (URLs are masked when the plan is made), so every format is safe to print.

``show`` does not say whether the plan is still current; ``apply --plan`` does that check (it plans the same
spaces again) and refuses a stale plan.

Exit codes: 0 shown, 1 the file is not a plan this version can read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli.plan import add_link_base_argument, link_base
from reconciler.core.errors import ExitCode
from reconciler.render import DEFAULT_FORMAT, FORMATS, format_help


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show", help="render a saved plan file (no API call)",
        description="Render a plan saved by `plan --out FILE` in any output format, without reading the "
                    "account again (for example GitHub annotations from the plan posted on a pull request). "
                    "Exit 0, or 1 when the file is missing, truncated, edited or of another format version.")
    parser.add_argument("plan_file", metavar="PLAN_FILE", help="a JSON plan written by `plan --out`")
    parser.add_argument("--format", choices=FORMATS, default=DEFAULT_FORMAT,
                        help=f"output format: {format_help()}; json prints the plan file in its canonical form")
    add_link_base_argument(parser)
    parser.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    from reconciler.engine import load_saved_plan
    from reconciler.render import render

    plan = load_saved_plan(args.plan_file)  # PlanFileError → `error: ...`, exit 1 (cli.main)
    # markdown cuts details past GitHub's comment limit and points at the full plan: that is this file.
    sys.stdout.write(render(plan, args.format, plan_json_path=args.plan_file, link_base=link_base(args),
                            color=getattr(args, "color", False), verbose=bool(getattr(args, "verbose", 0))))
    sys.stdout.flush()
    return ExitCode.OK
