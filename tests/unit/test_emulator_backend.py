"""The backend's action semantics, called directly (no HTTP)."""

from __future__ import annotations

import json

import pytest

from reconciler.emulator import Caller, CamsBackend, EmulatorApiError, load_state

RETAIL = "293483938849001"
TRAVEL = "293483938849002"
DEMO = Caller("demo")
READONLY = Caller("readonly", frozenset({"QueryChatappPhoneNumbers"}))


@pytest.fixture
def backend(example_state_path) -> CamsBackend:
    return CamsBackend(load_state(example_state_path))


def code(fn, *args) -> str:
    with pytest.raises(EmulatorApiError) as info:
        fn(*args)
    return info.value.code


def test_call_checks_permission_and_required_params(backend):
    assert code(backend.call, "UpdatePhoneWebhook", READONLY, {"CustSpaceId": RETAIL}) == "Ram.PermissionDeny"
    assert code(backend.call, "GetCustomerAccountInfo", READONLY, {}) == "NoPermission"
    assert code(backend.call, "QueryPhoneBusinessProfile", DEMO, {"CustSpaceId": RETAIL, "PhoneNumber": ""}) == \
        "MissingParameter"
    assert code(backend.call, "snapshot", DEMO, {}) == "InvalidAction.NotFound"
    assert backend.call("QueryChatappPhoneNumbers", READONLY, {"CustSpaceId": RETAIL})["Code"] == "OK"


