"""``accounts:`` in the desired state: declared in any file, names unique across the repository, each with
one source of credentials; a space's ``account:`` names one. Every problem at its file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import ConfigError, load_desired_state
from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.engine.fingerprint import desired_fingerprint

ACCOUNTS = """\
version: 1
accounts:
  - name: retail
    profile: retail-prod
  - name: travel
    access_key_id_env: TRAVEL_ID
    access_key_secret_env: TRAVEL_SECRET
    security_token_env: TRAVEL_TOKEN
    region: ap-southeast-1
    endpoint: https://cams-vpc.ap-southeast-1.aliyuncs.com
"""
SPACES = """\
version: 1
spaces:
  - name: shop
    account: retail
    cust_space_id: "1"
  - name: trips
    account: travel
    cust_space_id: "2"
  - name: legacy
    cust_space_id: "3"
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems(*paths: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_desired_state(paths)
    return str(info.value).splitlines()


def test_accounts_in_one_file_spaces_in_another(tmp_path):
    state = load_desired_state([write(tmp_path, "accounts.yaml", ACCOUNTS), write(tmp_path, "s.yaml", SPACES)])
    retail, travel = state.accounts
    assert (retail.name, retail.profile, retail.source.line) == ("retail", "retail-prod", 3)
    assert (travel.access_key_id_env, travel.security_token_env, travel.endpoint) == \
        ("TRAVEL_ID", "TRAVEL_TOKEN", "https://cams-vpc.ap-southeast-1.aliyuncs.com")
    assert [s.account for s in state.spaces] == ["retail", "travel", DEFAULT_ACCOUNT]
    assert state.account_names == ("retail", "travel", DEFAULT_ACCOUNT)
    assert state.account("default") is None and state.account("travel") is travel


def test_the_default_account_leaves_fingerprints_as_they_were(tmp_path):
    # A saved plan made before accounts existed must stay fresh: `default` is not part of the content.
    plain = SPACES.replace("    account: retail\n", "").replace("    account: travel\n", "")
    one = load_desired_state([write(tmp_path, "a.yaml", plain)])
    two = load_desired_state([write(tmp_path, "b.yaml", plain.replace('"1"\n', '"1"\n    account: default\n'))])
    assert two.spaces[0].account == DEFAULT_ACCOUNT
    assert desired_fingerprint(one.spaces[:1]) == desired_fingerprint(two.spaces[:1])
    three = load_desired_state([write(tmp_path, "accounts.yaml", ACCOUNTS), write(tmp_path, "c.yaml", SPACES)])
    assert desired_fingerprint(three.spaces[:1]) != desired_fingerprint(one.spaces[:1])  # moving accounts is a change


def test_unknown_account_name(tmp_path):
    a = write(tmp_path, "accounts.yaml", ACCOUNTS)
    s = write(tmp_path, "s.yaml", SPACES.replace("account: travel", "account: travle"))
    assert problems(a, s) == [f"{s}:7:14: error: account 'travle' is not declared (did you mean 'travel'? "
                              "declared: retail, travel; without `account:` a space uses the 'default' account) "
                              "(spaces[1].account)"]
    alone = write(tmp_path, "alone.yaml", SPACES)
    assert problems(alone)[0].startswith(f"{alone}:4:14: error: account 'retail' is not declared (no file "
                                         "declares `accounts:`")


def test_duplicate_account_names_across_files(tmp_path):
    a = write(tmp_path, "a.yaml", ACCOUNTS)
    b = write(tmp_path, "b.yaml", "version: 1\naccounts:\n  - name: travel\n    profile: other\n")
    assert problems(a, b) == [f"{b}:3:11: error: account name 'travel' is already declared at {a}:5:11: "
                              "account names must be unique (accounts[0].name)"]


def test_missing_env_var_names_and_mixed_sources(tmp_path):
    f = write(tmp_path, "a.yaml", """\
version: 1
accounts:
  - name: half
    access_key_id_env: HALF_ID
  - name: other-half
    access_key_secret_env: OTHER_SECRET
  - name: both
    profile: p
    access_key_id_env: BOTH_ID
  - name: nothing
    region: ap-southeast-1
  - name: bad-var
    access_key_id_env: 1ID
    access_key_secret_env: SECRET
""")
    assert problems(f) == [
        f"{f}:4:5: error: account 'half' names `access_key_id_env` but not `access_key_secret_env`: an access "
        "key needs both the id and the secret variable (accounts[0].access_key_secret_env)",
        f"{f}:6:5: error: account 'other-half' names `access_key_secret_env` but not `access_key_id_env`: an "
        "access key needs both the id and the secret variable (accounts[1].access_key_id_env)",
        f"{f}:9:5: error: account 'both' gives both `profile` and `access_key_id_env`: its credentials come "
        "from one place, `profile: NAME` (an aliyun CLI profile in ~/.aliyun/config.json) or "
        "`access_key_id_env` and `access_key_secret_env` (the names of environment variables) "
        "(accounts[2].access_key_id_env)",
        f"{f}:10:5: error: account 'nothing' does not say where its credentials come from: give `profile: NAME` "
        "(an aliyun CLI profile in ~/.aliyun/config.json) or `access_key_id_env` and `access_key_secret_env` "
        "(the names of environment variables) (accounts[3])",
        f"{f}:13:24: error: 'access_key_id_env' is '1ID': it must be the name of an environment variable "
        "(letters, digits and '_', not starting with a digit) (accounts[4].access_key_id_env)",
    ]


def test_a_file_with_neither_spaces_nor_accounts(tmp_path):
    f = write(tmp_path, "a.yaml", "version: 1\n")
    assert problems(f) == [f"{f}:1:1: error: missing required key 'spaces' (a file declares `spaces`, "
                           "`accounts`, or both) (spaces)"]


def test_unknown_key_in_an_account_and_bad_endpoint(tmp_path):
    f = write(tmp_path, "a.yaml", ACCOUNTS.replace("    profile: retail-prod\n",
                                                   "    profil: retail-prod\n    endpoint: ftp://x\n"))
    assert problems(f) == [
        f"{f}:4:5: error: unknown key 'profil': did you mean 'profile'? (accounts[0].profil)",
        f"{f}:5:15: error: 'ftp://x' is not an http(s):// URL (accounts[0].endpoint)",
    ]
