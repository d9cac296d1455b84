"""``cams-reconciler matrix PATH... [--changed-since REF] [--job-minutes N] [--format json|github|gitlab]``:
the CI jobs a run needs (``engine.matrix``), offline: no API call, no credentials.

``--format github`` prints lines for ``$GITHUB_OUTPUT`` (``several``, ``waves``, ``wave-1``..``wave-3``: each
a ``strategy.matrix`` document); ``--format gitlab`` a child pipeline's jobs (``parallel:matrix`` per wave);
``json`` (the default) the whole document. Exit 0, or 1 on bad YAML, an unknown name or a bad ref.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli._numbers import QPS_RANGE, bounded_float
from reconciler.cli._selection import add_selection_arguments
from reconciler.core.defaults import DEFAULT_QPS
from reconciler.core.errors import ExitCode

FORMATS = ("json", "github", "gitlab")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "matrix", help="print the CI jobs a run needs: one per account, large accounts in shards (offline)",
        description="Print the jobs of a plan, apply or drift run for a CI matrix: one job per account the run "
                    "touches, an account whose reads would outlast --job-minutes at its rate split into shards "
                    "of whole spaces, run one after another (waves). Offline: no API call. Exit 0, 1 on error.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or directories of spaces")
    parser.add_argument("--changed-since", metavar="GITREF",
                        help="only the spaces whose YAML differs from GITREF (as plan --changed-since)")
    parser.add_argument("--target", action="append", metavar="NAME", help="only this space (repeatable)")
    add_selection_arguments(parser, "run")
    parser.add_argument("--job-minutes", type=bounded_float(0.1, 10_000.0), default=None, metavar="N",
                        help="one job's time limit in minutes (default 300: GitHub's 6 hours less a safe margin)")
    parser.add_argument("--qps", type=bounded_float(*QPS_RANGE), default=DEFAULT_QPS,
                        help=f"requests per second per API and account (default {DEFAULT_QPS:g})")
    parser.add_argument("--format", choices=FORMATS, default="json",
                        help="json (the document), github (lines for $GITHUB_OUTPUT), gitlab (a child "
                             "pipeline's parallel:matrix jobs)")
    parser.set_defaults(func=run_matrix)


def run_matrix(args: argparse.Namespace) -> int:
    import json

    from reconciler.cli._selection import run_spaces
    from reconciler.cli.plan import load
    from reconciler.engine import (
        DEFAULT_JOB_MINUTES,
        github_outputs,
        gitlab_yaml,
        matrix_document,
        plan_jobs,
    )

    desired = load(args.paths)
    if desired is None:
        return ExitCode.ERROR
    minutes = args.job_minutes or DEFAULT_JOB_MINUTES
    chosen = run_spaces(args, desired, args.changed_since, args.paths)
    jobs = plan_jobs(desired, chosen, qps=args.qps, job_minutes=minutes)
    try:
        if args.format == "github":
            sys.stdout.write(github_outputs(jobs, job_minutes=minutes))
        elif args.format == "gitlab":
            sys.stdout.write(gitlab_yaml(jobs))
        else:
            sys.stdout.write(json.dumps(matrix_document(jobs, job_minutes=minutes), indent=2) + "\n")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    return ExitCode.OK
