"""The emulator's account dimension: ``BackendDict[account][region]``, keys and spaces each of one account,
a key asking for another account's space refused as CAMS refuses a space you do not own, and the
``accounts:`` state format beside today's single-account one."""

from __future__ import annotations

import pytest

from reconciler.emulator import CamsBackend, load_state
from reconciler.emulator.errors import EmulatorApiError, StateFileError

ACME, GLOBEX = "293483938849001", "293483938849003"


def code(fn, *args) -> str:
    with pytest.raises(EmulatorApiError) as info:
        fn(*args)
    return info.value.code


def test_a_key_sees_only_its_accounts_spaces(two_account_state):
    backend = CamsBackend(load_state(two_account_state))
    demo, globex = backend.caller("demo"), backend.caller("globex")
    assert (demo.account, globex.account) == ("acme", "globex")
    assert backend.call("QueryChatappPhoneNumbers", globex, {"CustSpaceId": GLOBEX})["PhoneNumbers"]
    # What CAMS answers for a space that is not the caller's (the same as for a space owned by another key).
    assert code(backend.call, "QueryChatappPhoneNumbers", demo, {"CustSpaceId": GLOBEX}) == "Unknown.ResourceOwnerId"
    assert code(backend.call, "QueryChatappPhoneNumbers", globex, {"CustSpaceId": ACME}) == "Unknown.ResourceOwnerId"
    assert code(backend.call, "UpdatePhoneWebhook", demo, {"CustSpaceId": GLOBEX, "PhoneNumber": "14155550123",
                                                         "StatusCallbackUrl": "https://x.example"}) \
        == "Unknown.ResourceOwnerId"
    info = backend.call("GetCustomerAccountInfo", globex, {})["Data"]
    # globex's own account data: no e-mail set (the model's default, ""), acme's not leaked
    assert info["LoginEmail"] == "" and info["HostingStatus"] == "TRUSTEESHIP"
    assert backend.account_of("readonly") == "acme" and backend.account_of("nobody") is None


def test_another_region_of_an_account_is_empty(two_account_state):
    backend = CamsBackend(load_state(two_account_state), region="ap-northeast-1")
    assert backend.call("QueryChatappPhoneNumbers", backend.caller("globex"), {"CustSpaceId": GLOBEX})
    assert set(backend._backends["globex"]) == {"ap-northeast-1"}
    assert backend._backends.at("globex", "eu-central-1")["spaces"] == {}


def test_snapshot_keeps_the_shape_it_was_given(two_account_state, example_state):
    multi = CamsBackend(load_state(two_account_state))
    snap = multi.snapshot()
    assert set(snap) == {"accounts"} and load_state(snap) == snap
    assert set(CamsBackend(load_state(example_state)).snapshot()) == {"keys", "account", "spaces"}


@pytest.mark.parametrize("change, message", [
    (lambda s: s["accounts"]["globex"]["keys"].append({"access_key_id": "demo", "access_key_secret": "x"}),
     "access key 'demo' also belongs to account acme (accounts.globex.keys[1].access_key_id)"),
    (lambda s: s["accounts"]["globex"]["spaces"].update({ACME: {}}),
     f"space {ACME} also belongs to account acme: a space belongs to one account (accounts.globex.spaces.{ACME})"),
    (lambda s: s.update(keys=[]), "'keys' beside 'accounts': a state file lists either one account"),
    (lambda s: s["accounts"]["globex"].update(owner="x"), "unknown field 'owner'"),
    (lambda s: s["accounts"]["globex"].pop("keys"), "'keys' must be a non-empty list of access keys "
                                                   "(accounts.globex.keys)"),
    (lambda s: s.update(accounts={}), "'accounts' must be a non-empty mapping"),
])
def test_bad_accounts_states_are_refused_with_the_field(two_account_state, change, message):
    change(two_account_state)
    with pytest.raises(StateFileError) as info:
        load_state(two_account_state)
    assert message in str(info.value)


def test_a_state_file_reports_the_line_inside_an_account(tmp_path):
    path = tmp_path / "state.yaml"
    path.write_text("accounts:\n  a:\n    keys:\n      - {access_key_id: k, access_key_secret: s}\n"
                    "  b:\n    keys:\n      - {access_key_id: k, access_key_secret: t}\n", encoding="utf-8")
    with pytest.raises(StateFileError) as info:
        load_state(path)
    assert str(info.value) == (f"{path}:7: access key 'k' also belongs to account a "
                               "(accounts.b.keys[0].access_key_id)")
