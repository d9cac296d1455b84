"""``load_desired_state``: files → checked ``DesiredState``, or one ``ConfigError`` holding every problem.

The steps, each collecting problems rather than stopping: find the files; read and compose each (bytes,
UTF-8, YAML with positions, duplicate keys); per file, the version, the secret rules, the JSON Schema and
the per-file rules; then the rules across files (unique names, ids, numbers). Only when nothing at all is
wrong is the model built, so the engine never sees a half-valid state.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from reconciler.config.build import build_state
from reconciler.config.drift_settings import drift_settings_of, drift_settings_problems
from reconciler.config.errors import ConfigError, Problem
from reconciler.config.loader import LoadedFile, discover, load_file
from reconciler.config.rules import (
    DeclaredNumber,
    account_problems,
    cross_file_problems,
    env_name_problems,
    file_problems,
    secret_problems,
    state_store_problems,
    version_problems,
)
from reconciler.config.schema import SchemaChecker
from reconciler.core.model import DesiredState


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of a load, then restore it as it was.

    Loading allocates about a hundred objects per declared number (events, dicts, lists, path tuples,
    positions, model objects) and keeps most of them until it returns. Each time allocations outrun
    deallocations the collector runs, and its full passes re-scan everything loaded so far: on 10,000
    numbers that was about a quarter of the load time (0.36-0.42 s of 1.5 s), and it found nothing, as
    the loader makes no reference cycles (plain data, tuples, frozen dataclasses). Reference counting still
    frees everything else at once; the odd cycle (a ``jsonschema`` error tree for a broken file) waits for
    the first collection after the load. The switch is process-wide: a load in one thread pauses
    collection for all threads until it returns, and a collector someone else had disabled stays
    disabled."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load_desired_state(paths: Iterable[str | os.PathLike[str]], env: Mapping[str, str] | None = None) -> DesiredState:
    """Load, check and model the desired state in ``paths`` (files and/or directories).

    Raises ``ConfigError`` with every problem in every file (sorted by file, then line), never anything
    else for bad input. ``env`` (default ``os.environ``) sets the boundaries the YAML cannot move
    (``reconciler.core.boundaries``: which variables it may reference, which endpoints it may name); no value of
    a variable is read here."""
    with _cyclic_gc_paused():
        return _load(paths, os.environ if env is None else env)


def _load(paths: Iterable[str | os.PathLike[str]], env: Mapping[str, str]) -> DesiredState:
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
        problems += drift_settings_problems(loaded)
        found, declared = file_problems(loaded, env)
        problems += found
        numbers += declared
        loaded_files.append(loaded)
    problems += cross_file_problems(loaded_files, numbers)
    problems += account_problems(loaded_files)
    problems += state_store_problems(loaded_files, env)
    problems += env_name_problems(loaded_files, env)
    if problems:
        raise ConfigError(problems, path_list + files)
    state = build_state(loaded_files, numbers, files)
    drift = drift_settings_of(loaded_files)
    return dataclasses.replace(state, drift=drift) if drift else state
