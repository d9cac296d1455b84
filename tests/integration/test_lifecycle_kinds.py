"""Usernames and retiring numbers against the emulator, through the CLI: plan, apply, converge (an empty
plan), drift, the import round trip, the read-only key, taken names with suggestions, transfer as an
explicit opt-in, and the deregistration guard."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.policy import policy_actions
from tests.helpers.cli import run_cli

SPACE = "293483938800961"
A, B, C, D = "6581110050", "6581110051", "6581110052", "6581110053"


def _state(**space: Any) -> dict[str, Any]:
    numbers = [{"PhoneNumber": p, "VerifiedName": "Reliability", "Status": "CONNECTED", "QualityRating": "GREEN",
                "CodeVerificationStatus": "VERIFIED"} for p in (A, B, C, D)]
    return {"keys": [{"access_key_id": "demo", "access_key_secret": "demo-secret"}],
            "account": {"Mpk": 1, "HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": {SPACE: {"subscribed": True, "phone_numbers": numbers, **space}}}


class World:
    def __init__(self, emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str], state: dict[str, Any]) -> None:
        self.handle = emulator(state, qps=0)
        self.tmp_path, self.capsys = tmp_path, capsys
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
        monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)

    def yaml(self, numbers: str, **space: str) -> Path:
        path = self.tmp_path / "spaces.yaml"
        extra = "".join(f"    {k}: {v}\n" for k, v in space.items())
        path.write_text(f'version: 1\nspaces:\n  - name: life\n    cust_space_id: "{SPACE}"\n{extra}'
                        f"    numbers:\n{numbers}")
        return path

    def cli(self, *argv: str, stdout_only: bool = False) -> tuple[int, str]:
        code, out, err = run_cli(self.capsys, *argv, "--endpoint", self.handle.url)
        return code, out if stdout_only else out + err

    def plan(self, path: Path, *extra: str) -> tuple[int, str]:
        return self.cli("plan", str(path), "--detailed-exitcode", *extra)

    def apply(self, path: Path, *extra: str) -> tuple[int, str]:
        return self.cli("apply", str(path), "--auto-approve", *extra)

    def space(self) -> dict[str, Any]:
        snapshot: dict[str, Any] = self.handle.backend.snapshot()["spaces"][SPACE]
        return snapshot

    def names(self) -> dict[str, str]:
        return {p: e["Username"] for p, e in self.space().get("usernames", {}).items()}


@pytest.fixture
def world(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> World:
    return World(emulator, tmp_path, monkeypatch, capsys, _state(taken_usernames=["globex"]))


def _numbers(**names: str) -> str:
    return "".join(f'      - phone_number: "+{p}"\n' + (f"        {n}\n" if n else "")
                   for p, n in zip((A, B, C, D), (names.get("a", ""), names.get("b", ""), names.get("c", ""),
                                                    names.get("d", ""))))


def test_usernames_plan_apply_converge_update_and_delete(world: World) -> None:
    path = world.yaml(_numbers(a="username: acme.support", b="username: {name: acme.sales}"))
    code, shown = world.plan(path)
    assert code == 2 and "+ create-username" in shown and "2 to create-username" in shown, shown
    assert world.apply(path)[0] == 0
    assert world.names() == {A: "acme.support", B: "acme.sales"}
    assert world.plan(path)[0] == 0  # converged
    path = world.yaml(_numbers(a="username: Acme.Support", b="username: acme.team"))  # case is ignored
    code, shown = world.plan(path)
    assert code == 2 and "~ update-username" in shown and shown.count("username  (") == 1, shown
    assert world.apply(path)[0] == 0 and world.names()[B] == "acme.team"
    path = world.yaml(_numbers(a="username: acme.support", b="username: false"))
    code, shown = world.plan(path)
    assert code == 2 and "- delete-username" in shown, shown
    assert world.apply(path)[0] == 0 and world.names() == {A: "acme.support"}
    assert world.plan(path)[0] == 0


def test_statuses_are_drift_against_expect(world: World) -> None:
    path = world.yaml(_numbers(a="username: acme.support\n        expect: {username_status: [approved]}"))
    assert world.apply(path)[0] == 0  # set: reserved
    code, shown = world.cli("drift", str(path))
    assert code == 2 and "username status reserved is not one of approved" in shown, shown
    world.handle.backend.set_username_status(SPACE, A, "APPROVED")  # any case: read without regard to it
    assert world.cli("drift", str(path))[0] == 0


def test_a_taken_name_fails_with_the_platforms_suggestions(world: World) -> None:
    path = world.yaml(_numbers(a="username: Globex"))
    code, shown = world.apply(path)
    assert code == 1 and "147001" in shown and "suggestions:" in shown and "reliability" in shown.lower(), shown
    assert world.names() == {}


def test_transfer_is_an_explicit_opt_in_shown_on_the_number_that_loses_the_name(world: World) -> None:
    assert world.apply(world.yaml(_numbers(a="username: acme.support")))[0] == 0
    path = world.yaml(_numbers(a="username: acme.support", b="username: acme.support"))
    code, shown = world.apply(path)  # without the opt-in the platform refuses
    assert code == 1 and "147005" in shown and "transfer: true" in shown, shown
    path = world.yaml(_numbers(a="username: acme.help", b="username: {name: acme.support, transfer: true}"))
    code, shown = world.plan(path)
    assert code == 2 and f"loses 'acme.support': it moves to {B}" in shown and "force_transfer" in shown, shown
    assert world.apply(path)[0] in (0, 1)
    assert world.apply(path)[0] == 0
    assert world.names() == {A: "acme.help", B: "acme.support"} and world.plan(path)[0] == 0


def test_import_round_trip_keeps_the_usernames(world: World) -> None:
    assert world.apply(world.yaml(_numbers(a="username: acme.support")))[0] == 0
    out = world.tmp_path / "imported" / "life.yaml"
    out.parent.mkdir()
    code, shown = world.cli("import", "--space-id", SPACE, "--name", "life", "--out", str(out))
    assert code == 0 and "acme.support" in out.read_text(), shown
    code, shown = world.cli("plan", str(out), "--format", "json", "--detailed-exitcode", stdout_only=True)
    assert code == 0 and json.loads(shown)["changes"] == [], shown


def test_the_plan_policys_read_only_key_plans_and_cannot_write(emulator: Callable[..., Any], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    state = _state()
    reads = [a.split(":", 1)[1] for a in policy_actions("plan")]
    state["keys"].append({"access_key_id": "readonly", "access_key_secret": "ro-secret", "actions": reads})
    world = World(emulator, tmp_path, monkeypatch, capsys, state)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "readonly")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ro-secret")
    path = world.yaml(_numbers(a="username: acme.support", b="retire: true"))
    code, shown = world.plan(path)
    assert code == 2 and "create-username" in shown and "- deregister" in shown, shown
    code, shown = world.apply(path)
    assert code == 1 and "Ram.PermissionDeny" in shown and world.names() == {}, shown


def test_retire_deregisters_once_and_the_guard_holds_back_too_many(world: World) -> None:
    path = world.yaml(_numbers(a="retire: true"))
    code, shown = world.plan(path)
    assert code == 2 and "- deregister" in shown and "stops sending and receiving" in shown, shown
    assert world.apply(path)[0] == 0
    assert {n["PhoneNumber"]: n["Status"] for n in world.space()["phone_numbers"]}[A] == "DISCONNECTED"
    assert world.plan(path)[0] == 0  # deregistered: no longer expected
    # two more at once (of four): over safety.max_deregister_fraction, refused unless forced at plan time
    path = world.yaml(_numbers(a="retire: true", b="retire: true", c="retire: true"))
    code, shown = world.plan(path)
    assert code == 1 and "max_deregister_fraction" in shown, shown
    code, shown = world.apply(path)
    assert code != 0 and {n["Status"] for n in world.space()["phone_numbers"] if n["PhoneNumber"] in (B, C)} \
        == {"CONNECTED"}, shown
    saved = world.tmp_path / "plan.json"
    code, shown = world.cli("plan", str(path), "--force", "--out", str(saved))
    assert code == 0 and "override" in shown.lower(), shown
    code, shown = world.cli("apply", str(path), "--plan", str(saved), "--force", "--auto-approve")
    assert code == 0, shown
    assert {n["Status"] for n in world.space()["phone_numbers"] if n["PhoneNumber"] in (B, C)} == {"DISCONNECTED"}


def test_unmanaged_numbers_deregister_is_shown_destructive_in_json(world: World) -> None:
    path = world.yaml(_numbers()[: _numbers().index(f'"+{D}"') - len("      - phone_number: ")],
                      unmanaged_numbers="deregister")
    code, shown = world.cli("plan", str(path), "--format", "json", stdout_only=True)
    plan = json.loads(shown)
    gone = [c for c in plan["changes"] if c["label"] == "deregister"]
    assert [c["phone_number"] for c in gone] == [D] and gone[0]["action"] == "delete", shown


# -- a refused name's suggestions in the next plan; a transfer shown on the number that loses the name -------

#: what GetWhatsappUserNameSuggestions answers for A: two names, then API values that try to start a line, a
#: workflow command, Markdown (a link, emphasis, a code fence) and a reordering of the text
HOSTILE = ["x\n::set-output name=owned::1", "::error::forged", "[click](https://evil.example)", "**loud**",
           "```", "acme\u202eevil"]


def _store(world: World) -> str:
    return f"dir:{world.tmp_path / 'state'}"


def _stored(world: World) -> str:
    """Every record the state store holds, as one text."""
    return "\n".join(p.read_text() for p in sorted((world.tmp_path / "state").rglob("*")) if p.is_file())


def _changes(world: World, path: Path) -> list[dict[str, Any]]:
    code, shown = world.cli("plan", str(path), "--format", "json", "--state-store", _store(world), stdout_only=True)
    changes: list[dict[str, Any]] = json.loads(shown)["changes"]
    return changes


def test_a_refused_name_and_its_suggestions_reach_the_next_plan_inert(emulator: Callable[..., Any], tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    state = _state(taken_usernames=["acmesupport"],
                   username_suggestions={A: ["acmesupport1", "acme.support.hq", *HOSTILE]})
    world = World(emulator, tmp_path, monkeypatch, capsys, state)
    store = _store(world)
    path = world.yaml(_numbers(a="username: acmesupport"))
    code, shown = world.apply(path, "--state-store", store)
    assert code == 1 and "147001" in shown and "acmesupport1, acme.support.hq" in shown, shown
    assert "set-output" not in shown and "evil" not in shown, shown
    kept = _stored(world)
    assert "username-refused" in kept and "acmesupport1" in kept and "demo-secret" not in kept, kept
    assert "set-output" not in kept and "evil" not in kept, kept

    # the next plan, a new process with the same store, says when, why and what the platform suggested
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": "demo", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "demo-secret"}
    proc = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(path), "--endpoint", world.handle.url,
                           "--state-store", store], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"last apply \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) was refused: 'acmesupport' is taken "
                     r"\(held outside this business portfolio\) \(147001, request id [\w-]+\); the platform "
                     r"suggested: `acmesupport1`, `acme.support.hq`; 6 more left out \(not well-formed usernames, or past "
                     r"the first 5\); rename it in the YAML", proc.stdout), proc.stdout
    outputs = [proc.stdout]
    for fmt in ("markdown", "json", "github"):
        code, shown = world.cli("plan", str(path), "--format", fmt, "--state-store", store, stdout_only=True)
        assert "acme.support.hq" in shown, (fmt, shown)
        outputs.append(shown)
    notes = next(c for c in json.loads(outputs[2])["changes"] if c["kind"] == "username")["notes"]["refused"]
    assert notes["name"] == "acmesupport" and notes["code"] == "147001" and notes["request_id"], notes
    assert notes["suggestions"] == ["acmesupport1", "acme.support.hq"] and notes["suggestions_left_out"] == 6
    for shown in outputs:  # no hostile suggestion reaches any format, whole or in part
        assert not any(bad in shown for bad in ("set-output", "::error::forged", "evil", "**loud**")), shown
        assert all(line.startswith("```") for line in shown.splitlines() if "```" in line), shown  # its own fences

    # another name in the YAML: the refusal is not shown for it; set, the entry is cleared
    renamed = world.yaml(_numbers(a="username: acme.help"))
    (shown_change,) = _changes(world, renamed)
    assert "refused" not in shown_change["reason"] and "notes" not in shown_change, shown_change
    assert world.apply(renamed, "--state-store", store)[0] == 0 and world.names() == {A: "acme.help"}
    assert "username-refused" not in _stored(world)
    (again,) = _changes(world, world.yaml(_numbers(a="username: acmesupport")))  # no stale suggestions
    assert again["action"] == "update" and "refused" not in again["reason"] and "notes" not in again, again


def test_a_transfer_shows_the_number_that_loses_the_name_declared_or_not(world: World) -> None:
    store = _store(world)
    assert world.apply(world.yaml(_numbers(b="username: acme.sales", c="username: acme.support")),
                       "--state-store", store)[0] == 0
    # A takes C's name; B declares no username; C is declared in no YAML (its line is A's transfer line)
    lines = _numbers(a="username: {name: acme.support, transfer: true}", b="")
    path = world.yaml(lines[: lines.index(f'"+{C}"') - len("      - phone_number: ")])
    code, shown = world.cli("plan", str(path), "--format", "json", "--state-store", store, stdout_only=True)
    plan = json.loads(shown)
    (loses,) = [c for c in plan["changes"] if c["field"] == "username.transfer"]
    assert loses["address"] == f"life/{C}/drift/username.transfer" and loses["before"] == {"name": "acme.support"}, loses
    assert "declared in no YAML" in loses["reason"] and f"moves to {A}" in loses["reason"], loses
    assert loses["source"]["line"] == path.read_text().splitlines().index(
        "        username: {name: acme.support, transfer: true}") + 1, loses
    # every other listed number's name was read, once each (B, C, D besides A): the transfer's price only
    assert plan["calls"]["GetWhatsappUserName"] == 4, plan["calls"]
    # B, declared without a username, holds the name A takes now: shown on B's own line
    path = world.yaml(_numbers(a="username: {name: acme.sales, transfer: true}", b=""))
    (loses,) = [c for c in _changes(world, path) if c["field"] == "username.transfer"]
    assert loses["address"] == f"life/{B}/drift/username.transfer" and "declared in no YAML" not in loses["reason"], loses
    assert loses["source"]["line"] == path.read_text().splitlines().index(f'      - phone_number: "+{B}"') + 1
    assert world.apply(path, "--state-store", store)[0] == 0
    assert world.names() == {A: "acme.sales", C: "acme.support"}
    code, shown = world.cli("plan", str(path), "--format", "json", "--state-store", store, stdout_only=True)
    assert json.loads(shown)["changes"] == [] and json.loads(shown)["calls"]["GetWhatsappUserName"] == 1, shown


def test_no_other_number_is_read_without_a_transfer_to_make(world: World) -> None:
    path = world.yaml(_numbers(a="username: acme.support", b=""))  # no transfer: only A's name is read
    code, shown = world.cli("plan", str(path), "--format", "json", stdout_only=True)
    assert json.loads(shown)["calls"]["GetWhatsappUserName"] == 1, shown
