"""``make_plan`` against the emulator over real loopback HTTP, with the example scenario's state, without
the YAML loader (the CLI tests cover YAML → plan). Checks the call contract and every change kind."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.client import CamsClient, Credentials
from reconciler.core.client_errors import NotSubscribedError
from reconciler.core.model import DesiredState, Migration, Number, Space
from reconciler.core.plan import Action, Severity
from reconciler.core.source import Source
from reconciler.engine.errors import TargetError
from reconciler.engine.planner import make_plan
from reconciler.kinds.business_profile import BusinessProfile
from reconciler.kinds.expect import Expect
from reconciler.kinds.queues import Queues
from reconciler.kinds.webhooks import Webhooks

RETAIL_HOOKS = Webhooks("https://hooks.acme.example/cams/status", "https://hooks.acme.example/cams/inbound")


def num(phone: str, line: int, file: str, **kw: Any) -> Number:
    return Number.of(phone, phone, Source(file, line, 5), **kw)


def scenario() -> DesiredState:
    fr, ft = "retail.yaml", "travel.yaml"
    retail = Space("acme-retail", "293483938849001", Source(fr, 1), (
        num("8613800001234", 10, fr, webhooks=RETAIL_HOOKS,
            queues=Queues("Alicom-Queue-1-ChatAppStatus", "Alicom-Queue-1-ChatAppInbound"),
            business_profile=BusinessProfile(vertical="RETAIL", about="Acme Retail",
                                             email="support@acme.example", websites=("https://acme.example",)),
            expect=Expect(status=("CONNECTED",), quality_rating=("GREEN",))),
        num("8613800001235", 20, fr, webhooks=RETAIL_HOOKS),
        num("8613800001236", 30, fr, webhooks=RETAIL_HOOKS, business_profile=BusinessProfile(
            about="Acme Retail, open 9 to 9", websites=("https://acme.example", "https://shop.acme.example"))),
        num("8613800001237", 40, fr, webhooks=RETAIL_HOOKS, expect=Expect(quality_rating=("GREEN",))),
        num("8613800005678", 50, fr, webhooks=RETAIL_HOOKS),
    ), unmanaged_numbers="report")
    travel = Space("acme-travel", "293483938849002", Source(ft, 1), (
        num("6591234567", 10, ft, webhooks=Webhooks(
            "https://hooks.acme.example/travel/status?token=tr4vel-s3cret")),
        num("6591234568", 20, ft, queues=Queues(status_queue="Alicom-Queue-2-ChatAppStatus")),
        num("8613800009999", 30, ft, migration=Migration("CAMS_SECRET_ACME_MIGRATION_CODE")),
    ))
    return DesiredState((retail, travel), (fr, ft))


def plan_with(emu, desired: DesiredState, key: tuple[str, str] | None = None, **kw: Any):
    async def go():
        async with CamsClient(Credentials(*(key or emu.credentials)), endpoint=emu.url, qps=50) as client:
            return await make_plan(client, desired, **kw), client.stats

    return asyncio.run(go())


def test_every_change_kind_and_the_call_contract(emulator):
    emu = emulator(qps=0)
    plan, stats = plan_with(emu, scenario(), env={})
    kinds = {(c.space, c.phone_number, c.action) for c in plan.changes if not c.pending}
    # A number the plan brings in gets its declared webhooks as a pending update ("known after apply").
    assert {(c.space, c.phone_number, c.action) for c in plan.changes if c.pending} == {
        ("acme-retail", "8613800005678", Action.UPDATE)}
    assert kinds == {
        ("acme-retail", None, Action.SYNC),
        ("acme-retail", "8613800001235", Action.UPDATE),
        ("acme-retail", "8613800001236", Action.UPDATE),
        ("acme-retail", "8613800001237", Action.DRIFT),
        ("acme-retail", "8613800001299", Action.UNMANAGED),
        ("acme-travel", "6591234567", Action.UPDATE),
        ("acme-travel", "6591234568", Action.DRIFT),
        ("acme-travel", "8613800009999", Action.VERIFY_MIGRATION),
    }
    # 2 spaces + profiles of the present numbers declaring one (1234, 1236) + 1 preflight; nothing else
    assert plan.calls == {"GetCustomerAccountInfo": 1, "QueryChatappPhoneNumbers": 2,
                          "QueryPhoneBusinessProfile": 2}
    assert {a: s.calls for a, s in stats.actions.items()} == plan.calls
    assert plan.preflight.status == "ok" and "LoginEmail" not in plan.preflight.data
    sync = next(c for c in plan.changes if c.action is Action.SYNC)
    assert sync.after == {"missing": ["8613800005678"]}
    unmanaged = next(c for c in plan.changes if c.action is Action.UNMANAGED)
    assert unmanaged.severity is Severity.NOTICE
    assert "tr4vel-s3cret" not in repr(plan.to_dict()) and "old-token-123" not in repr(plan.to_dict())
    assert len(plan.spaces) == 2 and all(s.actual_fingerprint.startswith("sha256:") for s in plan.spaces)


def test_read_only_key_is_enough_and_the_state_is_untouched(emulator):
    emu = emulator(qps=0)
    before = emu.backend.snapshot()
    plan, _ = plan_with(emu, scenario(), key=("readonly", "readonly-secret"), env={})
    assert plan.count("update-webhook") == 2
    assert emu.backend.snapshot() == before


def test_target_limits_calls_to_that_space(emulator):
    emu = emulator(qps=0)
    plan, _ = plan_with(emu, scenario(), targets=["acme-travel"], env={"CAMS_SECRET_ACME_MIGRATION_CODE": "x"})
    assert {c.space for c in plan.changes} == {"acme-travel"}
    assert plan.calls == {"GetCustomerAccountInfo": 1, "QueryChatappPhoneNumbers": 1}
    with pytest.raises(TargetError, match="no-such.*known: acme-retail, acme-travel"):
        plan_with(emu, scenario(), targets=["no-such"])


def test_frozen_and_no_data_accounts(emulator, example_state):
    example_state["account"]["CreditLimitStatus"] = "Freeze"
    plan, _ = plan_with(emulator(example_state, qps=0), scenario(), env={})
    assert plan.preflight.status == "frozen" and plan.preflight.blocks_apply
    del example_state["account"]  # → VnoNoDataError
    plan, _ = plan_with(emulator(example_state, qps=0), scenario(), env={})
    assert plan.preflight.status == "no-data" and not plan.preflight.blocks_apply


def test_after_converging_the_state_the_plan_is_empty(emulator, example_state):
    """Put the declared values into the emulator state (as apply would) and plan again: no change."""
    desired = scenario()
    retail = example_state["spaces"]["293483938849001"]
    travel = example_state["spaces"]["293483938849002"]
    retail["phone_numbers"][1]["StatusCallbackUrl"] = "https://HOOKS.acme.example/cams/status/"
    retail["business_profiles"]["8613800001236"].update(
        About="Acme Retail, open 9 to 9", Websites=["https://acme.example", "https://shop.acme.example"])
    retail["phone_numbers"][3]["QualityRating"] = "GREEN"
    retail["phone_numbers"] = [n for n in retail["phone_numbers"] if n["PhoneNumber"] != "8613800001299"]
    del retail["business_profiles"]["8613800001299"]
    retail["phone_numbers"].append(retail.pop("pending_sync")[0])
    travel["phone_numbers"][0]["StatusCallbackUrl"] = "https://hooks.acme.example/travel/status?token=tr4vel-s3cret"
    travel["phone_numbers"][1]["StatusQueue"] = "Alicom-Queue-2-ChatAppStatus"
    migrated = travel.pop("pending_migrations")[0]
    migrated.pop("VerifyCode")
    migrated.pop("Id")
    travel["phone_numbers"].append(migrated)
    plan, _ = plan_with(emulator(example_state, qps=0), desired, env={})
    assert plan.changes == ()
    assert not plan.preflight.blocks_apply


def test_an_api_error_fails_only_its_space(emulator, example_state):
    """One unsubscribed space is planned with its error; the others are planned as usual (issue: one
    failing space must not sink the whole plan)."""
    desired = scenario()
    unsub = Space("unsub", "293483938849009", Source("u.yaml", 3), (num("1", 4, "u.yaml"),))
    desired = DesiredState(desired.spaces + (unsub,), desired.files + ("u.yaml",))
    plan, _ = plan_with(emulator(qps=0), desired, env={})
    assert [s.name for s in plan.errors] == ["unsub"]
    failed = plan.errors[0]
    assert failed.error_code == NotSubscribedError.default_code and failed.actual_fingerprint is None
    assert failed.error.startswith("Product.Unsubscript") and failed.line == 3
    assert plan.for_space("unsub") == () and plan.failed
    assert {c.space for c in plan.changes} == {"acme-retail", "acme-travel"}


def test_no_space_means_no_call(emulator):
    plan, stats = plan_with(emulator(qps=0), scenario(), only=set(), env={})
    assert plan.calls == {} and plan.preflight.status == "skipped" and not stats.actions
