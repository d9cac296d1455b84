"""The diff rules of issue 5, one test per change kind, on model objects and API-shaped dicts (no I/O)."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.core.model import Migration, Number, Space
from reconciler.core.normalize import normalize_phone, normalize_url
from reconciler.core.plan import Action, Severity
from reconciler.core.source import Source
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import diff_space
from reconciler.kinds.business_profile import BusinessProfile
from reconciler.kinds.expect import Expect
from reconciler.kinds.queues import Queues
from reconciler.kinds.webhooks import Webhooks

F = "spaces/s.yaml"
STATUS = "https://hooks.example/status"
UP = "https://hooks.example/inbound"


def number(phone: str, line: int = 10, **kw) -> Number:
    sources = {
        "webhooks.status_callback_url": Source(F, line + 2, 7),
        "webhooks.up_callback_url": Source(F, line + 3, 7),
        "business_profile.about": Source(F, line + 5, 7),
        "business_profile.websites": Source(F, line + 6, 7),
        "queues.status_queue": Source(F, line + 8, 7),
        "expect.quality_rating": Source(F, line + 9, 7),
        "migration.verify_code_env": Source(F, line + 11, 7),
    }
    return Number.of(phone_number=phone, declared_as="+" + phone, source=Source(F, line, 5), sources=sources, **kw)


def space(*numbers: Number, policy: str = "report") -> Space:
    return Space(name="s", cust_space_id="100", source=Source(F, 1, 1), numbers=tuple(numbers),
                 unmanaged_numbers=policy, sources={"unmanaged_numbers": Source(F, 3, 1)})


def item(phone: str, **over) -> dict:
    base = {"PhoneNumber": phone, "StatusCallbackUrl": STATUS, "UpCallbackUrl": UP,
            "StatusQueue": "Alicom-Queue-1-ChatAppStatus", "UpQueue": "Alicom-Queue-1-ChatAppInbound",
            "Status": "CONNECTED", "QualityRating": "GREEN", "MessagingLimitTier": "TIER_10K",
            "CodeVerificationStatus": "VERIFIED", "VerifiedName": "Acme"}
    base.update(over)
    return base


def actual(*items: dict, profiles: dict | None = None) -> ActualSpace:
    return ActualSpace("100", index_numbers(items), {"business_profile": profiles or {}})


HOOKS = Webhooks(status_callback_url=STATUS, up_callback_url=UP)


def test_in_sync_number_gives_no_change():
    n = number("8613800001234", webhooks=HOOKS, queues=Queues("Alicom-Queue-1-ChatAppStatus"),
               business_profile=BusinessProfile(about="Acme", websites=("https://acme.example",)),
               expect=Expect(status=("CONNECTED",), quality_rating=("GREEN",)))
    a = actual(item("8613800001234"),
               profiles={"8613800001234": {"About": "Acme", "Websites": ["https://acme.example"]}})
    assert diff_space(space(n), a, env={}) == []


def test_missing_numbers_make_one_sync_per_space_listing_them():
    a = actual(item("1"))
    s = space(number("1", 10), number("3", 40), number("2", 20))
    changes = diff_space(s, a, env={})
    assert [c.action for c in changes] == [Action.SYNC]
    sync = changes[0]
    assert sync.phone_number is None
    assert sync.after == {"missing": ["2", "3"]}  # ordered by where they are declared
    assert sync.source == Source(F, 20, 5)


def test_missing_number_with_migration_is_verify_not_sync_and_shows_only_whether_env_is_set():
    n = number("8613800009999", migration=Migration("ACME_CODE"))
    s = space(n)
    secret = "828712"
    unset = diff_space(s, actual(), env={})
    with_code = diff_space(s, actual(), env={"ACME_CODE": secret})
    assert [c.action for c in unset] == [Action.VERIFY_MIGRATION]
    assert unset[0].after == {"verify_code_env": "ACME_CODE", "env_set": False}
    assert with_code[0].after == {"verify_code_env": "ACME_CODE", "env_set": True}
    assert with_code[0].source == Source(F, 21, 7)
    assert secret not in repr(with_code) and secret not in str(with_code[0].to_dict())


def test_present_number_with_migration_block_needs_nothing():
    n = number("8613800009999", migration=Migration("ACME_CODE"))
    assert diff_space(space(n), actual(item("8613800009999")), env={}) == []


def test_webhook_differs_gives_update_with_masked_tokens_and_a_reason_when_only_masked_parts_differ():
    declared = Webhooks(status_callback_url="https://h.example/s?token=new-secret", up_callback_url=UP)
    n = number("65", webhooks=declared)
    a = actual(item("65", StatusCallbackUrl="https://h.example/s?token=old-secret"))
    (c,) = diff_space(space(n), a, env={})
    assert c.action is Action.UPDATE
    assert c.field == "webhooks.status_callback_url"
    assert c.before == {"status_callback_url": "https://h.example/s?token=***"}
    assert c.after == {"status_callback_url": "https://h.example/s?token=***"}
    assert "masked" in c.reason
    assert c.source == Source(F, 12, 7)
    text = repr(c) + str(c.to_dict())
    assert "new-secret" not in text and "old-secret" not in text


def test_both_webhooks_differ_is_one_change():
    n = number("1", webhooks=HOOKS)
    a = actual(item("1", StatusCallbackUrl="https://old.example/s", UpCallbackUrl=""))
    (c,) = diff_space(space(n), a, env={})
    assert c.field == "webhooks"
    assert c.before == {"status_callback_url": "https://old.example/s", "up_callback_url": None}
    assert c.after == {"status_callback_url": STATUS, "up_callback_url": UP}


def test_only_the_declared_webhook_is_compared():
    n = number("1", webhooks=Webhooks(status_callback_url=STATUS))
    assert diff_space(space(n), actual(item("1", UpCallbackUrl="https://whatever.example/x")), env={}) == []


@pytest.mark.parametrize("api_value", [
    "HTTPS://Hooks.Example/status", "https://hooks.example/status/", "https://hooks.example:443/status",
    " https://hooks.example/status ",
])
def test_url_normalisation_makes_equivalent_urls_equal(api_value):
    n = number("1", webhooks=HOOKS)
    assert diff_space(space(n), actual(item("1", StatusCallbackUrl=api_value)), env={}) == []


@pytest.mark.parametrize("api_value", [
    "https://hooks.example/Status", "https://hooks.example/status?x=1", "http://hooks.example/status",
    "https://hooks.example:8443/status", "https://other.example/status",
])
def test_meaningful_url_differences_are_kept(api_value):
    n = number("1", webhooks=HOOKS)
    (c,) = diff_space(space(n), actual(item("1", StatusCallbackUrl=api_value)), env={})
    assert c.action is Action.UPDATE


def test_profile_compares_only_declared_fields_and_websites_as_lists():
    declared = BusinessProfile(about="Acme Retail, open 9 to 9",
                               websites=("https://acme.example", "https://shop.acme.example"))
    n = number("1", business_profile=declared)
    data = {"About": "Acme Retail", "Websites": ["https://acme.example"], "Email": "x@y.example",
            "Vertical": "Retail"}
    (c,) = diff_space(space(n), actual(item("1"), profiles={"1": data}), env={})
    assert c.action is Action.UPDATE
    assert c.field == "business_profile"
    assert c.before == {"about": "Acme Retail", "websites": ["https://acme.example"]}
    assert c.after == {"about": "Acme Retail, open 9 to 9",
                       "websites": ["https://acme.example", "https://shop.acme.example"]}
    assert c.source == Source(F, 15, 7)  # the first differing field's line


def test_profile_websites_order_matters_but_trailing_slash_and_enum_case_do_not():
    declared = BusinessProfile(vertical="RETAIL", websites=("https://a.example", "https://b.example"))
    n = number("1", business_profile=declared)
    same = {"Vertical": "Retail", "Websites": ["https://a.example/", "https://B.example"]}
    swapped = {"Vertical": "RETAIL", "Websites": ["https://b.example", "https://a.example"]}
    assert diff_space(space(n), actual(item("1"), profiles={"1": same}), env={}) == []
    (c,) = diff_space(space(n), actual(item("1"), profiles={"1": swapped}), env={})
    assert c.field == "business_profile.websites"


def test_profile_not_read_means_every_declared_field_differs():
    n = number("1", business_profile=BusinessProfile(email="ops@acme.example"))
    (c,) = diff_space(space(n), actual(item("1")), env={})
    assert c.before == {"email": None} and c.after == {"email": "ops@acme.example"}


def test_queue_and_expect_drift_are_report_only_findings():
    n = number("1", queues=Queues(status_queue="Alicom-Queue-2-ChatAppStatus"),
               expect=Expect(quality_rating=("GREEN",), messaging_limit_tier=("TIER_10K", "TIER_100K")))
    a = actual(item("1", StatusQueue="Alicom-Queue-9-ChatAppStatus", QualityRating="yellow"))
    changes = diff_space(space(n), a, env={})
    assert [(c.action, c.field) for c in changes] == [
        (Action.DRIFT, "queues.status_queue"), (Action.DRIFT, "expect.quality_rating")]
    q, e = changes
    assert (q.before, q.after, q.source) == ("Alicom-Queue-9-ChatAppStatus", "Alicom-Queue-2-ChatAppStatus",
                                             Source(F, 18, 7))
    assert (e.before, e.after, e.source) == ("YELLOW", ["GREEN"], Source(F, 19, 7))
    assert not any(c.action.writes for c in changes)


@pytest.mark.parametrize("policy, expected", [
    ("report", [Severity.NOTICE]), ("error", [Severity.ERROR]), ("ignore", []),
])
def test_unmanaged_numbers_follow_the_policy(policy, expected):
    a = actual(item("1"), item("+86 138 0000 1299"))
    changes = diff_space(space(number("1"), policy=policy), a, env={})
    assert [c.severity for c in changes] == expected
    for c in changes:
        assert c.action is Action.UNMANAGED and c.phone_number == "8613800001299"
        assert c.source == Source(F, 3, 1)


def test_api_number_formats_are_normalised():
    assert normalize_phone("+86 138-0000-1234") == "8613800001234"
    assert normalize_phone("008613800001234") == "8613800001234"
    assert normalize_phone("not-a-number x") == "not-a-number x"
    n = number("8613800001234", webhooks=HOOKS)
    assert diff_space(space(n), actual(item("+8613800001234")), env={}) == []


def test_normalize_url_keeps_query_and_drops_default_port():
    assert normalize_url("HTTP://A.Example:80/x/?t=1") == "http://a.example/x?t=1"
    assert normalize_url("") is None and normalize_url(None) is None


def test_plan_after_apply_equivalent_state_is_empty():
    """Write what apply would write (declared values, as the API stores them) and diff again: nothing."""
    n1 = number("1", webhooks=Webhooks(status_callback_url="https://H.example/s/?token=abc"),
                business_profile=BusinessProfile(about="A", websites=("https://w.example",), vertical="HOTEL"))
    n2 = number("2", line=40, webhooks=HOOKS)
    s = space(n1, n2)
    before = actual(item("1", StatusCallbackUrl="https://old.example"), item("2", UpCallbackUrl=""),
                    profiles={"1": {"About": "B"}})
    changes = diff_space(s, before, env={})
    assert {c.action for c in changes} == {Action.UPDATE, Action.UPDATE}
    # Emulate apply: UpdatePhoneWebhook with the declared URL (undeclared one kept), profile fields set.
    applied = actual(
        item("1", StatusCallbackUrl=n1.block("webhooks").status_callback_url),
        item("2", StatusCallbackUrl=n2.block("webhooks").status_callback_url, UpCallbackUrl=n2.block("webhooks").up_callback_url),
        profiles={"1": {"About": "A", "Websites": ["https://w.example"], "Vertical": "HOTEL"}})
    assert diff_space(s, applied, env={}) == []


def test_actual_space_repr_and_fingerprint_hide_values_and_track_changes():
    a = actual(item("1", StatusCallbackUrl="https://h.example/?token=s3cret"))
    b = actual(item("1", StatusCallbackUrl="https://h.example/?token=other"))
    assert "s3cret" not in repr(a)
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == actual(item("1", StatusCallbackUrl="https://h.example/?token=s3cret")).fingerprint()
    assert a.fingerprint().startswith("sha256:") and "s3cret" not in a.fingerprint()


def test_changes_are_frozen_and_json_ready():
    import json
    n = number("1", webhooks=HOOKS, expect=Expect(status=("CONNECTED",)))
    changes = diff_space(space(n), actual(item("1", Status="FLAGGED", StatusCallbackUrl="")), env={})
    for c in changes:
        json.dumps(c.to_dict())
        with pytest.raises(dataclasses.FrozenInstanceError):
            c.before = None  # type: ignore[misc]


# -- property: whatever is declared, the state apply would leave behind diffs to nothing ----------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

_hosts = st.sampled_from(["hooks.example", "Hooks.Example", "a.b.example"])
_paths = st.sampled_from(["", "/", "/s", "/S/x/", "/cams/status"])
_queries = st.sampled_from(["", "?token=abc", "?a=1&b=2"])
_urls = st.builds(lambda h, p, q: f"https://{h}{p}{q}", _hosts, _paths, _queries)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20).filter(lambda t: t.strip())


@st.composite
def declared_numbers(draw) -> Number:
    phone = draw(st.from_regex(r"[1-9][0-9]{7,12}", fullmatch=True))
    hooks = draw(st.none() | st.builds(Webhooks, st.none() | _urls, st.none() | _urls))
    profile = draw(st.none() | st.builds(
        BusinessProfile, vertical=st.none() | st.sampled_from(["RETAIL", "HOTEL"]), about=st.none() | _text,
        email=st.none() | st.sampled_from(["ops@Acme.example", "x@y.example"]),
        websites=st.none() | st.lists(_urls, max_size=3).map(tuple)))
    return number(phone, webhooks=hooks, business_profile=profile)


def _as_api_stores_it(n: Number, old: dict) -> tuple[dict, dict]:
    """What CAMS holds after apply wrote the declared values (undeclared ones keep their old value)."""
    it = dict(old)
    if n.block("webhooks") is not None:
        for model_field, api_field in (("status_callback_url", "StatusCallbackUrl"),
                                       ("up_callback_url", "UpCallbackUrl")):
            if getattr(n.block("webhooks"), model_field) is not None:
                it[api_field] = getattr(n.block("webhooks"), model_field)
    prof: dict = {"About": "old", "Websites": ["https://old.example"]}
    if n.block("business_profile") is not None:
        p = n.block("business_profile")
        for model_field, api_field in (("vertical", "Vertical"), ("about", "About"), ("email", "Email")):
            if getattr(p, model_field) is not None:
                prof[api_field] = getattr(p, model_field)
        if p.websites is not None:
            prof["Websites"] = list(p.websites)
    return it, prof


@settings(max_examples=150, deadline=None)
@given(st.lists(declared_numbers(), min_size=1, max_size=5, unique_by=lambda n: n.phone_number))
def test_property_plan_after_apply_is_empty(numbers):
    s = space(*numbers, policy="error")
    items, profiles = [], {}
    for n in numbers:
        it, prof = _as_api_stores_it(n, item(n.phone_number, StatusCallbackUrl="https://old.example/s"))
        items.append(it)
        profiles[n.phone_number] = prof
    assert diff_space(s, actual(*items, profiles=profiles), env={}) == []
