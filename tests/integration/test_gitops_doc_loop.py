"""docs/gitops.md's "Try the whole loop locally" block runs exactly as written: bash runs it from a directory
holding a copy of ``examples/``, with this environment's ``python`` and ``cams-reconciler`` first on PATH. It
works in its own temporary directory, waits for the emulator it starts, and leaves nothing behind; the
summary and outputs files it prints at the end must tell the loop's story in order."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def doc_block() -> str:
    guide = (REPO / "docs" / "gitops.md").read_text(encoding="utf-8")
    section = guide.split("## Try the whole loop locally", 1)[1]
    return re.search(r"```sh runnable\n(.*?)```", section, re.S).group(1)


def outcomes(outputs: str) -> list[str]:
    lines = outputs.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("outcome<<"):
            found.append(lines[i + 1])
    return found


def test_the_local_loop_runs_as_written(tmp_path: Path) -> None:
    script = doc_block()
    assert "python -m reconciler.action" in script and "--port 0" in script
    shutil.copytree(REPO / "examples", tmp_path / "examples", symlinks=False)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALIBABA_CLOUD_", "CAMS_RECONCILER_", "GITHUB_", "INPUT_", "GIT_"))}
    env.update({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "GIT_AUTHOR_NAME": "Demo", "GIT_AUTHOR_EMAIL": "demo@example.com",
                "GIT_COMMITTER_NAME": "Demo", "GIT_COMMITTER_EMAIL": "demo@example.com",
                "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "TMPDIR": str(tmp_path / "tmp")})
    (tmp_path / "tmp").mkdir()
    log = tmp_path / "loop.log"
    before = sorted([*(p.name for p in tmp_path.iterdir()), log.name])
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=240)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # only if the block's own trap did not stop the emulator
            except ProcessLookupError:
                pass
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "command not found" not in text, text[-4000:]
    assert proc.returncode == 0, text[-4000:]  # the last line (cat) succeeds
    assert outcomes(text) == ["valid", "changes", "applied", "in-sync", "drift"], text[-4000:]
    headings = [line for line in text.splitlines() if re.match(r"### (✅|⚠️|❌) cams-reconciler ", line)]
    assert len(headings) == 5, headings
    assert "applied" in headings[2] and "drift found" in headings[4]
    assert "14155550123" in text.split(headings[4], 1)[1]
    assert "/wa/v2/status" in text  # the plan comment, in the job summary
    assert "demo-secret" not in text
    # nothing left behind: not in the directory it ran from, not in the temporary directory it made
    assert sorted(p.name for p in tmp_path.iterdir()) == before and not any((tmp_path / "tmp").iterdir())
