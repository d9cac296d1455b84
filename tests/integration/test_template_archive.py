"""Template archive end to end against the emulator, through the CLI: ``archived: true`` is planned and
archived, the state store's record makes the next plan empty (no API reads the flag back), ``archived: false`` unarchives it, and a new store (no record) plans
the change again rather than guessing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main

SPACE = "293483938849301"
PHONE = "8613800007301"


def _template(name: str) -> dict[str, Any]:
    return {"Name": name, "Language": "en_US", "Category": "MARKETING", "AuditStatus": "pass",
            "QualityScore": "GREEN", "Components": [{"Type": "BODY", "Text": f"Hello from {name}, {{{{1}}}}!"}],
            "Example": {"{{1}}": "Alice"}}


def _item(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "language": "en_US", "category": "MARKETING",
            "components": [{"Type": "BODY", "Text": f"Hello from {name}, {{{{1}}}}!"}],
            "example": {"{{1}}": "Alice"}, **extra}


class World:
    def __init__(self, emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.handle = emulator({
            "keys": [{"access_key_id": "demo", "access_key_secret": "demo-secret"}],
            "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": {SPACE: {"subscribed": True, "templates": [_template("spring_sale"), _template("welcome")],
                               "phone_numbers": [{"PhoneNumber": PHONE, "Status": "CONNECTED",
                                                  "QualityRating": "GREEN"}]}}}, qps=0)
        self.tmp_path, self.capsys, self.monkeypatch = tmp_path, capsys, monkeypatch
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
        monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
        self.store("state")

    def store(self, name: str) -> None:
        self.monkeypatch.setenv("CAMS_RECONCILER_STATE_STORE", f"dir:{self.tmp_path / name}")

    def yaml(self, *items: dict[str, Any]) -> Path:
        path = self.tmp_path / "spaces.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "spaces": [{
            "name": "shop", "cust_space_id": SPACE, "numbers": [{"phone_number": f"+{PHONE}"}],
            "templates": {"items": list(items)}}]}, sort_keys=False))
        return path

    def cli(self, *argv: str, stdout_only: bool = False) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([*argv, "--endpoint", self.handle.url])
        out, err = self.capsys.readouterr()
        return code, out if stdout_only else out + err

    def changes(self, path: Path) -> dict[str, Any]:
        code, out = self.cli("plan", str(path), "--format", "json", stdout_only=True)
        assert code == 0, out
        return {c["field"]: c for c in json.loads(out)["changes"] if c["kind"] == "template_archive"}

    def archived(self) -> list[str]:
        return sorted(t["Name"] for t in self.handle.backend.snapshot()["spaces"][SPACE]["templates"]
                      if t.get("Archived"))


@pytest.fixture
def world(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> World:
    return World(emulator, tmp_path, monkeypatch, capsys)


def test_archive_converges_through_the_record_and_unarchives(world: World) -> None:
    path = world.yaml(_item("spring_sale", archived=True), _item("welcome"))
    found = world.changes(path)
    assert list(found) == ["template_archive"], found
    change = found["template_archive"]
    assert change["action"] == "update" and change["after"] == {"archive": ["spring_sale/en_US"], "unarchive": []}
    assert "can no longer be sent" in change["reason"] and "cannot read it back" in change["reason"]
    code, shown = world.cli("plan", str(path), "--detailed-exitcode")
    assert code == 2 and "archive spring_sale/en_US" in shown, shown

    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out
    assert world.archived() == ["spring_sale"]
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0  # the record: converged

    # a store without the record cannot know: the change is planned again (sending ARCHIVED twice is harmless)
    world.store("other-state")
    assert world.changes(path)["template_archive"]["before"] is None
    world.store("state")

    path = world.yaml(_item("spring_sale", archived=False), _item("welcome"))
    change = world.changes(path)["template_archive"]
    assert change["after"] == {"archive": [], "unarchive": ["spring_sale/en_US"]}
    assert "can be sent again" in change["reason"]
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    assert world.archived() == []
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0


def test_archived_must_be_a_boolean(world: World) -> None:
    path = world.yaml(_item("spring_sale", archived="yes"))
    world.capsys.readouterr()
    code = main(["validate", str(path)])
    out = "".join(world.capsys.readouterr())
    assert code != 0 and "archived" in out and "spaces.yaml" in out, out
