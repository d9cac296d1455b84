"""reconciler.config: the desired state, from YAML files to the checked, frozen ``DesiredState``.

    from reconciler.config import load_desired_state, ConfigError
    state = load_desired_state(["examples/spaces"])     # files or directories

Every problem in every file is collected into one ``ConfigError`` (``.problems``; ``str()`` is one
``path/to/file.yaml:LINE:COL: error: <what is wrong> (<field path>)`` line each). Modules: ``loader``
(files, bytes, YAML with positions), ``schema`` (the JSON Schema and its messages), ``rules`` (what the
schema cannot say), ``build`` (the model, with defaults merged and sources kept); the model itself, the
contract with the engine, is ``reconciler.core.model``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.config.errors import ConfigError, Problem
    from reconciler.config.load import load_desired_state
    from reconciler.config.loader import discover_files

__all__ = ["ConfigError", "Problem", "discover_files", "load_desired_state"]

# Loaded on first use (PEP 562): importing ``reconciler.config.errors`` (the CLI does, for its messages) must not
# load the loader, YAML and the JSON Schema.
_HOME = {"ConfigError": "errors", "Problem": "errors", "load_desired_state": "load", "discover_files": "loader"}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'reconciler.config' has no attribute {name!r}")
    return getattr(import_module(f"reconciler.config.{module}"), name)
