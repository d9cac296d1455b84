"""The number-settings kinds of issue 16 end to end against the emulator over HTTP, through the CLI as a user
runs it: plan, apply, converge-then-empty-plan, drift behind the repository's back, import round trip
(import → plan is empty) and a read-only key — for commerce, automation, encryption_key, qr_codes, health,
marketing and the space's account_webhook. One emulator for the module, reset per test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.emulator import EmulatorHandle, load_state
from tests.helpers.settings import KEYS, NUMBER, RETAIL, default_settings_state

STATE = default_settings_state()
TOKEN = "s3cret-acct"
POSTER = "Hi, I saw your poster"

SPACE: dict[str, Any] = {
    "name": "acme-retail", "cust_space_id": RETAIL, "unmanaged_numbers": "ignore",
    "account_webhook": {"status_callback_url": f"https://hooks.acme.example/cams/account?token={TOKEN}",
                        "http_delivery": True},
    "numbers": [{
        "phone_number": "+86 138 0000 1234",
        "commerce": {"catalog_visible": True},
        "automation": {"welcome_message": True, "prompts": ["Where is my order?", "Opening hours"],
                       "commands": [{"name": "order", "description": "Track an order"}]},
        "encryption_key": {"public_key_file": "keys/flows.pem"},
        "qr_codes": {"codes": [{"message": POSTER, "image": "SVG"}]},
        "health": {"can_send": True},
        "marketing": {"paused": False},
    }],
}


pytestmark = pytest.mark.usefixtures("demo_credentials")


@pytest.fixture(scope="module")
def emu_state() -> dict[str, Any]:
    return STATE


def write_space(tmp_path: Path, space: dict[str, Any] | None = None) -> Path:
    (tmp_path / "keys").mkdir(exist_ok=True)
    shutil.copy(KEYS / "flows-2048.pem", tmp_path / "keys" / "flows.pem")
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "spaces": [space or SPACE]}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def plan_json(capsys: pytest.CaptureFixture[str], path: Path, emu: EmulatorHandle,
              command: str = "plan") -> tuple[int, dict[str, Any], str]:
    code, out, err = run(capsys, command, str(path), "--format", "json", "--endpoint", emu.url,
                         *(["--detailed-exitcode"] if command == "plan" else []))
    assert "Traceback" not in err, err
    data = json.loads(out)
    return code, data.get("plan", data), out + err


def changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["field"]: c for c in plan["changes"]}


def settings(emu: EmulatorHandle) -> dict[str, Any]:
    found: dict[str, Any] = emu.backend.snapshot()["spaces"][RETAIL].get("number_settings", {}).get(NUMBER, {})
    return found


def apply(capsys: pytest.CaptureFixture[str], path: Path, emu: EmulatorHandle) -> str:
    code, out, err = run(capsys, "apply", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code == 0, out + err
    return out + err


# --- plan -------------------------------------------------------------------------------------------------

def test_plan_shows_each_kind_and_no_secret(emu: EmulatorHandle, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, plan, text = plan_json(capsys, write_space(tmp_path), emu)
    assert code == 2  # changes to make
    found = changes(plan)
    assert found[f"qr_codes.{POSTER}"]["action"] == "create"
    assert found[f"qr_codes.{POSTER}"]["after"] == {POSTER: "(known after apply) (SVG)"}
    assert found["account_webhook"]["action"] == "update"
    assert found["account_webhook"]["after"]["status_callback_url"].endswith("token=***")
    assert found["automation"]["before"] == {"welcome_message": False, "prompts": [], "commands": []}
    assert found["automation"]["after"]["commands"] == ["/order: Track an order"]
    assert found["commerce.catalog_visible"]["after"] == {"catalog_visible": True}
    key = found["encryption_key.public_key_file"]
    assert key["before"] == {"public_key": None} and key["after"]["public_key"].startswith("SHA256:")
    assert "health.can_send" not in found and "marketing.paused" not in found  # healthy, not paused
    assert TOKEN not in text and "BEGIN PUBLIC KEY" not in text and "MIIB" not in text
    # The new reads are made for the one number that declares each block, and counted.
    for action in ("GetCommerceSetting", "GetConversationalAutomation", "GetPhoneEncryptionPublicKey",
                   "ListPhoneMessageQrdl", "GetWhatsappHealthStatus", "GetChatappPhoneNumberSetting"):
        assert plan["calls"][action] == 1, action


def test_a_space_without_the_blocks_makes_no_new_read(emu: EmulatorHandle, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bare = {**SPACE, "numbers": [{"phone_number": "+86 138 0000 1234"}]}
    bare.pop("account_webhook")
    _, plan, _ = plan_json(capsys, write_space(tmp_path, bare), emu)
    assert set(plan["calls"]) == {"GetCustomerAccountInfo", "QueryChatappPhoneNumbers"}


# --- apply, converge, drift -------------------------------------------------------------------------------

def test_apply_converges_and_the_next_plan_is_empty(emu: EmulatorHandle, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = write_space(tmp_path)
    out = apply(capsys, path, emu)
    assert "5 done, 0 failed" in out and TOKEN not in out
    have = settings(emu)
    # commerce: the declared value, and the undeclared one as it was (the write needs both)
    assert have["commerce"] == {"CartEnable": True, "CatalogVisible": True}
    assert have["automation"]["Prompts"] == ["Where is my order?", "Opening hours"]
    assert have["encryption_key"]["EncryptionPublicKey"] == (KEYS / "flows-2048.pem").read_text()
    assert [(q["PrefilledMessage"], q["GenerateQrImage"]) for q in have["qrdls"]] == [(POSTER, "SVG")]
    assert emu.backend.snapshot()["spaces"][RETAIL]["account_webhook"]["HttpFlag"] == "Y"
    code, plan, _ = plan_json(capsys, path, emu)
    assert (code, plan["changes"]) == (0, [])


def test_drift_behind_the_repositorys_back(emu: EmulatorHandle, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write_space(tmp_path)
    apply(capsys, path, emu)
    code, _, _ = plan_json(capsys, path, emu, "drift")
    assert code == 0
    b = emu.backend
    # an undeclared commerce value moving is not drift; the declared one is
    b.set_number_settings(RETAIL, NUMBER, "commerce", {"CartEnable": False, "CatalogVisible": False})
    b.set_number_settings(RETAIL, NUMBER, "automation", {"EnableWelcomeMessage": True, "Prompts": ["Hello"],
                                                         "Commands": [{"CommandName": "order",
                                                                       "CommandDescription": "Track an order"}]})
    key = (KEYS / "flows-2048.pem").read_text()
    b.set_number_settings(RETAIL, NUMBER, "encryption_key", {"EncryptionPublicKey": key,
                                                             "EncryptionPublicKeyStatus": "MISMATCH"})
    code_now = settings(emu)["qrdls"][0]["QrdlCode"]
    b.set_number_settings(RETAIL, NUMBER, "qrdls", [
        {"QrdlCode": code_now, "PrefilledMessage": POSTER, "GenerateQrImage": "PNG"},
        {"QrdlCode": "CONSOLE0000001", "PrefilledMessage": "Made in the console", "GenerateQrImage": "PNG"}])
    b.set_number_settings(RETAIL, NUMBER, "health", {"CanSendMessage": "BLOCKED", "Errors": [
        {"ErrorCode": "141006", "ErrorDescription": "There is an error with the payment method.",
         "PossibleSolution": "Add a new payment method to the account."}]})
    b.set_number_fields(RETAIL, NUMBER, MarketingPaused="Y")
    code, plan, text = plan_json(capsys, path, emu, "drift")
    assert code == 2
    found = changes(plan)
    assert "commerce.cart_enabled" not in found and found["commerce.catalog_visible"]["before"] == {
        "catalog_visible": False}
    assert found["automation.prompts"]["before"] == {"prompts": ["Hello"]}
    assert found["encryption_key.status"]["action"] == "drift"
    assert found["encryption_key.status"]["before"] == "MISMATCH"
    assert found[f"qr_codes.{POSTER}"]["action"] == "update"  # image PNG → SVG; the link stays
    assert found[f"qr_codes.{POSTER}"]["after"] == {POSTER: f"https://wa.me/message/{code_now} (SVG)"}
    extra = found["qr_codes.Made in the console"]
    assert extra["action"] == "drift" and "prune" in extra["reason"]  # reported, never deleted without prune
    health = found["health.can_send"]
    assert health["action"] == "drift" and "Add a new payment method" in health["reason"]
    assert found["marketing.paused"]["action"] == "drift"


def test_prune_deletes_only_with_the_opt_in(emu: EmulatorHandle, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    emu.backend.set_number_settings(RETAIL, NUMBER, "qrdls", [
        {"QrdlCode": "OLDPOSTER00001", "PrefilledMessage": "Summer sale", "GenerateQrImage": "PNG"}])
    number = {"phone_number": "+86 138 0000 1234", "qr_codes": {"codes": [{"message": POSTER}]}}
    keep = write_space(tmp_path, {**SPACE, "numbers": [number]})
    apply(capsys, keep, emu)
    assert [q["QrdlCode"] for q in settings(emu)["qrdls"]][0] == "OLDPOSTER00001"  # not pruned
    prune = write_space(tmp_path, {**SPACE, "numbers": [{**number, "qr_codes": {**number["qr_codes"],
                                                                                "prune": True}}]})
    _, plan, _ = plan_json(capsys, prune, emu)
    gone = changes(plan)["qr_codes.Summer sale"]
    assert gone["action"] == "delete" and gone["before"] == {"Summer sale": "https://wa.me/message/OLDPOSTER00001 (PNG)"}
    apply(capsys, prune, emu)
    assert [q["PrefilledMessage"] for q in settings(emu)["qrdls"]] == [POSTER]
    code, plan, _ = plan_json(capsys, prune, emu)
    assert (code, plan["changes"]) == (0, [])


def test_account_webhook_is_sent_again_only_when_the_yaml_changes(emu: EmulatorHandle, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write_space(tmp_path)
    apply(capsys, path, emu)
    assert plan_json(capsys, path, emu)[0] == 0
    moved = {**SPACE, "account_webhook": {**SPACE["account_webhook"], "queue_delivery": False}}
    _, plan, _ = plan_json(capsys, write_space(tmp_path, moved), emu)
    assert [c["field"] for c in plan["changes"]] == ["account_webhook"]
    assert "last sent" in plan["changes"][0]["reason"]


# --- import round trip ------------------------------------------------------------------------------------

def test_import_round_trip_plans_clean(emu: EmulatorHandle, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    apply(capsys, write_space(tmp_path), emu)
    out_file = tmp_path / "imported" / "retail.yaml"
    out_file.parent.mkdir()
    code, _, err = run(capsys, "import", "--space-id", RETAIL, "--name", "acme-retail", "--out", str(out_file),
                       "--endpoint", emu.url)
    assert code == 0, err
    imported = yaml.safe_load(out_file.read_text())["spaces"][0]
    number = next(n for n in imported["numbers"] if n["phone_number"].lstrip("+") == NUMBER)
    assert number["commerce"] == {"cart_enabled": True, "catalog_visible": True}
    assert number["qr_codes"] == {"codes": [{"message": POSTER, "image": "SVG"}]}
    assert "BEGIN PUBLIC KEY" in number["encryption_key"]["public_key"]
    assert "health" not in number and "account_webhook" not in imported
    others = [n for n in imported["numbers"] if n is not number]
    assert all("commerce" not in n and "automation" not in n for n in others)  # platform defaults: not declared
    code, out, err = run(capsys, "validate", str(out_file))
    assert code == 0, out + err
    code, plan, _ = plan_json(capsys, out_file, emu)
    assert (code, plan["changes"]) == (0, [])


# --- the read-only key ------------------------------------------------------------------------------------

def test_read_only_key_plans_and_cannot_apply(emu: EmulatorHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    state = {**STATE, "keys": [*STATE["keys"], {"access_key_id": "reader", "access_key_secret": "reader-secret",
                                               "actions": ["QueryChatappPhoneNumbers", "GetCustomerAccountInfo",
                                                           "GetCommerceSetting", "GetConversationalAutomation",
                                                           "GetPhoneEncryptionPublicKey", "ListPhoneMessageQrdl",
                                                           "GetWhatsappHealthStatus",
                                                           "GetChatappPhoneNumberSetting"]}]}
    emu.backend.reset(load_state(state))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "reader")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "reader-secret")
    path = write_space(tmp_path)
    code, plan, _ = plan_json(capsys, path, emu)
    assert code == 2 and len(plan["changes"]) == 5
    code, out, err = run(capsys, "apply", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code != 0 and "Ram.PermissionDeny" in out + err and "Traceback" not in err
    assert settings(emu) == {} and "account_webhook" not in emu.backend.snapshot()["spaces"][RETAIL]


# --- offline checks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("block, fragment", [
    ({"automation": {"prompts": ["Hi 👋"]}}, "emoji"),
    ({"automation": {"prompts": ["a", "b", "c", "d", "e"]}}, "at most 4"),
    ({"automation": {"commands": [{"name": "order", "description": "a"}, {"name": "order", "description": "b"}]}},
     "listed twice"),
    ({"encryption_key": {"public_key_file": "keys/missing.pem"}}, "cannot read"),
    ({"encryption_key": {"public_key_file": "keys/weak.pem"}}, "1024-bit"),
    ({"encryption_key": {"public_key_file": "keys/flows.pem", "public_key": "-----BEGIN PUBLIC KEY-----"}},
     "exactly one of"),
    ({"encryption_key": {"public_key": "-----BEGIN PUBLIC KEY-----\n-----BEGIN PRIVATE KEY-----\nAAAA\n"}},
     "private key"),
    ({"qr_codes": {"codes": [{"message": "Hi"}, {"message": " Hi "}]}}, "already codes[0]"),
    ({"qr_codes": {"codes": [{"message": "x" * 141}]}}, ""),
])
def test_validate_refuses_what_the_platform_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    block: dict[str, Any], fragment: str) -> None:
    path = write_space(tmp_path, {"name": "acme-retail", "cust_space_id": RETAIL,
                                  "numbers": [{"phone_number": "+86 138 0000 1234", **block}]})
    shutil.copy(KEYS / "weak-1024.pem", tmp_path / "keys" / "weak.pem")
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1 and "Traceback" not in err
    assert f"{path}:" in out + err and fragment in out + err
    assert "AAAA" not in out + err


# --- the October 2025 platform changes (point 7) ----------------------------------------------------------

def test_portfolio_limit_unknown_values_and_expectations_that_cannot_fire(
        emu: EmulatorHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = emu.backend
    b.set_number_fields(RETAIL, NUMBER, MessagingLimitTier="TIER_2K")
    b.set_number_fields(RETAIL, "8613800001235", MessagingLimitTier="TIER_NOT_SET")
    b.set_number_fields(RETAIL, "8613800001236", MessagingLimitTier="TIER_5K")  # not known to this version
    space = {"name": "acme-retail", "cust_space_id": RETAIL, "unmanaged_numbers": "ignore",
             "portfolio": {"messaging_limit": ["TIER_10K", "TIER_100K"]},
             "numbers": [{"phone_number": "+86 138 0000 1234", "expect": {"messaging_limit_tier": ["TIER_2K"]}},
                         {"phone_number": "+86 138 0000 1235", "expect": {"messaging_limit_tier": ["TIER_10K"]}},
                         {"phone_number": "+86 138 0000 1236", "expect": {"messaging_limit_tier": ["TIER_10K"]}}]}
    path = write_space(tmp_path, space)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 0, out + err  # TIER_2K is a value of the schema now
    code, plan, text = plan_json(capsys, path, emu)
    assert code == 0 and "Traceback" not in text  # report-only findings: apply would write nothing
    found = [c for c in plan["changes"]]
    portfolio = [c for c in found if c["field"] == "portfolio.messaging_limit"]
    assert any("TIER_5K" in c["reason"] and "does not know" in c["reason"] for c in portfolio)
    assert any(c["before"] == "TIER_2K" and "highest tier" in c["reason"] for c in portfolio)
    by_number = {c["phone_number"]: c for c in found if c["field"] == "expect.messaging_limit_tier"}
    assert NUMBER not in by_number  # TIER_2K as expected
    assert "can no longer fire" in by_number["8613800001235"]["reason"]
    assert "does not know" in by_number["8613800001236"]["reason"]


def test_commerce_keeps_the_undeclared_value_it_must_send(emu: EmulatorHandle, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    emu.backend.set_number_settings(RETAIL, NUMBER, "commerce", {"CartEnable": False, "CatalogVisible": False})
    only = {**SPACE, "numbers": [{"phone_number": "+86 138 0000 1234", "commerce": {"catalog_visible": True}}]}
    apply(capsys, write_space(tmp_path, only), emu)
    assert settings(emu)["commerce"] == {"CartEnable": False, "CatalogVisible": True}  # the cart stays off


def test_import_reads_no_expectation(emu: EmulatorHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """import reads what it writes: a key without the health reads imports the space all the same."""
    state = {**STATE, "keys": [*STATE["keys"], {"access_key_id": "importer", "access_key_secret": "i-secret",
                                               "actions": ["QueryChatappPhoneNumbers", "QueryPhoneBusinessProfile",
                                                           "GetCommerceSetting", "GetConversationalAutomation",
                                                           "GetPhoneEncryptionPublicKey", "ListPhoneMessageQrdl",
                                                           "ListChatappTemplate", "GetChatappTemplateDetail",
                                                           "GetWhatsappUserName", "ListFlow", "GetFlow", "GetFlowJSONAssest"]}]}  # usernames, Flows are imported
    emu.backend.reset(load_state(state))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "importer")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "i-secret")
    code, out, err = run(capsys, "import", "--space-id", RETAIL, "--name", "acme-retail", "--endpoint", emu.url)
    assert code == 0, err
    imported = yaml.safe_load(out)["spaces"][0]
    assert not any("health" in n or "marketing" in n for n in imported["numbers"])
