"""The state store's cost per write, against its floor: what the same write costs done by hand.

    python benchmarks/state_store.py [--writes N]

- ``dir:``: ``update`` of one record (flock, read, compare, atomic write) against a bare atomic write of the
  same bytes (``files.write_atomically``);
- ``git:``: ``update`` of one record on a branch of a bare origin (read from the fetched tip, commit with a
  temporary index, push without force) against the floor of one ``git push`` of a commit made beforehand —
  the network round a Git store cannot avoid;
- the lock: taking and releasing it on the Git store (two pushes) against two floor pushes.

Each figure is the median over N writes; the ratio is measured / floor. Nothing is asserted: the figures
are printed for the report (docs/state.md names the costs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.files import write_atomically  # noqa: E402
from reconciler.state.dir import DirStore  # noqa: E402
from reconciler.state.git import GitStore  # noqa: E402
from reconciler.state.lock import acquire  # noqa: E402
from reconciler.state.store import update  # noqa: E402
from reconciler.state.target import TargetId  # noqa: E402

TARGET = TargetId("acct:1", "ap-southeast-1", "https://cams.example")
ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "b",
       "GIT_AUTHOR_EMAIL": "b@example.invalid", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid"}


def git(cwd: Path, *args: str, data: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, env=ENV, input=data, capture_output=True, check=True)
    return out.stdout.decode().strip()


def timed(fn: object, n: int) -> float:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20)
    n = parser.parse_args().writes
    os.environ.update(ENV)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = DirStore(root / "dir")
        body = b'{"entries": []}\n' * 40

        def dir_write(i: int) -> None:
            update(store, "targets/t/journal.json", lambda blob: body + str(i).encode(), message="")

        def dir_floor(i: int) -> None:
            write_atomically(root / "floor.json", (body + str(i).encode()).decode())

        rows.append(("dir: update of one record", timed(dir_write, n), timed(dir_floor, n), "atomic write"))

        origin = root / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], env=ENV, check=True)
        for name in ("a", "floor"):
            subprocess.run(["git", "clone", "-q", str(origin), str(root / name)], env=ENV, check=True,
                           capture_output=True)
        gstore = GitStore("cams-state", root / "a", ENV)

        def git_write(i: int) -> None:
            update(gstore, "targets/t/journal.json", lambda blob: body + str(i).encode(), message=f"w{i}")

        floor_repo = root / "floor"
        tip: list[str] = []

        def git_floor(i: int) -> None:
            blob = git(floor_repo, "hash-object", "-w", "--stdin", data=body + str(i).encode())
            tree = git(floor_repo, "mktree", data=f"100644 blob {blob}\tjournal.json\n".encode())
            commit = git(floor_repo, "commit-tree", tree, *(["-p", tip[0]] if tip else []), "-m", f"f{i}")
            git(floor_repo, "push", "-q", "origin", f"{commit}:refs/heads/floor")
            tip[:] = [commit]

        rows.append(("git: update of one record", timed(git_write, n), timed(git_floor, n), "one git push"))

        def lock_cycle(i: int) -> None:
            acquire(gstore, TARGET, command="bench", timeout=0, env={}).release()

        def two_pushes(i: int) -> None:
            git_floor(2 * i + n)
            git_floor(2 * i + n + 1)

        rows.append(("git: lock taken and released", timed(lock_cycle, n), timed(two_pushes, n), "two git pushes"))
    print(f"{'figure':34} {'measured':>10} {'floor':>10} {'ratio':>7}  floor is")
    for name, measured, floor, what in rows:
        print(f"{name:34} {measured * 1000:8.1f}ms {floor * 1000:8.1f}ms {measured / floor:7.2f}  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
