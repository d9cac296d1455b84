"""Apply converges in one run under 20 % injected 5xx, throttling bursts and latency spikes, on a
multi-space scenario of ~50 numbers (webhook updates, profile updates, syncs), and writes nothing the
plan did not call for.

The loop is the GitOps one, through the real CLI in-process against the emulator over loopback HTTP:
``plan --out`` (reviewed) → ``apply --plan`` → ``plan`` again, which must be empty. The emulator's audit log
is the witness: every write it recorded (failed attempts included) matches a change of the reviewed plan
by action, space and number, and every planned write landed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.core.plan import Plan
from reconciler.emulator import EmulatorHandle
from tests.helpers.reliability import AuditReader, emulator_state, number_entry, unplanned_writes

HOOKS = "https://hooks.rel.example"
TOKEN_NEW, TOKEN_OLD = "n3w-t0ken-rel", "0ld-t0ken-rel"
SECRETS = (TOKEN_NEW, TOKEN_OLD, "rel-demo-secret")

SPACES = {  # name → (space id, phone prefix)
    "retail": ("293483938840001", "86138001"),
    "travel": ("293483938840002", "86139002"),
    "support": ("293483938840003", "86137003"),
}
# Per space: how many numbers get each treatment (present & in sync / webhook update / profile update /
# pending sync). 18 + 17 + 15 = 50 numbers.
SHAPE = {"retail": (3, 8, 4, 3), "travel": (2, 7, 5, 3), "support": (5, 5, 3, 2)}


def _status_url(name: str) -> str:
    return f"{HOOKS}/{name}/status" + (f"?token={TOKEN_NEW}" if name == "travel" else "")


def build() -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """(emulator state, YAML text per space, phone numbers per treatment)."""
    spaces: dict[str, Any] = {}
    yaml_files: dict[str, str] = {}
    kinds: dict[str, list[str]] = {"same": [], "webhook": [], "profile": [], "sync": []}
    for name, (space_id, prefix) in SPACES.items():
        status, up = _status_url(name), f"{HOOKS}/{name}/inbound"
        old_status = f"{HOOKS}/{name}/old-status" + (f"?token={TOKEN_OLD}" if name == "travel" else "")
        counts = dict(zip(("same", "webhook", "profile", "sync"), SHAPE[name]))
        present, pending, profiles = [], [], {}
        lines = [f"  - name: {name}", f'    cust_space_id: "{space_id}"', "    unmanaged_numbers: error",
                 "    safety: {max_webhook_update_fraction: 1.0}",
                 "    defaults:", "      webhooks:", f"        status_callback_url: {status}",
                 f"        up_callback_url: {up}", "    numbers:"]
        i = 0
        for kind, count in counts.items():
            for _ in range(count):
                phone = f"{prefix}{i:05d}"
                i += 1
                kinds[kind].append(phone)
                lines.append(f'      - phone_number: "+{phone}"')
                if kind == "sync":
                    pending.append(number_entry(phone, status, up))
                    continue
                present.append(number_entry(phone, old_status if kind == "webhook" else status, up))
                if kind == "profile":
                    profiles[phone] = {"Vertical": "RETAIL", "About": "old about", "Websites": ["https://old.example"]}
                    lines += ["        business_profile:", "          vertical: RETAIL",
                              f"          about: {name} number {phone}",
                              "          websites: [https://rel.example, https://shop.rel.example]"]
        spaces[space_id] = {"subscribed": True, "phone_numbers": present, "business_profiles": profiles,
                            "pending_sync": pending}
        yaml_files[name] = "version: 1\nspaces:\n" + "\n".join(lines) + "\n"
    return emulator_state(spaces, key=("demo", "rel-demo-secret")), yaml_files, kinds


def run_cli(capsys: pytest.CaptureFixture[str], emu: EmulatorHandle, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*argv, "--endpoint", emu.url, "--qps", "100"])
    out, err = capsys.readouterr()
    return code, out, err


def test_apply_converges_in_one_run_under_faults_with_no_unplanned_write(
        emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    state, yaml_files, kinds = build()
    assert sum(len(v) for v in kinds.values()) == 50
    audit_path = tmp_path / "audit.jsonl"
    emu = emulator(state, qps=100, fault_rate=0.2, throttle_rate=0.1, latency_spike_rate=0.05,
                   latency_spike_ms=150, seed=7, audit_log=audit_path)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "rel-demo-secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    spaces_dir = tmp_path / "spaces"
    spaces_dir.mkdir()
    for name, text in yaml_files.items():
        (spaces_dir / f"{name}.yaml").write_text(text)
    audit = AuditReader(audit_path)

    # 1. the reviewed plan, made under the same faults (reads are retried too)
    plan_file = tmp_path / "plan.json"
    code, out, err = run_cli(capsys, emu, "plan", str(spaces_dir), "--out", str(plan_file))
    assert code == 0, err
    plan = Plan.from_dict(json.loads(plan_file.read_text()))
    def planned(action: str, pending: bool = False) -> list[str]:
        return sorted(c.phone_number or "*" for c in plan.changes if c.shown_action == action and c.pending == pending)

    assert len(planned("sync")) == 3
    assert planned("update-webhook") == sorted(kinds["webhook"]) and len(kinds["webhook"]) == 20
    assert planned("update-profile") == sorted(kinds["profile"]) and len(kinds["profile"]) == 12
    # the synced numbers' declared webhooks are planned as pending ("known after apply") updates
    assert planned("update-webhook", pending=True) == sorted(kinds["sync"])
    assert planned("drift") == [] and planned("unmanaged") == []
    assert all(not e.is_write for e in audit.all()), "plan made a write call"

    # 2. apply exactly that plan
    audit.mark()
    results_file = tmp_path / "results.json"
    code, out, err = run_cli(capsys, emu, "apply", "--plan", str(plan_file), str(spaces_dir),
                             "--results", str(results_file))
    assert code == 0, out + err
    results = json.loads(results_file.read_text())
    assert results["status"] == "converged"
    assert results["counts"] == {"done": len(plan.writes), "failed": 0, "skipped": 0}
    assert results["follow_up"] == []

    entries = audit.since_mark()
    # the faults really happened (else this test proves nothing)
    codes = [e.code for e in entries]
    assert {"InternalError", "ServiceUnavailable"} & set(codes), "no 5xx was injected"
    assert "System.LimitControl" in codes, "no throttling burst was injected"
    assert any(e.is_write and e.http_status != 200 for e in entries), "no write was ever refused: weak test"
    # no unplanned write, and every planned write landed once accepted
    assert unplanned_writes(entries, plan) == []
    landed = {(e.action, e.space, e.phone) for e in entries if e.is_write and e.http_status == 200}
    for change in plan.writes:
        if change.pending:  # the synced numbers already had the declared webhooks: nothing to write
            continue
        action = {"sync": "ChatappSyncPhoneNumber", "update-webhook": "UpdatePhoneWebhook",
                  "update-profile": "ModifyPhoneBusinessProfile"}[change.shown_action]
        assert (action, change.cust_space_id, change.phone_number) in landed, change.address

    # 3. the state is what the YAML says, and a second plan (still under faults) is empty
    snapshot = emu.backend.snapshot()["spaces"]
    for name, (space_id, _) in SPACES.items():
        numbers = snapshot[space_id]["phone_numbers"]
        assert len(numbers) == sum(SHAPE[name]) and snapshot[space_id]["pending_sync"] == []
        assert {n["StatusCallbackUrl"] for n in numbers} == {_status_url(name)}
    audit.mark()
    again = tmp_path / "again.json"
    code, out, err = run_cli(capsys, emu, "plan", str(spaces_dir), "--out", str(again), "--detailed-exitcode")
    assert code == 0, out + err
    assert json.loads(again.read_text())["changes"] == []
    assert all(not e.is_write for e in audit.since_mark())

    every_output = out + err + plan_file.read_text() + results_file.read_text() + audit_path.read_text()
    for secret in SECRETS:
        assert secret not in every_output, secret
