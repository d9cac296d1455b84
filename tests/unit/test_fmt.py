"""``cams-reconciler fmt``: the canonical layout, comments kept, ``--check``, errors with file:line, and the
pre-commit hooks that run it (their commands parsed by the real parser)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from reconciler.cli import build_parser, main
from reconciler.config.fmt import format_text
from reconciler.config.loader import parse_yaml

REPO = Path(__file__).resolve().parents[2]

MESSY = """\
# the retail team's numbers
spaces:
- cust_space_id: '293483938849001'
  name: acme-retail
  numbers:
  -   webhooks: {up_callback_url: 'https://h.example/in', status_callback_url: https://h.example/st}
      phone_number: '+8613800001234'   # the flagship
      expect:
          quality_rating: [GREEN, 'YELLOW']
  unmanaged_numbers: report
version: 1
"""

CANONICAL = """\
# the retail team's numbers
version: 1
spaces:
  - name: acme-retail
    cust_space_id: "293483938849001"
    unmanaged_numbers: report
    numbers:
      - phone_number: "+8613800001234" # the flagship
        webhooks: {status_callback_url: https://h.example/st, up_callback_url: "https://h.example/in"}
        expect:
          quality_rating: [GREEN, "YELLOW"]
"""


def test_the_canonical_layout_keeps_comments_and_meaning() -> None:
    out = format_text(MESSY, "spaces/a.yaml")
    assert out == CANONICAL
    assert format_text(out, "spaces/a.yaml") == out  # idempotent
    assert parse_yaml(out, "a")[0].data == parse_yaml(MESSY, "a")[0].data


def test_a_commented_mapping_keeps_its_key_order() -> None:
    text = "spaces:\n  - cust_space_id: \"1\"\n    # the label\n    name: x\nversion: 1\n"
    kept: list[str] = []
    out = format_text(text, "a.yaml", kept)
    assert kept == ["spaces[0]"]
    assert "# the label\n    name: x" in out  # the comment is still above its key
    assert out.index("version: 1") < out.index("spaces:")  # the top level has no comment: reordered


def test_yaml_1_1_readings_are_kept() -> None:
    text = 'version: 1\nspaces: []\nx: [yes, on, 0777, "yes", "0777", 1e3, ~, 0x1F]\n'
    before, after = yaml.safe_load(text), yaml.safe_load(format_text(text, "a.yaml"))
    assert after == before and after["x"][:3] == [True, True, 511]


def test_fmt_and_check_on_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    messy = spaces / "a.yaml"
    messy.write_text(MESSY)
    assert main(["fmt", "--check", str(spaces)]) == 1
    out, err = capsys.readouterr()
    assert out == f"would reformat {messy}\n" and "1 file not in the canonical layout" in err
    assert messy.read_text() == MESSY  # --check writes nothing
    assert main(["fmt", str(spaces)]) == 0
    assert messy.read_text() == CANONICAL
    assert main(["fmt", "--check", str(spaces)]) == 0


def test_a_broken_file_is_named_with_its_line_and_left_alone(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nspaces:\n  - name: [unclosed\n")
    assert main(["fmt", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "Traceback" not in err
    assert bad.read_text() == "version: 1\nspaces:\n  - name: [unclosed\n"


def test_the_shipped_examples_are_in_the_canonical_layout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", "--check", str(REPO / "examples" / "spaces")]) == 0, capsys.readouterr()


def test_the_pre_commit_hooks_run_real_commands() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"cams-reconciler-fmt", "cams-reconciler-validate"}
    parser = build_parser()
    for hook in hooks:
        argv = shlex.split(hook["entry"])
        assert argv[0] == "cams-reconciler" and hook["language"] == "python"
        files = [] if hook.get("pass_filenames") is False else ["spaces/a.yaml"]
        parser.parse_args([*argv[1:], *hook.get("args", []), *files])  # exits (SystemExit) on a bad flag
