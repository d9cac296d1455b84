"""A plan with every kind of change, for the renderers' and the format registry's tests."""

from __future__ import annotations

from reconciler.core.model import Migration, Number, Space
from reconciler.core.plan import Action, Change, Plan, PlannedSpace, Preflight
from reconciler.core.source import Source
from reconciler.engine.actual import ActualSpace, index_numbers
from reconciler.engine.diff import Context, diff_space
from reconciler.kinds.business_profile import BusinessProfile
from reconciler.kinds.expect import Expect
from reconciler.kinds.queues import Queues
from reconciler.kinds.webhooks import Webhooks

F = "examples/spaces/acme.yaml"
#: the secrets full_plan plants (tokens in the URLs, the migration code in its environment)
PLANTED = ("tr4vel-s3cret", "old-token-123", "828712")
FP = "sha256:" + "0" * 64


def n(phone: str, line: int, **kw) -> Number:
    return Number.of(phone, "+" + phone, Source(F, line, 5),
                  sources={"webhooks.status_callback_url": Source(F, line + 1, 7)}, **kw)


def full_plan(preflight: Preflight = Preflight("ok", "account active"), policy: str = "report") -> Plan:
    """A plan with every kind of change, made by the real diff from planted secrets."""
    numbers = (
        n("1", 10, webhooks=Webhooks(status_callback_url="https://h.example/s?token=tr4vel-s3cret")),
        n("2", 20, business_profile=BusinessProfile(about="Open 9 to 9", websites=("https://a.example",))),
        n("3", 30, queues=Queues(status_queue="Q2"), expect=Expect(quality_rating=("GREEN",))),
        n("4", 40),
        n("5", 50, migration=Migration("CAMS_SECRET_ACME_MIGRATION_CODE")),
        n("6", 60, migration=Migration("CAMS_SECRET_ACME_MIGRATION_CODE")),  # verified earlier, not registered
        n("7", 70),  # held by another managed space
    )
    space = Space("acme", "900", Source(F, 1), numbers, unmanaged_numbers=policy)
    items = [
        {"PhoneNumber": "1", "StatusCallbackUrl": "https://h.example/s?token=old-token-123"},
        {"PhoneNumber": "2"},
        {"PhoneNumber": "3", "StatusQueue": "Q9", "QualityRating": "YELLOW"},
        {"PhoneNumber": "99", "Status": "CONNECTED"},
        {"PhoneNumber": "6", "Status": "PENDING"},  # verified, not registered
    ]
    actual = ActualSpace("900", index_numbers(items), {"business_profile": {"2": {"About": "Closed", "Websites": []}}})
    changes = diff_space(space, actual, context=Context(env={"CAMS_SECRET_ACME_MIGRATION_CODE": "828712"},
                                                        elsewhere={"7": "globex"}))
    # The generic actions of catalogue kinds, for a kind the renderers have never heard of (they read the
    # plan only): a create, an update and a delete of a made-up space-level "greetings" list.
    changes += [Change(Action.CREATE, space.name, space.cust_space_id, None, kind="greetings", field="greetings.morning",
                       before=None, after={"text": "Good morning"}, source=Source(F, 80, 5),
                       reason="declared, not in the space"),
                Change(Action.UPDATE, space.name, space.cust_space_id, None, kind="greetings", field="greetings.evening",
                       before={"text": "Hi"}, after={"text": "Good evening"}, source=Source(F, 82, 5),
                       reason="greeting text differs"),
                Change(Action.DELETE, space.name, space.cust_space_id, None, kind="greetings", field="greetings.night",
                       before={"text": "Bye"}, after=None, source=Source(F, 84, 5),
                       reason="in the space, not declared (prune: true)")]
    clean = PlannedSpace("clean", "901", "examples/spaces/clean.yaml", FP)
    return Plan(tuple(changes), (PlannedSpace("acme", "900", F, FP), clean), FP, preflight,
                {"QueryChatappPhoneNumbers": 2, "QueryPhoneBusinessProfile": 1, "GetCustomerAccountInfo": 1})
