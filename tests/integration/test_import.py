"""``import`` end to end: import → validate → plan shows no change, for every space of the example state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main

EXAMPLE_STATE = Path(__file__).resolve().parents[2] / "examples" / "emulator-state.yaml"
TOKENS = ("tr4vel-s3cret", "old-token-123")


pytestmark = pytest.mark.usefixtures("demo_credentials")  # `emu`: the example state, reset per test


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _readable_spaces() -> list[str]:
    spaces = yaml.safe_load(EXAMPLE_STATE.read_text())["spaces"]
    return [sid for sid, s in spaces.items() if s.get("subscribed", True)]


@pytest.mark.parametrize("space_id", _readable_spaces())
def test_import_validate_plan_shows_no_change(emu: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              space_id: str) -> None:
    out_file = tmp_path / "spaces" / f"{space_id}.yaml"
    out_file.parent.mkdir()
    code, _, err = _run(capsys, "import", "--space-id", space_id, "--name", f"space-{space_id}",
                        "--out", str(out_file), "--endpoint", emu.url)
    assert code == 0, err
    text = out_file.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    schema_ref = text.splitlines()[0].split("$schema=", 1)[1]
    assert (out_file.parent / schema_ref).resolve().is_file()  # editors find the schema

    code, out, err = _run(capsys, "validate", str(out_file))
    assert code == 0, out + err

    code, out, err = _run(capsys, "plan", str(out_file), "--format", "json", "--detailed-exitcode",
                          "--endpoint", emu.url)
    assert code == 0, out + err  # 0 = no changes and no findings
    plan = json.loads(out)
    assert plan["changes"] == []
    for token in TOKENS:  # tokens are in the file (it must match the space) but never printed
        assert token not in out + err


def test_import_warns_about_tokens_without_printing_them(emu: Any, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "travel.yaml"
    code, out, err = _run(capsys, "import", "--space-id", "293483938849002", "--name", "acme-travel",
                          "--out", str(out_file), "--endpoint", emu.url)
    assert code == 0, err
    assert "contains URL tokens (query values, userinfo or fragments)" in err and "6591234567" in err
    assert not any(t in out + err for t in TOKENS)
    assert "token=old-token-123" in out_file.read_text()


def test_import_to_stdout_and_refusing_to_overwrite(emu: Any, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "import", "--space-id", "293483938849003", "--name", "globex-support",
                        "--endpoint", emu.url)
    assert code == 0
    doc = yaml.safe_load(out)
    assert doc["spaces"][0]["name"] == "globex-support"
    assert [n["phone_number"] for n in doc["spaces"][0]["numbers"]] == ["+12025550143", "+14155550123",
                                                                         "+14155552671"]

    existing = tmp_path / "globex.yaml"
    existing.write_text("keep me\n")
    code, _, err = _run(capsys, "import", "--space-id", "293483938849003", "--name", "globex-support",
                        "--out", str(existing), "--endpoint", emu.url)
    assert code == 1 and "already exists" in err and "--force" in err
    assert existing.read_text() == "keep me\n"
    code, _, err = _run(capsys, "import", "--space-id", "293483938849003", "--name", "globex-support",
                        "--out", str(existing), "--force", "--endpoint", emu.url)
    assert code == 0, err
    assert yaml.safe_load(existing.read_text())["spaces"][0]["cust_space_id"] == "293483938849003"

    # a directory is never a file to write, --force or not
    code, _, err = _run(capsys, "import", "--space-id", "293483938849003", "--name", "globex-support",
                        "--out", str(tmp_path), "--force", "--endpoint", emu.url)
    assert code == 1 and "is a directory" in err and "globex-support.yaml" in err


def test_import_of_an_unreadable_space_is_a_clear_error(emu: Any, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "x.yaml"
    code, _, err = _run(capsys, "import", "--space-id", "293483938849009", "--name", "unsubscribed",
                        "--out", str(out_file), "--endpoint", emu.url)
    assert code == 1 and "Product.Unsubscript" in err and "Traceback" not in err
    assert not out_file.exists()
