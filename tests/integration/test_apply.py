"""``apply`` end to end: the CLI in-process against the emulator over real loopback HTTP.

Each test builds its own emulator state and YAML, so what is asserted is visible in the test. The emulator's
audit log is the witness for "which writes were made"; its backend snapshot for "what the state became".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.client.actions import ACTIONS

SPACE_A, SPACE_B = "293483938849101", "293483938849102"
HOOKS = "https://hooks.t.example"
VERIFY_CODE = "828712"
SECRETS = (VERIFY_CODE, "tr4vel-s3cret", "old-token-123", "demo-secret")
REPO = Path(__file__).resolve().parents[2]


# -- state and YAML builders ---------------------------------------------------------------------------------

def number(phone: str, status_url: str = f"{HOOKS}/status", up_url: str = f"{HOOKS}/inbound",
           **extra: Any) -> dict[str, Any]:
    return {"PhoneNumber": phone, "VerifiedName": "Test", "Status": "CONNECTED", "QualityRating": "GREEN",
            "CodeVerificationStatus": "VERIFIED", "NameStatus": "Approval", "NewNameStatus": "Approval",
            "MessagingLimitTier": "TIER_10K", "StatusCallbackUrl": status_url, "UpCallbackUrl": up_url,
            "StatusQueue": "Alicom-Queue-7-ChatAppStatus", "UpQueue": "Alicom-Queue-7-ChatAppInbound", **extra}


def space_state(numbers: list[dict], **extra: Any) -> dict[str, Any]:
    return {"subscribed": True, "phone_numbers": numbers, **extra}


def state(spaces: dict[str, dict], *, account: dict | None = None, keys: list[dict] | None = None) -> dict:
    return {
        "keys": keys or [{"access_key_id": "demo", "access_key_secret": "demo-secret"}],
        "account": account or {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True,
                               "AccountType": "1", "Mpk": 1},
        "spaces": spaces,
    }


def space_yaml(name: str, space_id: str, numbers: list[str], *, defaults: bool = True,
               extra: str = "") -> str:
    head = [f"  - name: {name}", f'    cust_space_id: "{space_id}"', "    unmanaged_numbers: report"]
    if defaults:
        head += ["    defaults:", "      webhooks:", f"        status_callback_url: {HOOKS}/status",
                 f"        up_callback_url: {HOOKS}/inbound"]
    if extra:
        head.append(extra.rstrip("\n"))
    head.append("    numbers:")
    return "\n".join(head + numbers) + "\n"


def desired(tmp_path: Path, *spaces: str, name: str = "spaces.yaml") -> Path:
    path = tmp_path / name
    path.write_text("version: 1\nspaces:\n" + "".join(spaces))
    return path


def plain(phone: str, extra: str = "") -> str:
    return f'      - phone_number: "+{phone}"' + (f"\n{extra.rstrip()}" if extra else "")


# -- running -------------------------------------------------------------------------------------------------

class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cams(emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Start an emulator (state dict) with an audit log; returns helpers bound to it."""

    class Cams:
        def __init__(self) -> None:
            self.handle: Any = None
            self.audit = tmp_path / "audit.jsonl"

        def start(self, st: dict, key: tuple[str, str] = ("demo", "demo-secret"), **options: Any) -> Cams:
            options.setdefault("qps", 0)
            self.handle = emulator(st, audit_log=self.audit, **options)
            self.use_key(*key)
            return self

        def use_key(self, key_id: str, secret: str) -> None:
            monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
            monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
            monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)

        def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
            capsys.readouterr()
            code = main([*argv, "--endpoint", self.handle.url])
            out, err = capsys.readouterr()
            return Run(code, out, err)

        def audit_lines(self) -> list[dict]:
            if not self.audit.exists():
                return []
            return [json.loads(line) for line in self.audit.read_text().splitlines() if line.strip()]

        def writes(self) -> list[tuple[str, str | None]]:
            return [(e["action"], e["parameters"].get("PhoneNumber")) for e in self.audit_lines()
                    if e["action"] in ACTIONS and ACTIONS[e["action"]].is_write]

        def space(self, space_id: str) -> dict:
            return self.handle.backend.snapshot()["spaces"][space_id]

        def hooks_of(self, space_id: str, phone: str) -> tuple[str, str]:
            entry = next(n for n in self.space(space_id)["phone_numbers"] if n["PhoneNumber"] == phone)
            return entry["StatusCallbackUrl"], entry["UpCallbackUrl"]

    monkeypatch.delenv("CAMS_SECRET_ACME_MIGRATION_CODE", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    return Cams()


def results_of(path: Path) -> dict[str, dict]:
    return {r["address"]: r for r in json.loads(path.read_text())["results"]}


# -- the example scenario: every change kind -----------------------------------------------------------------

def example_like_state() -> dict:
    """The shared example's acme spaces (same numbers and differences), built here."""
    retail = space_state(
        [number("8613800001234"), number("8613800001235", status_url="https://old-hooks.t.example/status"),
         number("8613800001236"), number("8613800001237", QualityRating="YELLOW")],
        business_profiles={"8613800001236": {"Vertical": "RETAIL", "About": "Acme Retail",
                                             "Websites": ["https://acme.example"]}},
        pending_sync=[number("8613800005678")])
    travel = space_state(
        [number("6591234567", status_url=f"{HOOKS}/travel/status?token=old-token-123")],
        pending_migrations=[{**number("8613800009999"), "VerifyCode": VERIFY_CODE}])
    return state({SPACE_A: retail, SPACE_B: travel})


def example_like_yaml(tmp_path: Path) -> Path:
    retail = space_yaml("retail", SPACE_A, [
        plain("8613800001234"), plain("8613800001235"),
        plain("8613800001236", "        business_profile:\n          about: Acme Retail, open 9 to 9\n"
                               "          websites: [https://acme.example, https://shop.acme.example]"),
        plain("8613800001237", "        expect:\n          quality_rating: [GREEN]"),
        plain("8613800005678")])
    travel = space_yaml("travel", SPACE_B, [
        plain("6591234567", f"        webhooks:\n          status_callback_url: "
                            f"{HOOKS}/travel/status?token=tr4vel-s3cret"),
        plain("8613800009999", "        migration:\n          verify_code_env: CAMS_SECRET_ACME_MIGRATION_CODE")],
        defaults=False)
    return desired(tmp_path, retail, travel)


def test_every_change_kind_applied_verified_and_second_apply_writes_nothing(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cams.start(example_like_state())
    yaml_path = example_like_yaml(tmp_path)
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", VERIFY_CODE)
    results = tmp_path / "results.json"

    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--results", str(results))

    assert run.code == 0, run.err
    by_address = results_of(results)
    assert {r["action"] for r in by_address.values()} == {"sync", "verify-migration", "update-webhook",
                                                           "update-profile"}
    assert all(r["status"] == "done" for r in by_address.values())
    # planned updates were written and verified; a pending update of a synced/migrated number is written
    # only where it still differs once the number has arrived
    assert all(r["message"] == "verified by re-read" for a, r in by_address.items()
               if not r.get("pending"))
    assert "Apply converged" in run.out
    # the state really changed (and the undeclared URL was kept from the actual value)
    assert cams.hooks_of(SPACE_A, "8613800001235") == (f"{HOOKS}/status", f"{HOOKS}/inbound")
    assert cams.hooks_of(SPACE_B, "6591234567") == (f"{HOOKS}/travel/status?token=tr4vel-s3cret",
                                                    f"{HOOKS}/inbound")
    profile = cams.space(SPACE_A)["business_profiles"]["8613800001236"]
    assert profile == {"Vertical": "RETAIL", "About": "Acme Retail, open 9 to 9",
                       "Websites": ["https://acme.example", "https://shop.acme.example"]}
    travel = cams.space(SPACE_B)
    assert [n["PhoneNumber"] for n in travel["phone_numbers"]] == ["6591234567", "8613800009999"]
    assert travel["verified_migrations"] == []  # registered, not left half-way
    assert "8613800005678" in [n["PhoneNumber"] for n in cams.space(SPACE_A)["phone_numbers"]]
    writes = cams.writes()
    assert sorted(writes) == sorted([
        ("ChatappSyncPhoneNumber", None), ("ChatappMigrationVerified", "8613800009999"),
        ("ChatappMigrationRegister", "8613800009999"), ("UpdatePhoneWebhook", "8613800001235"),
        ("UpdatePhoneWebhook", "6591234567"), ("ModifyPhoneBusinessProfile", "8613800001236")])

    # no secret anywhere: output, results, audit log
    text = run.out + run.err + results.read_text() + cams.audit.read_text()
    for secret in SECRETS:
        assert secret not in text, secret

    # converged: the second apply plans, finds nothing to write, and makes zero write calls
    again = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--results", str(results))
    assert again.code == 0, again.err
    assert "No changes to apply" in again.out
    assert cams.writes() == writes
    assert json.loads(results.read_text())["status"] == "converged"


def test_json_format_is_one_document(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cams.start(state({SPACE_A: space_state([number("8613800001235", status_url="https://old.t.example/s")])}))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain("8613800001235")]))
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["plan"]["counts"]["update-webhook"] == 1
    assert doc["apply"]["status"] == "converged" and doc["apply"]["calls"]["UpdatePhoneWebhook"] == 1


