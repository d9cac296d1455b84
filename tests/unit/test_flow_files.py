"""A declared Flow's json_file (reconciler/kinds/flow_files.py): read beside the YAML, never outside its
directory, never a special file; its JSON problems name the JSON file, line and pointer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.kinds.flow_files import FlowFileError, problems, read_text
from tests.helpers.paths import REPO_ROOT

SIGNUP = REPO_ROOT / "tests/fixtures/flows/signup.json"


def repo(tmp_path: Path) -> Path:
    (tmp_path / "spaces" / "flows").mkdir(parents=True)
    shutil.copy(SIGNUP, tmp_path / "spaces" / "flows" / "signup.json")
    yaml_file = tmp_path / "spaces" / "acme.yaml"
    yaml_file.write_text("version: 1\n", encoding="utf-8")
    return yaml_file


def test_a_valid_flow_file_has_no_problem(tmp_path: Path) -> None:
    yaml_file = repo(tmp_path)
    assert problems({"json_file": "flows/signup.json"}, str(yaml_file)) == []


def test_json_problems_name_the_json_file_line_and_pointer(tmp_path: Path) -> None:
    yaml_file = repo(tmp_path)
    path = yaml_file.parent / "flows" / "signup.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"name": "CONSENT"', '"name": "LOST"'), encoding="utf-8")
    ((where, message),) = problems({"json_file": "flows/signup.json"}, str(yaml_file))
    assert where == ("json_file",)
    assert message.startswith(f"{yaml_file.parent / 'flows' / 'signup.json'}:21: /screens/0/layout/children/3/"
                              "on-click-action/next/name: navigates to screen 'LOST'")


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.json", "flows/../../outside.json"])
def test_a_file_outside_the_yaml_directory_is_refused(tmp_path: Path, name: str) -> None:
    yaml_file = repo(tmp_path)
    (tmp_path / "outside.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FlowFileError, match="json_file"):
        read_text(str(yaml_file), name)


def test_a_link_leading_out_and_a_fifo_are_refused(tmp_path: Path) -> None:
    yaml_file = repo(tmp_path)
    (tmp_path / "secret.json").write_text("{}", encoding="utf-8")
    os.symlink(tmp_path / "secret.json", yaml_file.parent / "flows" / "link.json")
    with pytest.raises(FlowFileError, match="leads out"):
        read_text(str(yaml_file), "flows/link.json")
    os.mkfifo(yaml_file.parent / "flows" / "pipe.json")
    ((_, message),) = problems({"json_file": "flows/pipe.json"}, str(yaml_file))
    assert "not a regular file" in message
