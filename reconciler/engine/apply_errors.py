"""Why ``apply`` refuses to start: user-facing, no secret, each naming the space and what to do.

They extend ``reconciler.engine.errors.EngineError`` (the engine's refusals), so the CLI prints
``error: <message>`` and exits 1. A refusal happens before the first write: nothing is half-done.
"""

from __future__ import annotations

from reconciler.engine.errors import EngineError


class PlanFileError(EngineError):
    """The file given to ``apply --plan`` is not a plan this version can apply (missing, truncated, edited,
    or of another ``format_version``)."""


class StalePlanError(EngineError):
    """The desired state or the actual state of a planned space changed since the saved plan was made: the
    reviewed plan is the only plan that may run, so it must be made and reviewed again."""


class OverrideError(EngineError):
    """A saved plan's override (``force``, ``retry_sync``, a scope) is not both recorded in the plan and
    re-asserted by whoever runs ``apply --plan``: a file alone never widens what apply does."""


class SafetyThresholdError(EngineError):
    """A space's plan updates the webhooks of a suspicious share of its numbers (octoDNS-style guard);
    ``--force`` lets it through after review."""


class FrozenAccountError(EngineError):
    """The account's business is frozen: every write would fail. ``--force`` does not override this.
    One line quoting the account check's answer."""

    quotes_server = True


class BlockingFindingsError(EngineError):
    """The plan holds error findings (``unmanaged_numbers: error``): the YAML must be fixed first. One line
    naming the API's numbers."""

    quotes_server = True


class ApplyRefusedError(EngineError):
    """Apply was not confirmed (no terminal and no ``--auto-approve``, or an answer other than ``yes``)."""


class UnreadSpacesError(EngineError):
    """The plan holds spaces (or an account check) that could not be read: nothing can be known, let alone
    applied, there. Fix the access, or ``--target`` the other spaces. ``--force`` does not override this.
    One line that quotes each space's client error (the API's code and message)."""

    quotes_server = True
