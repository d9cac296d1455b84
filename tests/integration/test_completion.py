"""``cams-reconciler completion bash|zsh|fish``: the scripts complete commands, flags, formats and the
``--target`` space names of the YAML on the line, when run by the real shells (skipped where a shell is
not installed). zsh's completion builtins only exist inside the line editor, so they are stubbed to print
what they are given; bash and fish run their real machinery (``compgen``; ``complete -C``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.completion import SHELLS, space_names, typed_paths

REPO = Path(__file__).resolve().parents[2]
SPACES = "examples/spaces"
NAMES = {"acme-retail", "acme-travel", "globex-support"}

# (the words typed so far, the last one being completed; what must be offered; what must not)
CASES = [
    (["pl"], {"plan"}, {"apply"}),
    ([""], {"validate", "plan", "drift", "apply", "completion"}, {"__complete"}),
    (["plan", "--det"], {"--detailed-exitcode"}, set()),
    (["plan", "--format", ""], {"text", "markdown", "json", "github"}, {"yaml"}),
    (["validate", "--format", ""], {"text", "markdown", "json", "github"}, {"yaml"}),  # the registry's, as every command's
    (["plan", SPACES, "--target", ""], NAMES, set()),
    (["drift", "--format", "json", SPACES, "--target", "acme-"], {"acme-retail", "acme-travel"}, {"globex-support"}),
    (["completion", ""], set(SHELLS), set()),
    (["call", "QueryChatapp"], {"QueryChatappPhoneNumbers"}, set()),
]


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _script(shell: str, tmp_path: Path) -> Path:
    path = tmp_path / f"completion.{shell}"
    done = subprocess.run([sys.executable, "-m", "reconciler", "completion", shell], capture_output=True,
                          text=True, check=True, cwd=REPO)
    path.write_text(done.stdout)
    return path


def _bash(script: Path, words: list[str]) -> set[str]:
    line = " ".join(f"'{w}'" for w in ["cams-reconciler", *words])
    code = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; _cams_reconciler; "
            'printf "%s\\n" "${COMPREPLY[@]}"')
    return set(subprocess.run(["bash", "-c", code], capture_output=True, text=True, cwd=REPO, env=_env(),
                              check=True).stdout.split())


ZSH_STUBS = r"""
compdef() { :; }
compadd() { local a; for a in "$@"; do [[ $a == -- ]] || print -r -- "$a"; done; }
_describe() { local -a items; items=("${(@P)2}"); print -rl -- "${items[@]%%:*}"; }
_files() { print -r -- "<files>"; }
_message() { :; }
"""


def _zsh(script: Path, words: list[str]) -> set[str]:
    quoted = " ".join(f"'{w}'" for w in ["cams-reconciler", *words])
    code = f"{ZSH_STUBS}\nsource {script}\nwords=({quoted}); CURRENT={len(words) + 1}\n_cams_reconciler"
    out = subprocess.run(["zsh", "-f", "-c", code], capture_output=True, text=True, cwd=REPO, env=_env(),
                         check=True).stdout.split()
    prefix = words[-1]
    return {w for w in out if w.startswith(prefix)}  # compadd filters by the prefix; the stub does not


def _fish(script: Path, words: list[str]) -> set[str]:
    line = " ".join(["cams-reconciler", *words])
    code = f"source {script}; complete -C{line!r}"
    out = subprocess.run(["fish", "--no-config", "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=_env(), check=True).stdout
    return {row.split("\t")[0] for row in out.splitlines() if row}


RUNNERS = {"bash": _bash, "zsh": _zsh, "fish": _fish}


@pytest.mark.parametrize("shell", SHELLS)
def test_the_shell_completes_commands_flags_formats_and_space_names(shell, tmp_path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = _script(shell, tmp_path)
    for words, wanted, unwanted in CASES:
        offered = RUNNERS[shell](script, words)
        assert wanted <= offered, (shell, words, offered)
        assert not unwanted & offered, (shell, words, offered)


def test_typed_paths_are_what_the_command_parser_takes_as_paths() -> None:
    assert typed_paths(["cams-reconciler", "plan", "a/", "--format", "json", "b.yaml", "--target"]) == ["a/", "b.yaml"]
    assert typed_paths(["plan", "--emulator", "state.yaml", "--target"]) == []  # an option's value is no path
    assert typed_paths(["--no-color", "drift", SPACES]) == [SPACES]
    assert typed_paths(["nonsense"]) == []


def test_space_names_skip_files_that_are_not_desired_state(tmp_path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\nspaces:\n  - name: one\n  - name: two\n")
    (tmp_path / "broken.yaml").write_text("spaces: [\n")
    (tmp_path / "state.yaml").write_text("spaces:\n  '900': {subscribed: true}\n")  # an emulator state
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("spaces:\n  - name: hidden\n")
    assert space_names([str(tmp_path)]) == ["one", "two"]
