"""Template archive end to end against the emulator, through the CLI: ``archived: true`` is planned and
archived, the state store's record makes the next plan empty (no API reads the flag back), ``archived:
false`` unarchives it, and a new store (no record) plans the change again rather than guessing.
``prune: archive`` archives the undeclared templates instead of deleting them, records them, unarchives one
declared again, and never archives more than the plan showed. One apply carries out an edit with its archive
(edit, then archive) and an unarchive with its edit (unarchive, then edit), each direction recorded once
accepted."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.cli.policy import policy_actions
from reconciler.client import CamsClient, Credentials
from reconciler.config import load_desired_state
from reconciler.core.plan import Action, Change
from reconciler.engine import apply_plan, make_plan
from reconciler.kinds import get, precedes
from reconciler.render.formats import format_names
from tests.helpers.cli import run_cli
from tests.helpers.paths import REPO_ROOT

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
            "spaces": {SPACE: {"subscribed": True, "templates": [_template("spring_sale"), _template("welcome"),
                                                                 _template("promo_old")],
                               "phone_numbers": [{"PhoneNumber": PHONE, "Status": "CONNECTED",
                                                  "QualityRating": "GREEN"}]}}}, qps=0)
        self.tmp_path, self.capsys, self.monkeypatch = tmp_path, capsys, monkeypatch
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
        monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
        self.store("state")

    def store(self, name: str) -> None:
        self.monkeypatch.setenv("CAMS_RECONCILER_STATE_STORE", f"dir:{self.tmp_path / name}")

    def yaml(self, *items: dict[str, Any], prune: Any = None) -> Path:
        path = self.tmp_path / "spaces.yaml"
        templates: dict[str, Any] = {"items": list(items)} if prune is None else {"prune": prune, "items": list(items)}
        path.write_text(yaml.safe_dump({"version": 1, "spaces": [{
            "name": "shop", "cust_space_id": SPACE, "numbers": [{"phone_number": f"+{PHONE}"}],
            "templates": templates}]}, sort_keys=False))
        return path

    def cli(self, *argv: str, stdout_only: bool = False) -> tuple[int, str]:
        code, out, err = run_cli(self.capsys, *argv, "--endpoint", self.handle.url)
        return code, out if stdout_only else out + err

    def changes(self, path: Path) -> dict[str, Any]:
        code, out = self.cli("plan", str(path), "--format", "json", stdout_only=True)
        assert code == 0, out
        return {c["field"]: c for c in json.loads(out)["changes"] if c["kind"] == "template_archive"}

    def all_changes(self, path: Path) -> list[dict[str, Any]]:
        code, out = self.cli("plan", str(path), "--format", "json", stdout_only=True)
        assert code == 0, out
        changes: list[dict[str, Any]] = json.loads(out)["changes"]
        return changes

    def archived(self) -> list[str]:
        return sorted(t["Name"] for t in self.templates() if t.get("Archived"))

    def templates(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.handle.backend.snapshot()["spaces"][SPACE]["templates"]
        return found

    def add_template(self, name: str, **fields: Any) -> None:
        """The platform (or the console) adds a template: the emulator's state with one more."""
        state = self.handle.backend.snapshot()
        code = f"{name}_code"
        state["spaces"][SPACE]["templates"].append({**_template(name), "TemplateCode": code, **fields})
        self.handle.reset(state)

    def record(self, store: str = "state") -> dict[str, Any]:
        """This space's entry of the ``template-archive`` record, as stored."""
        files = [p for p in (self.tmp_path / store).rglob("*") if p.is_file() and "template-archive" in p.name]
        assert len(files) == 1, list((self.tmp_path / store).rglob("*"))
        entry: dict[str, Any] = json.loads(files[0].read_text())["data"]["spaces"]["shop"]
        return entry


