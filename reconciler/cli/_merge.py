"""``show --merge`` and ``drift --merge``: a matrix run's pieces as one plan, drift report or apply outcome
(``engine.merge``). The YAML of the checkout (``--yaml``) says which spaces the run expects: with the same
``--changed-since`` and ``--account``/``--target``/``--exclude`` as the ``matrix`` call that made the jobs."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from reconciler.cli._selection import add_selection_arguments
from reconciler.core.errors import ExitCode


def add_merge_arguments(parser: argparse.ArgumentParser, what: str, *, selection: bool = True) -> None:
    """``selection``: also add ``--account``/``--target``/``--exclude`` (``drift`` has its own already)."""
    group = parser.add_argument_group("merging a matrix run's pieces")
    group.add_argument("--merge", action="store_true",
                       help=f"the files are one run's pieces ({what} of one account or shard each): show them "
                            "as one, refusing pieces that do not belong together; needs --yaml")
    group.add_argument("--yaml", action="append", metavar="PATH",
                       help="with --merge: the desired-state YAML (files or directories) the run planned, which "
                            "says which accounts and spaces the pieces must cover")
    if selection:  # (drift covers every space: no --changed-since, and its own --account/--target/--exclude)
        group.add_argument("--changed-since", metavar="GITREF", dest="merge_changed_since",
                           help="with --merge: the run covered the spaces changed since GITREF (as its jobs did)")
        add_selection_arguments(group, "expect")
        group.add_argument("--target", action="append", metavar="NAME",
                           help="with --merge: the run covered only this space (repeatable)")


def merged(args: argparse.Namespace, files: list[str]) -> Any:
    """The merged plan of ``files`` (``MergeError`` naming every reason when they do not belong together)."""
    from reconciler.cli._selection import run_spaces
    from reconciler.engine import PLAN_KEY_ENV, MergeError, expected_spaces, load_pieces, merge_plans

    desired = _desired(args)
    chosen = run_spaces(args, desired, getattr(args, "merge_changed_since", None), args.yaml)
    pieces = load_pieces(files, plan_key=os.environ.get(PLAN_KEY_ENV) or None)
    if not pieces:
        raise MergeError("no piece to merge")
    return merge_plans(pieces, desired, expected_spaces(desired, chosen)), desired


def _desired(args: argparse.Namespace) -> Any:
    from reconciler.cli.plan import load
    from reconciler.engine import MergeError

    if not args.yaml:
        raise MergeError("--merge needs --yaml PATH: the desired state says which accounts the pieces must cover")
    desired = load(args.yaml)
    if desired is None:
        raise MergeError("the YAML given by --yaml has errors (printed above)")
    return desired


def check_flags(args: argparse.Namespace, files: list[str]) -> None:
    from reconciler.engine import MergeError

    if not args.merge and (args.yaml or getattr(args, "merge_changed_since", None) or args.account or args.exclude
                           or getattr(args, "target", None)):
        raise MergeError("--yaml, --changed-since, --account, --target and --exclude go with --merge")
    if not args.merge and len(files) > 1:
        raise MergeError(f"{len(files)} files given: show one plan, or several pieces with --merge")


def show_outcomes(args: argparse.Namespace, files: list[str]) -> int:
    """The merged apply outcome of results files: exit 0 when every expected account applied, else 1."""
    from reconciler.cli._selection import selected_spaces
    from reconciler.engine import load_outcomes
    from reconciler.render import outcomes

    desired = _desired(args)
    chosen = set(selected_spaces(args, desired) or [s.name for s in desired.spaces])
    if getattr(args, "merge_changed_since", None):  # an account none of whose spaces changed had no job: expect none of it
        from reconciler.engine import compare_with_ref
        chosen &= compare_with_ref(args.merge_changed_since, args.yaml, desired).changed
    expected = list(dict.fromkeys(s.account for s in desired.spaces if s.name in chosen))
    found = load_outcomes(files, expected)
    sys.stdout.write(outcomes.render(found, args.format))
    return ExitCode.OK if all(o.applied for o in found) else ExitCode.ERROR
