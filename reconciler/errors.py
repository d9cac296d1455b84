"""The root of every error the reconciler raises on purpose.

A ``ReconcilerError`` is an expected failure with a message written for the user: the CLI prints
``error: <message>`` and exits 1, never a traceback. Anything else that escapes is a bug.

    ReconcilerError
    ├── config.errors.ConfigError          (desired-state YAML: every problem, with file:line:col)
    ├── client.errors.ClientError          (the CAMS/BSS API client; its own tree is drawn there)
    └── engine.errors.EngineError          (plan/apply refusals: stale plan, safety threshold, frozen account)

Messages never contain secrets: access key secrets, security tokens, migration verify codes, or tokens
carried in callback URLs.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """An expected, user-facing failure. ``str(err)`` is the one-line message printed after ``error:``."""

    exit_code: int = 1

    def user_message(self) -> str:
        """What the CLI prints on stderr: ``error: <message>`` unless the message already says where and
        what on each of its lines (``ConfigError``'s ``file:line:col: error: ...``)."""
        return f"error: {self}"