@pytest.fixture
def world(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> World:
    return World(emulator, tmp_path, monkeypatch, capsys)


def test_archive_converges_through_the_record_and_unarchives(world: World) -> None:
    path = world.yaml(_item("spring_sale", archived=True), _item("welcome"))
    found = world.changes(path)
    assert list(found) == ["template_archive.archive"], found
    change = found["template_archive.archive"]
    assert change["action"] == "update" and change["after"] == {"archive": ["spring_sale/en_US"]}
    assert "can no longer be sent" in change["reason"] and "cannot read it back" in change["reason"]
    code, shown = world.cli("plan", str(path), "--detailed-exitcode")
    assert code == 2 and "archive spring_sale/en_US" in shown, shown

    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out
    assert world.archived() == ["spring_sale"]
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0  # the record: converged

    # a store without the record cannot know: the change is planned again (sending ARCHIVED twice is harmless)
    world.store("other-state")
    assert world.changes(path)["template_archive.archive"]["before"] is None
    world.store("state")

    path = world.yaml(_item("spring_sale", archived=False), _item("welcome"))
    change = world.changes(path)["template_archive.unarchive"]
    assert change["after"] == {"unarchive": ["spring_sale/en_US"]}
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


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


ARCHIVE_LINE = ("archive promo_old/en_US (not declared, and prune is archive): archived: it can no longer be "
                "sent (nor edited) until it is unarchived; its name stays taken")


def test_prune_archive_archives_the_undeclared_records_them_and_converges(world: World) -> None:
    path = world.yaml(_item("welcome"), prune="archive")
    changes = world.all_changes(path)
    assert [(c["kind"], c["action"]) for c in changes] == [("template_archive", "update")], changes
    change = changes[0]
    assert change["after"] == {"archive": ["promo_old/en_US", "spring_sale/en_US"],
                               "not_declared": ["promo_old/en_US", "spring_sale/en_US"]}
    assert change["before"] is None and "no record" in change["reason"]  # a new store: "unknown", never drift
    assert change["source"]["line"] == _line_of(path, "prune:"), change["source"]  # the YAML's prune line
    for fmt in format_names():  # one reviewed change that says what archiving does to sending, in every format
        code, shown = world.cli("plan", str(path), "--format", fmt, stdout_only=True)
        if fmt == "json":  # the machine's view: the change's reason, and the keys in ``after``
            shown = json.loads(shown)["changes"][0]["reason"]
            assert shown.startswith("promo_old/en_US, spring_sale/en_US (not declared, and prune is archive) "
                                    "archived: it can no longer be sent (nor edited) until it is unarchived; "
                                    "its name stays taken"), shown
        else:
            assert code == 0 and ARCHIVE_LINE.replace("promo_old", "spring_sale") in shown, (fmt, shown)
    code, out = world.cli("drift", str(path), "--format", "json", stdout_only=True)
    assert code == 0, out  # no record is a notice, not drift

    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out
    assert world.archived() == ["promo_old", "spring_sale"]
    assert sorted(t["Name"] for t in world.templates()) == ["promo_old", "spring_sale", "welcome"]  # none deleted
    assert world.record()["pruned"] == ["promo_old/en_US", "spring_sale/en_US"]
    assert world.record()["templates"] == {}
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0  # the record: converged

    # a store with no record cannot know: planned again, as unknown (drift's notice), never as drift
    world.store("other-state")
    again = world.all_changes(path)
    assert [c["before"] for c in again] == [None] and again[0]["after"]["not_declared"] == change["after"]["archive"]
    assert world.cli("drift", str(path))[0] == 0  # exit 2 on drift; the unknown is a notice


def test_a_template_declared_again_is_unarchived_and_a_deleted_one_drops_out(world: World) -> None:
    path = world.yaml(_item("welcome"), prune="archive")
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    assert world.archived() == ["promo_old", "spring_sale"]

    path = world.yaml(_item("welcome"), _item("spring_sale"), prune="archive")
    changes = world.all_changes(path)
    assert [(c["kind"], c["action"]) for c in changes] == [("template_archive", "update")], changes
    assert changes[0]["after"] == {"unarchive": ["spring_sale/en_US"], "declared_again": ["spring_sale/en_US"]}
    assert changes[0]["before"]["archived_by_prune"] == ["promo_old/en_US"]
    code, shown = world.cli("plan", str(path))
    assert "unarchive spring_sale/en_US (declared again; this tool archived it under prune: archive): " \
           "unarchived: it can be sent again" in shown, shown
    saved = world.tmp_path / "plan.json"  # the reviewed path: a saved plan, applied as it was reviewed
    assert world.cli("plan", str(path), "--out", str(saved))[0] == 0
    code, out = world.cli("apply", str(path), "--plan", str(saved), "--auto-approve")
    assert code == 0, out
    assert world.archived() == ["promo_old"]
    assert world.record()["pruned"] == ["promo_old/en_US"]  # still archived, carried over
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0

    # deleted in the console: no longer listed, so nothing is planned for it; the next write drops it
    state = world.handle.backend.snapshot()
    state["spaces"][SPACE]["templates"] = [t for t in state["spaces"][SPACE]["templates"] if t["Name"] != "promo_old"]
    world.handle.reset(state)
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0
    path = world.yaml(_item("welcome", archived=True), _item("spring_sale"), prune="archive")
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    assert world.record().get("pruned") is None and world.record()["templates"] == {"welcome/en_US": True}


def test_one_apply_that_unarchives_one_template_and_archives_another_keeps_both_in_the_record(world: World) -> None:
    """No edit between them: the unarchive still goes first, so the archive's record (written last) holds
    what the unarchive left and what it archived itself, and nothing archived is forgotten."""
    path = world.yaml(_item("welcome"), prune="archive")
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    assert world.archived() == ["promo_old", "spring_sale"]

    path = world.yaml(_item("spring_sale"), prune="archive")  # spring_sale declared again, welcome dropped
    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out
    assert world.archived() == ["promo_old", "welcome"]
    assert world.record()["pruned"] == ["promo_old/en_US", "welcome/en_US"]
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0

    path = world.yaml(_item("spring_sale"), _item("welcome"), prune="archive")  # welcome declared again
    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out
    assert world.archived() == ["promo_old"]
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0


def test_apply_archives_no_more_than_the_plan_showed(world: World, tmp_path: Path) -> None:
    first = load_desired_state([str(world.yaml(_item("welcome"), prune="archive"))])

    async def run() -> list[str]:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=world.handle.url, qps=50) as client:
            plan = await make_plan(client, first)
            world.add_template("late_offer")  # appeared after the plan was made
            declared_since = load_desired_state([str(world.yaml(_item("welcome"), _item("spring_sale"),
                                                                prune="archive"))])
            report = await apply_plan(client, plan, declared_since)
            return [r.outcome.value for r in report.results]

    assert asyncio.run(run()) == ["done"]
    assert world.archived() == ["promo_old"]  # not spring_sale (declared since), not late_offer (appeared since)

    # through the CLI, a saved plan that no longer matches is refused as stale: nothing is archived
    saved = tmp_path / "plan.json"
    path = world.yaml(_item("welcome"), prune="archive")
    assert world.cli("plan", str(path), "--out", str(saved))[0] == 0
    world.add_template("later_still")
    code, out = world.cli("apply", str(path), "--plan", str(saved), "--auto-approve")
    assert code != 0 and "later_still" in out, out
    assert world.archived() == ["promo_old"]


