"""Secrets out of YAML: ``${env:NAME}`` as a callback URL's token (config/env_refs.py), against the emulator.

validate checks the syntax offline; plan resolves it (an unset variable is an error at file:line and field),
compares the resolved URL, shows only the template and a keyed fingerprint (HMAC, key from
CAMS_RECONCILER_FINGERPRINT_KEY), and apply sends the real URL. The token is in no output, plan file or
fingerprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main

NUMBER = "8613800001234"
TEMPLATE = "https://hooks.example/s?token=${env:CAMS_SECRET_SHOP_STATUS_TOKEN}"
TOKEN = "tok-9f8e7d6c5b4a"


def world(tmp: Path, example_state: dict[str, Any], url: str = TEMPLATE, actual: str = "https://hooks.example/s?token=old-0ld") -> tuple[Path, Path]:
    spaces = tmp / "spaces"
    spaces.mkdir(exist_ok=True)
    (spaces / "shop.yaml").write_text(yaml.safe_dump({"version": 1, "spaces": [{
        "name": "shop", "cust_space_id": "900500",
        "numbers": [{"phone_number": NUMBER, "webhooks": {"status_callback_url": url}}]}]}, sort_keys=False))
    state = dict(example_state)
    state["spaces"] = {"900500": {"phone_numbers": [
        {"PhoneNumber": NUMBER, "Status": "CONNECTED", "VerifiedName": "Shop", "StatusCallbackUrl": actual}]}}
    emu = tmp / "emulator.yaml"
    emu.write_text(yaml.safe_dump(state))
    return spaces, emu


def test_plan_resolves_compares_and_shows_only_a_fingerprint(tmp_path, example_state, capsys, monkeypatch) -> None:
    spaces, emu = world(tmp_path, example_state)
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", TOKEN)
    monkeypatch.setenv("CAMS_RECONCILER_FINGERPRINT_KEY", "ci-only-key")
    out_file = tmp_path / "plan.json"
    assert main(["plan", str(spaces), "--emulator", str(emu), "--out", str(out_file), "--detailed-exitcode"]) == 2
    out, err = capsys.readouterr()
    [change] = json.loads(out_file.read_text())["changes"]
    after = change["after"]["status_callback_url"]
    assert after.startswith("https://hooks.example/s?token=${env:CAMS_SECRET_SHOP_STATUS_TOKEN} (fingerprint ")
    before = change["before"]["status_callback_url"]
    assert before.startswith("https://hooks.example/s?token=*** (fingerprint ") and before[-13:] != after[-13:]
    for text in (out, err, out_file.read_text()):
        assert TOKEN not in text and "old-0ld" not in text
    first = after
    # the same token: the same fingerprint; another token: another one (the reviewer sees it changed)
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", TOKEN + "x")
    assert main(["plan", str(spaces), "--emulator", str(emu), "--out", str(out_file)]) == 0
    assert json.loads(out_file.read_text())["changes"][0]["after"]["status_callback_url"] != first
    # another key: another fingerprint, so the digest in a PR comment cannot be tested against guesses
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", TOKEN)
    monkeypatch.setenv("CAMS_RECONCILER_FINGERPRINT_KEY", "another-key")
    assert main(["plan", str(spaces), "--emulator", str(emu), "--out", str(out_file)]) == 0
    assert json.loads(out_file.read_text())["changes"][0]["after"]["status_callback_url"] != first
    # the desired fingerprint holds the reference, not the token: the same with any token
    fp = json.loads(out_file.read_text())["desired_fingerprint"]
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", "something-else")
    assert main(["plan", str(spaces), "--emulator", str(emu), "--out", str(out_file)]) == 0
    assert json.loads(out_file.read_text())["desired_fingerprint"] == fp


def test_in_sync_when_the_resolved_url_matches(tmp_path, example_state, capsys, monkeypatch) -> None:
    spaces, emu = world(tmp_path, example_state, actual=f"https://hooks.example/s?token={TOKEN}")
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", TOKEN)
    assert main(["plan", str(spaces), "--emulator", str(emu), "--detailed-exitcode"]) == 0
    monkeypatch.delenv("CAMS_RECONCILER_FINGERPRINT_KEY", raising=False)
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", "rotated-token")
    assert main(["plan", str(spaces), "--emulator", str(emu), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "(fingerprint: set CAMS_RECONCILER_FINGERPRINT_KEY)" in out and "rotated-token" not in out


def test_apply_sends_the_resolved_url(tmp_path, example_state, emulator, capsys, monkeypatch) -> None:
    spaces, _ = world(tmp_path, example_state)
    state = dict(example_state)
    state["spaces"] = {"900500": {"phone_numbers": [
        {"PhoneNumber": NUMBER, "Status": "CONNECTED", "VerifiedName": "Shop", "StatusCallbackUrl": "https://x.example/"}]}}
    emu = emulator(state, qps=0)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", TOKEN)
    assert main(["apply", str(spaces), "--endpoint", emu.url, "--auto-approve", "-vv"]) == 0
    out, err = capsys.readouterr()
    snapshot = emu.backend.snapshot()
    numbers = snapshot["spaces"]["900500"]["phone_numbers"]
    assert numbers[0]["StatusCallbackUrl"] == f"https://hooks.example/s?token={TOKEN}"
    assert TOKEN not in out + err  # debug logs included


def test_unset_variable_is_an_error_at_its_line(tmp_path, example_state, capsys, monkeypatch) -> None:
    spaces, emu = world(tmp_path, example_state)
    monkeypatch.delenv("CAMS_SECRET_SHOP_STATUS_TOKEN", raising=False)
    assert main(["validate", str(spaces)]) == 0  # offline: the syntax only
    capsys.readouterr()
    assert main(["plan", str(spaces), "--emulator", str(emu)]) == 1
    err = capsys.readouterr().err
    assert "shop.yaml:" in err and "environment variable CAMS_SECRET_SHOP_STATUS_TOKEN is not set" in err
    assert "(spaces[0].numbers[0].webhooks.status_callback_url)" in err and "Traceback" not in err


@pytest.mark.parametrize("url,words", [
    ("https://hooks.example/s?token=${env:1BAD}", "malformed reference"),
    ("https://hooks.example/s?token=${ACME}", "malformed reference"),
    ("https://hooks.example/${env:PATH_SECRET}/s", "only as a query value"),
    ("https://hooks.example/s?token=abc${env:PART}", "only as a whole query value"),
])
def test_validate_checks_the_syntax_offline(tmp_path, example_state, capsys, url, words) -> None:
    spaces, _ = world(tmp_path, example_state, url=url)
    assert main(["validate", str(spaces)]) == 1
    err = capsys.readouterr().err
    assert words in err and "shop.yaml:" in err and "webhooks.status_callback_url" in err


def test_import_writes_references_and_plans_clean(tmp_path, example_state_path, capsys, monkeypatch) -> None:
    """acme-travel's two numbers carry two tokens (6591234567: old-token-123, 6591234568: tr4vel-s3cret)."""
    out = tmp_path / "spaces" / "travel.yaml"
    out.parent.mkdir()
    assert main(["import", "--space-id", "293483938849002", "--name", "travel", "--emulator", str(example_state_path),
                 "--out", str(out), "--token-env-prefix", "CAMS_SECRET_TRAVEL_"]) == 0
    stdout, err = capsys.readouterr()
    text = out.read_text()
    assert "${env:CAMS_SECRET_TRAVEL_TOKEN}" in text and "${env:CAMS_SECRET_TRAVEL_TOKEN_2}" in text
    for secret in ("old-token-123", "tr4vel-s3cret"):
        assert secret not in text + stdout + err
    assert "note: set CAMS_SECRET_TRAVEL_TOKEN to the 'token' value of" in err and "contains URL tokens" not in err
    assert "set CAMS_SECRET_TRAVEL_TOKEN to the 'token' value of +6591234567 webhooks.status_callback_url" in err
    assert "set CAMS_SECRET_TRAVEL_TOKEN_2 to the 'token' value of +6591234568 webhooks.status_callback_url" in err
    tokens = {"CAMS_SECRET_TRAVEL_TOKEN": "old-token-123", "CAMS_SECRET_TRAVEL_TOKEN_2": "tr4vel-s3cret"}  # from the operator's records
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    assert main(["plan", str(out.parent), "--emulator", str(example_state_path), "--detailed-exitcode"]) == 0, \
        capsys.readouterr()


