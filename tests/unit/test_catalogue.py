"""The catalogue of kinds (``reconciler.kinds``): each field is known in one place, and the code that reads the
catalogue works for a kind it has never heard of."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from reconciler import kinds as catalogue
from reconciler.config.model import Number, Source, Space
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import diff_space
from reconciler.engine.plan import Action
from reconciler.kinds.base import Field, Kind, Scope

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"


def _modules_naming(*names: str) -> set[str]:
    """The modules outside the emulator where one of ``names`` is code: an identifier, or a string literal
    that is exactly the name (comments and prose in docstrings do not count)."""
    wanted = set(names)
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("emulator/"):
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.NAME and tok.string in wanted:
                found.add(rel)
            elif tok.type == tokenize.STRING:
                try:
                    value = ast.literal_eval(tok.string)
                except (ValueError, SyntaxError):
                    continue
                if value in wanted:
                    found.add(rel)
    return found


@pytest.mark.parametrize("names", [("about", "About"), ("websites", "Websites"),
                                   ("status_callback_url", "StatusCallbackUrl"), ("up_queue", "UpQueue"),
                                   ("quality_rating", "QualityRating")])
def test_a_field_is_named_in_at_most_two_modules(names: tuple[str, ...]) -> None:
    """The kind's own module, and the action table (the API's parameters and answer fields)."""
    modules = _modules_naming(*names)
    assert len(modules) <= 2, sorted(modules)
    assert any(m.startswith("kinds/") for m in modules), sorted(modules)


def test_every_kind_is_complete() -> None:
    """What every reader of the catalogue relies on (Terraform's views have the same check)."""
    from reconciler.client.actions import ACTIONS

    seen: set[str] = set()
    for kind in catalogue.kinds():
        assert kind.name and kind.name not in seen and kind.label
        seen.add(kind.name)
        fields = {f.name for f in kind.fields}
        model_fields = set(kind.model.__dataclass_fields__)
        assert fields <= model_fields, (kind.name, fields - model_fields)
        for action in (kind.read_action, *kind.write_actions()):
            assert action is None or action in ACTIONS, (kind.name, action)
        if kind.write_action is not None:
            spec = ACTIONS[kind.write_action]
            assert spec.is_write
            sent = {f.api for f in kind.fields}
            assert sent <= set(spec.params), (kind.name, sent - set(spec.params))
        if kind.read_action is not None:
            assert not ACTIONS[kind.read_action].is_write
        assert kind.action is None or kind.action.writes


# -- a kind the engine has never heard of ------------------------------------------------------------------

@dataclass(frozen=True)
class Greeting:
    text: str | None = None


class GreetingKind(Kind):
    """A made-up number kind whose value sits in the number list item (``Greeting``)."""

    name = "greeting"
    scope = Scope.NUMBER
    model = Greeting
    label = "greeting"
    fields: ClassVar[tuple[Field, ...]] = (Field("text", "Greeting"),)
    action = Action.UPDATE


def test_a_new_kind_is_diffed_without_touching_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalogue._REGISTRY, "greeting", GreetingKind())  # registered for this test only
    registry = catalogue.registry()
    src = Source("spaces/a.yaml", 3)
    number = Number.of("8613800001234", "+8613800001234", src, greeting=Greeting("hello"))
    space = Space("a", "100", src, (number,))
    item: dict[str, Any] = {"PhoneNumber": "8613800001234", "Greeting": "hi"}
    (change,) = diff_space(space, ActualSpace("100", index_numbers([item])), env={})
    assert change.action is Action.UPDATE and change.field == "greeting.text"
    assert change.before == {"text": "hi"} and change.after == {"text": "hello"}
    assert catalogue.kind_of(change) is registry["greeting"]
    # in effect: nothing to do
    assert diff_space(space, ActualSpace("100", index_numbers([{**item, "Greeting": " hello "}])), env={}) == []
