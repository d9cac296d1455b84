"""The package type-checks (mypy, configured in pyproject.toml), as part of the test command.

Run through mypy's API in this process (no interpreter start-up) with mypy's incremental cache in the
repository's ``.mypy_cache``, the one a ``mypy`` run by hand uses: a warm run re-checks only what changed.
Any error fails the test, whichever branch brought it in.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api

REPO = Path(__file__).resolve().parents[2]


def test_mypy_is_clean() -> None:
    stdout, stderr, status = api.run([
        "--config-file", str(REPO / "pyproject.toml"),
        "--cache-dir", str(REPO / ".mypy_cache"),
        "--no-error-summary", "--hide-error-context", "--no-pretty",
        str(REPO / "reconciler"),
    ])
    assert status == 0, (stdout[-6000:] + stderr[-2000:]) or f"mypy exited with {status}"