def test_plan_lists_every_unset_variable_before_any_call(tmp_path, example_state, capsys, monkeypatch) -> None:
    """The account webhook's references too: the job that lacks a secret learns all of them at once, and no
    call is made (the emulator's audit log stays empty)."""
    spaces, emu = world(tmp_path, example_state)
    doc = yaml.safe_load((spaces / "shop.yaml").read_text())
    doc["spaces"][0]["account_webhook"] = {"status_callback_url": "https://hooks.example/a?token=${env:CAMS_SECRET_SHOP_ACCOUNT_TOKEN}"}
    (spaces / "shop.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for name in ("CAMS_SECRET_SHOP_STATUS_TOKEN", "CAMS_SECRET_SHOP_ACCOUNT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAMS_RECONCILER_EMULATOR", str(emu))
    assert main(["plan", str(spaces)]) == 1
    out, err = capsys.readouterr()
    assert "CAMS_SECRET_SHOP_STATUS_TOKEN is not set" in err and "CAMS_SECRET_SHOP_ACCOUNT_TOKEN is not set" in err
    assert "(spaces[0].account_webhook.status_callback_url)" in err
    assert out == "" and "Calls:" not in err  # stopped before anything was read
    monkeypatch.setenv("CAMS_SECRET_SHOP_STATUS_TOKEN", TOKEN)
    monkeypatch.setenv("CAMS_SECRET_SHOP_ACCOUNT_TOKEN", "acc-t0ken")
    main(["plan", str(spaces)])
    out, err = capsys.readouterr()
    assert "status_callback_url: \"https://hooks.example/a?token=${env:CAMS_SECRET_SHOP_ACCOUNT_TOKEN} (fingerprint" in out
    main(["apply", str(spaces), "--auto-approve"])
    out, err = capsys.readouterr()
    assert "acc-t0ken" not in out + err and TOKEN not in out + err
