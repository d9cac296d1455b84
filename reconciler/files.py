"""The file rules: what may be read as input, and how outputs are written.

Inputs (desired-state YAML, saved plans; the emulator's state file too: the rule is
``reconciler.common.input_file``) must be **regular files** of bounded size: a FIFO, a device
(``/dev/zero``), a socket or a directory given as a file is refused by ``os.stat`` before it is opened,
and the open itself is non-blocking, so nothing can make a read hang or run forever (``read_input``).

Outputs (``plan --out``, ``apply --results``, ``import --out``) are written all or nothing: a temporary file
in the same directory, fsynced, then ``os.replace``d over the target (atomic on POSIX within one file
system), so a reader after a crash, a kill or a full disk finds the previous complete file or the new one.
``check_output`` refuses, before any work, an output that is

- one of the run's inputs (the YAML, the state file, the reviewed plan, the journal; the same path when the
  file does not exist yet): a typo must not destroy them;
- a special file (FIFO, device, socket, directory): replacing ``/dev/stdout`` or a FIFO by a regular file
  would silently break whoever reads it;
- ``-`` or a standard stream (``/dev/stdout`` is a link to ``/proc/self/fd/1``): an output is a file; the
  commands print on the standard output by themselves (``plan --format json`` prints the plan document);
- a symbolic link. Decided: refused, not written through. In a GitOps checkout a link comes from the
  repository, i.e. from a pull request; writing through it would let a PR point ``plan.json`` at any file
  the CI user can write. The message names the link's target so a person can pass that path instead.

A new output file gets the mode the umask allows (``0666 & ~umask``, like any file a shell creates): plans
and results hold no secret (values are masked, verify codes never enter them), so there is nothing to hide
from the group the umask shares with; an existing file keeps its mode.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reconciler.common.input_file import UnreadableFile, kind_of, read_regular
from reconciler.core.errors import ReconcilerError

#: Largest input files read (bytes). A 20,000-number desired state is about 3 MB, its plan about 15 MB.
MAX_YAML_BYTES = 64 * 1024 * 1024
MAX_PLAN_BYTES = 256 * 1024 * 1024


class OutputFileError(ReconcilerError):
    """An output file (``--out``, ``--results``) cannot be written: one line naming it, never a traceback."""


class InputFileError(ReconcilerError):
    """An input file cannot be read: ``reason`` says why (without the path: callers place it)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def read_input(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ``InputFileError``; never blocks
    (``reconciler.common.input_file``, the rule the emulator's state file follows too)."""
    try:
        return read_regular(path, limit)
    except UnreadableFile as exc:
        raise InputFileError(os.fspath(path), str(exc)) from None


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_output(path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = (),
                 option: str = "the output") -> None:
    """Refuse, before any work, an output path that is an input of this run, a special file or a symbolic
    link, or that cannot be written (see the module's docstring)."""
    target = Path(path)
    if os.fspath(path) == "-":
        raise OutputFileError(f"will not write {option} -: {option} takes a file name; '-' does not mean the "
                              "standard output here")
    try:
        lst = os.lstat(target)
    except FileNotFoundError:
        lst = None
    except OSError as exc:
        raise OutputFileError(f"cannot write {target}: {exc.strerror or exc}") from None
    if lst is not None:
        if stat.S_ISLNK(lst.st_mode):
            link = os.readlink(target)
            if link.startswith(_STREAM_LINKS) or os.fspath(target) in _STREAMS:
                raise OutputFileError(f"will not write {option} {target}: it is a standard stream (a link to "
                                      f"{link}), not a regular file; {option} writes a regular file only")
            raise OutputFileError(f"will not write {option} {target}: it is a symbolic link (to "
                                  f"{link}); give the real path instead")
        if stat.S_ISDIR(lst.st_mode):
            raise OutputFileError(f"cannot write {target}: it is a directory")
        if not stat.S_ISREG(lst.st_mode):
            raise OutputFileError(f"will not write {option} {target}: it is {kind_of(lst.st_mode)}; only a "
                                  "regular file is replaced")
    for given in inputs:
        if _is_input(target, lst, given):
            raise OutputFileError(f"will not write {option} {target}: it is an input of this run "
                                  f"({os.fspath(given)}); choose another file")
    check_writable(target)


#: ``/dev/stdout`` and its kin are links to the process's open descriptors (``/proc/self/fd/1``).
_STREAMS = ("/dev/stdin", "/dev/stdout", "/dev/stderr")
_STREAM_LINKS = ("/proc/self/fd", "/dev/fd")


def _is_input(target: Path, lst: os.stat_result | None, given: str | os.PathLike[str]) -> bool:
    """Whether ``target`` is the input ``given``: the same file when both exist, else the same path (an input
    that is also written, such as the journal, may not exist yet)."""
    if lst is not None:
        try:
            return _same_file(os.stat(given), lst)
        except OSError:
            pass
    return os.path.realpath(target) == os.path.realpath(given)


def _umask() -> int:
    """The process umask, read without changing it where the system says (Linux /proc), else set-and-restore."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    try:
        mode = stat.S_IMODE(os.lstat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600 whatever the umask
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


class DuplicateKeyError(ValueError):
    """A JSON object names a key twice: which value counts depends on the reader, so neither does."""


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook`` for the files a run reads (saved plans, the journal): a key
    given twice raises ``DuplicateKeyError`` naming it."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out