def test_github_format_annotates_what_failed_on_its_line(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the key may not UpdatePhoneWebhook: the write fails; the annotation sits on the YAML line asking for it
    allowed = [a for a in ACTIONS if a != "UpdatePhoneWebhook"]
    cams.start(state({SPACE_A: space_state([number("8613800001235", status_url="https://old.t.example/s")])},
                     keys=[{"access_key_id": "ops", "access_key_secret": "ops-secret", "actions": allowed}]),
               key=("ops", "ops-secret"))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain("8613800001235")]))
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--format", "github")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines and all(line.startswith("::") for line in lines), run.out  # workflow commands only: no plan first
    url_line = next(i for i, line in enumerate(yaml_path.read_text().splitlines(), 1) if "status_callback_url" in line)
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 1 and f"line={url_line}," in errors[0] and "Ram.PermissionDeny" in errors[0]
    assert "title=cams-reconciler apply%3A failed::" in errors[0]
    assert lines[-1].startswith("::notice title=cams-reconciler apply::Apply failed: 0 done, 1 failed")


def test_refuses_without_terminal_and_without_auto_approve(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cams.start(state({SPACE_A: space_state([number("8613800001235", status_url="https://old.t.example/s")])}))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain("8613800001235")]))
    run = cams.run(capsys, "apply", str(yaml_path))
    assert run.code == 1
    assert "stdin is not a terminal" in run.err and "--auto-approve" in run.err
    assert cams.writes() == []


