"""The engine: actual state read → diffed with the desired state → a ``Plan`` (plain data) → applied → an
``ApplyReport``; with the checks around them (scope, staleness, safety, the journal, imports).

``__all__`` is the engine's public surface: what the CLI may use. ``reconciler/cli/*`` imports only from
``reconciler.engine`` itself, never from its modules (``tests/unit/test_engine_surface.py`` enforces it), so
the engine's inside can be rearranged without touching the commands, and a name the CLI starts to need is
added here, where a reviewer sees the surface grow. (The plan's plain data, ``Plan``, ``Scope`` and the
normalisers, is ``reconciler.core``, which every layer imports directly.)

The names load lazily (PEP 562 ``__getattr__``): ``import reconciler.engine`` imports none of its modules,
and a command loads only the modules of the names it uses (``validate`` never loads the HTTP client). The
``TYPE_CHECKING`` imports give the type checker the same names with their real types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.engine.accounts import AccountClients
    from reconciler.engine.acknowledge import acknowledge_findings
    from reconciler.engine.apply import Interrupt, apply_actions, apply_plan
    from reconciler.engine.apply_errors import ApplyRefusedError, StalePlanError
    from reconciler.engine.drift import plan_drift
    from reconciler.engine.drift import unknown as unknown_change
    from reconciler.engine.drift_attribution import attribute
    from reconciler.engine.drift_issues import issue_operations, write_operations
    from reconciler.engine.drift_notify import NotifyError, notify
    from reconciler.engine.drift_state import DriftStateError, compare, health_snapshot, load_state, save_state
    from reconciler.engine.drift_state import load_from_store as load_drift_state_from_store
    from reconciler.engine.drift_state import save_to_store as save_drift_state_to_store
    from reconciler.engine.endpoint_checks import endpoint_changes, preflight_new_urls
    from reconciler.engine.errors import EngineError, TargetError
    from reconciler.engine.import_refs import tokens_to_references
    from reconciler.engine.importer import ImportedSpace, import_space, read_space
    from reconciler.engine.journal import DEFAULT_PATH as DEFAULT_JOURNAL
    from reconciler.engine.journal import VERIFYING as JOURNAL_VERIFYING
    from reconciler.engine.journal import Journal
    from reconciler.engine.matrix import DEFAULT_JOB_MINUTES, github_outputs, gitlab_yaml, plan_jobs
    from reconciler.engine.matrix import document as matrix_document
    from reconciler.engine.merge import (
        MergeError,
        expected_spaces,
        is_issues,
        is_results,
        load_outcomes,
        load_pieces,
        merge_issues,
        merge_plans,
    )
    from reconciler.engine.plan_signing import PLAN_KEY_ENV, env_digest, sign
    from reconciler.engine.planner import make_plan
    from reconciler.engine.results import ApplyReport, ChangeResult, ResultsRecorder
    from reconciler.engine.run_state import OpenedState, lock_for_client, open_run_state
    from reconciler.engine.safety import check_all_read, check_apply_allowed
    from reconciler.engine.scope import compare_with_ref
    from reconciler.engine.selection import Selection
    from reconciler.engine.sent_records import SentRecords
    from reconciler.engine.staleness import (
        Reasserted,
        check_not_stale,
        check_overrides,
        check_still_declared,
        load_saved_plan,
    )

#: Public name → (module, name there): the same names as the ``TYPE_CHECKING`` imports above and ``__all__``
#: (tests/unit/test_engine_surface.py compares the three).
_SURFACE: dict[str, tuple[str, str]] = {
    "tokens_to_references": ("import_refs", "tokens_to_references"),
    "attribute": ("drift_attribution", "attribute"),
    "acknowledge_findings": ("acknowledge", "acknowledge_findings"),
    "DriftStateError": ("drift_state", "DriftStateError"),
    "compare": ("drift_state", "compare"),
    "health_snapshot": ("drift_state", "health_snapshot"),
    "load_state": ("drift_state", "load_state"),
    "save_state": ("drift_state", "save_state"),
    "load_drift_state_from_store": ("drift_state", "load_from_store"),
    "save_drift_state_to_store": ("drift_state", "save_to_store"),
    "issue_operations": ("drift_issues", "issue_operations"),
    "write_operations": ("drift_issues", "write_operations"),
    "NotifyError": ("drift_notify", "NotifyError"),
    "notify": ("drift_notify", "notify"),
    "endpoint_changes": ("endpoint_checks", "endpoint_changes"),
    "preflight_new_urls": ("endpoint_checks", "preflight_new_urls"),
    "AccountClients": ("accounts", "AccountClients"),
    "apply_actions": ("apply", "apply_actions"),
    "Interrupt": ("apply", "Interrupt"),
    "apply_plan": ("apply", "apply_plan"),
    "ApplyRefusedError": ("apply_errors", "ApplyRefusedError"),
    "StalePlanError": ("apply_errors", "StalePlanError"),
    "plan_drift": ("drift", "plan_drift"),
    "unknown_change": ("drift", "unknown"),
    "EngineError": ("errors", "EngineError"),
    "TargetError": ("errors", "TargetError"),
    "ImportedSpace": ("importer", "ImportedSpace"),
    "read_space": ("importer", "read_space"),
    "import_space": ("importer", "import_space"),
    "DEFAULT_JOURNAL": ("journal", "DEFAULT_PATH"),
    "Journal": ("journal", "Journal"),
    "JOURNAL_VERIFYING": ("journal", "VERIFYING"),
    "make_plan": ("planner", "make_plan"),
    "OpenedState": ("run_state", "OpenedState"),
    "open_run_state": ("run_state", "open_run_state"),
    "lock_for_client": ("run_state", "lock_for_client"),
    "SentRecords": ("sent_records", "SentRecords"),
    "ApplyReport": ("results", "ApplyReport"),
    "ChangeResult": ("results", "ChangeResult"),
    "ResultsRecorder": ("results", "ResultsRecorder"),
    "check_all_read": ("safety", "check_all_read"),
    "check_apply_allowed": ("safety", "check_apply_allowed"),
    "compare_with_ref": ("scope", "compare_with_ref"),
    "check_not_stale": ("staleness", "check_not_stale"),
    "check_still_declared": ("staleness", "check_still_declared"),
    "load_saved_plan": ("staleness", "load_saved_plan"),
    "Reasserted": ("staleness", "Reasserted"),
    "check_overrides": ("staleness", "check_overrides"),
    "PLAN_KEY_ENV": ("plan_signing", "PLAN_KEY_ENV"),
    "env_digest": ("plan_signing", "env_digest"),
    "sign": ("plan_signing", "sign"),
    "Selection": ("selection", "Selection"),
    "DEFAULT_JOB_MINUTES": ("matrix", "DEFAULT_JOB_MINUTES"),
    "plan_jobs": ("matrix", "plan_jobs"),
    "github_outputs": ("matrix", "github_outputs"),
    "gitlab_yaml": ("matrix", "gitlab_yaml"),
    "matrix_document": ("matrix", "document"),
    "MergeError": ("merge", "MergeError"),
    "load_pieces": ("merge", "load_pieces"),
    "merge_plans": ("merge", "merge_plans"),
    "expected_spaces": ("merge", "expected_spaces"),
    "load_outcomes": ("merge", "load_outcomes"),
    "is_results": ("merge", "is_results"),
    "is_issues": ("merge", "is_issues"),
    "merge_issues": ("merge", "merge_issues"),
}

__all__ = [
    "AccountClients",
    "ApplyRefusedError",
    "ApplyReport",
    "ChangeResult",
    "DEFAULT_JOB_MINUTES",
    "DEFAULT_JOURNAL",
    "DriftStateError",
    "EngineError",
    "ImportedSpace",
    "Interrupt",
    "JOURNAL_VERIFYING",
    "Journal",
    "MergeError",
    "NotifyError",
    "OpenedState",
    "PLAN_KEY_ENV",
    "Reasserted",
    "ResultsRecorder",
    "Selection",
    "SentRecords",
    "StalePlanError",
    "TargetError",
    "acknowledge_findings",
    "apply_actions",
    "apply_plan",
    "attribute",
    "check_all_read",
    "check_apply_allowed",
    "check_not_stale",
    "check_overrides",
    "check_still_declared",
    "compare",
    "compare_with_ref",
    "endpoint_changes",
    "env_digest",
    "expected_spaces",
    "github_outputs",
    "gitlab_yaml",
    "health_snapshot",
    "import_space",
    "is_issues",
    "is_results",
    "issue_operations",
    "load_drift_state_from_store",
    "load_outcomes",
    "load_pieces",
    "load_saved_plan",
    "load_state",
    "lock_for_client",
    "make_plan",
    "matrix_document",
    "merge_issues",
    "merge_plans",
    "notify",
    "open_run_state",
    "plan_drift",
    "plan_jobs",
    "preflight_new_urls",
    "read_space",
    "save_drift_state_to_store",
    "save_state",
    "sign",
    "tokens_to_references",
    "unknown_change",
    "write_operations",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _SURFACE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value  # once: the next look-up does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
