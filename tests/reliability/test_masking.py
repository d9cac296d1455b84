"""One masking rule (``reconciler/common/masking.py``, which the emulator's audit log applies too),
property-tested against generated URL shapes over every channel that can carry one:

URL shapes: userinfo (user and password, a user alone), query ``key=value`` pieces, bare pieces (``?SECRET``),
empty values, fragments, percent-encoded and mixed-case keys, tokens holding ``%2F``, ``%26``, ``+`` or
``%3D`` and tokens of 1 to 3 characters, URLs a parser rejects (``http://[bad``), and the whole URL
percent-encoded as a server echoes a request. Channels: ``mask_url`` (plans, validate, the ``--endpoint``
error), ``mask_text`` (messages, Websites), the client's error scrubbing of an echoed request, the client's
debug-log parameters, the emulator's audit-log parameters (Websites too), and the real CLI (validate, plan
in every format, the ``--endpoint`` error).

Tokens always hold an upper-case letter and everything else in a generated URL is lower case, so "the token
does not appear in the output" is a real check even for a one-character token.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.client.actions import ACTIONS
from reconciler.client.client import _secret_values
from reconciler.common.masking import mask_text, mask_url
from reconciler.core.client_errors import scrub
from reconciler.core.redact import mask_params
from reconciler.emulator import audit

LOWER = "abcdefghijklmnopqrstuvwxyz"
_piece = st.sampled_from(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") + ["%2F", "%26", "+", "%3D", "-", "_", "~"])
TOKENS = st.lists(_piece, min_size=1, max_size=12).map("".join).filter(lambda t: any(c.isupper() for c in t)
                                                                          and not t.replace("%2F", "")
                                                                          .replace("%26", "").replace("%3D", "")
                                                                          .isdigit()
                                                                          # a token spelt inside the scheme
                                                                          # ("H" in "HTTPS://") is not a leak
                                                                          and t not in "HTTPS://")
WORDS = st.text(LOWER, min_size=1, max_size=8)


@st.composite
def urls(draw: Any) -> tuple[str, list[str]]:
    """A URL and the tokens planted in it."""
    tokens: list[str] = []
    scheme = draw(st.sampled_from(["https://", "http://", "HTTPS://", ""]))
    userinfo = ""
    shape = draw(st.sampled_from(["none", "password", "user-only"]))
    if shape == "password":
        tokens.append(draw(TOKENS))
        userinfo = f"{draw(WORDS)}:{tokens[-1]}@"
    elif shape == "user-only":
        tokens.append(draw(TOKENS))
        userinfo = f"{tokens[-1]}@"
    host = draw(st.sampled_from([f"{draw(WORDS)}.example", "[bad", "[::1", f"{draw(WORDS)}.example:99999"]))
    path = "/" + "/".join(draw(st.lists(WORDS, max_size=3)))
    pieces = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["pair", "bare", "encoded-key", "empty-value"]))
        token = draw(TOKENS)
        if kind == "pair":
            pieces.append(f"{draw(WORDS)}={token}")
        elif kind == "encoded-key":
            pieces.append(f"%74{draw(WORDS)}={token}")  # %74 = t
        elif kind == "empty-value":
            pieces.append(f"{token}=")
        else:
            pieces.append(token)
        tokens.append(token)
    query = ("?" + "&".join(pieces)) if pieces else ""
    fragment = ""
    if draw(st.booleans()):
        tokens.append(draw(TOKENS))
        fragment = f"#{tokens[-1]}"
    return f"{scheme}{userinfo}{host}{path}{query}{fragment}", tokens


def forms(token: str) -> set[str]:
    """The forms of a token worth checking: as planted, decoded, ``+``-decoded; those holding a capital."""
    found = {token, unquote(token), unquote_plus(token)}
    return {f for f in found if any(c.isupper() for c in f)}


def _escapes_lowered(text: str) -> str:
    """Percent escapes in lower case (``%2F`` → ``%2f``), in the output and in the token alike: their hex
    capitals are not a token's."""
    return re.sub(r"%[0-9A-Fa-f]{2}", lambda m: m.group(0).lower(), text)


def assert_no_token(text: str, tokens: list[str], where: str) -> None:
    seen = _escapes_lowered(text)
    for token in tokens:
        for form in forms(token):
            form = _escapes_lowered(form)
            if any(c.isupper() for c in form):
                assert form not in seen, f"{where}: {form!r} survives in {text!r}"


CASES = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@CASES
@given(urls())
def test_mask_url_hides_every_planted_token(case: tuple[str, list[str]]) -> None:
    url, tokens = case
    masked = mask_url(url) or ""
    assert_no_token(masked, tokens, "mask_url")
    assert mask_url(masked) == masked  # masking is stable: a masked URL is left as it is