# -- saved plans ----------------------------------------------------------------------------------------------

def _two_space_setup(cams: Any, tmp_path: Path) -> Path:
    cams.start(state({
        SPACE_A: space_state([number("8613800001235", status_url="https://old.t.example/s"),
                              number("8613800001234")]),
        SPACE_B: space_state([number("8613800002222")]),
    }))
    return desired(tmp_path, space_yaml("retail", SPACE_A, [plain("8613800001235"), plain("8613800001234")]),
                   space_yaml("travel", SPACE_B, [plain("8613800002222")]))


def test_saved_plan_applies_when_nothing_moved_even_if_yaml_comments_changed(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_path = _two_space_setup(cams, tmp_path)
    plan_file = tmp_path / "plan.json"
    assert cams.run(capsys, "plan", str(yaml_path), "--out", str(plan_file)).code == 0
    yaml_path.write_text("# reviewed in PR 42\n" + yaml_path.read_text())  # meaning unchanged
    run = cams.run(capsys, "apply", "--plan", str(plan_file), str(yaml_path))
    assert run.code == 0, run.err
    assert cams.writes() == [("UpdatePhoneWebhook", "8613800001235")]


def test_saved_plan_runs_when_only_other_numbers_moved_and_leaves_the_unreviewed_write_alone(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_path = _two_space_setup(cams, tmp_path)
    plan_file = tmp_path / "plan.json"
    assert cams.run(capsys, "plan", str(yaml_path), "--out", str(plan_file)).code == 0
    # behind the repository's back: another number of the planned space is repointed, and WhatsApp moves a
    # quality rating; neither is something the reviewed change depends on
    _api_update_webhook(cams.handle.url, SPACE_A, "8613800001234", "https://rogue.t.example/s")
    cams.handle.backend.set_number_fields(SPACE_A, "8613800001235", QualityRating="YELLOW")
    before = len(cams.writes())

    run = cams.run(capsys, "apply", "--plan", str(plan_file), str(yaml_path))

    assert run.code == 0, run.err
    assert cams.writes()[before:] == [("UpdatePhoneWebhook", "8613800001235")]  # only the reviewed write
    assert "retail/8613800001234/update-webhook" in run.err and "not in the reviewed plan" in run.err


def test_stale_saved_plan_says_how_a_planned_change_moved(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_path = _two_space_setup(cams, tmp_path)
    plan_file = tmp_path / "plan.json"
    assert cams.run(capsys, "plan", str(yaml_path), "--out", str(plan_file)).code == 0
    # the number the plan repoints is repointed elsewhere meanwhile (with a token, which must stay masked)
    _api_update_webhook(cams.handle.url, SPACE_A, "8613800001235", "https://other.t.example/s?token=t0ps3cret")

    run = cams.run(capsys, "apply", "--plan", str(plan_file), str(yaml_path))

    assert run.code == 1
    line = next(x for x in run.err.splitlines() if "retail/8613800001235/update-webhook" in x)
    assert ('before.status_callback_url was "https://old.t.example/s" in the plan, '
            'is "https://other.t.example/s?token=***" now') in line
    assert "t0ps3cret" not in run.out + run.err


def test_stale_saved_plan_refused_when_yaml_changed(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_path = _two_space_setup(cams, tmp_path)
    plan_file = tmp_path / "plan.json"
    assert cams.run(capsys, "plan", str(yaml_path), "--out", str(plan_file)).code == 0
    yaml_path.write_text(yaml_path.read_text().replace(f"{HOOKS}/inbound", f"{HOOKS}/inbound-v2", 1))
    run = cams.run(capsys, "apply", "--plan", str(plan_file), str(yaml_path))
    assert run.code == 1
    assert "desired state (YAML) of the planned spaces changed" in run.err
    assert cams.writes() == []


def test_broken_plan_file_is_a_clear_error(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_path = _two_space_setup(cams, tmp_path)
    plan_file = tmp_path / "plan.json"
    assert cams.run(capsys, "plan", str(yaml_path), "--out", str(plan_file)).code == 0
    plan_file.write_text(plan_file.read_text()[:100])
    run = cams.run(capsys, "apply", "--plan", str(plan_file), str(yaml_path))
    assert run.code == 1 and "truncated" in run.err and "Traceback" not in run.err


def _api_update_webhook(url: str, space_id: str, phone: str, status_url: str) -> None:
    import asyncio

    from reconciler.client import CamsClient, Credentials

    async def go() -> None:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=url, qps=100) as client:
            await client.call("UpdatePhoneWebhook", {"CustSpaceId": space_id, "PhoneNumber": phone,
                                                     "StatusCallbackUrl": status_url, "UpCallbackUrl": f"{HOOKS}/inbound"})

    asyncio.run(go())


# -- safety -----------------------------------------------------------------------------------------------------

def _many(phones: list[str], old: bool) -> list[dict]:
    return [number(p, status_url="https://old.t.example/s" if old else f"{HOOKS}/status") for p in phones]


PHONES = [f"86138001{i:05d}" for i in range(12)]


def test_threshold_refused_then_force_passes(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 4 of 12 declared numbers (33% > 30%) get new webhooks
    cams.start(state({SPACE_A: space_state(_many(PHONES[:4], True) + _many(PHONES[4:], False))}))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(p) for p in PHONES]))
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve")
    assert run.code == 1
    assert "refusing to apply: space retail" in run.err and "4 of the 12" in run.err
    assert cams.writes() == []

    forced = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--force")
    assert forced.code == 0, forced.err
    assert "warning: override" in forced.err
    assert sorted(cams.writes()) == [("UpdatePhoneWebhook", p) for p in PHONES[:4]]


def test_threshold_is_read_from_the_space_yaml(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cams.start(state({SPACE_A: space_state(_many(PHONES[:4], True) + _many(PHONES[4:], False))}))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(p) for p in PHONES],
                                             extra="    safety:\n      max_webhook_update_fraction: 0.5"))
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve")
    assert run.code == 0, run.err


