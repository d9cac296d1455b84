"""The input-file rule: what may be read as an input (the reconciler's YAML and saved plans, the emulator's
state file). A **regular file** of bounded size only: a FIFO, a device (``/dev/zero``), a socket or a
directory is refused by ``os.stat`` before it is opened, and the open itself is non-blocking, so nothing can
make a read hang or run forever.
"""

from __future__ import annotations

import os
import stat


class UnreadableFile(ValueError):
    """Why a file cannot be read as an input: one phrase without the path (callers place it)."""


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in words (for a refusal)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int, what: str = "the file") -> bytes:
    """The bytes of the regular file ``path`` of at most ``limit`` bytes, or ``UnreadableFile`` saying why
    (``what`` names the file in it: "cannot read the state file: ..."); never blocks."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableFile(f"cannot read {what}: it is {kind_of(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise UnreadableFile(f"cannot read {what}: it is {st.st_size:,} bytes, over the limit of {limit:,}")
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the stat, open() still returns at once.
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile(f"cannot read {what}: it is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnreadableFile(f"cannot read {what}: it is over the limit of {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
