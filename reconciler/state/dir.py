"""``dir:PATH``: the store in a local directory (the default, ``.cams-reconciler/``).

Objects are files under PATH. A write is atomic (a temporary file renamed over the object), and conditional
under an exclusive ``flock`` on ``PATH/.lock``: two processes on one machine (an operator's two terminals)
never interleave a read-compare-write. The version token is the file's content digest, so a rewrite of the
same bytes is not a change and a rewrite of other bytes always is, whatever the clock did.

Today's unkeyed files (``journal.json`` and ``account-webhooks.json`` at PATH's top) are not objects of the
store: ``records.py`` reads them as the legacy records it adopts once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.files import InputFileError, OutputFileError, read_input, write_atomically
from reconciler.state.store import MAX_RECORD_BYTES, Blob, Conflict, StateError

_LOCK_FILE = ".lock"


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DirStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.url = f"dir:{self.root}"

    def _path(self, name: str) -> Path:
        parts = name.split("/")
        if not name or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise StateError(f"{self.url}: {name!r} is not an object name")
        return self.root.joinpath(*parts)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise StateError(f"{self.url}: cannot use the directory: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def get(self, name: str) -> Blob | None:
        path = self._path(name)
        try:
            data = read_input(path, MAX_RECORD_BYTES)
        except InputFileError as exc:
            if exc.reason == "no such file":
                return None
            raise StateError(f"{self.url}: {name}: {exc.reason}") from None
        return Blob(data, _version(data))

    def _current(self, name: str) -> str | None:
        blob = self.get(name)
        return None if blob is None else blob.version

    def put(self, name: str, data: bytes, *, expect: str | None, message: str) -> str:
        path = self._path(name)
        with self._exclusive():
            if self._current(name) != expect:
                raise Conflict(name)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(path, data.decode("utf-8"))
            except (OSError, OutputFileError) as exc:
                raise StateError(f"{self.url}: cannot write {name}: {exc}") from None
        return _version(data)

    def delete(self, name: str, *, expect: str, message: str) -> None:
        path = self._path(name)
        with self._exclusive():
            if self._current(name) != expect:
                raise Conflict(name)
            try:
                path.unlink()
            except OSError as exc:
                raise StateError(f"{self.url}: cannot remove {name}: {exc.strerror or exc}") from None

    def names(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root)
            if rel == Path("."):
                continue  # the top holds the legacy files and the lock file, not objects
            for f in filenames:
                if f.startswith(".") or not f.endswith(".json"):
                    continue
                name = (rel / f).as_posix()
                if name.startswith(prefix):
                    out.append(name)
        return sorted(out)
