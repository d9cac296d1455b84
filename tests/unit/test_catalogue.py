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
from reconciler.config.model import Number, Space
from reconciler.core.plan import Action
from reconciler.core.source import Source
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import diff_space
from reconciler.kinds.base import Field, Kind, Scope, change

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


# -- saved plans of earlier versions stay fresh -------------------------------------------------------------

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "config" / "fingerprint-pinned.yaml"


def test_fingerprints_are_those_of_format_version_1() -> None:
    """Digests computed by the version before the catalogue (blocks as number attributes, ``profiles``):
    the same YAML and the same answers must give them, or every plan saved by it is refused as stale."""
    from reconciler.config import load_desired_state
    from reconciler.engine.fingerprint import desired_fingerprint

    # (its verify-code variable predates the env prefix: the prefix is widened, as the environment may)
    state = load_desired_state([str(FIXTURE)], env={"CAMS_RECONCILER_ENV_PREFIX": "ACME_"})
    assert desired_fingerprint(state.spaces) == \
        "sha256:cb40d027a930f3417ec0945064f71b896e8572eb5b79a6973f01681b5afef36d"
    items = index_numbers([{"PhoneNumber": "8613800001234", "StatusCallbackUrl": "https://hooks.example/s"}])
    seen = ActualSpace("293483938840077", items, {"business_profile": {"8613800001234": {"About": "Acme"}}})
    assert seen.fingerprint() == "sha256:8da129e0cd5a4a6f4231184e3d27673b6b9c45acfdde50cce760a90b1a70a295"


# -- the defaults for report-only and space-level kinds --------------------------------------------------------

class MottoKind(Kind):
    """A made-up report-only number kind: its default diff reports drift."""

    name = "motto"
    model = Greeting
    label = "motto"
    fields: ClassVar[tuple[Field, ...]] = (Field("text", "Motto"),)


class BannerKind(Kind):
    """A made-up space-level kind with a read: its default diff compares the space's read."""

    name = "banner"
    scope = Scope.SPACE
    model = Greeting
    label = "banner"
    fields: ClassVar[tuple[Field, ...]] = (Field("text", "Banner"),)
    action = Action.UPDATE
    read_action = "GetBanner"


def test_default_diff_of_a_report_only_and_of_a_space_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalogue._REGISTRY, "motto", MottoKind())
    monkeypatch.setitem(catalogue._REGISTRY, "banner", BannerKind())
    src = Source("spaces/a.yaml", 3)
    number = Number.of("8613800001234", "+8613800001234", src, motto=Greeting("be kind"))
    space = Space("a", "100", src, (number,), sources={"banner": Source("spaces/a.yaml", 9)},
                  blocks={"banner": Greeting("Sale")})
    item = {"PhoneNumber": "8613800001234", "Motto": "be quick"}
    changes = diff_space(space, ActualSpace("100", index_numbers([item]), space_reads={"banner": {"Banner": "Hi"}}),
                         env={})
    by_field = {c.field: c for c in changes}
    assert by_field["motto.text"].action is Action.DRIFT and by_field["motto.text"].phone_number == "8613800001234"
    banner = by_field["banner.text"]
    assert banner.action is Action.UPDATE and banner.phone_number is None and banner.source == Source("spaces/a.yaml", 9)
    assert banner.before == {"text": "Hi"} and banner.after == {"text": "Sale"}


# -- a collection kind: several changes for one number, applied and verified item by item ----------------------

@dataclass(frozen=True)
class Codes:
    codes: tuple[str, ...] | None = None


class CodesKind(Kind):
    """A made-up collection kind: each declared code the number lacks is one ``create`` change."""

    name = "codes"
    model = Codes
    label = "codes"
    items = True
    action = Action.CREATE
    write_action = "ChatappSyncPhoneNumber"  # any write action of the table: the fake client records it

    def diff(self, space: Any, number: Any, model: Any, item: Any, data: Any) -> list[Any]:
        have = set(item.get("Codes") or ())
        return [change(space, number, Action.CREATE, field=f"codes.{c}", before=None, after={"code": c},
                       source=number.source, reason=f"code {c} missing") for c in model.codes if c not in have]

    async def write(self, client: Any, cust_space_id: str, phone_number: str, model: Any, differing: Any, *,
                    current: Any = None, change: Any = None) -> None:
        await client.call(self.write_action, {"CustSpaceId": cust_space_id, "Code": change.after["code"]})


class CodesApi:
    """Accepts every code and keeps only "a" (so "b" never lands)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.codes: list[str] = []

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict[str, Any]]:
        return [{"PhoneNumber": "8613800001234", "Codes": list(self.codes)}]

    async def call(self, action: str, params: Any) -> dict[str, Any]:
        self.sent.append(params["Code"])
        if params["Code"] == "a":
            self.codes.append("a")
        return {"Code": "OK"}


def test_a_collection_is_applied_and_verified_item_by_item(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from reconciler.config.model import DesiredState
    from reconciler.core.plan import Plan, PlannedSpace, Preflight
    from reconciler.engine.apply import apply_plan
    from reconciler.engine.results import Outcome, WriteLedger

    monkeypatch.setitem(catalogue._REGISTRY, "codes", CodesKind())
    src = Source("spaces/a.yaml", 3)
    space = Space("a", "100", src, (Number.of("8613800001234", "+8613800001234", src, codes=Codes(("a", "b"))),))
    api = CodesApi()
    changes = diff_space(space, ActualSpace("100", index_numbers([{"PhoneNumber": "8613800001234"}])), env={})
    assert [c.field for c in changes] == ["codes.a", "codes.b"]
    plan = Plan(tuple(changes), (PlannedSpace("a", "100", "spaces/a.yaml", "sha256:x"),), "sha256:d",
                Preflight("ok"), {})
    ledger = WriteLedger()
    report = asyncio.run(apply_plan(api, plan, DesiredState((space,), ("spaces/a.yaml",)), env={}, ledger=ledger))
    results = {r.change.field: r for r in report.results}
    assert sorted(api.sent) == ["a", "b"]  # each item written once, by its own change
    assert results["codes.a"].outcome is Outcome.DONE
    assert results["codes.b"].outcome is Outcome.FAILED and "code b missing" in results["codes.b"].message
    assert ledger.changes_acknowledged == {c.address for c in changes}
    # after an abandoned apply, each change is judged by its own record, not by a shared call key
    only_a = WriteLedger()
    only_a.begin(changes[0])
    only_a.acknowledge(changes[0])
    assert only_a.outcome_after_abandon(changes[0], "SIGTERM").outcome is Outcome.DONE
    assert "not started" in only_a.outcome_after_abandon(changes[1], "SIGTERM").message
