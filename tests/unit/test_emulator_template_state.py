"""The templates part of an emulator state file is checked as strictly as the rest: each problem names the
file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import StateFileError, load_state

HEAD = """keys: [{access_key_id: demo, access_key_secret: demo-secret}]
spaces:
  "1001":
"""


def load(tmp_path: Path, body: str) -> dict:
    path = tmp_path / "state.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return load_state(path)


def test_defaults_and_derived_code(tmp_path: Path) -> None:
    state = load(tmp_path, """    templates:
      - {Name: welcome, Language: en_US, Category: MARKETING, Components: [{Type: BODY, Text: Hi}]}
      - {Name: welcome, Language: de, Category: MARKETING, Components: [{Type: BODY, Text: Hallo}]}
""")
    space = state["spaces"]["1001"]
    first, second = space["templates"]
    assert first["AuditStatus"] == "pass" and first["TemplateType"] == "WHATSAPP" and first["Edits"] == []
    assert first["TemplateCode"] == second["TemplateCode"] and len(first["TemplateCode"]) == 32
    assert space["template_settings"]["review"] == "manual" and space["template_settings"]["max_templates"] == 250
    assert space["deleted_templates"] == []


@pytest.mark.parametrize("body, where, problem", [
    ("    templates:\n      - {Name: w, Language: en_US, Category: PROMO, Components: [{Type: BODY}]}\n",
     ":5:", "templates[0].Category"),
    ("    templates:\n      - {Name: w, Language: en_US, Category: UTILITY}\n", ":5:", "'Components' is required"),
    ("    templates:\n      - {Name: w, Language: en_US, Category: UTILITY, Components: [{Type: BODY}],\n"
     "         AuditStatus: approved}\n", ":6:", "AuditStatus"),
    ("    templates:\n      - {Name: w, Language: en_US, Category: UTILITY, Components: [{Type: BODY}]}\n"
     "      - {Name: w, Language: en_US, Category: UTILITY, Components: [{Type: BODY}]}\n", ":6:", "also templates[0]"),
    ("    template_settings: {review: sometimes}\n", ":4:", "template_settings.review"),
    ("    template_settings: {max_templates: -1}\n", ":4:", "must not be negative"),
    ("    template_settings: {reveiw: manual}\n", ":4:", "unknown field 'reveiw'"),
    ("    deleted_templates: [{Name: w}]\n", ":4:", "Language"),
])
def test_problems_name_line_and_field(tmp_path: Path, body: str, where: str, problem: str) -> None:
    with pytest.raises(StateFileError) as info:
        load(tmp_path, body)
    assert where in str(info.value) and problem in str(info.value), str(info.value)
