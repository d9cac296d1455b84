"""The diff: one declared space + what CAMS reports for it → typed ``Change`` values. Pure: no I/O.

Rules (issue 5), each a small function below:

- ``sync``: declared numbers missing from the space → one change for the space, however many are missing
  (``ChatappSyncPhoneNumber`` refreshes the whole space). The missing numbers are listed in ``after``.
- ``verify-migration``: a missing number with a ``migration`` block (it is *not* also counted under sync).
  The change shows whether the environment variable holding the code is set, never its value.
- ``update-webhook``: a declared callback URL differs from the actual one after normalisation. A webhooks
  block that declares only one URL compares only that one (apply fills the other from the actual value,
  since ``UpdatePhoneWebhook`` needs both).
- ``update-profile``: a *declared* business-profile field differs (undeclared fields are left alone;
  websites compare as ordered lists).
- ``drift`` (report only): queue names, and status / quality rating / tier / verification outside the
  declared ``expect`` sets.
- ``unmanaged``: a number in the space that no YAML declares: ``report`` → notice, ``error`` → error,
  ``ignore`` → nothing.
- ``misplaced`` (report only): a declared number that is missing here but present in another managed space.
  A sync cannot bring it in (a number belongs to one space) and this tool never moves numbers between
  spaces, so no sync is planned for it.
- ``register-migration``: a declared migration that was verified but not registered (the journal says so:
  a registration that failed, or a verification whose answer was lost), now present in the space.
- a number that an earlier sync did not bring in (the journal says so) is reported, not synced again
  forever; ``--retry-sync`` plans the sync again.

Only present numbers are compared field by field. A missing number that the plan brings in (by sync or
migration) and that declares webhooks or a business profile also gets *pending* updates (``before`` is
``None``: Terraform's "known after apply"): the declared values, which apply writes once the number is in
the space and only where they still differ. So one apply converges a new number fully, and every write it
makes is one the reviewed plan shows.

Values in ``before``/``after`` are small, JSON-ready, and redacted (``mask_url`` on every URL). Because
masking can make two different URLs look equal (``?token=***`` on both sides), the ``reason`` says when
only masked parts differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.config.model import BusinessProfile, Expect, Number, Space, Webhooks
from reconciler.engine.actual import ActualSpace, canonical_digest
from reconciler.engine.normalize import normalize_email, normalize_enum, normalize_text, normalize_url, same_url
from reconciler.engine.plan import Action, Change, Severity
from reconciler.redact import mask_url

# Model field → API field, for the fields each rule compares.
WEBHOOK_FIELDS = (("status_callback_url", "StatusCallbackUrl"), ("up_callback_url", "UpCallbackUrl"))
QUEUE_FIELDS = (("status_queue", "StatusQueue"), ("up_queue", "UpQueue"))
EXPECT_FIELDS = (("status", "Status"), ("quality_rating", "QualityRating"),
                 ("messaging_limit_tier", "MessagingLimitTier"),
                 ("code_verification_status", "CodeVerificationStatus"))
PROFILE_FIELDS = (("vertical", "Vertical"), ("about", "About"), ("description", "Description"),
                  ("email", "Email"), ("address", "Address"), ("profile_picture_url", "ProfilePictureUrl"),
                  ("websites", "Websites"))


def _norm_websites(value: Any) -> tuple[str | None, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):  # tolerate a single string where a list is documented
        value = [value] if value.strip() else []
    return tuple(normalize_url(str(v)) for v in value)


# How each profile field is normalised before comparing, and shown (URLs masked).
_PROFILE_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "vertical": normalize_enum,
    "about": normalize_text,
    "description": normalize_text,
    "email": normalize_email,
    "address": normalize_text,
    "profile_picture_url": lambda v: normalize_url(None if v is None else str(v)),
    "websites": _norm_websites,
}


def _show(model_field: str, value: Any) -> Any:
    """A value as it may appear in a plan: URLs masked, tuples as lists, JSON-ready."""
    if value is None:
        return None
    if model_field == "websites":
        items = [value] if isinstance(value, str) else list(value)
        return [mask_url(str(v)) for v in items]
    if model_field.endswith("url"):
        return mask_url(str(value))
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


@dataclass(frozen=True)
class Context:
    """What the diff of one space knows beyond the space itself (all optional, all plain data).

    ``elsewhere``: phone number → the other managed space whose read shows it. ``unsynced``: phone number →
    what the journal recorded when a sync did not bring it in. ``unregistered``: phone numbers the journal
    records as verified but not registered. ``env`` is only asked *whether* a migration's variable is set.
    """

    env: Mapping[str, str] = field(default_factory=dict)
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    unsynced: Mapping[str, str] = field(default_factory=dict)
    unregistered: frozenset[str] = frozenset()


def membership_basis(actual: ActualSpace) -> str:
    """What a sync or a migration depends on: which numbers the space holds."""
    return canonical_digest(sorted(actual.numbers))


def diff_space(space: Space, actual: ActualSpace, *, env: Mapping[str, str] | None = None,
               context: Context | None = None) -> list[Change]:
    """Every change needed or finding to report for ``space``. The migration code's variable is only
    asked whether it is set; its value is never read into the plan."""
    ctx = context if context is not None else Context(env=env or {})
    changes: list[Change] = []
    missing: list[Number] = []
    membership = membership_basis(actual)
    for number in space.numbers:
        phone = number.phone_number
        item = actual.numbers.get(phone)
        if item is None:
            if phone in ctx.elsewhere:
                changes.append(_misplaced(space, number, ctx.elsewhere[phone]))
            elif number.migration is not None:
                changes.append(replace(_verify_migration(space, number, ctx.env), basis=membership))
                changes.extend(_pending_updates(space, number))
            elif phone in ctx.unsynced:
                changes.append(_unsynced(space, number, ctx.unsynced[phone]))
            else:
                missing.append(number)
                changes.extend(_pending_updates(space, number))
            continue
        if number.migration is not None and phone in ctx.unregistered:
            changes.append(_register_migration(space, number, membership))
        changes.extend(diff_number(space, number, item, actual.profiles.get(phone)))
    if missing:
        changes.append(replace(_sync(space, missing), basis=membership))
    changes.extend(_unmanaged(space, actual))
    return changes


def diff_number(space: Space, number: Number, item: Mapping[str, Any],
                profile: Mapping[str, Any] | None) -> list[Change]:
    """Changes for one number present in the space (``item`` is its QueryChatappPhoneNumbers entry)."""
    out: list[Change] = []
    webhook = _webhook_change(space, number, item)
    if webhook is not None:
        out.append(webhook)
    if number.business_profile is not None:
        prof = _profile_change(space, number, number.business_profile, profile or {})
        if prof is not None:
            out.append(prof)
    out.extend(_queue_drift(space, number, item))
    if number.expect is not None:
        out.extend(_expect_drift(space, number, number.expect, item))
    return out


def _misplaced(space: Space, number: Number, other: str) -> Change:
    return _change(space, number, Action.MISPLACED, field="membership", before={"space": other},
                   after={"space": space.name}, source=number.source,
                   reason=f"is in space {other}; numbers are not moved between spaces by this tool (declare it "
                          f"in {other}, or move it there in the console, then plan again)")


def _unsynced(space: Space, number: Number, recorded: str) -> Change:
    return _change(space, number, Action.DRIFT, field="membership", before=None, after="in the space",
                   source=number.source,
                   reason=f"{recorded}; not synced again (the number must be registered to the space's WABA "
                          "first): plan with --retry-sync to try again")


def _register_migration(space: Space, number: Number, membership: str) -> Change:
    return _change(space, number, Action.REGISTER_MIGRATION, field="migration", before="verified",
                   after="registered", source=number.source_of("migration.verify_code_env"), basis=membership,
                   reason="the migration was verified but not registered (recorded by an earlier apply): "
                          "ChatappMigrationRegister")


def _change(space: Space, number: Number | None, action: Action, **kw: Any) -> Change:
    return Change(action=action, space=space.name, cust_space_id=space.cust_space_id,
                  phone_number=None if number is None else number.phone_number, **kw)


def _sync(space: Space, missing: list[Number]) -> Change:
    ordered = sorted(missing, key=lambda n: n.source)
    phones = [n.phone_number for n in ordered]
    return _change(
        space, None, Action.SYNC, field="numbers",
        before=None, after={"missing": phones},
        source=ordered[0].source,
        reason=(f"{len(phones)} declared number(s) not in the space: {', '.join(phones)}; "
                "ChatappSyncPhoneNumber refreshes the space from WhatsApp"),
    )


def _verify_migration(space: Space, number: Number, env: Mapping[str, str]) -> Change:
    assert number.migration is not None
    var = number.migration.verify_code_env
    is_set = bool(env.get(var))
    reason = (f"number not in the space and declares a migration: verify with the code from ${var} "
              f"({'set' if is_set else 'NOT set: apply will skip it'}), then register")
    return _change(space, number, Action.VERIFY_MIGRATION, field="migration",
                   before=None, after={"verify_code_env": var, "env_set": is_set},
                   source=number.source_of("migration.verify_code_env"), reason=reason)


def _pending_updates(space: Space, number: Number) -> Iterable[Change]:
    """The declared webhooks and profile of a number not yet in the space, to set once it arrives."""
    arrives_by = "migration" if number.migration is not None else "sync"
    hooks = number.webhooks
    if hooks is not None:
        after = {f: _show(f, getattr(hooks, f)) for f, _ in WEBHOOK_FIELDS if getattr(hooks, f) is not None}
        if after:
            after.update(declared_flags(hooks))
            first = next(iter(after))
            yield _change(space, number, Action.UPDATE_WEBHOOK, field="webhooks", before=None, after=after,
                          pending=True, source=number.source_of(f"webhooks.{first}"),
                          reason=f"after {arrives_by}: set where it differs (current values are unknown "
                                 "until the number is in the space)")
    profile = number.business_profile
    if profile is not None:
        after = {f: _show(f, getattr(profile, f)) for f, _ in PROFILE_FIELDS if getattr(profile, f) is not None}
        if after:
            first = next(iter(after))
            yield _change(space, number, Action.UPDATE_PROFILE, field="business_profile", before=None,
                          after=after, pending=True, source=number.source_of(f"business_profile.{first}"),
                          reason=f"after {arrives_by}: set where it differs (current values are unknown "
                                 "until the number is in the space)")


def _webhook_change(space: Space, number: Number, item: Mapping[str, Any]) -> Change | None:
    hooks = number.webhooks
    if hooks is None:
        return None
    differing: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    masked_only: list[str] = []
    for model_field, api_field in WEBHOOK_FIELDS:
        declared = getattr(hooks, model_field)
        if declared is None:
            continue
        current = item.get(api_field)
        if same_url(declared, current):
            continue
        differing.append(model_field)
        before[model_field] = _show(model_field, current or None)
        after[model_field] = _show(model_field, declared)
        if before[model_field] == after[model_field]:
            masked_only.append(model_field)
    if not differing:
        return None
    field = f"webhooks.{differing[0]}" if len(differing) == 1 else "webhooks"
    reason = f"{' and '.join(f.replace('_', ' ') for f in differing)} {'differs' if len(differing) == 1 else 'differ'}"
    if masked_only:
        reason += f" ({', '.join(masked_only)}: only in masked query values)"
    flags = declared_flags(hooks)
    if flags:  # sent with the update, since declared; the API cannot read them back, so never diffed
        after.update(flags)
        reason += f"; {', '.join(flags)} sent as declared (not readable back)"
    basis = canonical_digest({api: item.get(api) for model, api in WEBHOOK_FIELDS if model in differing})
    return _change(space, number, Action.UPDATE_WEBHOOK, field=field, before=before, after=after,
                   source=number.source_of(f"webhooks.{differing[0]}"), reason=reason, basis=basis)


def declared_flags(hooks: Webhooks) -> dict[str, bool]:
    """The delivery flags the YAML declares (``http_delivery``/``queue_delivery``): only these are sent."""
    return {name: value for name in ("http_delivery", "queue_delivery")
            if (value := getattr(hooks, name)) is not None}


def _profile_change(space: Space, number: Number, declared: BusinessProfile,
                    data: Mapping[str, Any]) -> Change | None:
    differing: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for model_field, api_field in PROFILE_FIELDS:
        want = getattr(declared, model_field)
        if want is None:  # not declared: not managed
            continue
        have = data.get(api_field)
        if model_field == "websites" and isinstance(have, list):
            have_cmp: Any = tuple(have)
        else:
            have_cmp = have
        norm = _PROFILE_NORMALIZERS[model_field]
        if want == have_cmp or norm(want) == norm(have):
            continue
        differing.append(model_field)
        before[model_field] = _show(model_field, have)
        after[model_field] = _show(model_field, want)
    if not differing:
        return None
    field = f"business_profile.{differing[0]}" if len(differing) == 1 else "business_profile"
    basis = canonical_digest({api: data.get(api) for model, api in PROFILE_FIELDS if model in differing})
    return _change(space, number, Action.UPDATE_PROFILE, field=field, before=before, after=after,
                   source=number.source_of(f"business_profile.{differing[0]}"), basis=basis,
                   reason=f"business profile {', '.join(differing)} "
                          f"{'differs' if len(differing) == 1 else 'differ'} (undeclared fields are left alone)")


def _queue_drift(space: Space, number: Number, item: Mapping[str, Any]) -> Iterable[Change]:
    queues = number.queues
    if queues is None:
        return
    for model_field, api_field in QUEUE_FIELDS:
        want = getattr(queues, model_field)
        if want is None:
            continue
        have = item.get(api_field)
        if normalize_text(have) == normalize_text(want):
            continue
        path = f"queues.{model_field}"
        yield _change(space, number, Action.DRIFT, field=path, before=have or None, after=want,
                      source=number.source_of(path),
                      reason=f"{api_field} is {have or 'empty'!s}, declared {want} (assigned by the platform: "
                             "report only)")


def _expect_drift(space: Space, number: Number, expect: Expect, item: Mapping[str, Any]) -> Iterable[Change]:
    for model_field, api_field in EXPECT_FIELDS:
        allowed = getattr(expect, model_field)
        if allowed is None:
            continue
        have = normalize_enum(item.get(api_field))
        if have in {normalize_enum(a) for a in allowed}:
            continue
        path = f"expect.{model_field}"
        yield _change(space, number, Action.DRIFT, field=path, before=have, after=list(allowed),
                      source=number.source_of(path),
                      reason=f"{api_field} is {have or 'empty'}, expected one of {', '.join(allowed)}")


def _unmanaged(space: Space, actual: ActualSpace) -> Iterable[Change]:
    policy = space.unmanaged_numbers
    if policy == "ignore":
        return
    severity = Severity.ERROR if policy == "error" else Severity.NOTICE
    declared = {n.phone_number for n in space.numbers}
    source = space.sources.get("unmanaged_numbers", space.source)
    for phone, item in actual.numbers.items():
        if phone in declared:
            continue
        yield Change(
            action=Action.UNMANAGED, space=space.name, cust_space_id=space.cust_space_id,
            phone_number=phone,
            before={k: item[api] for k, api in (("status", "Status"), ("verified_name", "VerifiedName"))
                    if item.get(api)} or None,
            after=None, source=source, severity=severity,
            reason=(f"in the space but declared in no YAML (unmanaged_numbers: {policy}"
                    + ("; blocks apply)" if policy == "error" else ")")),
        )
