"""Refusals of the engine (plan/apply): user-facing, one line, no secret."""

from __future__ import annotations

from reconciler.core.errors import ReconcilerError


class EngineError(ReconcilerError):
    """A plan or apply that cannot go on: unknown ``--target``, bad git ref, stale plan, frozen account…"""


class TargetError(EngineError):
    """``--target`` names a space that no loaded YAML declares."""


class ScopeError(EngineError):
    """``--changed-since`` could not compare with the given git ref."""