def test_an_old_record_is_read_and_a_template_in_review_waits(world: World) -> None:
    path = world.yaml(_item("welcome", archived=True))
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    stored = next(p for p in (world.tmp_path / "state").rglob("*") if "template-archive" in p.name)
    old = json.loads(stored.read_text())
    # exactly what the version before prune: archive wrote
    old["data"]["spaces"]["shop"] = {"cust_space_id": SPACE, "templates": {"welcome/en_US": True},
                                     "at": "2026-12-01T10:00:00Z"}
    stored.write_text(json.dumps(old))
    world.add_template("draft_offer", AuditStatus="auditing")
    path = world.yaml(_item("welcome", archived=True), prune="archive")
    changes = world.all_changes(path)
    assert [(c["action"], c["after"]) for c in changes] == [
        ("update", {"archive": ["promo_old/en_US", "spring_sale/en_US"],
                    "not_declared": ["promo_old/en_US", "spring_sale/en_US"]}),
        ("drift", {"in_review": ["draft_offer/en_US"]})], changes
    assert changes[0]["before"] == {"recorded_at": "2026-12-01T10:00:00Z"}  # the record exists: not unknown
    assert "cannot be archived" in changes[1]["reason"]
    assert world.cli("drift", str(path))[0] == 2  # the archive is drift (the record exists); review is not
    world.cli("apply", str(path), "--auto-approve")
    assert world.cli("drift", str(path))[0] == 0, world.cli("drift", str(path))[1]
    assert world.archived() == ["promo_old", "spring_sale", "welcome"]
    assert world.record()["pruned"] == ["promo_old/en_US", "spring_sale/en_US"]