def test_frozen_account_refused_even_with_force(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    st = state({SPACE_A: space_state(_many(PHONES[:1], True))},
               account={"HostingStatus": "FREEZE", "CreditLimitStatus": "Thaw", "IsCertified": True})
    cams.start(st)
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(PHONES[0])]))
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--force")
    assert run.code == 1
    assert "frozen" in run.err and "--force does not override" in run.err
    assert cams.writes() == []


def test_unmanaged_error_blocks_apply(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cams.start(state({SPACE_A: space_state(_many(PHONES[:2], True))}))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(PHONES[0])]).replace(
        "unmanaged_numbers: report", "unmanaged_numbers: error"))
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--force")
    assert run.code == 1 and PHONES[1] in run.err and "unmanaged_numbers: error" in run.err
    assert cams.writes() == []


# -- partial failure ------------------------------------------------------------------------------------------

def test_missing_verify_code_variable_skips_that_number_only(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cams.start(example_like_state())
    results = tmp_path / "results.json"
    run = cams.run(capsys, "apply", str(example_like_yaml(tmp_path)), "--auto-approve", "--results", str(results))
    assert run.code == 1
    by_address = results_of(results)
    migration = by_address["travel/8613800009999/verify-migration/migration"]
    assert migration["status"] == "skipped"
    assert "environment variable CAMS_SECRET_ACME_MIGRATION_CODE is not set" in migration["message"]
    others = [r for a, r in by_address.items() if "8613800009999" not in a]
    assert [r["status"] for r in others] == ["done"] * len(others) and len(others) >= 4
    # the migrating number's pending updates are skipped with it, never sent
    assert all(r["status"] == "skipped" for a, r in by_address.items() if "8613800009999" in a)
    assert not any(w[0].startswith("ChatappMigration") for w in cams.writes())
    assert "See each result for what to fix" in run.out  # a rerun alone would skip it again


def test_denied_space_fails_while_the_others_converge(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the key may not UpdatePhoneWebhook: the space needing webhook updates fails, the profile-only one converges
    allowed = [a for a in ACTIONS if a != "UpdatePhoneWebhook"]
    st = state({SPACE_A: space_state(_many(PHONES[:2], True)),
                SPACE_B: space_state([number("8613800002222")],
                                     business_profiles={"8613800002222": {"About": "old"}})},
               keys=[{"access_key_id": "ops", "access_key_secret": "ops-secret", "actions": allowed}])
    cams.start(st, key=("ops", "ops-secret"))
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(p) for p in PHONES[:2]]),
                        space_yaml("travel", SPACE_B, [plain("8613800002222",
                                                             "        business_profile:\n          about: new")]))
    results = tmp_path / "results.json"
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--results", str(results))
    assert run.code == 1
    by_address = results_of(results)
    retail = [r for a, r in by_address.items() if a.startswith("retail/")]
    assert len(retail) == 2
    failed = [r for r in retail if r["status"] == "failed"]
    assert failed and all(r["code"] == "Ram.PermissionDeny" for r in failed)
    # after the first refusal the space's other write is not hammered
    assert all(r["status"] in ("failed", "skipped") for r in retail)
    assert by_address["travel/8613800002222/update-profile/business_profile.about"]["status"] == "done"
    assert cams.space(SPACE_B)["business_profiles"]["8613800002222"]["About"] == "new"
    assert "failed" in run.out and "Ram.PermissionDeny" in run.out


