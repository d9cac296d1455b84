"""``git:BRANCH`` / ``git:REMOTE/BRANCH``: the store on a branch of the repository that holds the YAML.

Reads fetch the branch from the remote (``origin`` unless named) into a ref of our own
(``refs/cams-reconciler/state/<remote>/<branch>``: the checkout, its index and ``FETCH_HEAD`` are never
touched) and read objects from that commit. A write is a commit on top of it, built with plumbing in a
temporary index, pushed without force. Git itself is the condition: a push that is not a fast-forward is
rejected, so a write can only land on the commit it was made on. After a rejection the branch is fetched
again: if the object this write is about changed, the write is a ``Conflict`` (``store.update`` re-reads and
merges record by record); if only other objects changed (another run's records, a lock), the same change is
committed again on the newer commit and pushed. The first write creates the branch as an orphan (no parent,
nothing of ``main`` in it).

Commits use the configured Git identity, or ``cams-reconciler <cams-reconciler@users.noreply.github.com>``
where the runner has none. Git runs as a child process; credentials are Git's own (the checkout's, a
credential helper): this module never sees one.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from reconciler.common.masking import mask_text
from reconciler.state.store import Blob, Conflict, StateError

TOOL_NAME = "cams-reconciler"
TOOL_EMAIL = "cams-reconciler@users.noreply.github.com"
_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")
_MAX_PUSH_ROUNDS = 20
_TIMEOUT = 120


def check_spec(spec: str) -> str:
    """``BRANCH`` or ``REMOTE/BRANCH`` (a configured remote's name first: ``cams-state`` alone is a branch of
    origin; which one it is is decided when the store is opened), checked for what Git refuses anyway."""
    if not spec or not _BRANCH.fullmatch(spec) or spec.startswith(("-", "/")) or ".." in spec or spec.endswith("/"):
        raise StateError(f"git:{spec}: a branch name expected (git:BRANCH or git:REMOTE/BRANCH)")
    return spec


class GitStore:
    def __init__(self, spec: str, repo: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> None:
        spec = check_spec(spec)
        self.repo = Path(repo)
        self._env = dict(os.environ if env is None else env)
        self._env.pop("GIT_INDEX_FILE", None)
        top = self._git("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise StateError(f"git:{spec}: {self.repo} is not in a Git repository (the Git store keeps state on a "
                             "branch of the repository that holds the YAML)")
        self.repo = Path(top.stdout.strip())
        remote, _, rest = spec.partition("/")
        remotes = set(self._git("remote").stdout.split())
        if rest and remote in remotes:
            self.remote, self.branch = remote, rest
        else:
            self.remote, self.branch = "origin", spec
        if self.remote not in remotes:
            raise StateError(f"git:{spec}: the repository {self.repo} has no remote {self.remote!r} "
                             f"(remotes: {', '.join(sorted(remotes)) or 'none'})")
        self.url = f"git:{self.remote}/{self.branch}"
        self._ref = f"refs/cams-reconciler/state/{self.remote}/{self.branch}"
        self._tip: str | None = None
        self._fetched = False
        self._identity = self._identity_env()

    # -- plumbing ------------------------------------------------------------------------------------

    def _git(self, *args: str, check: bool = True, input_: bytes | None = None,
             env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        try:
            proc = subprocess.run(["git", *args], cwd=self.repo, capture_output=True, text=input_ is None,
                                  input=input_, env={**self._env, **(env or {})}, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise StateError(f"git:{getattr(self, 'branch', '?')}: cannot run git: {exc}") from None
        if check and proc.returncode != 0:
            err = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode("utf-8", "replace")
            raise StateError(f"{getattr(self, 'url', 'git')}: git {args[0]} failed: {_last_line(err)}")
        return proc

    def _identity_env(self) -> dict[str, str]:
        """A fixed tool identity for whichever of author/committer the runner has none for."""
        out: dict[str, str] = {}
        for who in ("AUTHOR", "COMMITTER"):
            if self._git("var", f"GIT_{who}_IDENT", check=False).returncode != 0:
                out[f"GIT_{who}_NAME"], out[f"GIT_{who}_EMAIL"] = TOOL_NAME, TOOL_EMAIL
        return out

    def _fetch(self) -> str | None:
        """Fetch the branch; its tip, or None when the remote has no such branch yet. A branch another run
        creates between the failed fetch and the look that follows (two first runs at once) is fetched
        again, not an error."""
        for _ in range(3):
            proc = self._git("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", self.remote,
                             f"+refs/heads/{self.branch}:{self._ref}", check=False)
            if proc.returncode == 0:
                break
            listed = self._git("ls-remote", "--heads", self.remote, f"refs/heads/{self.branch}", check=False)
            if listed.returncode != 0:
                break
            if not listed.stdout.strip():
                self._git("update-ref", "-d", self._ref, check=False)
                self._tip, self._fetched = None, True
                return None
        if proc.returncode != 0:
            raise StateError(f"{self.url}: cannot fetch the state branch: {_last_line(proc.stderr)}")
        self._tip = self._git("rev-parse", "--verify", "-q", f"{self._ref}^{{commit}}").stdout.strip()
        self._fetched = True
        return self._tip

    def _ensure(self) -> None:
        if not self._fetched:
            self._fetch()

    def _blob_id(self, tip: str | None, name: str) -> str | None:
        if tip is None:
            return None
        proc = self._git("ls-tree", "-z", tip, "--", name)
        entry = proc.stdout.rstrip("\0")
        if not entry:
            return None
        meta, _, _path = entry.partition("\t")
        mode, kind, sha = meta.split()
        return sha if kind == "blob" else None

    # -- the store -----------------------------------------------------------------------------------

    def get(self, name: str) -> Blob | None:
        self._ensure()
        sha = self._blob_id(self._tip, name)
        if sha is None:
            return None
        data = self._git("cat-file", "blob", sha, input_=b"").stdout
        return Blob(data if isinstance(data, bytes) else data.encode(), sha)

    def _commit(self, tip: str | None, name: str, blob: str | None, message: str) -> str:
        with tempfile.TemporaryDirectory(prefix="cams-state-") as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            if tip is not None:
                self._git("read-tree", tip, env=env)
            else:
                self._git("read-tree", "--empty", env=env)
            if blob is None:
                self._git("update-index", "--force-remove", "--", name, env=env)
            else:
                self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{name}", env=env)
            tree = self._git("write-tree", env=env).stdout.strip()
        parents = ["-p", tip] if tip is not None else []
        return self._git("commit-tree", tree, *parents, "-m", message, env=self._identity).stdout.strip()

    def _write(self, name: str, data: bytes | None, expect: str | None, message: str) -> str | None:
        self._ensure()
        blob = None
        if data is not None:
            blob = self._git("hash-object", "-w", "--stdin", input_=data).stdout
            blob = (blob.decode() if isinstance(blob, bytes) else blob).strip()
        for _ in range(_MAX_PUSH_ROUNDS):
            if self._blob_id(self._tip, name) != expect:
                raise Conflict(name)
            commit = self._commit(self._tip, name, blob, message)
            pushed = self._git("push", "--quiet", "--porcelain", self.remote, f"{commit}:refs/heads/{self.branch}",
                               check=False)
            if pushed.returncode == 0:
                self._git("update-ref", self._ref, commit)
                self._tip = commit
                return blob
            if not _rejected(pushed.stdout + pushed.stderr):
                raise StateError(f"{self.url}: cannot push to the state branch: {_last_line(pushed.stderr)}")
            self._fetch()  # someone else wrote first: look again
        raise StateError(f"{self.url}: the state branch kept moving; {_MAX_PUSH_ROUNDS} pushes were rejected")

    def put(self, name: str, data: bytes, *, expect: str | None, message: str) -> str:
        version = self._write(name, data, expect, message)
        assert version is not None
        return version

    def delete(self, name: str, *, expect: str, message: str) -> None:
        self._write(name, None, expect, message)

    def names(self, prefix: str = "") -> list[str]:
        self._ensure()
        if self._tip is None:
            return []
        listed = self._git("ls-tree", "-r", "-z", "--name-only", self._tip).stdout
        return sorted(n for n in listed.split("\0") if n and n.startswith(prefix))

    def refresh(self) -> None:
        """Read the branch again (a waiting lock sees its holder's release)."""
        self._fetch()


def _rejected(text: str) -> bool:
    return any(word in text for word in ("[rejected]", "non-fast-forward", "fetch first", "stale info",
                                         "failed to update ref", "cannot lock ref", "! [remote rejected]"))


def _last_line(text: str | bytes) -> str:
    """Git's last word, with any URL in it masked (a remote may be written with its credentials)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return mask_text(lines[-1][:300]) if lines else "no message"
