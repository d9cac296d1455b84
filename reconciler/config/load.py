"""``load_desired_state``: files → checked ``DesiredState``, or one ``ConfigError`` holding every problem.

The steps, each collecting problems rather than stopping: find the files; read and compose each (bytes,
UTF-8, YAML with positions, duplicate keys); per file, the version, the secret rules, the JSON Schema and
the per-file rules; then the rules across files (unique names, ids, numbers). Only when nothing at all is
wrong is the model built, so the engine never sees a half-valid state.
"""

from __future__ import annotations

import os
from typing import Iterable

from reconciler.config.build import build_state
from reconciler.config.errors import ConfigError, Problem
from reconciler.config.loader import LoadedFile, discover, load_file
from reconciler.config.model import DesiredState
from reconciler.config.rules import (
    DeclaredNumber,
    cross_file_problems,
    file_problems,
    secret_problems,
    version_problems,
)
from reconciler.config.schema import SchemaChecker


def load_desired_state(paths: Iterable[str | os.PathLike[str]]) -> DesiredState:
    """Load, check and model the desired state in ``paths`` (files and/or directories).

    Raises ``ConfigError`` with every problem in every file (sorted by file, then line), never anything
    else for bad input."""
    path_list = [os.fspath(p) for p in paths]
    if not path_list:
        raise ConfigError([Problem("(no path)", 0, 0, "no file or directory given")])
    files, problems = discover(path_list)
    checker = SchemaChecker()
    loaded_files: list[LoadedFile] = []
    numbers: list[DeclaredNumber] = []
    for file in files:
        loaded, found = load_file(file)
        problems += found
        if loaded is None:
            continue
        version = version_problems(loaded)
        problems += version
        if version and "version" in loaded.data:
            continue  # another format version: its other keys are not ours to judge
        loaded.suppressed.add(("version",))
        problems += secret_problems(loaded)
        problems += checker.problems(loaded)
        found, declared = file_problems(loaded)
        problems += found
        numbers += declared
        loaded_files.append(loaded)
    problems += cross_file_problems(loaded_files, numbers)
    if problems:
        raise ConfigError(problems, path_list + files)
    return build_state(loaded_files, numbers, files)