def test_the_read_only_key_plans_prune_archive_and_cannot_write(emulator: Callable[..., Any], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    world = World(emulator, tmp_path, monkeypatch, capsys)
    state = world.handle.backend.snapshot()
    reads = [a.split(":", 1)[1] for a in policy_actions("plan")]
    state["keys"].append({"access_key_id": "readonly", "access_key_secret": "ro-secret", "actions": reads})
    world.handle.reset(state)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "readonly")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ro-secret")
    path = world.yaml(_item("welcome"), prune="archive")
    code, shown = world.cli("plan", str(path), "--detailed-exitcode")
    assert code == 2 and ARCHIVE_LINE in shown, shown
    code, shown = world.cli("apply", str(path), "--auto-approve")
    assert code == 1 and "Ram.PermissionDeny" in shown and world.archived() == [], shown


def test_a_bad_prune_value_names_file_line_and_field(world: World) -> None:
    path = world.yaml(_item("welcome"), prune="archived")
    world.capsys.readouterr()
    code = main(["validate", str(path)])
    out = "".join(world.capsys.readouterr())
    assert code != 0 and f"{path}:{_line_of(path, 'prune:')}:" in out and "(spaces[0].templates.prune)" in out, out
    assert "not one of: false, true, archive" in out and "did you mean 'archive'" in out, out
    path = world.yaml(_item("welcome"), prune="true")  # YAML text, not the boolean
    code = main(["validate", str(path)])
    out = "".join(world.capsys.readouterr())
    assert code != 0 and "write true without quotes" in out and "(spaces[0].templates.prune)" in out, out


def _edited(name: str, **extra: Any) -> dict[str, Any]:
    return _item(name, components=[{"Type": "BODY", "Text": f"Hi again from {name}, {{{{1}}}}!"}], **extra)


def _body(world: World, name: str) -> str:
    entry = next(t for t in world.templates() if t["Name"] == name)
    text: str = entry["Components"][0]["Text"]
    return text


def _results(out: Path) -> list[tuple[str, str]]:
    return [(r["address"], r["status"]) for r in json.loads(out.read_text())["results"]]


def test_a_template_archived_by_prune_and_declared_again_with_an_edit_is_unarchived_then_edited(
        world: World) -> None:
    state = world.handle.backend.snapshot()
    state["spaces"][SPACE]["template_settings"] = {"review": "immediate"}
    world.handle.reset(state)
    path = world.yaml(_item("welcome"), prune="archive")
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    assert world.archived() == ["promo_old", "spring_sale"]

    # declared again, with a new body: the platform refuses to edit an archived template, so the reviewed
    # plan (an unarchive and an edit) runs in one apply only if the unarchive goes first
    path = world.yaml(_item("welcome"), _edited("spring_sale"), prune="archive")
    changes = world.all_changes(path)
    assert sorted((c["kind"], c["item"]) for c in changes) == [
        ("template_archive", "unarchive"), ("templates", "spring_sale/en_US")], changes
    saved, results = world.tmp_path / "plan.json", world.tmp_path / "results.json"
    assert world.cli("plan", str(path), "--out", str(saved))[0] == 0
    code, out = world.cli("apply", str(path), "--plan", str(saved), "--auto-approve", "--results", str(results))
    assert code == 0, out
    assert sorted(_results(results)) == [("shop/*/update/template_archive.unarchive", "done"),
                                         ("shop/*/update/templates.spring_sale/en_US", "done")], out
    assert world.archived() == ["promo_old"]
    assert _body(world, "spring_sale") == "Hi again from spring_sale, {{1}}!"
    assert world.record()["pruned"] == ["promo_old/en_US"]
    assert world.cli("drift", str(path))[0] == 0
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0


