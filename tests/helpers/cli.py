"""Running the CLI in-process the way a test reads it: what this one call printed, nothing earlier."""

from __future__ import annotations

import pytest

from reconciler.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``main(argv)``'s exit code, stdout and stderr (output captured before the call is dropped)."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
