"""``--changed-since GITREF``: which spaces a pull request touches, so a one-space PR costs one space's calls.

The YAML files as they were at ``GITREF`` are read with ``git show REF:path`` into a temporary directory
and loaded with the same config loader. A space is *changed* when it is new, when it now lives in another
file, or when its semantic content differs (``fingerprint.space_content``: what the YAML means, so
comments, ordering and line moves do not count, but a changed space default does, since defaults are
merged into each number). Spaces present at ``GITREF`` but gone now are *removed*: plan cannot act on
them (it never deletes), so the caller reports them.

If the old files do not load (they were invalid at ``GITREF``), every space of the affected files counts
as changed: when in doubt, plan more.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config import ConfigError, load_desired_state
from reconciler.core.model import DesiredState, Space
from reconciler.engine.errors import ScopeError
from reconciler.engine.fingerprint import space_content

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ChangedSpaces:
    changed: frozenset[str] = field(default_factory=frozenset)
    removed: frozenset[str] = field(default_factory=frozenset)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise ScopeError("--changed-since needs git, which is not installed") from exc


def _repo_root(start: Path) -> Path:
    probe = start if start.is_dir() else start.parent
    res = _git(probe, "rev-parse", "--show-toplevel")
    if res.returncode != 0:
        raise ScopeError(f"--changed-since: {start} is not inside a git repository")
    return Path(res.stdout.decode().strip()).resolve()


def _files_at_ref(root: Path, ref: str, paths: Sequence[Path]) -> list[str]:
    """Repository-relative YAML files under ``paths`` as they were at ``ref``."""
    rels = []
    for p in paths:
        try:
            rels.append(str(p.resolve().relative_to(root)) or ".")
        except ValueError:
            raise ScopeError(f"--changed-since: {p} is outside the git repository {root}") from None
    res = _git(root, "ls-tree", "-r", "--name-only", "--full-tree", "--end-of-options", ref, "--", *rels)
    if res.returncode != 0:
        raise ScopeError(f"--changed-since: git ref {ref!r} not found ({_first_line(res.stderr)})")
    return [f for f in res.stdout.decode().splitlines() if f.endswith(YAML_SUFFIXES)]


def _first_line(stderr: bytes) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else "git failed"


def _load_old(root: Path, ref: str, rel_files: list[str], tmp: Path) -> tuple[dict[str, Space], set[str]]:
    """Old spaces by name (their ``file`` is the repository-relative path), and the files that failed."""
    written: dict[str, Path] = {}
    for rel in rel_files:
        res = _git(root, "show", "--end-of-options", f"{ref}:{rel}")
        if res.returncode != 0:
            raise ScopeError(f"--changed-since: cannot read {rel} at {ref} ({_first_line(res.stderr)})")
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(res.stdout)
        written[rel] = target
    if not written:
        return {}, set()
    try:
        old = load_desired_state([str(p) for p in written.values()])
        return _by_name(old), set()
    except ConfigError:
        pass
    spaces: dict[str, Space] = {}
    failed: set[str] = set()
    for rel, path in written.items():  # one by one, to keep what does load
        try:
            spaces.update(_by_name(load_desired_state([str(path)])))
        except ConfigError:
            failed.add(rel)
    return spaces, failed


def _by_name(state: DesiredState) -> dict[str, Space]:
    return {s.name: s for s in state.spaces}


def _rel_file(base: Path, file: str) -> str:
    """``file`` relative to ``base`` (the repository root, or the temporary copy of it)."""
    try:
        return str(Path(file).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(file)


def check_ref(gitref: str) -> None:
    """A ref is data, never an option of git: ``--output=FILE`` or ``--exec=...`` given as a ref would be
    one. Refused when it starts with ``-`` (or is empty, or holds a control character); every git call
    also puts it after ``--end-of-options``."""
    if not gitref or gitref.startswith("-") or any(ord(c) < 0x20 or ord(c) == 0x7f for c in gitref):
        shown = gitref.encode("unicode_escape").decode()[:60]
        raise ScopeError(f"--changed-since: {shown!r} is not a git ref (a ref does not start with '-'); give a "
                         "branch, tag or commit such as origin/main")


def compare_with_ref(gitref: str, paths: Iterable[str], current: DesiredState | None = None) -> ChangedSpaces:
    """Changed and removed spaces between ``gitref`` and the working tree, for the YAML under ``paths``."""
    check_ref(gitref)
    path_list = [Path(p) for p in paths]
    if not path_list:
        return ChangedSpaces()
    root = _repo_root(path_list[0])
    now = current if current is not None else load_desired_state([str(p) for p in path_list])
    with tempfile.TemporaryDirectory(prefix="cams-changed-since-") as tmpdir:
        tmp = Path(tmpdir)
        old_spaces, failed = _load_old(root, gitref, _files_at_ref(root, gitref, path_list), tmp)
        old_files = {name: _rel_file(tmp, s.file) for name, s in old_spaces.items()}
    changed: set[str] = set()
    for space in now.spaces:
        rel = _rel_file(root, space.file)
        old = old_spaces.get(space.name)
        if (old is None or rel in failed or old_files.get(space.name) != rel
                or space_content(old) != space_content(space)):
            changed.add(space.name)
    removed = set(old_spaces) - {s.name for s in now.spaces}
    return ChangedSpaces(frozenset(changed), frozenset(removed))
