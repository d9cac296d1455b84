"""One table of exit codes (``reconciler.core.errors.ExitCode``): the errors carry theirs, the commands return its
members, and docs/cli.md lists the same codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import reconciler.core.errors
from reconciler.core.errors import ExitCode, ReconcilerError

REPO = Path(__file__).resolve().parents[2]


def _documented_codes() -> dict[int, str]:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {}
    for row in re.findall(r"^\| ([0-9 /]+) \| (.+) \|$", section, re.M):
        for code in row[0].split("/"):
            codes[int(code)] = row[1]
    return codes


def test_docs_list_every_exit_code_and_no_other() -> None:
    assert set(_documented_codes()) == {int(c) for c in ExitCode}


def test_usage_errors_share_the_error_code() -> None:
    assert ExitCode.USAGE is ExitCode.ERROR  # an alias: argparse's 2 would read as "changes" in a drift job
    assert ExitCode.for_signal("SIGINT") == 130 and ExitCode.for_signal("SIGTERM") == 143
    assert ExitCode.for_signal("an error") is ExitCode.ERROR and ExitCode.for_signal("OK") is ExitCode.ERROR


def test_the_commands_return_exit_codes_by_name() -> None:
    """No bare number leaves a command: ``return 1`` / ``SystemExit(2)`` would be a second table."""
    bare = []
    for path in sorted((REPO / "reconciler" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = None
            if isinstance(node, ast.Return):
                value = node.value
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("SystemExit", "sys.exit", "self.exit"):
                value = node.args[0] if node.args else None
            if isinstance(value, ast.Constant) and type(value.value) is int:
                bare.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    assert not bare, "\n".join(bare)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@pytest.fixture(scope="module")
def every_error() -> set[type]:
    import importlib
    import pkgutil

    import reconciler

    for module in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        # The emulator has its own errors; __main__ would run the CLI.
        if not module.name.startswith("reconciler.emulator") and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return _subclasses(ReconcilerError)


def test_every_error_carries_a_code_of_the_table(every_error: set[type]) -> None:
    assert every_error
    assert all(isinstance(cls.exit_code, ExitCode) for cls in every_error)


def test_the_error_trees_name_every_error(every_error: set[type]) -> None:
    from reconciler.core import client_errors

    missing = []
    for cls in sorted(every_error, key=lambda c: c.__qualname__):
        tree = client_errors.__doc__ if issubclass(cls, client_errors.ClientError) else reconciler.core.errors.__doc__
        if not re.search(rf"\b{cls.__name__}\b", tree or ""):
            missing.append(f"{cls.__module__}.{cls.__name__}")
    assert not missing, "draw these in the error tree (reconciler/core/errors.py, or core/client_errors.py): " + ", ".join(missing)
