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

``show --merge PIECE... --yaml PATH`` shows a matrix run's pieces (one plan per account or shard, from
``plan --out``) as one plan: one comment, one set of annotations, one JSON document, and ``plan``'s exit
code (1 when a space could not be read or apply would refuse; with ``--detailed-exitcode`` 2 when apply would
write). Given apply results files (``apply --results``), it shows the merged outcome: which accounts applied,
which were refused or failed and why; exit 0 only when every expected account applied (``cli/_merge.py``).

Exit codes: 0 shown, 1 the file is not a plan this version can read (or pieces that do not belong together).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli._merge import add_merge_arguments
from reconciler.cli.plan import add_link_base_argument, link_base
from reconciler.core.errors import ExitCode
from reconciler.render import DEFAULT_FORMAT, FORMATS, format_help


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show", help="render a saved plan file (no API call)",
        description="Render a plan saved by `plan --out FILE` in any output format, without reading the "
                    "account again (for example GitHub annotations from the plan posted on a pull request). "
                    "Exit 0, or 1 when the file is missing, truncated, edited or of another format version.")
    parser.add_argument("plan_file", metavar="PLAN_FILE", nargs="+",
                        help="a JSON plan written by `plan --out` (with --merge: a run's pieces, or its apply results)")
    parser.add_argument("--format", choices=FORMATS, default=DEFAULT_FORMAT,
                        help=f"output format: {format_help()}; json prints the plan file in its canonical form")
    add_link_base_argument(parser)
    add_merge_arguments(parser, "plans or apply results")
    parser.add_argument("--out", metavar="FILE", help="with --merge: also write the merged JSON plan to FILE")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="with --merge: exit 2 when apply would write something (as plan's)")
    parser.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    from reconciler.cli._merge import check_flags

    check_flags(args, args.plan_file)
    if args.out and not args.merge or args.detailed_exitcode and not args.merge:
        from reconciler.engine import MergeError
        raise MergeError("--out and --detailed-exitcode go with --merge")
    if args.merge:
        return _run_merge(args)
    from reconciler.engine import load_saved_plan
    from reconciler.render import render

    plan = load_saved_plan(args.plan_file[0])  # PlanFileError → `error: ...`, exit 1 (cli.main)
    # markdown cuts details past GitHub's comment limit and points at the full plan: that is this file.
    sys.stdout.write(render(plan, args.format, plan_json_path=args.plan_file[0], link_base=link_base(args),
                            color=getattr(args, "color", False), verbose=bool(getattr(args, "verbose", 0))))
    sys.stdout.flush()
    return ExitCode.OK


def _run_merge(args: argparse.Namespace) -> int:
    from reconciler.cli._merge import merged, show_outcomes
    from reconciler.cli.plan import emit
    from reconciler.engine import is_results

    files = list(args.plan_file)
    kinds = {is_results(f) for f in files}
    if kinds == {True}:
        return show_outcomes(args, files)
    if len(kinds) > 1:
        from reconciler.engine import MergeError
        raise MergeError("the files mix plans and apply results: merge one kind at a time")
    plan, _ = merged(args, files)
    emit(plan, args)  # as `plan` shows it: --out, stdout, the calls line of a machine format
    if plan.failed or plan.apply_would_refuse:
        return ExitCode.ERROR
    return ExitCode.CHANGES if args.detailed_exitcode and plan.has_writes else ExitCode.OK
