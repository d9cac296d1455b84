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
