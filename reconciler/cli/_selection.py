"""``--account NAME`` and ``--exclude NAME``, beside each command's ``--target`` (``engine.selection``)."""

from __future__ import annotations

import argparse
from typing import Any


def add_selection_arguments(parser: Any, verb: str) -> None:  # a parser or an argument group
    parser.add_argument("--account", action="append", metavar="NAME",
                        help=f"{verb} only the spaces of this account (repeatable; the YAML's accounts: names, "
                             "default for spaces that name none): a matrix job's share; the other accounts' "
                             "credentials are not needed")
    parser.add_argument("--exclude", action="append", metavar="NAME",
                        help=f"{verb} every selected space but this one (repeatable; the inverse of --target)")


def selection(args: argparse.Namespace) -> Any:
    from reconciler.engine import Selection

    return Selection.of(getattr(args, "account", None), getattr(args, "target", None),
                        getattr(args, "exclude", None))


def selected_spaces(args: argparse.Namespace, desired: Any) -> list[str] | None:
    """The names of the spaces the options select (None: all, as without any of them)."""
    names = selection(args).spaces(desired)
    return None if names is None else list(names)


def run_spaces(args: argparse.Namespace, desired: Any, changed_since: str | None, paths: list[str]) -> list[str] | None:
    """The spaces a matrix run covers: those the options select, narrowed with ``changed_since`` to the ones
    whose YAML under ``paths`` differs from that ref, in YAML order (None: all). ``matrix`` makes the jobs
    with it, ``show --merge`` expects the same spaces with it."""
    chosen = selected_spaces(args, desired)
    if not changed_since:
        return chosen
    from reconciler.engine import compare_with_ref

    changed = compare_with_ref(changed_since, paths, desired).changed
    return [s.name for s in desired.spaces if s.name in changed and (chosen is None or s.name in chosen)]