@CASES
@given(urls())
def test_urls_inside_text_and_websites_are_masked_in_logs_and_the_audit_log(case: tuple[str, list[str]]) -> None:
    url, tokens = case
    if "://" not in url.lower():
        return  # free text finds URLs by their scheme
    sentence = f"the callback {url} was refused"
    assert_no_token(mask_text(sentence), tokens, "mask_text")
    websites = json.dumps([url, "https://plain.example"])
    for name, masker in (("client debug log", mask_params), ("audit log", audit.mask_params)):
        shown = " ".join(map(str, masker({"UpCallbackUrl": url, "Websites": websites, "PhoneNumber": "861"}).values()))
        assert_no_token(shown, tokens, name)


@CASES
@given(urls())
def test_an_echoed_request_is_scrubbed_from_the_servers_message(case: tuple[str, list[str]]) -> None:
    url, tokens = case
    wire = {"CustSpaceId": "1", "PhoneNumber": "861", "UpCallbackUrl": url, "StatusCallbackUrl": url}
    secrets = _secret_values(ACTIONS["UpdatePhoneWebhook"], wire)
    encoded = quote(url, safe="")
    values = " ".join(f"[{f}]" for t in tokens for f in forms(t))
    message = f"invalid callback url {url}; as sent: {encoded}; values {values}"  # lower case: see the docstring
    assert_no_token(scrub(message, secrets), tokens, "client error")


# -- the real CLI ------------------------------------------------------------------------------------------

SPACE = "293483938800999"
CLI_URLS = {
    "bare query": ("https://hooks.cli.example/in?QQSECRET1", "QQSECRET1"),
    "unparsable with password": ("https://bob:QQSECRET2@[hooks.cli.example/in", "QQSECRET2"),
    "encoded token": ("https://hooks.cli.example/in?token=QQ%2FSE%26CR+ET3", "QQ/SE&CR ET3"),
    "short token": ("https://hooks.cli.example/in?t=QZ", "QZ"),
    "fragment": ("https://hooks.cli.example/in#QQSECRET5", "QQSECRET5"),
    "user only": ("https://QQSECRET6@hooks.cli.example/in", "QQSECRET6"),
}


def _yaml(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "spaces.yaml"
    path.write_text(f"""version: 1
spaces:
  - name: masks
    cust_space_id: "{SPACE}"
    numbers:
      - phone_number: "+8613800900001"
        webhooks:
          status_callback_url: "{url}"
          up_callback_url: "https://hooks.cli.example/up"
        business_profile:
          websites: ["{url}"]
""")
    return path


@pytest.mark.parametrize(("url", "token"), list(CLI_URLS.values()), ids=list(CLI_URLS))
def test_validate_plan_formats_and_the_endpoint_error_never_print_a_planted_token(
        emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        url: str, token: str) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "demo")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "demo-secret")
    monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
    state = {"keys": [{"access_key_id": "demo", "access_key_secret": "demo-secret"}],
             "account": {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw"},
             "spaces": {SPACE: {"subscribed": True, "phone_numbers": [{
                 "PhoneNumber": "8613800900001", "StatusCallbackUrl": url, "UpCallbackUrl": url}],
                 "business_profiles": {"8613800900001": {"Websites": [url]}}}}}
    emu = emulator(state, qps=0, audit_log=tmp_path / "audit.jsonl")
    yaml_path = _yaml(tmp_path, url)
    seen = []
    capsys.readouterr()
    main(["validate", str(yaml_path)])
    seen.append(capsys.readouterr())
    for fmt in ("text", "markdown", "json", "github"):
        main(["plan", str(yaml_path), "--format", fmt, "--endpoint", emu.url, "--out", str(tmp_path / "p.json")])
        seen.append(capsys.readouterr())
    main(["plan", str(yaml_path), "--endpoint", url])
    seen.append(capsys.readouterr())
    files = [tmp_path / "p.json", tmp_path / "audit.jsonl"]  # no plan file when validate rejects the URL
    text = "".join(o + e for o, e in seen) + "".join(f.read_text() for f in files if f.exists())
    assert "Traceback" not in text
    assert token not in text and quote(token, safe="") not in text


def test_a_dropped_client_connection_is_one_log_line(emulator: Any, capfd: pytest.CaptureFixture[str]) -> None:
    emu = emulator(None, latency_ms=300)
    host, port = emu.url.removeprefix("http://").split(":")
    for _ in range(3):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nx-acs-action: QueryChatappPhoneNumbers\r\n\r\n")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        sock.close()
    err = ""
    deadline = time.monotonic() + 60
    while err.count("dropped the connection") < 3 and time.monotonic() < deadline:  # each after its latency
        time.sleep(0.05)
        err += capfd.readouterr().err
    time.sleep(0.3)  # a fourth line, were one to come, would come with the third
    err += capfd.readouterr().err
    assert "Traceback" not in err, err
    assert err.count("dropped the connection") == 3, err
