"""``cams-reconciler drift``: the same read and diff as ``plan``, for scheduled checks.

Exit 0 when everything is in sync, 2 when anything differs (a change to make, a drift or unmanaged
finding, or a frozen account), 1 on error. A space that cannot be read is an error, and 1 beats 2: the
report still shows every other space's findings (a scheduled job over 200 spaces keeps its report), but
the job fails so the unread space is not mistaken for "in sync". Read-only: a read-only key is enough.
"""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.cli.plan import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, add_plan_arguments, compute_plan, emit
from reconciler.engine import plan_drift


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "drift", help="check that the real state matches the YAML (read-only)",
        description="Read the actual state and report every difference. Exit 0 in sync, 2 on any change "
                    "or finding, 1 on error (also when a space could not be read: the others are still "
                    "reported).")
    add_plan_arguments(parser)
    parser.set_defaults(func=run_drift)


def run_drift(args: argparse.Namespace) -> int:
    plan = compute_plan(args)
    if plan is None:
        return EXIT_ERROR
    emit(plan, args, report="drift")
    if plan.failed:
        return EXIT_ERROR
    # The definition the report's table and summary count with (``engine.drift``): they cannot disagree.
    return EXIT_CHANGES if plan_drift(plan).total else EXIT_OK
