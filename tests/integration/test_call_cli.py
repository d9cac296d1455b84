"""``cams-reconciler call`` against the emulator: JSON on stdout, one-line errors on stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main

RETAIL, TRAVEL = "293483938849001", "293483938849002"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch, emulator):
    emu = emulator()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.credentials[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.credentials[1])
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    return emu


def test_call_prints_the_response_json(demo_env, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["call", "QueryChatappPhoneNumbers", f"CustSpaceId={RETAIL}", "--endpoint", demo_env.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    body = json.loads(out)
    assert body["Code"] == "OK"
    assert "8613800001234" in {n["PhoneNumber"] for n in body["PhoneNumbers"]}
    assert out.startswith("{\n  ")  # indented


def test_call_masks_callback_url_tokens(demo_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "QueryChatappPhoneNumbers", f"CustSpaceId={TRAVEL}", "--endpoint", demo_env.url]) == 0
    out = capsys.readouterr().out
    assert "old-token-123" not in out and "token=***" in out


def test_call_reads_a_secret_parameter_from_the_environment(demo_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")
    code = main(["call", "ChatappMigrationVerified", f"CustSpaceId={TRAVEL}", "PhoneNumber=8613800009999",
                 "VerifyCode=@env:CAMS_SECRET_ACME_MIGRATION_CODE", "--endpoint", demo_env.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["Data"]["PhoneNumber"] == "8613800009999"
    assert "828712" not in out + err


def test_call_with_the_bundled_emulator_option(example_state_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    assert main(["call", "GetCustomerAccountInfo", "--emulator", str(example_state_path)]) == 0
    assert json.loads(capsys.readouterr().out)["Data"]["CreditLimitStatus"] == "Thaw"


@pytest.mark.parametrize(("argv", "message"), [
    (["call", "DeleteEverything"], "error: unknown action 'DeleteEverything'; known actions: "),
    (["call", "QueryChatappPhoneNumbers", "CustSpaceID=1"], "has no parameter 'CustSpaceID' (did you mean CustSpaceId?); its parameters: "),
    (["call", "QueryPhoneBusinessProfile", "CustSpaceId=1"], "needs PhoneNumber=..."),
    (["call", "QueryChatappPhoneNumbers", "CustSpaceId"], "is not Key=Value"),
    (["call", "GetMigrationVerifyCode", "CustSpaceId=1", "PhoneNumber=8613800009999"],
     "needs Locale=..., Method=..."),
    (["call", "UpdatePhoneWebhook", "CustSpaceId=1", "PhoneNumber=2", "HttpFlag=true"],
     "parameter HttpFlag takes Y or N"),
    (["call", "ModifyPhoneBusinessProfile", "CustSpaceId=1", "PhoneNumber=2", "Websites=https://a.example"],
     "parameter Websites takes a JSON list, and its value is not valid JSON"),
    (["call", "ModifyPhoneBusinessProfile", "CustSpaceId=1", "PhoneNumber=2", 'Websites={"a": 1}'],
     "parameter Websites takes a JSON list, got dict"),
    (["call", "GetCustomerAccountInfo", "--emulator", "/nonexistent/state.yaml"], "/nonexistent/state.yaml"),
])
def test_bad_input_is_one_error_line(argv, message, demo_env, capsys) -> None:
    assert main(argv + (["--endpoint", demo_env.url] if "--emulator" not in argv else [])) == 1
    out, err = capsys.readouterr()
    assert out == "" and message in err and err.count("\n") == 1 and err.startswith("error: ")


def test_permission_error_is_one_line_with_code_and_request_id(demo_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "readonly")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "readonly-secret")
    code = main(["call", "ChatappSyncPhoneNumber", f"CustSpaceId={RETAIL}", "--endpoint", demo_env.url])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: Ram.PermissionDeny: You are not authorized to perform the operation. (request id ")
    assert err.count("\n") == 1


def test_wrong_secret_subprocess_gives_one_line_and_exit_1(emulator) -> None:
    """The real entry point, as a user runs it: no traceback, the secret nowhere in the output."""
    emu = emulator()
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": emu.credentials[0],
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong-secret-value", "PYTHONPATH": str(REPO)}
    env.pop("CAMS_RECONCILER_ENDPOINT", None)
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "call", "QueryChatappPhoneNumbers", f"CustSpaceId={RETAIL}",
         "--endpoint", emu.url],
        capture_output=True, text=True, env=env, timeout=60, cwd=REPO,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: SignatureDoesNotMatch: ") and "(request id " in lines[0]
    assert "Traceback" not in done.stderr and "wrong-secret-value" not in done.stderr


@pytest.mark.parametrize(("argv", "suggestion"), [
    (["call", "querychatappphonenumbers", "CustSpaceId=1"], "(did you mean QueryChatappPhoneNumbers?)"),
    (["call", "QueryChatappPhoneNumber", "CustSpaceId=1"], "(did you mean QueryChatappPhoneNumbers?)"),
    (["call", "QueryChatappPhoneNumbers", "custspaceid=1"], "(did you mean CustSpaceId?)"),
])
def test_a_near_miss_names_what_was_meant(argv, suggestion, demo_env, capsys) -> None:
    assert main(argv + ["--endpoint", demo_env.url]) == 1
    err = capsys.readouterr().err
    assert suggestion in err and err.startswith("error: ") and err.count("\n") == 1


def test_an_over_long_request_is_one_error_line_and_never_sent(demo_env, capsys) -> None:
    """A query string past the request-line limit: refused before sending (the emulator sees nothing)."""
    about = "a" * 70_000
    code = main(["call", "ModifyPhoneBusinessProfile", f"CustSpaceId={RETAIL}", "PhoneNumber=8613800001234",
                 f"About={about}", "--endpoint", demo_env.url])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert "ModifyPhoneBusinessProfile: the request would be 70," in err and "largest parameter, About" in err
    assert "nothing was sent" in err and about not in err
    assert demo_env.backend.snapshot()["spaces"][RETAIL]["business_profiles"]["8613800001234"]["About"] != about


def test_the_emulator_answers_an_over_long_request_line_with_the_clouds_json_error(demo_env) -> None:
    """What a client without that check meets (over a raw socket: httpx itself refuses such a URL): the
    cloud's JSON error shape, not the standard library's HTML page."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(demo_env.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(f"POST /?About={'a' * 70_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414") and b"application/json" in head.lower()
    body = json.loads(payload)
    assert body["Code"] == "RequestURITooLong" and body["RequestId"] and "Recommend" in body
