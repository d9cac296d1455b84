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
from reconciler.core.model import Number, Source, Space
from reconciler.core.plan import V1_BLOCKS, Action
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import diff_space
from reconciler.kinds.base import Api, Kind, Scope
from reconciler.kinds.fields import Field

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
    """The kind's own module, and the action table (the API's parameters and answer fields). The space's
    account webhook declares a status callback URL of its own, under the number webhooks' name and rules."""
    modules = _modules_naming(*names) - {"kinds/account_webhook.py"}
    assert len(modules) <= 2, sorted(modules)
    assert any(m.startswith("kinds/") for m in modules), sorted(modules)


def test_every_kind_is_complete() -> None:
    """What every reader of the catalogue relies on (Terraform's views have the same check)."""
    from reconciler.client.actions import ACTIONS

    seen: set[str] = set()
    for kind in catalogue.kinds():
        assert kind.name and kind.name not in seen and kind.label
        for dep in catalogue.dependencies(kind.name):
            assert dep in seen, f"{kind.name} is registered before {dep}, which it depends on"
        seen.add(kind.name)
        fields = {f.name for f in kind.fields}
        if fields:
            model_fields = set(kind.model.__dataclass_fields__)
            assert fields <= model_fields, (kind.name, fields - model_fields)
        for action in kind.api.read_actions():
            assert action in ACTIONS and not ACTIONS[action].is_write, (kind.name, action)
        for action in kind.api.write_actions():
            assert action in ACTIONS and ACTIONS[action].is_write, (kind.name, action)
        if kind.api.update is not None and kind.fields:
            sent = {f.api for f in kind.fields}
            assert sent <= set(ACTIONS[kind.api.update].params), (kind.name, sent - set(ACTIONS[kind.api.update].params))


# -- a kind the engine has never heard of ------------------------------------------------------------------

@dataclass(frozen=True)
class Greeting:
    text: str | None = None


class GreetingKind(Kind[Greeting]):
    """A made-up number kind whose value sits in the number list item (``Greeting``)."""

    name = "greeting"
    scope = Scope.NUMBER
    model = Greeting
    label = "greeting"
    fields: ClassVar[tuple[Field, ...]] = (Field("text", "Greeting"),)
    api = Api(update="UpdatePhoneWebhook")
    depends_on = ("membership",)


def test_a_new_kind_is_diffed_without_touching_the_engine() -> None:
    src = Source("spaces/a.yaml", 3)
    number = Number.of("8613800001234", "+8613800001234", src, greeting=Greeting("hello"))
    space = Space("a", "100", src, (number,))
    item: dict[str, Any] = {"PhoneNumber": "8613800001234", "Greeting": "hi"}
    with catalogue.registered(GreetingKind()) as kind:  # registered for this test only
        (change,) = diff_space(space, ActualSpace("100", index_numbers([item])), env={})
        assert change.action is Action.UPDATE and change.field == "greeting.text"
        assert change.before == {"text": "hi"} and change.after == {"text": "hello"}
        assert catalogue.kind_for(change) is kind and change.address.kind == "greeting"
        # in effect: nothing to do
        assert diff_space(space, ActualSpace("100", index_numbers([{**item, "Greeting": " hello "}])), env={}) == []
    assert "greeting" not in catalogue.registry()


# -- saved plans of earlier versions stay fresh -------------------------------------------------------------

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "config" / "fingerprint-pinned.yaml"


def test_fingerprints_are_those_of_format_version_1() -> None:
    """The desired digest computed by the version before the catalogue (blocks as number attributes): the
    same YAML fingerprinted in format 1's form (``V1_BLOCKS``) gives it, so a plan saved then is not
    refused as stale. (The actual fingerprint is recorded in the plan, never compared.)"""
    from reconciler.config import load_desired_state
    from reconciler.engine.fingerprint import desired_fingerprint

    # (its verify-code variable predates the env prefix: the prefix is widened, as the environment may)
    state = load_desired_state([str(FIXTURE)], env={"CAMS_RECONCILER_ENV_PREFIX": "ACME_"})
    assert desired_fingerprint(state.spaces, always=V1_BLOCKS) == \
        "sha256:cb40d027a930f3417ec0945064f71b896e8572eb5b79a6973f01681b5afef36d"


# -- the defaults for report-only and space-level kinds --------------------------------------------------------

class MottoKind(Kind[Greeting]):
    """A made-up report-only number kind: its default plan reports drift."""

    name = "motto"
    model = Greeting
    label = "motto"
    fields: ClassVar[tuple[Field, ...]] = (Field("text", "Motto"),)


class BannerKind(Kind[Greeting]):
    """A made-up space-level kind with a read: its default plan compares the space's read."""

    name = "banner"
    scope = Scope.SPACE
    model = Greeting
    label = "banner"
    fields: ClassVar[tuple[Field, ...]] = (Field("text", "Banner"),)
    api = Api(read="GetBanner", update="UpdateBanner")


def test_default_plan_of_a_report_only_and_of_a_space_kind() -> None:
    src = Source("spaces/a.yaml", 3)
    number = Number.of("8613800001234", "+8613800001234", src, motto=Greeting("be kind"))
    space = Space("a", "100", src, (number,), sources={"banner": Source("spaces/a.yaml", 9)},
                  blocks={"banner": Greeting("Sale")})
    item = {"PhoneNumber": "8613800001234", "Motto": "be quick"}
    with catalogue.registered(MottoKind()), catalogue.registered(BannerKind()):
        changes = diff_space(space, ActualSpace("100", index_numbers([item]),
                                                space_reads={"banner": {"Banner": "Hi"}}), env={})
    by_field = {c.field: c for c in changes}
    assert by_field["motto.text"].action is Action.DRIFT and by_field["motto.text"].phone_number == "8613800001234"
    banner = by_field["banner.text"]
    assert banner.action is Action.UPDATE and banner.phone_number is None and banner.source == Source("spaces/a.yaml", 9)
    assert banner.before == {"text": "Hi"} and banner.after == {"text": "Sale"}


def test_a_kind_registered_twice_or_before_what_it_depends_on_is_refused() -> None:
    class Orphan(GreetingKind):
        name = "orphan"
        depends_on = ("nothing-such",)

    with pytest.raises(ValueError, match="depends on nothing-such"):
        with catalogue.registered(Orphan()):
            pass
    with pytest.raises(ValueError, match="registered twice"):
        with catalogue.registered(catalogue.get("webhooks")):
            pass
    assert "orphan" not in catalogue.registry() and "webhooks" in catalogue.registry()
