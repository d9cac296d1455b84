"""``CAMS_RECONCILER_LOG`` / ``-v``: levels, human and JSON lines, and the log's secret filter."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cli._logging import SecretFilter, level_for, logging_configured, secret_env_values

REPO = Path(__file__).resolve().parents[2]
SPACES = str(REPO / "examples" / "spaces")
STATE = str(REPO / "examples" / "emulator-state.yaml")


@pytest.mark.parametrize(("env", "verbose", "level"), [
    ({}, 0, logging.WARNING), ({"CAMS_RECONCILER_LOG": "debug"}, 0, logging.DEBUG),
    ({"CAMS_RECONCILER_LOG": "INFO"}, 0, logging.INFO), ({"CAMS_RECONCILER_LOG": "warn"}, 0, logging.WARNING),
    ({}, 1, logging.INFO), ({}, 2, logging.DEBUG), ({"CAMS_RECONCILER_LOG": "debug"}, 1, logging.DEBUG),
])
def test_level_is_the_more_talkative_of_env_and_verbose(env, verbose, level) -> None:
    assert level_for(env, verbose) == (level, None)


def test_an_unknown_level_is_said_once_and_logging_stays_at_warn() -> None:
    stream = io.StringIO()
    with logging_configured({"CAMS_RECONCILER_LOG": "loud"}, stream=stream):
        logging.getLogger("reconciler.client").info("hidden")
    assert stream.getvalue().count("CAMS_RECONCILER_LOG='loud' is not one of debug, info, warn") == 1
    assert "hidden" not in stream.getvalue()


@pytest.mark.parametrize(("text", "secret"), [
    ("POST https://h.example/s?token=tkabcdefghQ&v=1 done", "tkabcdefghQ"),  # callback-URL token
    ("url=https://ops:pa55w0rdQ@h.example/x", "pa55w0rdQ"),  # password in userinfo
    ("{'CustSpaceId': '1', 'VerifyCode': 'vc123456Z'}", "vc123456Z"),  # a dict repr
    ('{"VerifyCode": "vc654321Z"}', "vc654321Z"),  # JSON
    ("VerifyCode=vc111111Z&PhoneNumber=1", "vc111111Z"),  # a query string without a scheme
    ("AccessKeySecret: akqwertyuiopZ", "akqwertyuiopZ"),
])
def test_the_filter_masks_what_its_rules_name(text, secret) -> None:
    out = SecretFilter().scrub(text)
    assert secret not in out and "***" in out


def test_the_filter_masks_secret_environment_values_and_structured_fields() -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "akzyxwvutsZ", "CAMS_SECRET_ACME_MIGRATION_CODE": "828712", "HOME": "/root"}
    assert sorted(secret_env_values(env)) == ["828712", "akzyxwvutsZ"]
    record = logging.LogRecord("reconciler.x", logging.INFO, __file__, 1, "sent %s", ("828712 and akzyxwvutsZ",),
                               None)
    record.detail = "code 828712"
    SecretFilter(secret_env_values(env)).filter(record)
    assert record.getMessage() == "sent *** and ***" and record.detail == "code ***"


def test_debug_shows_each_request_and_answer_in_json_lines(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CAMS_RECONCILER_LOG", "debug")
    monkeypatch.setenv("CAMS_RECONCILER_LOG_FORMAT", "json")
    assert main(["plan", SPACES, "--emulator", STATE, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)  # stdout is still the plan alone
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    answers = [line for line in lines if line.get("event") == "response"]
    assert {r["action"] for r in requests} == {"QueryChatappPhoneNumbers", "QueryPhoneBusinessProfile",
                                              "GetCustomerAccountInfo", "ListChatappTemplate",
                                              "GetChatappTemplateDetail",  # and the settings the example declares:
                                              "GetCommerceSetting", "GetConversationalAutomation",
                                              "GetPhoneEncryptionPublicKey", "ListPhoneMessageQrdl",
                                              "GetWhatsappHealthStatus", "GetChatappPhoneNumberSetting"}
    assert len(answers) == len(requests) and all(a["status"] == 200 and a["request_id"] for a in answers)
    assert all(line["level"] == "debug" and line["time"] for line in requests)
    assert "tr4vel-s3cret" not in err  # the example's callback-URL token


def test_verbose_twice_is_debug_in_human_lines(capsys, monkeypatch) -> None:
    monkeypatch.delenv("CAMS_RECONCILER_LOG", raising=False)
    monkeypatch.delenv("CAMS_RECONCILER_LOG_FORMAT", raising=False)
    assert main(["-vv", "plan", SPACES, "--emulator", STATE, "--target", "globex-support"]) == 0
    err = capsys.readouterr().err
    assert any(" debug reconciler.client: QueryChatappPhoneNumbers attempt 1 " in line for line in err.splitlines())
    assert main(["plan", SPACES, "--emulator", STATE, "--target", "globex-support"]) == 0
    assert "attempt 1" not in capsys.readouterr().err  # default: warn
