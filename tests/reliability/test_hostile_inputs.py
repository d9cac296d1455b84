"""Inputs that are data, whoever wrote them: key material pasted into the YAML is never echoed (only its kind
and fingerprint), a ``--changed-since`` value never reaches git as an option, ``import`` never writes a token
it masks, and the emulator refuses a signed request without its nonce (as the cloud requires one)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from alibabacloud_openapi_util.client import Client as OpenApiUtil

from reconciler.cli import main
from tests.helpers.reliability import emulator_state, number_entry

# A body that is base64 of nothing real, long enough to be recognised if any of it is echoed.
_BODY = base64.b64encode(hashlib.sha512(b"not a real key").digest() * 3).decode()
_LINES = "\n".join(_BODY[i:i + 64] for i in range(0, len(_BODY), 64))
#: (block, the key's label): private keys pasted where a public key or a profile text belongs.
KEY_CASES = [
    ("encryption_key:\n          public_key: |\n{pem}", "PRIVATE KEY"),
    ("encryption_key:\n          public_key: |\n{pem}", "RSA PRIVATE KEY"),
    ("encryption_key:\n          public_key: |\n{pem}", "EC PRIVATE KEY"),
    ("encryption_key:\n          public_key: |\n{pem}", "ENCRYPTED PRIVATE KEY"),
    ("business_profile:\n          about: |\n{pem}", "OPENSSH PRIVATE KEY"),
]
#: --changed-since values that git would take for options (or that are no ref at all).
REF_CASES = ["--output={tmp}/pwned", "-p", "--exec=touch {tmp}/pwned", "-", "--all", "--end-of-options", "main\n-x"]
SECRETS = ("hunter2", "frag-token-9", "site-token-7", "pic-token-5", "q-token-3")
#: (callback status URL, a website, the field that must be left out and why) for import --token-env-prefix.
IMPORT_CASES = [
    ("https://user:hunter2@hooks.example/s", None, "webhooks.status_callback_url (userinfo)"),
    ("https://hooks.example/s#frag-token-9", None, "webhooks.status_callback_url (a fragment)"),
    ("https://hooks.example/s", "https://shop.example/?k=site-token-7", "business_profile.websites (query values)"),
    ("https://hooks.example/s", "https://user:pic-token-5@shop.example/", "business_profile.websites (userinfo)"),
]
SPACE_ID = "293400000000955"
PHONE = "8613800003000"


def _yaml(block: str, label: str) -> str:
    pem = f"-----BEGIN {label}-----\n{_LINES}\n-----END {label}-----\n"
    indented = "".join(f"            {line}\n" for line in pem.splitlines())
    return (f"version: 1\nspaces:\n  - name: shop\n    cust_space_id: \"{SPACE_ID}\"\n    numbers:\n"
            f"      - phone_number: \"+{PHONE}\"\n        " + block.format(pem=indented.rstrip("\n")) + "\n")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out + err


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, demo_credentials: None) -> None:
    monkeypatch.delenv("CAMS_RECONCILER_ENV_PREFIX", raising=False)


@pytest.mark.parametrize("block, label", KEY_CASES, ids=[c[1].replace(" ", "-").lower() for c in KEY_CASES])
def test_inline_key_material_is_never_echoed(block: str, label: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(_yaml(block, label), encoding="utf-8")
    code, shown = _run(capsys, "validate", str(path))
    assert code == 1 and re.search(r"shop\.yaml:\d+:\d+: error: ", shown), shown
    if "public_key" in block:  # named by its kind and fingerprint, never its text
        assert label in shown and "fingerprint" in shown, shown
    for i in range(0, len(_BODY) - 12, 12):
        assert _BODY[i:i + 12] not in shown, shown


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "spaces").mkdir(parents=True)
    (repo / "spaces" / "shop.yaml").write_text(
        f"version: 1\nspaces:\n  - name: shop\n    cust_space_id: \"{SPACE_ID}\"\n    numbers: []\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example"}
    for argv in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "spaces"]):
        import subprocess

        subprocess.run(["git", *argv], cwd=repo, check=True, env=env, capture_output=True)
    return repo


@pytest.mark.parametrize("ref", REF_CASES)
def test_a_changed_since_value_is_never_a_git_option(ref: str, tmp_path: Path, emulator: Any,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path)
    value = ref.format(tmp=tmp_path)
    emu = emulator(emulator_state({SPACE_ID: {"phone_numbers": []}}), qps=0)
    code, shown = _run(capsys, "plan", str(repo / "spaces"), f"--changed-since={value}", "--endpoint", emu.url)
    assert code == 1 and "is not a git ref" in shown, shown
    assert not (tmp_path / "pwned").exists() and not list(tmp_path.glob("pwned*"))


def test_an_option_shaped_branch_name_is_still_a_ref(tmp_path: Path, emulator: Any,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The control: refs are passed after --end-of-options, so an ordinary ref still works."""
    repo = _repo(tmp_path)
    emu = emulator(emulator_state({SPACE_ID: {"phone_numbers": []}}), qps=0)
    code, shown = _run(capsys, "plan", str(repo / "spaces"), "--changed-since", "main", "--endpoint", emu.url)
    assert code == 0 and "no space changed since main" in shown, shown