def test_an_edit_goes_before_its_archive_and_after_its_unarchive(world: World) -> None:
    state = world.handle.backend.snapshot()
    state["spaces"][SPACE]["template_settings"] = {"review": "immediate"}
    world.handle.reset(state)
    path = world.yaml(_edited("welcome", archived=True))
    assert sorted((c["kind"], c["item"]) for c in world.all_changes(path)) == [
        ("template_archive", "archive"), ("templates", "welcome/en_US")]
    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out  # edited first: an archived template could not be edited
    assert world.archived() == ["welcome"] and _body(world, "welcome") == "Hi again from welcome, {{1}}!"
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0

    # an approved template is edited once a day: the last edit, a day ago
    world.handle.backend.set_template_fields(SPACE, "welcome", "en_US", Edits=[],
                                             LastUpdateTime=int(time.time() * 1000) - 25 * 3600 * 1000)
    path = world.yaml(_item("welcome", archived=False))  # the old body back, and unarchived: unarchive first
    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 0, out
    assert world.archived() == [] and _body(world, "welcome") == "Hello from welcome, {{1}}!"
    assert world.record()["templates"] == {"welcome/en_US": False}
    assert world.cli("plan", str(path), "--detailed-exitcode")[0] == 0


def test_each_direction_is_recorded_once_accepted(world: World) -> None:
    path = world.yaml(_item("welcome", archived=True))
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    world.add_template("draft_offer", AuditStatus="auditing")  # in review: the platform refuses to archive it
    path = world.yaml(_item("welcome", archived=False), _item("draft_offer", archived=True))
    assert sorted(world.changes(path)) == ["template_archive.archive", "template_archive.unarchive"]
    code, out = world.cli("apply", str(path), "--auto-approve")
    assert code == 1 and "Template.NotArchivable" in out, out
    assert world.archived() == []
    # the unarchive was accepted and is recorded; the refused archive is not, so the next plan offers it again
    assert world.record()["templates"] == {"welcome/en_US": False}
    again = world.changes(path)
    assert list(again) == ["template_archive.archive"] and again["template_archive.archive"]["after"] == {
        "archive": ["draft_offer/en_US"]}, again


def test_a_plan_saved_before_the_split_loads_and_is_refused_as_stale(world: World) -> None:
    path = world.yaml(_item("welcome", archived=True))
    assert world.cli("apply", str(path), "--auto-approve")[0] == 0
    path = world.yaml(_item("welcome", archived=False), _item("spring_sale", archived=True))
    saved = world.tmp_path / "plan.json"
    assert world.cli("plan", str(path), "--out", str(saved))[0] == 0
    data = json.loads(saved.read_text())
    split = [c for c in data["changes"] if c["kind"] == "template_archive"]
    assert [c["item"] for c in split] == ["archive", "unarchive"], split
    # the shape before the split: one change for the space (no item) with both lists
    old = {**split[0], "item": None, "field": "template_archive", "address": split[0]["address"].rsplit(".", 1)[0],
           "after": {"archive": ["spring_sale/en_US"], "unarchive": ["welcome/en_US"]}}
    data["changes"] = [c for c in data["changes"] if c["kind"] != "template_archive"] + [old]
    saved.write_text(json.dumps(data))
    world.capsys.readouterr()
    code = main(["show", str(saved)])
    shown = world.capsys.readouterr().out
    assert code == 0 and "archive spring_sale/en_US" in shown and "unarchive welcome/en_US" in shown, shown
    code, out = world.cli("apply", str(path), "--plan", str(saved), "--auto-approve")
    assert code != 0 and "stale" in out.lower() and "template_archive" in out, out
    assert world.archived() == ["welcome"]  # nothing was sent