# -- interruption ------------------------------------------------------------------------------------------------

def test_failed_registration_after_verification_says_how_to_finish(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # a key that may verify but not register: the code is spent, the number is in the space unregistered
    allowed = [a for a, spec in ACTIONS.items() if a != "ChatappMigrationRegister"]
    cams.start(state({SPACE_B: space_state([], pending_migrations=[{**number("8613800009999"),
                                                                     "VerifyCode": VERIFY_CODE}])},
                     keys=[{"access_key_id": "half", "access_key_secret": "half-secret", "actions": allowed},
                           {"access_key_id": "demo", "access_key_secret": "demo-secret"}]),
               key=("half", "half-secret"))
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", VERIFY_CODE)
    yaml_path = desired(tmp_path, space_yaml("travel", SPACE_B, [
        plain("8613800009999", "        migration:\n          verify_code_env: CAMS_SECRET_ACME_MIGRATION_CODE")]))
    results = tmp_path / "results.json"

    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--results", str(results))

    assert run.code == 1
    migration = results_of(results)["travel/8613800009999/verify-migration/migration"]
    assert migration["status"] == "failed" and migration["code"] == "Ram.PermissionDeny"
    assert "recorded in the journal: the next plan shows register-migration" in migration["message"]
    assert VERIFY_CODE not in run.out + run.err + results.read_text()
    # the next plan, with a key that may register, shows the registration and apply makes it (the number is
    # in the space, so nothing else would ever send it)
    cams.use_key("demo", "demo-secret")
    plan = cams.run(capsys, "plan", str(yaml_path))
    assert "> register-migration 8613800009999" in plan.out, plan.out
    finish = cams.run(capsys, "apply", str(yaml_path), "--auto-approve")
    assert finish.code == 0, finish.err
    assert ("ChatappMigrationRegister", "8613800009999") in cams.writes()
    assert "register-migration" not in cams.run(capsys, "plan", str(yaml_path)).out  # the journal is cleared


def test_interrupted_apply_stops_cleanly_and_a_second_apply_finishes(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    phones = [f"86138002{i:05d}" for i in range(40)]
    cams.start(state({SPACE_A: space_state(_many(phones, True))}), latency_ms=150)
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(p) for p in phones]))
    results = tmp_path / "results.json"
    env = {**os.environ, "CAMS_RECONCILER_ENDPOINT": cams.handle.url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(yaml_path), "--auto-approve",
                             "--force", "--results", str(results)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not cams.writes():  # wait for the first write to reach the emulator
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no write reached the emulator"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "SIGTERM received: starting no new write" in err
    report = json.loads(results.read_text())
    assert report["status"] == "interrupted" and report["interrupted_by"] == "SIGTERM"
    statuses = [r["status"] for r in report["results"]]
    assert statuses.count("done") >= 1 and statuses.count("skipped") >= 1
    assert "failed" not in statuses
    first_writes = cams.writes()
    # every write that reached the emulator finished and is reported done (nothing half-written)
    done_phones = {r["phone_number"] for r in report["results"] if r["status"] == "done"}
    assert {p for _, p in first_writes} == done_phones
    assert "Interrupted by SIGTERM" in out

    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--force", "--results", str(results),
                   "--qps", "50")
    assert run.code == 0, run.err
    all_writes = cams.writes()
    assert sorted(p for _, p in all_writes) == sorted(phones)  # each number written exactly once in total
    assert all(cams.hooks_of(SPACE_A, p)[0] == f"{HOOKS}/status" for p in phones)