@pytest.mark.parametrize("status_url, website, left_out", IMPORT_CASES,
                         ids=["userinfo", "fragment", "website-query", "website-userinfo"])
def test_import_writes_no_token_it_masks(status_url: str, website: str | None, left_out: str, tmp_path: Path,
                                         emulator: Any, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    entry = number_entry(PHONE, status_url, "https://hooks.example/in?t=q-token-3")
    space: dict[str, Any] = {"phone_numbers": [entry]}
    if website:
        space["business_profiles"] = {PHONE: {"About": "Shop", "Websites": [website]}}
    emu = emulator(emulator_state({SPACE_ID: space}), qps=0)
    out = tmp_path / "spaces" / "shop.yaml"
    out.parent.mkdir()
    code, shown = _run(capsys, "import", "--space-id", SPACE_ID, "--name", "shop", "--out", str(out),
                       "--token-env-prefix", "--endpoint", emu.url)
    assert code == 0, shown
    text = out.read_text()
    for secret in SECRETS:
        assert secret not in text and secret not in shown
    assert f"+{PHONE} {left_out}" in shown, shown
    assert "${env:CAMS_SECRET_T}" in text  # the query token became a reference, with the default prefix
    monkeypatch.setenv("CAMS_SECRET_T", "q-token-3")
    code, shown = _run(capsys, "plan", str(out.parent), "--endpoint", emu.url, "--detailed-exitcode")
    assert code == 0, shown  # what is left out is not managed; the rest matches the space
    assert yaml.safe_load(text)["spaces"][0]["name"] == "shop"


def test_import_refuses_a_prefix_validate_would_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, shown = _run(capsys, "import", "--space-id", SPACE_ID, "--name", "shop", "--token-env-prefix",
                       "ALIBABA_CLOUD_", "--endpoint", "http://127.0.0.1:9")
    assert code == 1 and "CAMS_SECRET_" in shown and "Traceback" not in shown


def _signed_without_nonce(emu: Any) -> tuple[str, dict[str, str]]:
    headers = {"host": emu.url.split("://", 1)[1], "x-acs-action": "QueryChatappPhoneNumbers",
               "x-acs-version": "2020-06-06", "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "x-acs-content-sha256": hashlib.sha256(b"").hexdigest()}
    query = {"CustSpaceId": SPACE_ID}
    request = SimpleNamespace(method="POST", pathname="/", query=query, headers=headers)
    headers["Authorization"] = OpenApiUtil.get_authorization(request, "ACS3-HMAC-SHA256",
                                                             hashlib.sha256(b"").hexdigest(), "demo", "demo-secret")
    return f"{emu.url}/?CustSpaceId={SPACE_ID}", headers


def test_the_emulator_refuses_a_signed_request_without_a_nonce(emulator: Any) -> None:
    emu = emulator(emulator_state({SPACE_ID: {"phone_numbers": []}}), qps=0)
    url, headers = _signed_without_nonce(emu)
    with httpx.Client() as http:
        refused = http.post(url, headers=headers)
        assert (refused.status_code, refused.json()["Code"]) == (400, "IncompleteSignature")
        assert "x-acs-signature-nonce" in refused.json()["Message"]
        # the control: the same request with a nonce (signed too) is answered
        headers = {k: v for k, v in headers.items() if k != "Authorization"}
        headers["x-acs-signature-nonce"] = uuid.uuid4().hex
        request = SimpleNamespace(method="POST", pathname="/", query={"CustSpaceId": SPACE_ID}, headers=headers)
        headers["Authorization"] = OpenApiUtil.get_authorization(
            request, "ACS3-HMAC-SHA256", hashlib.sha256(b"").hexdigest(), "demo", "demo-secret")
        assert http.post(url, headers=headers).json()["Code"] == "OK"
