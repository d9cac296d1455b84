"""Credentials the Alibaba Cloud way: ``~/.aliyun/config.json`` profiles (HOME pointed at a temporary one),
``ALIBABA_CLOUD_PROFILE``, a declared account's environment variables, and the ``CAMS_RECONCILER_*``
defaults of the connection options."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from reconciler.cli._client_options import ClientSettings
from reconciler.client.credentials import (
    Credentials,
    ProfileCredentialsProvider,
    account_credentials,
    resolve_credentials,
)
from reconciler.core.client_errors import ClientConfigError, CredentialsError
from reconciler.core.model import Account
from reconciler.core.source import Source

PROFILES = {
    "current": "prod",
    "profiles": [
        {"name": "prod", "mode": "AK", "access_key_id": "AKPROD", "access_key_secret": "prod-s3cret",
         "region_id": "cn-hangzhou"},
        {"name": "temp", "mode": "StsToken", "access_key_id": "STS.KEY", "access_key_secret": "sts-s3cret",
         "sts_token": "tok-s3cret"},
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "AKROLE", "access_key_secret": "role-s3cret",
         "ram_role_arn": "acs:ram::123:role/cams", "ram_session_name": "cams"},
        {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "cams-role"},
        {"name": "oidc", "mode": "OIDC", "ram_role_arn": "acs:ram::123:role/ci",
         "oidc_provider_arn": "acs:ram::123:oidc-provider/gh", "oidc_token_file": "/tmp/token"},
        {"name": "odd", "mode": "Telepathy"},
    ],
}
CLEAN_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
             "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_REGION_ID", "CAMS_RECONCILER_REGION", "CAMS_RECONCILER_QPS",
             "CAMS_RECONCILER_ENDPOINT", "CAMS_RECONCILER_EMULATOR")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """HOME with ~/.aliyun/config.json holding ``PROFILES``; no credentials in the environment."""
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text(json.dumps(PROFILES), encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def creds(provider) -> Credentials:
    return asyncio.run(provider.get())


def test_ak_and_sts_profiles_are_read_by_the_official_library(home):
    assert creds(ProfileCredentialsProvider("prod")) == Credentials("AKPROD", "prod-s3cret")
    got = creds(ProfileCredentialsProvider("temp"))
    assert (got.access_key_id, got.access_key_secret, got.security_token) == ("STS.KEY", "sts-s3cret", "tok-s3cret")


@pytest.mark.parametrize("name, mode", [("role", "RamRoleArn"), ("ecs", "EcsRamRole"), ("oidc", "OIDC")])
def test_role_modes_are_accepted_and_handed_to_the_library(home, name, mode):
    from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider

    provider = ProfileCredentialsProvider(name)
    assert provider.check() == mode
    assert isinstance(provider._provider(), CLIProfileCredentialsProvider)  # no network until a request


def test_profile_problems_are_one_clear_line(home, tmp_path):
    with pytest.raises(CredentialsError, match=r"--profile: profile 'prdo': no such profile in .*config\.json "
                                               r"\(profiles there: ecs, odd, oidc, prod, role, temp\)"):
        creds(ProfileCredentialsProvider("prdo"))
    with pytest.raises(CredentialsError, match=r"mode 'Telepathy' is not supported \(supported: AK, StsToken, "
                                               r"RamRoleArn, EcsRamRole, OIDC"):
        creds(ProfileCredentialsProvider("odd"))
    (home / ".aliyun" / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CredentialsError, match="is not valid JSON"):
        creds(ProfileCredentialsProvider("prod"))
    (home / ".aliyun" / "config.json").unlink()
    with pytest.raises(CredentialsError, match=r"does not exist \(create the profile with `aliyun configure "
                                               r"--profile prod`\)"):
        creds(ProfileCredentialsProvider("prod"))


def test_a_profile_that_yields_nothing_never_shows_the_librarys_text(home):
    # EcsRamRole needs the metadata server; none here. One line, no traceback, nothing of the file.
    provider = ProfileCredentialsProvider("oidc")  # the token file does not exist: fails without network
    with pytest.raises(CredentialsError) as info:
        creds(provider)
    assert str(info.value).startswith("--profile: profile 'oidc': the profile yielded no credentials (")
    assert "s3cret" not in str(info.value)


def test_the_ambient_order_is_flag_then_key_variables_then_alibaba_cloud_profile(home, monkeypatch):
    env = {"ALIBABA_CLOUD_PROFILE": "temp"}
    assert creds(resolve_credentials(env)).access_key_id == "STS.KEY"
    env.update(ALIBABA_CLOUD_ACCESS_KEY_ID="AKENV", ALIBABA_CLOUD_ACCESS_KEY_SECRET="env-s3cret")
    assert creds(resolve_credentials(env)).access_key_id == "AKENV"  # the standard chain: keys first
    assert creds(resolve_credentials(env, profile="prod")).access_key_id == "AKPROD"  # an explicit flag wins


def _account(**fields) -> Account:
    return Account(name="travel", source=Source("accounts.yaml", 3, 5), **fields)


def test_an_account_reads_the_variables_it_names_and_names_the_one_missing():
    account = _account(access_key_id_env="T_ID", access_key_secret_env="T_SECRET", security_token_env="T_TOKEN")
    got = account_credentials(account, {"T_ID": "AKT", "T_SECRET": "t-s3cret", "T_TOKEN": "t-tok"})
    assert (got.access_key_id, got.security_token) == ("AKT", "t-tok")
    with pytest.raises(CredentialsError) as info:
        account_credentials(account, {"T_ID": "AKT", "T_SECRET": "t-s3cret"})
    assert str(info.value) == ("account 'travel': the environment variable T_TOKEN (its security token) is "
                               "not set")
    assert isinstance(account_credentials(_account(profile="prod"), {}), ProfileCredentialsProvider)


def test_an_accounts_profile_error_names_the_account(home):
    with pytest.raises(CredentialsError, match=r"^account 'travel': profile 'nope': no such profile"):
        creds(account_credentials(_account(profile="nope")))


def _args(**given) -> argparse.Namespace:
    return argparse.Namespace(**{"profile": None, "endpoint": None, "emulator": None, "region": None,
                                 "qps": None, **given})


def test_connection_options_default_from_the_environment():
    assert ClientSettings.from_args(_args(), {}).qps == 10.0
    env = {"CAMS_RECONCILER_QPS": "4", "CAMS_RECONCILER_REGION": "ap-southeast-5",
           "ALIBABA_CLOUD_REGION_ID": "cn-hangzhou", "CAMS_RECONCILER_EMULATOR": "state.yaml"}
    settings = ClientSettings.from_args(_args(), env)
    assert (settings.qps, settings.region_for(None), settings.emulator) == (4.0, "ap-southeast-5", "state.yaml")
    assert ClientSettings.from_args(_args(), {"ALIBABA_CLOUD_REGION_ID": "cn-hangzhou"}).region_for(None) \
        == "cn-hangzhou"
    flags = ClientSettings.from_args(_args(qps=2.0, region="ap-northeast-1", endpoint="http://x"), env)
    assert (flags.qps, flags.region_for(None), flags.emulator) == (2.0, "ap-northeast-1", None)
    with pytest.raises(ClientConfigError, match="environment variable CAMS_RECONCILER_QPS: expected a positive "
                                                "number from 0.1 to 10000, got '-3'"):
        ClientSettings.from_args(_args(), {"CAMS_RECONCILER_QPS": "-3"})
    with pytest.raises(ClientConfigError, match=r"invalid region 'Singapore'.* \(from the environment variable "
                                                r"ALIBABA_CLOUD_REGION_ID\)"):
        ClientSettings.from_args(_args(), {"ALIBABA_CLOUD_REGION_ID": "Singapore"})


def test_an_accounts_own_region_and_endpoint_beat_the_environment_not_the_flags():
    account = _account(profile="p", region="ap-southeast-5", endpoint="https://vpc.example")
    env = {"CAMS_RECONCILER_REGION": "ap-northeast-1"}
    settings = ClientSettings.from_args(_args(), env)
    assert (settings.region_for(account), settings.endpoint_for(account)) == ("ap-southeast-5", "https://vpc.example")
    flags = ClientSettings.from_args(_args(region="eu-central-1", endpoint="http://127.0.0.1:1"), env)
    assert (flags.region_for(account), flags.endpoint_for(account)) == ("eu-central-1", "http://127.0.0.1:1")


