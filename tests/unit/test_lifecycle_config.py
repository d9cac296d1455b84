"""A number's life in YAML, offline: onboarding, retire, usernames, deregistering unmanaged numbers and its
threshold — the model they build, and every problem reported at once at its file:line (codes never shown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import ConfigError, load_desired_state
from reconciler.core.model import Onboarding

GOOD = """\
version: 1
spaces:
  - name: acme-asia
    cust_space_id: "293483938849001"
    unmanaged_numbers: deregister
    safety: {max_deregister_fraction: 0.2}
    numbers:
      - phone_number: "+65 8111 0042"
        onboarding:
          display_name: Acme Singapore
          method: voice
          verify_code_env: CAMS_SECRET_ACME_SG_CODE
        username: acme.sg
      - phone_number: "+65 9876 0001"
        onboarding: {display_name: Acme Express, verify_code_env: CAMS_SECRET_ACME_EX_CODE,
                     prevalidation_code_env: CAMS_SECRET_ACME_EX_PURCHASE}
        username: {name: acme.express, transfer: true}
      - phone_number: "+86 138 0000 1235"
        retire: true
"""

BAD = """\
version: 1
spaces:
  - name: acme-asia
    cust_space_id: "293483938849001"
    numbers:
      - phone_number: "+65 8111 0043"
        onboarding: {display_name: Acme Two, verify_code_env: "123456", method: fax}
        migration: {verify_code_env: CAMS_SECRET_X}
        username: www.acme..com
      - phone_number: "+86 138 0000 1235"
        retire: true
        webhooks: {status_callback_url: "https://a.example/s"}
      - phone_number: "+86 138 0000 1236"
        onboarding: {display_name: Acme Three, verify_code_env: ACME_CODE}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spaces.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_model_of_a_numbers_life(tmp_path: Path) -> None:
    space = load_desired_state([write(tmp_path, GOOD)], env={}).spaces[0]
    assert space.unmanaged_numbers == "deregister" and space.safety.max_deregister_fraction == 0.2
    new, prevalidated, retired = space.numbers
    assert new.onboarding == Onboarding("Acme Singapore", "CAMS_SECRET_ACME_SG_CODE", method="voice")
    assert prevalidated.onboarding is not None and \
        prevalidated.onboarding.prevalidation_code_env == "CAMS_SECRET_ACME_EX_PURCHASE"
    assert retired.retire and retired.onboarding is None and not new.retire
    assert str(new.source_of("onboarding.verify_code_env")).endswith(":12:28")


def test_every_problem_at_its_line_and_no_code_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_desired_state([write(tmp_path, BAD)], env={})
    text = str(info.value)
    assert "123456" not in text
    lines = text.splitlines()
    expected = [(":7:", "method"), (":7:", "'onboarding' beside 'migration'"),
                (":7:", "'verify_code_env' must name an environment variable"),
                (":9:", "must not contain two periods in a row"), (":9:", "must not start with www"),
                (":12:", "'webhooks' on a number with 'retire: true'"), (":14:", "ACME_CODE")]
    for where, what in expected:
        assert any(where in line and what in line for line in lines), (where, what, text)
