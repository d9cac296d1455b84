"""``import`` writes only what the YAML can declare and the write can send (issue 24): a space whose profiles
hold verticals the schema does not know (WhatsApp's ``UNDEFINED``, a newer ``ALCOHOL``), in another case,
whose QR codes report another image type, and whose templates echo the detail answer's defaults and
response-only fields, imports to a file that validates and plans clean; each value left out is named in a
warning."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.kinds.business_profile import VERTICALS

ROOT = Path(__file__).resolve().parents[2]
SPACE = "293483938849001"
NUMBERS = ("8613800001234", "8613800001235", "8613800001236", "8613800001237")


def _state(example_state: dict[str, Any]) -> dict[str, Any]:
    state = json.loads(json.dumps(example_state))
    space = state["spaces"][SPACE]
    profiles = space["business_profiles"]
    for number, vertical in zip(NUMBERS, ("UNDEFINED", "ALCOHOL", "retail", "")):
        profiles[number] = {**profiles.get(number, {}), "Vertical": vertical, "About": "Hi"}
    space.setdefault("number_settings", {})[NUMBERS[0]] = {
        "qrdls": [{"QrdlCode": "4O4YGZEG3RIVE1", "PrefilledMessage": "Hi there", "GenerateQrImage": "PNG"}]}
    return state


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_of_values_the_yaml_cannot_declare_validates_and_plans_clean(
        emulator: Callable[..., Any], example_state: dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator(_state(example_state), qps=0)
    # the platform reports an image type this version does not know (not something an API write can set)
    settings = emu.backend._backends["default"][emu.backend.region]["spaces"][SPACE]["number_settings"]
    settings[NUMBERS[0]]["qrdls"][0]["GenerateQrImage"] = "webp"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    out_file = tmp_path / "spaces" / "retail.yaml"
    out_file.parent.mkdir()
    code, _, err = _run(capsys, "import", "--space-id", SPACE, "--name", "acme-retail", "--out", str(out_file),
                        "--endpoint", emu.url)
    assert code == 0, err
    assert "8613800001235: business_profile.vertical 'ALCOHOL'" in err
    assert "qr_codes image 'WEBP'" in err
    assert "UNDEFINED" not in err  # "not set" is nothing to warn about
    imported = yaml.safe_load(out_file.read_text())["spaces"][0]
    profiles = {n["phone_number"]: n.get("business_profile", imported.get("defaults", {}).get("business_profile"))
                for n in imported["numbers"]}
    assert profiles["+8613800001236"]["vertical"] == "RETAIL"
    assert all("vertical" not in (profiles[f"+{n}"] or {}) for n in (NUMBERS[0], NUMBERS[1], NUMBERS[3]))
    for item in imported["templates"]["items"]:  # only what CreateChatappTemplate can send, in its case
        for component in item["components"]:
            assert component["Type"] == component["Type"].upper()
            assert not {"Latitude", "LocationName", "hasExpiration", "Duration"} & set(component)
            for button in component.get("Buttons", []):
                assert "ExtendAttrs" not in button and "IsOptOut" not in button

    code, out, err = _run(capsys, "validate", str(out_file))
    assert code == 0, out + err
    code, out, err = _run(capsys, "plan", str(out_file), "--format", "json", "--detailed-exitcode",
                          "--endpoint", emu.url)
    assert code == 0, out + err
    assert json.loads(out)["changes"] == []


def test_the_schemas_verticals_are_whatsapps() -> None:
    schema = json.loads((ROOT / "reconciler/schemas/cams-desired-state.schema.json").read_text())
    assert sorted(schema["$defs"]["business_profile"]["properties"]["vertical"]["enum"]) == sorted(VERTICALS)
