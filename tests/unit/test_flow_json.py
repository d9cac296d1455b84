"""The Flow JSON rules (reconciler/common/flow_json.py): each rule catches what it is for, on a valid Flow
changed in one place, with the line and JSON pointer of the problem; the valid Flow passes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.common import flow_json as fj
from tests.helpers.paths import REPO_ROOT

SIGNUP_TEXT = (REPO_ROOT / "tests/fixtures/flows/signup.json").read_text(encoding="utf-8")
SIGNUP = json.loads(SIGNUP_TEXT)
FOOTER_0 = ("screens", 0, "layout", "children", 3)


def changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(SIGNUP)
    edit(doc)
    return doc


def at(doc: dict[str, Any], *path: Any) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def test_the_example_flow_is_valid() -> None:
    doc, found = fj.check_text(SIGNUP_TEXT, endpoint=False)
    assert found == [] and doc == SIGNUP


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("retired version", lambda d: d.update(version="3.1"), "/version", "retired"),
    ("unknown version", lambda d: d.update(version="9.9"), "/version", "unknown Flow JSON version"),
    ("duplicate screen id", lambda d: d["screens"][1].update(id="DETAILS"), "/screens/1/id", "used twice"),
    ("reserved screen id", lambda d: d["screens"][1].update(id="SUCCESS"), "/screens/1/id", "reserved"),
    ("no terminal screen", lambda d: d["screens"][1].pop("terminal"), "/screens", "no screen is terminal"),
    ("navigate to nowhere", lambda d: at(d, *FOOTER_0, "on-click-action", "next").update(name="NOPE"),
     "/screens/0/layout/children/3/on-click-action/next/name", "does not exist"),
    ("complete off a terminal screen", lambda d: at(d, *FOOTER_0, "on-click-action").update(name="complete", payload={}),
     "/screens/0/layout/children/3/on-click-action/name", "only allowed on a terminal screen"),
    ("data_exchange without an endpoint", lambda d: at(d, *FOOTER_0, "on-click-action").update(name="data_exchange"),
     "/screens/0/layout/children/3/on-click-action/name", "needs data_api_version"),
    ("data_api_version without an endpoint", lambda d: d.update(data_api_version="3.0", routing_model={}),
     "/data_api_version", "needs the Flow's endpoint_uri"),
    ("unknown component", lambda d: at(d, "screens", 1, "layout", "children", 0).update(type="Marquee"),
     "/screens/1/layout/children/0/type", "unknown component type"),
    ("component too new for the version", lambda d: (d.update(version="6.0"),
                                                     at(d, "screens", 1, "layout", "children", 0).update(type="CalendarPicker", name="day", label="Day")),
     "/screens/1/layout/children/0/type", "needs Flow JSON version 6.1"),
    ("missing required property", lambda d: at(d, "screens", 0, "layout", "children", 1).pop("label"),
     "/screens/0/layout/children/1", "TextInput needs 'label'"),
    ("unresolved ${data.x}", lambda d: at(d, "screens", 1, "layout", "children", 0).update(text="${data.phone}"),
     "/screens/1/layout/children/0/text", "declares no data field named 'phone'"),
    ("unresolved ${form.x}", lambda d: at(d, *FOOTER_0, "on-click-action", "payload").update(x="${form.phone}"),
     "/screens/0/layout/children/3/on-click-action/payload/x", "has no input named 'phone'"),
    ("two footers", lambda d: at(d, "screens", 0, "layout", "children").append(copy.deepcopy(at(d, *FOOTER_0))),
     "/screens/0/layout/children/4", "more than one Footer"),
    ("duplicate input name", lambda d: at(d, "screens", 0, "layout", "children", 2).update(name="first_name"),
     "/screens/0/layout/children/2/name", "used twice"),
    ("unknown screen property", lambda d: d["screens"][0].update(colour="red"), "/screens/0/colour", "unknown property"),
    ("routing model to nowhere", lambda d: d.update(data_api_version="3.0", routing_model={"DETAILS": ["LOST"]}),
     "/routing_model/DETAILS/0", "does not exist"),
]


@pytest.mark.parametrize(("name", "edit", "pointer", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_catches_its_case(name: str, edit: Callable[[dict[str, Any]], None], pointer: str,
                                    words: str) -> None:
    found = fj.problems(changed(edit), endpoint=name.startswith("routing"))
    assert any(p.pointer == pointer and words in p.message for p in found), found


def test_problems_carry_the_line_of_their_pointer() -> None:
    text = SIGNUP_TEXT.replace('"name": "CONSENT"', '"name": "ELSEWHERE"')
    _, found = fj.check_text(text, endpoint=False)
    (problem,) = found
    assert problem.pointer.endswith("/next/name")
    assert text.splitlines()[problem.line - 1].strip().startswith('"next"')


def test_not_json_and_duplicate_keys_name_their_line() -> None:
    _, found = fj.check_text('{\n  "version": "7.0",\n  "screens": [,]\n}', endpoint=False)
    assert found[0].line == 3 and "not valid JSON" in found[0].message
    _, found = fj.check_text('{\n  "version": "7.0",\n  "version": "7.1"\n}', endpoint=False)
    assert found[0].line == 3 and "duplicate key 'version'" in found[0].message


def test_every_problem_is_reported_at_once() -> None:
    doc = changed(lambda d: (d["screens"][1].pop("terminal"), at(d, "screens", 0, "layout", "children", 0).update(type="X")))
    assert len(fj.problems(doc, endpoint=False)) >= 2
