"""One failing space must not sink the whole plan: the engine reads each space on its own, the plan model
carries the failure, every renderer shows it in its place, and apply refuses such a plan.

The client is replaced by a small fake at the API boundary (``ReadClient``), raising the client's real
error classes, so the failure paths run without a network."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.core.client_errors import (
    AuthenticationError,
    ConnectError,
    NotOwnedError,
    NotSubscribedError,
    PermissionDeniedError,
    ServerError,
)
from reconciler.core.model import DesiredState, Number, Space
from reconciler.core.plan import Action, Plan, PlannedSpace, Preflight
from reconciler.core.source import Source
from reconciler.engine.actual import ActualSpace, SpaceReadError, fetch_actual
from reconciler.engine.apply_errors import UnreadSpacesError
from reconciler.engine.planner import make_plan
from reconciler.engine.preflight import run_preflight
from reconciler.engine.safety import check_all_read, check_apply_allowed
from reconciler.engine.staleness import load_saved_plan
from reconciler.kinds.business_profile import BusinessProfile
from reconciler.kinds.webhooks import Webhooks
from reconciler.render import render

HOOKS = Webhooks("https://hooks.example/status", "https://hooks.example/inbound")
FP = "sha256:" + "0" * 64


def space(name: str, sid: str, line: int, *phones: str, profile: bool = False) -> Space:
    numbers = tuple(Number.of(p, p, Source(f"spaces/{name}.yaml", line + 2 + i, 9), webhooks=HOOKS,
                           business_profile=BusinessProfile(about="About") if profile else None)
                    for i, p in enumerate(phones))
    return Space(name, sid, Source(f"spaces/{name}.yaml", line), numbers)


def item(phone: str, status_url: str = "https://hooks.example/status") -> dict[str, Any]:
    return {"PhoneNumber": phone, "Status": "CONNECTED", "QualityRating": "GREEN",
            "StatusCallbackUrl": status_url, "UpCallbackUrl": "https://hooks.example/inbound"}


class FakeCams:
    """The three read calls, answering from dicts; ``fail[(action, space)]`` is raised instead."""

    def __init__(self, numbers: dict[str, list[dict]], fail: dict[tuple[str, str], Exception] | None = None,
                 account: Exception | dict | None = None) -> None:
        self.numbers, self.fail = numbers, fail or {}
        self.account = account if account is not None else {"HostingStatus": "TRUSTEESHIP"}
        self.calls: list[tuple[str, str]] = []

    def _check(self, action: str, sid: str) -> None:
        self.calls.append((action, sid))
        err = self.fail.get((action, sid))
        if err is not None:
            raise err

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict]:
        self._check("QueryChatappPhoneNumbers", cust_space_id)
        return self.numbers.get(cust_space_id, [])

    async def call(self, action: str, params: dict) -> dict:
        self._check(action, params["CustSpaceId"])
        assert action == "QueryPhoneBusinessProfile"
        return {"Code": "OK", "Data": {"About": "About"}}

    async def get_customer_account_info(self) -> dict:
        if isinstance(self.account, Exception):
            raise self.account
        return self.account


def unsubscribed(sid: str) -> NotSubscribedError:
    return NotSubscribedError("You have not subscribed to the specified product.", code="Product.Unsubscript",
                              action="QueryChatappPhoneNumbers", cust_space_id=sid, request_id="RID-1")


GOOD, BAD, PROF = space("good", "1", 1, "111"), space("bad", "2", 5, "222"), space("prof", "3", 9, "333",
                                                                                   profile=True)
DESIRED = DesiredState((GOOD, BAD, PROF), ("spaces/good.yaml", "spaces/bad.yaml", "spaces/prof.yaml"))


def fake(**kw: Any) -> FakeCams:
    return FakeCams({"1": [item("111", "https://old.example/status?token=s3cr3t")], "2": [item("222")],
                     "3": [item("333")]}, **kw)


# -- engine --------------------------------------------------------------------------------------------------

def test_each_space_is_read_on_its_own_numbers_then_profiles():
    cams = fake(fail={("QueryChatappPhoneNumbers", "2"): unsubscribed("2"),
                      ("QueryPhoneBusinessProfile", "3"): ConnectError("connection refused", action="x")})
    done: list[str] = []
    actual = asyncio.run(fetch_actual(cams, DESIRED.spaces, on_space_done=done.append))
    assert isinstance(actual["good"], ActualSpace) and "111" in actual["good"].numbers
    assert actual["bad"] == SpaceReadError("2", str(unsubscribed("2")), "Product.Unsubscript")
    assert isinstance(actual["prof"], SpaceReadError) and actual["prof"].code == "ConnectError"  # profile failed
    assert sorted(done) == ["bad", "good", "prof"]  # progress counts failed spaces too


@pytest.mark.parametrize("err", [PermissionDeniedError("denied"), NotOwnedError("not yours"),
                                 ServerError("boom", attempts=4), ConnectError("refused")])
def test_every_space_level_failure_is_recorded_not_raised(err):
    plan = asyncio.run(make_plan(fake(fail={("QueryChatappPhoneNumbers", "2"): err}), DESIRED, env={}))
    (failed,) = plan.errors
    assert failed.name == "bad" and failed.error == str(err) and failed.error_code == err.code
    assert failed.actual_fingerprint is None and failed.line == 5 and plan.for_space("bad") == ()
    assert plan.failed
    # the healthy spaces are planned as usual
    assert [c.action for c in plan.for_space("good")] == [Action.UPDATE]
    assert next(s for s in plan.spaces if s.name == "good").actual_fingerprint.startswith("sha256:")


def test_a_run_level_failure_still_ends_the_run():
    bad_signature = AuthenticationError("signature mismatch", code="SignatureDoesNotMatch")
    with pytest.raises(AuthenticationError):
        asyncio.run(make_plan(fake(fail={("QueryChatappPhoneNumbers", "2"): bad_signature}), DESIRED, env={}))


def test_a_healthy_plan_is_not_failed():
    plan = asyncio.run(make_plan(fake(), DESIRED, env={}))
    assert plan.errors == () and not plan.failed and all(s.error is None for s in plan.spaces)


def test_preflight_failure_is_recorded_consistently():
    assert asyncio.run(run_preflight(fake(account=PermissionDeniedError(
        "denied", code="NotAuthorized")))).status == "no-data"
    down = ServerError("down", code="ServiceUnavailable", attempts=4)
    pf = asyncio.run(run_preflight(fake(account=down)))  # best-effort: a notice, apply proceeds
    assert pf.status == "unavailable" and not pf.failed and pf.detail == "ServiceUnavailable"
    pf = asyncio.run(run_preflight(fake(account=down), strict=True))  # account_check: strict
    assert pf.status == "error" and pf.failed and "ServiceUnavailable" in pf.detail
    with pytest.raises(AuthenticationError):
        asyncio.run(run_preflight(fake(account=AuthenticationError("bad key"))))
    plan = asyncio.run(make_plan(fake(account=ServerError("down", attempts=4)), DESIRED, env={}))
    assert not plan.failed and plan.preflight.unavailable and plan.for_space("good")
    check_all_read(plan)  # best-effort: an unavailable check does not block
    strict = DesiredState(tuple(replace(s, account_check="strict") for s in DESIRED.spaces), DESIRED.files)
    plan = asyncio.run(make_plan(fake(account=ServerError("down", attempts=4)), strict, env={}))
    assert plan.failed and plan.errors == () and plan.for_space("good")  # the spaces are still planned
    with pytest.raises(UnreadSpacesError, match="account check unavailable: InternalError"):
        check_all_read(plan)


# -- plan model and schema -----------------------------------------------------------------------------------

def failed_plan() -> Plan:
    return asyncio.run(make_plan(fake(fail={("QueryChatappPhoneNumbers", "2"): unsubscribed("2")}), DESIRED,
                                 env={}))


def plan_schema() -> dict:
    return json.loads(resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text())


def test_round_trip_through_json_and_the_schema():
    plan = failed_plan()
    data = json.loads(render(plan, "json"))
    jsonschema.validate(data, plan_schema())
    bad = next(s for s in data["spaces"] if s["name"] == "bad")
    assert bad["actual_fingerprint"] is None and bad["error_code"] == "Product.Unsubscript" and bad["line"] == 5
    assert Plan.from_dict(data) == plan


def test_schema_ties_the_fingerprint_to_the_error():
    data = json.loads(render(failed_plan(), "json"))
    validator = jsonschema.Draft202012Validator(plan_schema())
    ok = next(s for s in data["spaces"] if s["name"] == "good")
    ok["actual_fingerprint"] = None  # read fine but no fingerprint: not a plan this tool writes
    assert list(validator.iter_errors(data))
    data = json.loads(render(failed_plan(), "json"))
    bad = next(s for s in data["spaces"] if s["name"] == "bad")
    bad["actual_fingerprint"] = FP  # errored but claims to have seen the space
    assert list(validator.iter_errors(data))


def test_an_old_saved_plan_without_the_new_keys_still_loads(tmp_path: Path):
    data = json.loads(render(asyncio.run(make_plan(fake(), DESIRED, env={})), "json"))
    for s in data["spaces"]:
        for key in ("error", "error_code", "line"):
            del s[key]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    plan = load_saved_plan(path)
    assert plan.errors == () and all(s.line == 1 and s.actual_fingerprint for s in plan.spaces)


# -- renderers -----------------------------------------------------------------------------------------------

ERROR_TEXT = str(unsubscribed("2"))


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "github"])
def test_every_format_shows_the_error_and_the_other_spaces(fmt):
    out = render(failed_plan(), fmt)
    assert ERROR_TEXT in out  # the whole (secret-free) line, in every format
    assert "111" in out  # the healthy space's change is still there
    assert "s3cr3t" not in out
    if fmt != "json":
        assert "Error: 1 space could not be read: bad" in out


def test_text_shows_the_error_in_the_space_place():
    out = render(failed_plan(), "text")
    block = out.split("Space bad (2) — spaces/bad.yaml\n", 1)[1].split("\n\n", 1)[0]
    assert block == f"  ERROR could not be read: {ERROR_TEXT}"
    assert out.index("Error: 1 space") < out.index("Plan: ")


def test_markdown_marks_the_row_and_details():
    out = render(failed_plan(), "markdown")
    assert "| ⚠️ bad — could not be read (`Product.Unsubscript`) |" in out
    assert "#### ⚠️ bad: could not be read" in out  # open, never collapsed: an error is not a detail
    assert "[spaces/bad.yaml:5](spaces/bad.yaml#L5)" in out
    assert out.count("<details") == out.count("</details>")
    assert "In sync" not in out or "bad" not in out.split("In sync", 1)[1].split("\n", 1)[0]


def test_github_annotates_the_space_line():
    out = render(failed_plan(), "github")
    assert ("::error file=spaces/bad.yaml,line=5,title=cams read failed%3A bad::space bad could not be read: "
            "Product.Unsubscript") in out


def test_markdown_error_text_cannot_inject_markup():
    plan = Plan((), (PlannedSpace("s", "1", "f.yaml", None, error="Code: <img src=x> `x` | y",
                                  error_code="A|B"),), FP, Preflight("ok"))
    out = render(plan, "markdown")
    assert out.count("<img") == 1 and ": ``Code: <img src=x> `x` | y``\n" in out  # only inside a code span
    assert "(`A\\|B`)" in out  # a pipe cannot end the table cell


# -- apply refuses -------------------------------------------------------------------------------------------

def test_apply_refuses_a_plan_with_unread_spaces_and_names_the_way_out():
    plan = failed_plan()
    with pytest.raises(UnreadSpacesError) as exc:
        check_apply_allowed(plan, DESIRED, force=True)
    msg = str(exc.value)
    assert "space bad could not be read (Product.Unsubscript" in msg
    assert "`apply --target good --target prof`" in msg and "--force does not override" in msg
    with pytest.raises(UnreadSpacesError) as exc:
        check_all_read(plan, saved_path="plan.json")
    assert "the saved plan plan.json has 1 failed read(s)" in str(exc.value)
    assert "`plan --target good --target prof --out FILE`" in str(exc.value)