def test_second_signal_stops_at_once_and_reports_writes_in_flight_as_not_finished(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Terraform's double interrupt: the first asks for a clean stop, the second stops without waiting for
    writes in flight (here held 2 s by the emulator's latency), still writing the results file."""
    phones = [f"86138004{i:05d}" for i in range(6)]
    cams.start(state({SPACE_A: space_state(_many(phones, True))}), latency_ms=2000)
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(p) for p in phones]))
    results = tmp_path / "results.json"
    env = {**os.environ, "CAMS_RECONCILER_ENDPOINT": cams.handle.url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(yaml_path), "--auto-approve",
                             "--results", str(results), "--qps", "50"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # apply reads the space once more right before writing: once that read is answered (the audit log
        # records answers), the writes go out, and the emulator holds each for 2 s
        while sum(e["action"] == "QueryChatappPhoneNumbers" for e in cams.audit_lines()) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "apply never got to its writes"
            time.sleep(0.02)
        # a write lands before the emulator's latency holds its answer: once all have landed, none answered
        while not all(cams.hooks_of(SPACE_A, p)[0] == f"{HOOKS}/status" for p in phones):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "apply never sent all its writes"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        assert proc.stderr is not None
        said = ""
        while "starting no new write" not in said:  # the first is in: the second is a second one
            line = proc.stderr.readline()
            assert line, said
            said += line
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        err = said + err
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "received again: stopping now" in err and "Traceback" not in err
    report = json.loads(results.read_text())
    assert report["status"] == "interrupted" and report["interrupted_by"] == "SIGTERM"
    # nothing had come back when the second signal stopped apply: every write is reported as not finished
    assert [r["status"] for r in report["results"]] == ["skipped"] * len(phones)
    assert all("may or may not have landed" in r["message"] for r in report["results"])
    assert report["calls"].get("UpdatePhoneWebhook", 0) == len(phones)


# -- faults at scale -----------------------------------------------------------------------------------------------

def test_fifty_numbers_with_faults_converge_in_one_run_writing_only_what_was_planned(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    phones = [f"86138003{i:05d}" for i in range(50)]
    webhook, profile, synced = phones[:25], phones[25:40], phones[40:]
    numbers = _many(webhook, True) + _many(phones[25:40], False)
    profiles = {p: {"Vertical": "RETAIL", "About": "old"} for p in profile}
    cams.start(state({SPACE_A: space_state(numbers, business_profiles=profiles,
                                           pending_sync=_many(synced, False))}), fault_rate=0.2, seed=7)
    entries = [plain(p) for p in webhook + synced]
    new_profile = "        business_profile:\n          vertical: RETAIL\n          about: new"
    entries += [plain(p, new_profile) for p in profile]
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, entries))
    plan_file = tmp_path / "plan.json"
    assert cams.run(capsys, "plan", str(yaml_path), "--out", str(plan_file), "--qps", "50", "--force").code == 0
    planned = json.loads(plan_file.read_text())["changes"]
    allowed = {("ChatappSyncPhoneNumber", None)}
    allowed |= {("UpdatePhoneWebhook", c["phone_number"]) for c in planned if c["label"] == "update-webhook"}
    allowed |= {("ModifyPhoneBusinessProfile", c["phone_number"]) for c in planned if c["label"] == "update-profile"}
    # 25 repointed + 15 profiles + 10 synced numbers whose declared webhooks are pending until they arrive
    assert len(allowed) == 1 + 25 + 15 + 10
    assert sum(c["pending"] for c in planned) == 10

    results = tmp_path / "results.json"
    run = cams.run(capsys, "apply", "--plan", str(plan_file), str(yaml_path), "--results", str(results),
                   "--qps", "50", "--force")  # the override recorded by plan --force, re-asserted

    assert run.code == 0, run.out + run.err
    assert json.loads(results.read_text())["counts"] == {"done": 51, "failed": 0, "skipped": 0}
    faults = [e for e in cams.audit_lines() if e["code"] in ("InternalError", "ServiceUnavailable")]
    assert faults, "the emulator injected no fault: the test proves nothing"
    pending = {("UpdatePhoneWebhook", c["phone_number"]) for c in planned if c["pending"]}
    # every planned write made, and no other (retries aside); the synced numbers arrived with the declared
    # webhooks already, so their pending updates needed no write
    assert set(cams.writes()) == allowed - pending
    assert all(cams.hooks_of(SPACE_A, p)[0] == f"{HOOKS}/status" for p in webhook)


