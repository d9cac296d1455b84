"""Argument parsing that never guesses, and a start-up that imports only what the command needs.

- no abbreviation of any flag, in any command (a flag added later must not change what an old script meant);
- options anywhere among the positionals (``call ACTION --emulator F Key=V``, ``plan a --format json b``);
- a usage error prints the failing command's own usage, never the top-level one;
- ``validate --format github|json`` prints each problem once;
- ``--version`` and ``--help`` import no command module, and ``validate`` never the HTTP client.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import COMMANDS, build_parser, command_parser, main

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = str(REPO / "examples" / "emulator-state.yaml")


def _all_parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def test_no_parser_accepts_abbreviations() -> None:
    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) > len(COMMANDS)
    assert [p.prog for p in parsers if p.allow_abbrev] == []


@pytest.mark.parametrize(("argv", "usage"), [
    (["plan", SPACES, "--detailed"], "usage: cams-reconciler plan "),   # --detailed-exitcode, abbreviated
    (["drift", SPACES, "--frmat", "markdown"], "usage: cams-reconciler drift "),
    (["apply", SPACES, "--auto"], "usage: cams-reconciler apply "),
    (["validate", SPACES, "--format", "yaml"], "usage: cams-reconciler validate "),
    (["call"], "usage: cams-reconciler call "),
    (["show"], "usage: cams-reconciler show "),
])
def test_a_usage_error_shows_the_commands_own_usage_and_exits_1(argv, usage, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 1
    assert err.startswith(usage), err
    assert "COMMAND" not in err.splitlines()[0]  # not the top-level usage


def test_an_unknown_command_shows_the_top_level_usage(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["plann", SPACES])
    assert exc.value.code == 1 and "invalid choice: 'plann'" in capsys.readouterr().err


def test_call_takes_options_after_its_parameters(capsys) -> None:
    assert main(["call", "QueryChatappPhoneNumbers", "--emulator", STATE, "CustSpaceId=293483938849003"]) == 0
    assert main(["call", "QueryChatappPhoneNumbers", "CustSpaceId=293483938849003", "--emulator", STATE,
                 "--region", "ap-southeast-1"]) == 0
    first, second = capsys.readouterr().out.split("\n}\n")[:2]
    assert json.loads(first + "}")["Code"] == "OK" and json.loads(second + "}")["Code"] == "OK"


def test_plan_paths_may_surround_options(capsys) -> None:
    retail, travel = (str(REPO / "examples" / "spaces" / f) for f in ("acme-retail.yaml", "acme-travel.yaml"))
    assert main(["plan", retail, "--format", "json", travel, "--emulator", STATE]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)["spaces"]] == ["acme-retail", "acme-travel"]


def test_global_and_command_options_both_count(capsys) -> None:
    parsed = []
    for argv in (["-v", "plan", SPACES, "-v"], ["--no-color", "plan", SPACES], ["plan", SPACES, "-vv"]):
        from reconciler.cli import parse_args
        parsed.append(parse_args(argv))
    assert [a.verbose for a in parsed] == [2, 0, 2]
    assert [a.no_color for a in parsed] == [False, True, False]


@pytest.mark.parametrize("fmt", ["github", "json"])
def test_validate_machine_formats_print_each_problem_once(fmt, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nspaces:\n  - name: Bad Name\n    cust_space_id: '1'\n    numbers: []\n")
    assert main(["validate", str(bad), "--format", fmt]) == 1
    out, err = capsys.readouterr()
    both = out + err
    assert both.count("Bad Name") == 1, both
    assert err.strip().endswith("1 problem found")


def test_every_listed_command_registers_the_help_line_of_the_table() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = {c.dest: c.help for c in sub._choices_actions}
    assert listed == {name: c.help for name, c in COMMANDS.items() if c.help is not None}
    assert "__complete" in sub.choices and "__complete" not in listed  # hidden


def test_each_command_parser_has_its_own_prog() -> None:
    for name in COMMANDS:
        assert command_parser(name).prog == f"cams-reconciler {name}"


def _modules_after(argv: list[str]) -> set[str]:
    code = ("import contextlib, io, sys\nfrom reconciler.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            "    try:\n        main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
            "print('\\n'.join(sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True,
                          cwd=REPO)
    return set(done.stdout.split())


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["-v", "--help"]])
def test_version_and_help_import_no_command(argv) -> None:
    loaded = _modules_after(argv)
    assert {m for m in loaded if m.startswith("reconciler.")} == {"reconciler.cli"}
    assert not loaded & {"httpx", "yaml", "jsonschema", "asyncio", "deepdiff"}


def test_validate_never_imports_the_http_client() -> None:
    loaded = _modules_after(["validate", SPACES])
    assert "reconciler.config" in loaded
    # The catalogue of kinds is shared by config and engine: validate loads the plan's plain data types
    # (``reconciler.core``) through it, never the client, the planner, the differ or a renderer.
    assert not loaded & {"httpx", "reconciler.client", "reconciler.engine.actual", "reconciler.engine.diff",
                         "reconciler.engine.planner", "reconciler.engine.apply"}
    assert {m for m in loaded if m.startswith("reconciler.engine")} <= {"reconciler.engine"}
    # Of the renderers only the registry of formats (their --format choices): no renderer, nothing of the engine.
    assert {m for m in loaded if m.startswith("reconciler.render")} == {"reconciler.render", "reconciler.render.formats"}
