"""State-file validation: every mistake is one clear line naming the file, the line and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.emulator import StateFileError, load_state

KEYS = "keys:\n  - {access_key_id: demo, access_key_secret: very-secret-value}\n"


def error_for(tmp_path: Path, text: str) -> str:
    path = tmp_path / "state.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(StateFileError) as info:
        load_state(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert "very-secret-value" not in message and "828712" not in message
    return message.removeprefix(str(path))


def test_example_state_loads(example_state_path):
    state = load_state(example_state_path)
    assert [k["access_key_id"] for k in state["keys"]] == ["demo", "readonly"]
    retail = state["spaces"]["293483938849001"]
    assert len(retail["phone_numbers"]) == 5 and retail["pending_sync"][0]["PhoneNumber"] == "8613800005678"
    assert state["spaces"]["293483938849009"]["subscribed"] is False


def test_dict_input_is_copied_and_normalised():
    raw = {"keys": [{"access_key_id": "a", "access_key_secret": "b"}],
           "spaces": {293483938849001: {"phone_numbers": [{"PhoneNumber": 8613800001234}]}}}
    state = load_state(raw)
    assert state["spaces"]["293483938849001"]["phone_numbers"][0]["PhoneNumber"] == "8613800001234"
    assert state["account"] is None and 293483938849001 in raw["spaces"]  # the caller's dict is untouched


@pytest.mark.parametrize("text, expected", [
    ("keys: [\n", ":2: invalid YAML"),
    ("", ": the state file is empty"),
    ("- a\n- b\n", ": the state must be a mapping"),
    ("keys: []\n", ":1: 'keys' must be a non-empty list"),
    ("keys:\n  - {access_key_id: demo}\n", ":2: 'access_key_secret' is required"),
    (KEYS + "colour: blue\n", ":3: unknown field 'colour'"),
    (KEYS + "keys: []\n", ":3: duplicate key 'keys'"),
    ("keys:\n  - {access_key_id: d, access_key_secret: very-secret-value, actions: [QueryNumbers]}\n",
     ":2: unknown action 'QueryNumbers'"),
    (KEYS + "account: {Mpk: abc}\n", ":3: 'Mpk' must be an integer"),
    (KEYS + "spaces:\n  '1':\n    subscribed: maybe\n", ":5: 'subscribed' must be true or false (spaces.1.subscribed)"),
    (KEYS + "spaces:\n  '1':\n    owner_keys: [ghost]\n", ":5: owner key 'ghost' is not in 'keys'"),
    (KEYS + "spaces:\n  '1':\n    phone_numbers:\n      - {Status: CONNECTED}\n", ":6: 'PhoneNumber' is required"),
    (KEYS + "spaces:\n  '1':\n    phone_numbers:\n      - {PhoneNumber: '1', Statuss: CONNECTED}\n",
     ":6: unknown field 'Statuss'"),
    (KEYS + "spaces:\n  '1':\n    phone_numbers:\n      - {PhoneNumber: '1'}\n    pending_sync:\n"
            "      - {PhoneNumber: '1'}\n", ":8: number 1 is also listed in 'phone_numbers'"),
    (KEYS + "spaces:\n  '1':\n    pending_migrations:\n      - {PhoneNumber: '9', VerifyCode: 828712}\n",
     ":6: 'VerifyCode' must be a quoted string (spaces.1.pending_migrations[0].VerifyCode)"),
    (KEYS + "spaces:\n  '1':\n    pending_migrations:\n      - {PhoneNumber: '9'}\n", ":6: a pending migration needs"),
    (KEYS + "spaces:\n  '1':\n    business_profiles:\n      '5': {About: x}\n", ":6: business profile for 5"),
    (KEYS + "spaces:\n  '1':\n    phone_numbers: [{PhoneNumber: '5'}]\n    business_profiles:\n"
            "      '5': {Websites: https://a.example}\n", ":7: 'Websites' must be a list"),
    (KEYS + "spaces:\n  '1':\n    phone_numbers: [{PhoneNumber: '5', HttpFlag: yes}]\n", ":5: 'HttpFlag' must be"),
])
def test_bad_state_files(tmp_path, text, expected):
    assert expected in error_for(tmp_path, text)


def test_unreadable_file(tmp_path):
    with pytest.raises(StateFileError, match="no such file"):
        load_state(tmp_path / "missing.yaml")
    with pytest.raises(StateFileError, match="cannot read"):
        load_state(tmp_path)  # a directory


def test_dict_errors_name_the_field():
    with pytest.raises(StateFileError, match=r"^<state dict>: 'keys' must be a non-empty list of access keys \(keys\)$"):
        load_state({"keys": "demo"})
