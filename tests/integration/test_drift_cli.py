"""``cams-reconciler drift``: exit 0 in sync, 2 on any change or finding, 1 on error."""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = REPO / "examples" / "emulator-state.yaml"


def test_drift_exit_codes(capsys, tmp_path):
    assert main(["drift", SPACES, "--emulator", str(STATE)]) == 2
    out = capsys.readouterr().out
    assert "! drift 8613800001237 expect.quality_rating" in out
    assert main(["drift", SPACES, "--emulator", str(STATE), "--target", "globex-support"]) == 0
    assert "Plan: 0 to sync, 0 to verify, 0 webhook updates, 0 profile updates; 0 drift findings." in \
        capsys.readouterr().out


def test_frozen_account_alone_is_drift(capsys, tmp_path):
    state = yaml.safe_load(STATE.read_text())
    state["account"]["HostingStatus"] = "FREEZE"
    frozen = tmp_path / "frozen.yaml"
    frozen.write_text(yaml.safe_dump(state))
    assert main(["drift", SPACES, "--emulator", str(frozen), "--target", "globex-support"]) == 2
    out = capsys.readouterr().out
    assert "Account preflight: frozen" in out


def test_drift_error_exits_1(capsys, tmp_path):
    state = yaml.safe_load(STATE.read_text())
    state["spaces"]["293483938849003"]["subscribed"] = False
    bad = tmp_path / "unsub.yaml"
    bad.write_text(yaml.safe_dump(state))
    assert main(["drift", SPACES, "--emulator", str(bad), "--target", "globex-support"]) == 1
    out, err = capsys.readouterr()  # the space is reported in its place (not a bare error line), then exit 1
    assert "ERROR could not be read: Product.Unsubscript" in out and "Traceback" not in err