def test_a_template_declared_again_stays_recorded_until_its_unarchive_is_accepted(world: World) -> None:
    assert world.cli("apply", str(world.yaml(_item("welcome"), prune="archive")), "--auto-approve")[0] == 0
    desired = load_desired_state([str(world.yaml(_item("welcome", archived=True), _item("spring_sale"),
                                                 prune="archive"))])

    async def run() -> list[Change]:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=world.handle.url, qps=50) as client:
            plan = await make_plan(client, desired, recorded={"shop": {"template_archive": world.record()}})
        return [c for c in plan.changes if c.kind == "template_archive"]

    unarchive, archive = sorted(asyncio.run(run()), key=lambda c: c.item != "unarchive")
    assert (unarchive.item, archive.item) == ("unarchive", "archive")
    space = desired.spaces[0]
    kind = get("template_archive")
    assert kind.recorder is not None
    model = kind.blocks(space)[0].model
    # the archive accepted first (its unarchive refused): spring_sale is still archived, so still recorded
    entry = kind.recorder.record_of(space, model, archive, world.record())
    assert entry is not None and entry["templates"] == {"welcome/en_US": True}
    assert entry["pruned"] == ["promo_old/en_US", "spring_sale/en_US"]
    # once its unarchive is accepted it is not
    entry = kind.recorder.record_of(space, model, unarchive, entry)
    assert entry is not None and entry["pruned"] == ["promo_old/en_US"] and entry["templates"] == {
        "welcome/en_US": True}


def test_the_order_is_the_changes_own() -> None:
    """The one ordering rule: an unarchive before the templates' edits and the archive, an archive (or a change
    of the older shape, which does both) after the edits, and flows before either."""

    def change(kind: str, after: Any = None, item: str | None = None) -> Change:
        return Change(Action.UPDATE, "shop", SPACE, None, after=after, kind=kind, item=item)

    edit, flow = change("templates", item="welcome/en_US"), change("flows", item="signup")
    unarchive = change("template_archive", {"unarchive": ["welcome/en_US"]}, "unarchive")
    archive = change("template_archive", {"archive": ["welcome/en_US"]}, "archive")
    older = change("template_archive", {"archive": ["a/en_US"], "unarchive": ["welcome/en_US"]})
    assert precedes(unarchive, edit) and not precedes(edit, unarchive)
    assert precedes(edit, archive) and not precedes(archive, edit)
    assert precedes(edit, older) and not precedes(older, edit)
    assert precedes(flow, unarchive) and precedes(flow, edit) and precedes(flow, archive)
    # with no edit between them, the unarchive still goes first: the archive's record is written last
    assert precedes(unarchive, archive) and not precedes(archive, unarchive)


def test_the_onboarding_example_archives_its_undeclared_template_and_converges(
        emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """examples/onboarding declares ``prune: archive``: its plan archives the template it no longer declares
    (saying what that does to sending) beside the onboarding step, and after apply the next plan is empty."""
    example = REPO_ROOT / "examples" / "onboarding"
    handle = emulator(example / "emulator-state.yaml", qps=0)
    for name, value in (("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo"), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret"),
                        ("CAMS_RECONCILER_STATE_STORE", f"dir:{tmp_path / 'state'}"),
                        ("CAMS_SECRET_ACME_SG_CODE", "394817")):  # the example state's code for the new number
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)

    def cli(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main([*argv, str(example / "spaces"), "--endpoint", handle.url])
        return code, "".join(capsys.readouterr())

    code, shown = cli("plan", "--detailed-exitcode")
    assert code == 2 and ARCHIVE_LINE.replace("promo_old", "launch_promo") in shown, shown
    assert "order_ready" not in shown  # declared and unchanged: nothing to do
    code, shown = cli("apply", "--auto-approve")
    assert code == 0, shown
    space = handle.backend.snapshot()["spaces"]["293483938849101"]
    assert {t["Name"]: bool(t.get("Archived")) for t in space["templates"]} == {"order_ready": False,
                                                                                  "launch_promo": True}
    code, shown = cli("plan", "--detailed-exitcode")
    assert code == 0, shown  # converged: the number onboarded, its username set, the promotion archived
