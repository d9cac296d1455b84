"""Writing files that others read (saved plans, apply results, imported YAML): all or nothing.

A CI step or a person reading one of these after a crash, a kill or a full disk must find the previous
complete file or the new complete file, never a torn one: write a temporary file in the same directory,
fsync it, then ``os.replace`` it over the target (atomic on POSIX within one file system).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reconciler.errors import ReconcilerError


class OutputFileError(ReconcilerError):
    """An output file (``--out``, ``--results``) cannot be written: one line naming it, never a traceback."""


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse early, before work whose record would be lost (apply's writes), when ``path`` is a directory
    or the nearest existing folder above it cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise OutputFileError(f"cannot write {target}: it is a directory")
    folder = target.parent.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(f"cannot write {target}: {folder} is not a writable directory")


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    target = Path(path)
    try:
        _write_atomically(target, text)
    except OSError as exc:
        raise OutputFileError(f"cannot write {target}: {exc.strerror or exc}") from None


def _write_atomically(target: Path, text: str) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
