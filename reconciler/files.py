"""Writing files that others read (saved plans, apply results, imported YAML): all or nothing.

A CI step or a person reading one of these after a crash, a kill or a full disk must find the previous
complete file or the new complete file, never a torn one: write a temporary file in the same directory,
fsync it, then ``os.replace`` it over the target (atomic on POSIX within one file system).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    target = Path(path)
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
