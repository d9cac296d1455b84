"""The CLI against the emulator when some spaces cannot be read: acme-travel unsubscribed
(``Product.Unsubscript``) and globex-support owned by another key (``Unknown.ResourceOwnerId``).

plan/drift print every other space's changes and both errors, then exit 1; ``--out`` still writes the plan;
``show`` renders it; apply refuses (saved or fresh) with no write in the emulator's audit log; ``--target``
of the healthy space works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.client.actions import ACTIONS

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
SECRETS = ("tr4vel-s3cret", "old-token-123", "828712", "demo-secret")


@pytest.fixture
def cams(emulator, example_state, tmp_path, monkeypatch, demo_credentials):
    """The example emulator with the two failing spaces and an audit log; returns (run, writes)."""
    example_state["spaces"]["293483938849002"]["subscribed"] = False
    example_state["spaces"]["293483938849003"]["owner_keys"] = ["readonly"]
    audit = tmp_path / "audit.jsonl"
    handle = emulator(example_state, audit_log=audit, qps=0)
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")

    class Cams:
        url = handle.url

        def run(self, capsys: Any, *argv: str, url: str | None = None) -> tuple[int, str, str]:
            capsys.readouterr()
            code = main([*argv, "--endpoint", url or handle.url])
            out, err = capsys.readouterr()
            return code, out, err

        def writes(self) -> list[str]:
            lines = audit.read_text().splitlines() if audit.exists() else []
            return [e["action"] for e in map(json.loads, lines) if ACTIONS[e["action"]].is_write]

    return Cams()


def test_plan_shows_the_others_and_both_errors_then_exits_1(cams, capsys):
    code, out, err = cams.run(capsys, "plan", SPACES)
    assert code == 1
    assert "~ update-webhook 8613800001235" in out and "~ update-profile 8613800001236" in out  # acme-retail
    assert "ERROR could not be read: Product.Unsubscript:" in out
    assert "ERROR could not be read: Unknown.ResourceOwnerId:" in out
    assert "Error: 2 spaces could not be read: acme-travel, globex-support" in out
    assert "Traceback" not in err and all(s not in out + err for s in SECRETS)
    code, _, _ = cams.run(capsys, "plan", SPACES, "--detailed-exitcode")
    assert code == 1  # 1 beats 2


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "json"])
def test_drift_reports_everything_and_exits_1_in_every_format(cams, capsys, fmt):
    code, out, err = cams.run(capsys, "drift", SPACES, "--format", fmt)
    assert code == 1
    assert "Product.Unsubscript" in out and "Unknown.ResourceOwnerId" in out and "8613800001237" in out
    if fmt != "text":
        assert "error: 2 spaces could not be read: acme-travel, globex-support" in err
    if fmt == "github":
        assert "::error file=" in out and "acme-travel.yaml,line=" in out


def test_saved_plan_is_written_shown_and_refused_by_apply(cams, capsys, tmp_path):
    saved = tmp_path / "plan.json"
    code, _, _ = cams.run(capsys, "plan", SPACES, "--out", str(saved))
    assert code == 1 and saved.exists()
    spaces = {s["name"]: s for s in json.loads(saved.read_text())["spaces"]}
    assert spaces["acme-travel"]["error_code"] == "Product.Unsubscript"
    assert spaces["acme-travel"]["actual_fingerprint"] is None and spaces["acme-retail"]["error"] is None
    assert main(["show", str(saved), "--format", "markdown"]) == 0
    assert "| ⚠️ acme-travel — could not be read (`Product.Unsubscript`)" in capsys.readouterr().out
    code, out, err = cams.run(capsys, "apply", "--plan", str(saved), SPACES)
    assert code == 1 and cams.writes() == []
    assert f"refusing to apply: the saved plan {saved} has 2 failed read(s)" in err
    assert "plan --target acme-retail --out FILE" in err and "Traceback" not in err


def test_fresh_apply_refuses_before_any_write(cams, capsys):
    code, out, err = cams.run(capsys, "apply", SPACES, "--auto-approve")
    assert code == 1 and cams.writes() == []
    assert "refusing to apply: the plan has 2 failed read(s)" in err and "`apply --target acme-retail`" in err
    assert "update-webhook 8613800001235" in out  # the plan was shown before the refusal


def test_target_of_the_healthy_space_plans_and_applies(cams, capsys):
    code, out, _ = cams.run(capsys, "plan", SPACES, "--target", "acme-retail", "--detailed-exitcode")
    assert code == 2 and "could not be read" not in out
    code, out, err = cams.run(capsys, "apply", SPACES, "--target", "acme-retail", "--auto-approve")
    assert code == 0, err
    assert "UpdatePhoneWebhook" in cams.writes() and "ModifyPhoneBusinessProfile" in cams.writes()


def test_a_space_unreadable_since_the_review_refuses_the_saved_plan(cams, capsys, emulator, tmp_path):
    healthy = emulator(None, qps=0)  # the example state: acme-travel readable when the plan was reviewed
    saved = tmp_path / "plan.json"
    code, _, _ = cams.run(capsys, "plan", SPACES, "--target", "acme-travel", "--out", str(saved), url=healthy.url)
    assert code == 0
    code, _, err = cams.run(capsys, "apply", "--plan", str(saved), SPACES, "--target", "acme-travel")
    assert code == 1 and cams.writes() == []
    assert f"reading the spaces of the saved plan {saved} again found 1 failed read(s)" in err
    assert "Product.Unsubscript" in err