def test_profile_update_is_partial_and_websites_is_json(backend):
    params = {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001234", "Websites": json.dumps(["https://x.example"])}
    backend.ModifyPhoneBusinessProfile(DEMO, params)
    data = backend.QueryPhoneBusinessProfile(DEMO, {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001234"})["Data"]
    assert data["Websites"] == ["https://x.example"] and data["About"] == "Acme Retail"
    # A number with no profile yet gets one.
    backend.ModifyPhoneBusinessProfile(DEMO, {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001235", "About": "hi"})
    assert backend.snapshot()["spaces"][RETAIL]["business_profiles"]["8613800001235"] == {"About": "hi"}


@pytest.mark.parametrize(("field", "value"), [
    ("About", "a" * 140), ("About", ""), ("Description", "d" * 513), ("Address", "a" * 257),
    ("Email", "x" * 120 + "@acme.example"), ("Email", "not-an-address"), ("Email", "a@b"),
    ("Websites", json.dumps(["https://a.example", "https://b.example", "https://c.example"])),
    ("Websites", json.dumps(["https://a.example/" + "p" * 240])), ("Websites", json.dumps(["ftp://a.example"])),
    ("Vertical", "ALCOHOL"), ("Vertical", "retail"),
])
def test_profile_limits_are_whatsapps(backend, field, value):
    params = {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001234", field: value}
    assert code(backend.ModifyPhoneBusinessProfile, DEMO, params) == "InvalidParameter"
    assert backend.snapshot()["spaces"][RETAIL]["business_profiles"]["8613800001234"].get(field) != value


@pytest.mark.parametrize(("field", "value"), [
    ("About", "a" * 139), ("Description", "d" * 512), ("Address", "a" * 256), ("Email", "x" * 115 + "@acme.example"),
    ("Email", ""), ("Websites", json.dumps(["https://a.example", "https://b.example/" + "p" * 237])),
    ("Vertical", "NOT_A_BIZ"), ("Vertical", "UNDEFINED"),
])
def test_profile_values_at_whatsapps_limits_are_taken(backend, field, value):
    params = {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001234", field: value}
    backend.ModifyPhoneBusinessProfile(DEMO, params)
    stored = backend.snapshot()["spaces"][RETAIL]["business_profiles"]["8613800001234"][field]
    assert stored == (json.loads(value) if field == "Websites" else value)


def test_webhook_update_leaves_absent_fields(backend):
    backend.UpdatePhoneWebhook(DEMO, {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001235",
                                      "StatusCallbackUrl": "https://n.example/s"})
    entry = backend.snapshot()["spaces"][RETAIL]["phone_numbers"][1]
    assert entry["StatusCallbackUrl"] == "https://n.example/s"
    assert entry["UpCallbackUrl"] == "https://hooks.acme.example/cams/inbound"
    assert code(backend.UpdatePhoneWebhook, DEMO, {"CustSpaceId": RETAIL, "PhoneNumber": "8613800001235",
                                                   "UpCallbackUrl": "ftp://x"}) == "InvalidParameter"


def test_sync_is_idempotent(backend):
    first = backend.ChatappSyncPhoneNumber(DEMO, {"CustSpaceId": RETAIL})["PhoneNumbers"]
    second = backend.ChatappSyncPhoneNumber(DEMO, {"CustSpaceId": RETAIL})["PhoneNumbers"]
    assert first == second and len(first) == 6


def test_migration_state_machine(backend):
    p = {"CustSpaceId": TRAVEL, "PhoneNumber": "8613800009999"}
    assert code(backend.ChatappMigrationVerified, DEMO, {**p, "VerifyCode": "1"}) == "Migration.VerifyCodeError"
    assert code(backend.GetMigrationVerifyCode, DEMO, {**p, "Method": "pigeon"}) == "InvalidParameter"
    backend.ChatappMigrationVerified(DEMO, {**p, "VerifyCode": "828712"})
    snap = backend.snapshot()["spaces"][TRAVEL]
    assert snap["pending_migrations"] == [] and snap["verified_migrations"] == ["8613800009999"]
    migrated = snap["phone_numbers"][-1]
    assert migrated["PhoneNumber"] == "8613800009999" and "VerifyCode" not in migrated
    assert code(backend.ChatappMigrationVerified, DEMO, {**p, "VerifyCode": "828712"}) == "Migration.NotPending"
    assert code(backend.GetMigrationVerifyCode, DEMO, p) == "Migration.NotPending"
    backend.ChatappMigrationRegister(DEMO, p)
    assert backend.snapshot()["spaces"][TRAVEL]["verified_migrations"] == []
    assert code(backend.ChatappMigrationRegister, DEMO, {**p, "PhoneNumber": "1"}) == "Unknown.ResourceOwnerId"


def test_snapshot_round_trips_through_load_state(backend):
    backend.ChatappSyncPhoneNumber(DEMO, {"CustSpaceId": RETAIL})
    snap = backend.snapshot()
    assert load_state(snap) == snap
    snap["spaces"].clear()  # a copy: the backend is unaffected
    assert backend.snapshot()["spaces"]


def test_derived_number_id_is_stable(example_state_path):
    a = CamsBackend(load_state(example_state_path))
    state = load_state(example_state_path)
    state["spaces"][TRAVEL]["pending_migrations"][0].pop("Id")
    b1, b2 = CamsBackend(state), CamsBackend(state)
    p = {"CustSpaceId": TRAVEL, "PhoneNumber": "8613800009999"}
    assert a.GetMigrationVerifyCode(DEMO, p)["Data"]["Id"] == "82828893401"
    assert b1.GetMigrationVerifyCode(DEMO, p)["Data"]["Id"] == b2.GetMigrationVerifyCode(DEMO, p)["Data"]["Id"]


def test_a_state_holds_only_profiles_the_api_could_have_stored(example_state_path):
    import yaml

    from reconciler.emulator import StateFileError

    state = yaml.safe_load(open(example_state_path).read())
    profile = state["spaces"][RETAIL]["business_profiles"]["8613800001234"]
    load_state({**state})  # as it is
    for field, value in (("About", "a" * 140), ("Websites", ["https://a.example"] * 3), ("Email", "nope")):
        bad = {**profile, field: value}
        spaces = {**state["spaces"], RETAIL: {**state["spaces"][RETAIL], "business_profiles": {"8613800001234": bad}}}
        with pytest.raises(StateFileError, match=field):
            load_state({**state, "spaces": spaces})
    # what the platform shows for what nobody set, and a vertical added since, load
    fine = {**profile, "About": "", "Vertical": "ALCOHOL"}
    spaces = {**state["spaces"], RETAIL: {**state["spaces"][RETAIL], "business_profiles": {"8613800001234": fine}}}
    load_state({**state, "spaces": spaces})


def test_a_template_component_field_the_request_model_lacks_is_refused(backend):
    params = {"CustSpaceId": RETAIL, "Name": "at_hq", "Language": "en_US", "Category": "UTILITY",
              "TemplateType": "WHATSAPP"}
    bad = [{"Type": "BODY", "Text": "See you at HQ", "Buttons": [], "Cards": [], "Latitude": "52.5"}]
    with pytest.raises(EmulatorApiError) as info:
        backend.call("CreateChatappTemplate", DEMO, {**params, "Components": json.dumps(bad)})
    assert info.value.code == "InvalidParameter" and "Components[0].Latitude" in info.value.message
    good = [{"Type": "BODY", "Text": "See you at HQ", "Buttons": [], "Cards": []}]  # what the SDK sends
    assert backend.call("CreateChatappTemplate", DEMO, {**params, "Components": json.dumps(good)})["Code"] == "OK"
