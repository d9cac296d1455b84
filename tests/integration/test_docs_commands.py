"""The commands in README.md and docs/*.md work as written.

- A block fenced as ```` ```sh runnable ```` is offline and is run by bash, exactly as written, from a
  temporary directory holding a copy of the shipped ``examples/`` (so nothing lands in the checkout), with
  this environment's ``cams-reconciler`` first on PATH; it must exit 0. (The local GitOps loop, which uses
  ``python -m reconciler.action``, is run by ``test_gitops_doc_loop.py`` with its own assertions.)
- Every other ``cams-reconciler ...`` line in a ``sh``/``console``/``text`` block or without an info string
  (cloud, ``gh``, long-running commands) is parsed by the real parser: its command and flags must exist.

A failure names the document, the line and the command, e.g. ``docs/gitops.md:126: ...``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import COMMANDS, parse_args

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
SHELL_INFOS = {"", "sh", "bash", "shell", "console", "text"}


@dataclass(frozen=True)
class Block:
    doc: str  # path relative to the repository
    line: int  # 1-based line of the block's first line of content
    info: str
    lines: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            indent, fence, info = m.group(1), m.group(2), m.group(3).strip()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            body = tuple(line[len(indent):] if line.startswith(indent) else line for line in lines[i + 1:j])
            found.append(Block(str(doc.relative_to(REPO)), i + 2, info, body))
            i = j + 1
    return found


def runnable() -> list[Block]:
    return [b for b in blocks() if b.info.split()[1:2] == ["runnable"]
            and not any("python -m reconciler.action" in line for line in b.lines)]


def command_lines() -> list[tuple[str, str]]:
    """(``doc:line``, the command's words after ``cams-reconciler``) for every command line shown."""
    out = []
    for block in blocks():
        if block.info.split()[:1] not in ([], *([i] for i in SHELL_INFOS)) or "runnable" in block.info:
            continue
        joined: list[tuple[int, str]] = []
        for n, raw in enumerate(block.lines):
            text = raw.strip().removeprefix("$ ")
            if joined and joined[-1][1].endswith("\\"):
                joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + text)
            else:
                joined.append((block.line + n, text))
        for line_no, text in joined:
            for part in re.split(r"&&|\|\||;|\|", text):
                words = _words(part)
                if words[:1] == ["cams-reconciler"] and len(words) > 1:
                    out.append((f"{block.doc}:{line_no}", " ".join(shlex.quote(w) for w in words[1:])))
    return out


def _words(part: str) -> list[str]:
    part = part.split(" #", 1)[0].strip()
    part = re.sub(r"^(\w+=\S*\s+)+", "", part)  # VAR=value before the command
    part = re.sub(r"\s*\d?>\s*\S+", "", part).replace("source <(", "").rstrip(")")  # redirections
    try:
        return shlex.split(part)
    except ValueError:
        return part.split()


def test_the_docs_have_runnable_blocks_and_commands() -> None:
    assert len(runnable()) >= 3 and len(command_lines()) >= 40


@pytest.mark.parametrize("block", runnable(), ids=lambda b: b.where)
def test_a_runnable_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples", symlinks=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CAMS_RECONCILER_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1")
    # -e: the first failing line stops the block; the trap says which line of the document it was.
    script = (f"set -eo pipefail\ntrap 'echo \"{block.doc}:$(({block.line} + LINENO - 3)): this line failed\" "
              ">&2' ERR\n" + "\n".join(block.lines) + "\n")
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, f"{block.where}: the block failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stdout + proc.stderr, f"{block.where}:\n{proc.stderr[-3000:]}"
    assert sorted(p.name for p in tmp_path.iterdir()) != [] and (tmp_path / "examples").is_dir()


@pytest.mark.parametrize(("where", "command"), command_lines(), ids=lambda v: v if ":" in v else "")
def test_every_shown_command_parses(where: str, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = shlex.split(command)
    if "--help" in words or "--version" in words:
        return
    name = next((w for w in words if not w.startswith("-")), "")
    assert name in COMMANDS, f"{where}: `cams-reconciler {command}`: no command {name!r}"
    try:
        parse_args(words)
    except SystemExit as exc:
        err = capsys.readouterr().err.strip().splitlines()
        pytest.fail(f"{where}: `cams-reconciler {command}` does not parse (exit {exc.code}): {err[-1] if err else ''}")
