"""``cams-reconciler drift``: exit 0 in sync, 2 on any change or finding, 1 on error."""

from __future__ import annotations

import json
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
    assert "Drift: none; 1 space matches the YAML." in capsys.readouterr().out.splitlines()


def test_frozen_account_alone_is_drift(capsys, tmp_path):
    state = yaml.safe_load(STATE.read_text())
    state["account"]["HostingStatus"] = "FREEZE"
    frozen = tmp_path / "frozen.yaml"
    frozen.write_text(yaml.safe_dump(state))
    assert main(["drift", SPACES, "--emulator", str(frozen), "--target", "globex-support"]) == 2
    out = capsys.readouterr().out
    assert "Account preflight: frozen" in out
    assert "Drift: the account is frozen." in out.splitlines()  # exit 2, and the summary says why


def test_drift_error_exits_1(capsys, tmp_path):
    state = yaml.safe_load(STATE.read_text())
    state["spaces"]["293483938849003"]["subscribed"] = False
    bad = tmp_path / "unsub.yaml"
    bad.write_text(yaml.safe_dump(state))
    assert main(["drift", SPACES, "--emulator", str(bad), "--target", "globex-support"]) == 1
    out, err = capsys.readouterr()  # the space is reported in its place (not a bare error line), then exit 1
    assert "ERROR could not be read: Product.Unsubscript" in out and "Traceback" not in err


# -- drift speaks drift: its own title and summary in every format, one definition of what counts --------------

def _drift_state(tmp_path: Path, *, webhook_changes: int, unmanaged: int) -> tuple[str, Path]:
    """One space, only drift made in the console: ``webhook_changes`` numbers with another status URL and
    ``unmanaged`` numbers nobody declared."""
    numbers = [f"86138000{i:05d}" for i in range(3)]
    space = {"name": "console", "cust_space_id": "900100", "unmanaged_numbers": "report",
             "numbers": [{"phone_number": n, "webhooks": {"status_callback_url": "https://h.example/s"}}
                         for n in numbers]}
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    (spaces / "console.yaml").write_text(yaml.safe_dump({"version": 1, "spaces": [space]}))
    state = yaml.safe_load(STATE.read_text())
    present = [{"PhoneNumber": n, "Status": "CONNECTED", "VerifiedName": "C", "QualityRating": "GREEN",
                "MessagingLimitTier": "TIER_1K",
                "StatusCallbackUrl": "https://console.example/s" if i < webhook_changes else "https://h.example/s"}
               for i, n in enumerate(numbers)]
    present += [{"PhoneNumber": f"86139000{j:05d}", "Status": "CONNECTED", "VerifiedName": "U"} for j in range(unmanaged)]
    state["spaces"] = {"900100": {"phone_numbers": present}}
    path = tmp_path / "state.yaml"
    path.write_text(yaml.safe_dump(state))
    return str(spaces), path


def test_drift_says_drift_in_every_format_and_counts_as_its_exit_code(capsys, tmp_path):
    spaces, state = _drift_state(tmp_path, webhook_changes=2, unmanaged=1)
    summary = "Drift: 2 webhooks differ from the YAML; 1 unmanaged number."
    outputs = {}
    for fmt in ("text", "markdown", "json", "github"):
        assert main(["drift", spaces, "--emulator", str(state), "--format", fmt]) == 2, fmt
        outputs[fmt] = out = capsys.readouterr().out
        if fmt != "json":  # (json embeds the plan document, whose own summary is the plan's)
            assert "drift findings" not in out and "Plan:" not in out, fmt  # never the plan's wording
    assert outputs["text"].splitlines()[0].startswith("Drift report: 1 space")
    assert summary in outputs["text"].splitlines()
    assert outputs["markdown"].startswith("### cams-reconciler drift\n")
    assert f"**{summary}**" in outputs["markdown"]
    table = [line for line in outputs["markdown"].splitlines() if line.startswith("| ")]
    head = [c.strip() for c in table[0].strip("|").split("|")]
    total = [c.strip(" *") for c in table[-1].strip("|").split("|")]
    assert dict(zip(head, total))["webhook"] == "2" and dict(zip(head, total))["unmanaged"] == "1"
    assert sum(int(n) for n in total[1:]) == 3  # the table counts what the summary counts
    doc = json.loads(outputs["json"])
    assert doc["drift"]["summary"] == summary and doc["drift"]["total"] == 3 and not doc["drift"]["in_sync"]
    assert doc["drift"]["counts"]["webhook"] == 2 and doc["drift"]["counts"]["unmanaged"] == 1
    assert doc["plan"]["format_version"] == 2  # the plan document, as --out saves it
    assert f"::notice title=cams-reconciler drift::{summary}" in outputs["github"].splitlines()


def test_in_sync_drift_says_none_and_exits_0(capsys, tmp_path):
    spaces, state = _drift_state(tmp_path, webhook_changes=0, unmanaged=0)
    for fmt in ("text", "markdown", "json", "github"):
        assert main(["drift", spaces, "--emulator", str(state), "--format", fmt]) == 0
        assert "Drift: none; 1 space matches the YAML." in capsys.readouterr().out