def test_a_synced_number_gets_its_declared_webhooks_and_profile_in_the_same_run(
        cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One apply converges a number that arrives by sync: its pending updates are written because, once it
    is in the space, its webhooks and profile differ from the YAML. Many numbers arriving is not a
    repointing of live numbers, so the webhook threshold does not count them."""
    arriving = PHONES[:10]
    cams.start(state({SPACE_A: space_state(
        [], pending_sync=_many(arriving, True),
        business_profiles={p: {"Vertical": "RETAIL", "About": "old"} for p in arriving})}))
    profile = "        business_profile:\n          vertical: RETAIL\n          about: new"
    yaml_path = desired(tmp_path, space_yaml("retail", SPACE_A, [plain(p, profile) for p in arriving]))
    results = tmp_path / "results.json"

    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve", "--results", str(results))

    assert run.code == 0, run.out + run.err
    report = json.loads(results.read_text())
    assert report["status"] == "converged"
    assert sum(r["pending"] for r in report["results"]) == 20
    assert sorted(cams.writes()) == sorted(
        [("ChatappSyncPhoneNumber", None)] + [("UpdatePhoneWebhook", p) for p in arriving]
        + [("ModifyPhoneBusinessProfile", p) for p in arriving])
    assert all(cams.hooks_of(SPACE_A, p)[0] == f"{HOOKS}/status" for p in arriving)
    writes = cams.writes()
    again = cams.run(capsys, "apply", str(yaml_path), "--auto-approve")
    assert again.code == 0 and cams.writes() == writes


# -- least privilege -------------------------------------------------------------------------------------------------

def test_policies_printed_are_sufficient(cams: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A key holding exactly `policy --for plan` can plan; exactly `policy --for apply` can apply."""
    def actions(command: str) -> list[str]:
        capsys.readouterr()
        assert main(["policy", "--for", command]) == 0
        return [a.split(":", 1)[1] for a in json.loads(capsys.readouterr().out)["Statement"][0]["Action"]]

    keys = [{"access_key_id": "planner", "access_key_secret": "p-secret", "actions": actions("plan")},
            {"access_key_id": "applier", "access_key_secret": "a-secret", "actions": actions("apply")}]
    cams.start(example_like_state() | {"keys": keys}, key=("planner", "p-secret"))
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", VERIFY_CODE)
    yaml_path = example_like_yaml(tmp_path)
    assert cams.run(capsys, "plan", str(yaml_path)).code == 0
    assert cams.run(capsys, "apply", str(yaml_path), "--auto-approve").code == 1  # the planner cannot write
    cams.use_key("applier", "a-secret")
    run = cams.run(capsys, "apply", str(yaml_path), "--auto-approve")
    assert run.code == 0, run.out + run.err
    denied = [e for e in cams.audit_lines() if e["access_key_id"] == "applier" and e["http_status"] != 200]
    assert denied == []


# -- the shared example repository --------------------------------------------------------------------------------

def test_example_repository_converges_and_stays_converged(
        cams: Any, example_state: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/spaces against examples/emulator-state.yaml: the README's scenario, applied."""
    cams.start(example_state)
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", VERIFY_CODE)
    results = tmp_path / "results.json"
    run = cams.run(capsys, "apply", str(REPO / "examples" / "spaces"), "--auto-approve", "--results", str(results))
    assert run.code == 0, run.out + run.err
    # 6 planned changes (the account webhook is one: it cannot be read back, so it is sent once and
    # recorded) + 2 pending webhook updates (the synced and the migrated number, already at the declared
    # values once they arrive: no write needed)
    assert json.loads(results.read_text())["counts"] == {"done": 8, "failed": 0, "skipped": 0}
    writes = cams.writes()
    again = cams.run(capsys, "apply", str(REPO / "examples" / "spaces"), "--auto-approve")
    assert again.code == 0 and cams.writes() == writes
    for secret in SECRETS:
        assert secret not in run.out + run.err + again.out + again.err + results.read_text(), secret
