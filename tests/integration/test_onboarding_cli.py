"""``onboarding send-code``: a new registration code for a number being onboarded, written ahead in the
journal (the next plan knows a code is on its way), refused before anything is sent for a number not added
or already verified, and a refused request leaves the record of a code already on its way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.engine import Journal

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "onboarding"
SPACE, NEW, DONE = "293483938849101", "6581110042", "6581110040"


def _state(sent_long_ago: bool) -> dict[str, Any]:
    state = yaml.safe_load((EXAMPLE / "emulator-state.yaml").read_text(encoding="utf-8"))
    codes = state["spaces"][SPACE]["verify_codes"][NEW]["Sends"]
    if sent_long_ago:
        codes[0]["SentAt"] = 0  # expired long ago: a new code may be asked for at once
    return state


def _entries(journal: Path) -> list[tuple[str, str, str]]:
    from reconciler.state.dir import DirStore
    from reconciler.state.store import decode

    store = DirStore(journal.parent)
    found = [(e["kind"], e["phone_number"], e["detail"]) for name in store.names()
             for doc in [decode(name, store.get(name).data)] if doc["kind"] == "journal"  # type: ignore[union-attr]
             for e in (doc["data"] or {}).get("entries", [])]
    return sorted(found + [(e.kind, e.phone_number, e.detail) for e in Journal.load(journal).entries.values()])


@pytest.fixture
def run(emulator: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, Any]]:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)

    def go(state: dict[str, Any], *argv: str) -> tuple[int, str, Any]:
        emu = emulator(state, qps=0)
        capsys.readouterr()
        code = main(["onboarding", "send-code", str(EXAMPLE / "spaces"), "--space", "acme-asia", *argv,
                     "--endpoint", emu.url, "--journal", str(tmp_path / "journal.json")])
        return code, capsys.readouterr().err, emu

    return go


def test_send_code_sends_one_code_and_writes_it_in_the_journal(run: Callable[..., Any], tmp_path: Path) -> None:
    code, err, emu = run(_state(sent_long_ago=True), "--number", "+65 8111 0042", "--method", "voice")
    assert code == 0, err
    sent = emu.backend.sent_verify_codes(SPACE, NEW)
    assert len(sent) == 2 and sent[-1]["Method"] == "VOICE" and sent[-1]["Code"] not in err
    assert "CAMS_SECRET_ACME_SG_CODE" in err
    assert _entries(tmp_path / "journal.json") == [("code-requested", NEW, "by VOICE (en_US)")]


def test_a_refused_request_sends_nothing_and_keeps_the_record_of_a_code_on_its_way(
        run: Callable[..., Any], tmp_path: Path) -> None:
    assert run(_state(sent_long_ago=True), "--number", "+65 8111 0042")[0] == 0
    # a minute has not passed: the platform refuses another code; the one sent stays recorded
    code, err, emu = run(_state(sent_long_ago=False), "--number", "+65 8111 0042")
    assert code != 0 and "CodeRequestTooFrequent" in err, err
    assert len(emu.backend.sent_verify_codes(SPACE, NEW)) == 1
    assert _entries(tmp_path / "journal.json") == [("code-requested", NEW, "by SMS (en_US)")]


@pytest.mark.parametrize(("number", "why"), [
    ("+65 8111 0040", "declared in space acme-asia without an onboarding block"),
])
def test_nothing_is_sent_for_a_number_that_is_not_being_onboarded(run: Callable[..., Any], tmp_path: Path,
                                                                  number: str, why: str) -> None:
    code, err, emu = run(_state(sent_long_ago=True), "--number", number)
    assert code != 0 and why in err, err
    assert emu.backend.sent_verify_codes(SPACE, DONE) == [] and _entries(tmp_path / "journal.json") == []


def test_nothing_is_sent_for_a_number_verified_already(run: Callable[..., Any], tmp_path: Path) -> None:
    state = _state(sent_long_ago=True)
    state["spaces"][SPACE]["phone_numbers"][1].update(Status="CONNECTED", CodeVerificationStatus="VERIFIED")
    code, err, emu = run(state, "--number", "+65 8111 0042")
    assert code != 0 and "verified already" in err, err
    assert len(emu.backend.sent_verify_codes(SPACE, NEW)) == 1 and _entries(tmp_path / "journal.json") == []
