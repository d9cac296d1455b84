"""Random desired and actual states for the property tests (hypothesis): a ``Scenario`` is a model-level
``DesiredState`` and an emulator state consistent enough to be applicable, with secrets planted wherever the
input can hold one (tokens in callback URLs, verify codes in the environment, the access key secret).
tests/reliability/test_properties.py says what each part is for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from reconciler.core.model import DesiredState, Migration, Number, Space
from reconciler.core.source import Source
from reconciler.kinds.business_profile import BusinessProfile
from reconciler.kinds.expect import Expect
from reconciler.kinds.queues import Queues
from reconciler.kinds.webhooks import Webhooks
from tests.helpers.reliability import emulator_state, number_entry

KEY_ID = "prop"
SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

VERTICALS = ("RETAIL", "TRAVEL", "HOTEL", "OTHER", "FINANCE")
STATUSES = ("CONNECTED", "PENDING", "FLAGGED")
RATINGS = ("GREEN", "YELLOW", "RED")
TIERS = ("TIER_1K", "TIER_10K", "TIER_UNLIMITED")
QUEUES = ("Alicom-Queue-1-ChatAppStatus", "Alicom-Queue-2-ChatAppStatus")


# -- strategies ---------------------------------------------------------------------------------------------

# Secrets: distinctive, so that finding one in an output is a leak and never a coincidence.
tokens = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=12).map(lambda t: f"tk{t}Q")
verify_codes = st.text("0123456789", min_size=6, max_size=6).map(lambda c: f"vc{c}Z")
key_secrets = st.text("abcdefghijklmnopqrstuvwxyz", min_size=10, max_size=14).map(lambda s: f"ak{s}Z")


@st.composite
def urls(draw: st.DrawFn, secrets: list[str]) -> str:
    """One of a few callback URLs, spelled many ways (scheme/host case, default port, trailing slash), often
    with a secret token in the query string."""
    scheme = draw(st.sampled_from(["https", "https", "HTTPS"]))
    host = draw(st.sampled_from(["hooks.example.com", "HOOKS.Example.com", "cb.acme.example"]))
    port = draw(st.sampled_from(["", "", ":443", ":8443"]))
    path = draw(st.sampled_from(["/status", "/Status", "/wa/inbound", "", "/a/b/"]))
    url = f"{scheme}://{host}{port}{path}"
    if draw(st.booleans()):
        token = draw(tokens)
        secrets.append(token)
        url += draw(st.sampled_from([f"?token={token}", f"?v=1&token={token}"]))
    return url


free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24)
maybe_blank_text = st.one_of(free_text, st.sampled_from(["", "  ", " padded "]))
emails = st.builds(lambda local, dom: f"{local}@{dom}", st.sampled_from(["ops", "Ops.Team", "a+b"]),
                   st.sampled_from(["acme.example", "ACME.example", "globex.example"]))


@st.composite
def desired_profile(draw: st.DrawFn, secrets: list[str]) -> BusinessProfile:
    def opt(strategy: st.SearchStrategy) -> Any:
        return draw(st.one_of(st.none(), strategy))

    websites = opt(st.lists(urls(secrets), max_size=2, unique=True).map(tuple))
    return BusinessProfile(vertical=opt(st.sampled_from(VERTICALS)), about=opt(free_text),
                           description=opt(maybe_blank_text), email=opt(emails), address=opt(maybe_blank_text),
                           profile_picture_url=opt(urls(secrets)), websites=websites)


@st.composite
def actual_profile(draw: st.DrawFn, declared: BusinessProfile | None, secrets: list[str]) -> dict[str, Any]:
    """API-named profile data: per field absent, random, or equal to the declared value in another spelling."""
    api = {"vertical": "Vertical", "about": "About", "description": "Description", "email": "Email",
           "address": "Address", "profile_picture_url": "ProfilePictureUrl", "websites": "Websites"}
    out: dict[str, Any] = {}
    for field, name in api.items():
        want = None if declared is None else getattr(declared, field)
        choice = draw(st.sampled_from(["absent", "random", "same", "same"]))
        if choice == "same" and want is not None:
            if field == "vertical":
                out[name] = draw(st.sampled_from([want, want.lower(), want.title()]))
            elif field == "websites":
                out[name] = list(want)
            else:
                out[name] = want
        elif choice == "random":
            if field == "vertical":
                out[name] = draw(st.sampled_from(VERTICALS))
            elif field == "websites":
                out[name] = draw(st.lists(urls(secrets), max_size=2))
            elif field == "email":
                out[name] = draw(emails)
            elif field == "profile_picture_url":
                out[name] = draw(urls(secrets))
            else:
                out[name] = draw(maybe_blank_text)
    return out


@dataclass
class Scenario:
    desired: DesiredState
    state: dict[str, Any]
    env: dict[str, str]
    secrets: list[str]
    key_secret: str

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return f"Scenario(desired={self.desired!r},\n state={self.state!r},\n env={self.env!r})"


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    secrets: list[str] = []
    env: dict[str, str] = {}
    key_secret = draw(key_secrets)
    spaces: list[Space] = []
    state_spaces: dict[str, Any] = {}
    for k in range(draw(st.integers(1, 3))):
        file = f"spaces/s{k}.yaml"
        space_id = f"29348393884{k:04d}"
        present: list[dict[str, Any]] = []
        pending: list[dict[str, Any]] = []
        migrations: list[dict[str, Any]] = []
        profiles: dict[str, Any] = {}
        numbers: list[Number] = []
        for i in range(draw(st.integers(0, 5))):
            phone = f"86138{k}{i:07d}"
            hooks = draw(st.one_of(st.none(), st.builds(
                Webhooks, status_callback_url=st.one_of(st.none(), urls(secrets)),
                up_callback_url=st.one_of(st.none(), urls(secrets)),
                http_delivery=st.one_of(st.none(), st.booleans()), queue_delivery=st.one_of(st.none(), st.booleans()))))
            profile = draw(st.one_of(st.none(), desired_profile(secrets)))
            queues = draw(st.one_of(st.none(), st.builds(Queues, status_queue=st.one_of(st.none(), st.sampled_from(QUEUES)))))
            expect = draw(st.one_of(st.none(), st.builds(
                Expect, status=st.one_of(st.none(), st.just(("CONNECTED",))),
                quality_rating=st.one_of(st.none(), st.just(("GREEN", "YELLOW"))))))
            where = draw(st.sampled_from(["present", "present", "pending_sync", "migration"]))
            migration = None
            if where == "migration":
                variable = f"MIGRATION_CODE_{k}_{i}"
                code = draw(verify_codes)
                env[variable] = code
                secrets.append(code)
                migration = Migration(variable)

            def actual_url(declared: str | None) -> str | None:
                if declared is not None and draw(st.booleans()):
                    return declared
                return draw(st.one_of(st.none(), urls(secrets)))

            entry = number_entry(
                phone, actual_url(hooks and hooks.status_callback_url), actual_url(hooks and hooks.up_callback_url),
                Status=draw(st.sampled_from(STATUSES)), QualityRating=draw(st.sampled_from(RATINGS)),
                MessagingLimitTier=draw(st.sampled_from(TIERS)), StatusQueue=draw(st.sampled_from(QUEUES)))
            if where == "migration":
                migrations.append({**entry, "VerifyCode": env[migration.verify_code_env]})  # type: ignore[union-attr]
            else:
                (present if where == "present" else pending).append(entry)
                data = draw(actual_profile(profile, secrets))
                if data:
                    profiles[phone] = data
            numbers.append(Number.of(phone, f"+{phone}", Source(file, 10 + 5 * i), webhooks=hooks, queues=queues,
                                  business_profile=profile, expect=expect, migration=migration))
        for j in range(draw(st.integers(0, 2))):  # numbers nobody declared
            present.append(number_entry(f"86139{k}{j:07d}", draw(urls(secrets)), None))
        policy = draw(st.sampled_from(["report", "ignore"]))
        spaces.append(Space(f"space-{k}", space_id, Source(file, 2), tuple(numbers), unmanaged_numbers=policy))
        state_spaces[space_id] = {"subscribed": True, "phone_numbers": present, "pending_sync": pending,
                                  "pending_migrations": migrations, "business_profiles": profiles}
    desired = DesiredState(tuple(spaces), tuple(sorted({s.file for s in spaces})))
    return Scenario(desired, emulator_state(state_spaces, key=(KEY_ID, key_secret)), env, secrets, key_secret)
