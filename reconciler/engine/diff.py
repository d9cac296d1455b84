"""The diff: one declared space + what CAMS reports for it → typed ``Change`` values. Pure: no I/O.

Rules (issue 5), each a small function below:

- ``sync``: declared numbers missing from the space → one change for the space, however many are missing
  (``ChatappSyncPhoneNumber`` refreshes the whole space). The missing numbers are listed in ``after``.
- ``verify-migration``: a missing number with a ``migration`` block (it is *not* also counted under sync).
  The change shows whether the environment variable holding the code is set, never its value.
- each declared block of a present number is compared by its kind (``reconciler.kinds``: ``Kind.diff``):
  ``update-webhook`` when a declared callback URL differs after normalisation, ``update-profile`` when a
  *declared* business-profile field differs (undeclared fields are left alone), ``drift`` (report only) for
  queue names and health outside the declared ``expect`` sets, and the generic ``create``/``update``/
  ``delete`` of the kinds added since; space-level blocks likewise, once per space.
- ``unmanaged``: a number in the space that no YAML declares: ``report`` → notice, ``error`` → error,
  ``ignore`` → nothing.
- ``misplaced`` (report only): a declared number that is missing here but present in another managed space.
  A sync cannot bring it in (a number belongs to one space) and this tool never moves numbers between
  spaces, so no sync is planned for it.
- ``register-migration``: a declared migration that was verified but not registered: the number is listed
  with ``Status: PENDING`` (whatever the journal says: a registration whose answer was lost but which landed
  shows the number registered, and nothing is planned), or it is not listed yet but the journal records a
  verification and ``GetPhoneNumberVerificationStatus`` answered ``VERIFIED``.
- ``verify-migration`` again after a verification whose outcome was lost and did not land (the journal's
  ``verifying`` entry, the read ``NOT_VERIFIED``): the reason says a new code is needed (the one sent is
  spent; apply will not send it twice).
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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import kinds as catalogue
from reconciler.config.model import Number, Space
from reconciler.core.plan import Action, Change, Severity
from reconciler.engine.actual import ActualSpace, canonical_digest
from reconciler.kinds.base import change


@dataclass(frozen=True)
class Context:
    """What the diff of one space knows beyond the space itself (all optional, all plain data).

    ``elsewhere``: phone number → the other managed space whose read shows it. ``unsynced``: phone number →
    what the journal recorded when a sync did not bring it in (a number verified but not registered needs no
    entry here: the list shows it ``PENDING``). ``verifying``: phone number → when the journal recorded a
    verification whose outcome is unknown (its code is spent). ``verification``: phone number →
    ``GetPhoneNumberVerificationStatus`` as read for a journaled number missing from the list (``None``:
    the read failed). ``env`` is only asked *whether* a migration's variable is set.
    """

    env: Mapping[str, str] = field(default_factory=dict)
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    unsynced: Mapping[str, str] = field(default_factory=dict)
    verifying: Mapping[str, str] = field(default_factory=dict)
    verification: Mapping[str, str | None] = field(default_factory=dict)
    # A recorded kind's name → this space's record of what this tool last sent (None: no record for this
    # target). Only the kinds named here are diffed from a record; others get their API read.
    recorded: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)


#: How the number list shows a number verified but not registered (``ChatappMigrationRegister`` not done).
AWAITING_REGISTRATION = "PENDING"


def awaits_registration(item: Mapping[str, Any]) -> bool:
    """Whether a listed number is verified but not registered (its ``Status``; case as the API may vary)."""
    return str(item.get("Status") or "").upper() == AWAITING_REGISTRATION


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
            elif number.migration is not None and ctx.verification.get(phone) == "VERIFIED":
                changes.append(_register_migration(space, number, membership,
                                                   "verified (GetPhoneNumberVerificationStatus: VERIFIED), not "
                                                   "yet listed or registered"))
                changes.extend(_pending_updates(space, number))
            elif number.migration is not None:
                changes.append(replace(_verify_migration(space, number, ctx.env, ctx.verifying.get(phone),
                                                         ctx.verification.get(phone)), basis=membership))
                changes.extend(_pending_updates(space, number))
            elif phone in ctx.unsynced:
                changes.append(_unsynced(space, number, ctx.unsynced[phone]))
            else:
                missing.append(number)
                changes.extend(_pending_updates(space, number))
            continue
        if number.migration is not None and awaits_registration(item):
            changes.append(_register_migration(space, number, membership,
                                               f"verified but not registered (Status {item.get('Status')})"))
        changes.extend(diff_number(space, number, item, actual.reads_of(phone)))
    if missing:
        changes.append(replace(_sync(space, missing), basis=membership))
    for kind in catalogue.space_kinds():
        model = space.block(kind.name)
        if model is not None:
            # a space kind sees the space's listed numbers (``PhoneNumbers``): no read of its own needed
            listed = {"PhoneNumbers": list(actual.numbers.values())}
            data = ctx.recorded.get(kind.name) if kind.recorded else actual.space_reads.get(kind.name)
            changes.extend(kind.diff(space, None, model, listed, data))
    changes.extend(_unmanaged(space, actual))
    return changes


def diff_number(space: Space, number: Number, item: Mapping[str, Any],
                reads: Mapping[str, Mapping[str, Any] | None] | None = None) -> list[Change]:
    """Changes for one number present in the space: each declared block's kind compares it (``item`` is
    the number's QueryChatappPhoneNumbers entry; ``reads`` the data of the kinds that read more, by kind)."""
    out: list[Change] = []
    registry = catalogue.registry()
    for name, model in number.blocks.items():  # built in catalogue order; the plan sorts changes anyway
        out.extend(registry[name].diff(space, number, model, item, (reads or {}).get(name)))
    return out


def _misplaced(space: Space, number: Number, other: str) -> Change:
    return change(space, number, Action.MISPLACED, field="membership", before={"space": other},
                   after={"space": space.name}, source=number.source,
                   reason=f"is in space {other}; numbers are not moved between spaces by this tool (declare it "
                          f"in {other}, or move it there in the console, then plan again)")


def _unsynced(space: Space, number: Number, recorded: str) -> Change:
    return change(space, number, Action.DRIFT, field="membership", before=None, after="in the space",
                   source=number.source,
                   reason=f"{recorded}; not synced again (the number must be registered to the space's WABA "
                          "first): plan with --retry-sync to try again")


def _register_migration(space: Space, number: Number, membership: str, seen: str) -> Change:
    return change(space, number, Action.REGISTER_MIGRATION, field="migration", before="verified",
                   after="registered", source=number.source_of("migration.verify_code_env"), basis=membership,
                   reason=f"the migration was {seen}: ChatappMigrationRegister")


def _sync(space: Space, missing: list[Number]) -> Change:
    ordered = sorted(missing, key=lambda n: n.source)
    phones = [n.phone_number for n in ordered]
    return change(
        space, None, Action.SYNC, field="numbers",
        before=None, after={"missing": phones},
        source=ordered[0].source,
        reason=(f"{len(phones)} declared number(s) not in the space: {', '.join(phones)}; "
                "ChatappSyncPhoneNumber refreshes the space from WhatsApp"),
    )


def _verify_migration(space: Space, number: Number, env: Mapping[str, str], spent_at: str | None = None,
                      status: str | None = None) -> Change:
    assert number.migration is not None
    var = number.migration.verify_code_env
    is_set = bool(env.get(var))
    if spent_at is not None:
        # An earlier apply sent a code (or was about to) and its outcome was lost; the read says it did not
        # land. That code is never sent again.
        landed = (f"did not land (GetPhoneNumberVerificationStatus: {status})" if status else
                  "has an unknown outcome (not listed, and its verification status could not be read: plan "
                  "again)")
        reason = (f"a verification sent at {spent_at} {landed}; its code is spent: have a new code sent "
                  f"(`cams-reconciler migration send-code`), set ${var} to it, then apply verifies and "
                  "registers")
    else:
        reason = (f"number not in the space and declares a migration: verify with the code from ${var} "
                  f"({'set' if is_set else 'NOT set: apply will skip it'}), then register")
    return change(space, number, Action.VERIFY_MIGRATION, field="migration",
                   before=None, after={"verify_code_env": var, "env_set": is_set},
                   source=number.source_of("migration.verify_code_env"), reason=reason)


def _pending_updates(space: Space, number: Number) -> Iterable[Change]:
    """The declared blocks of a number not yet in the space, to set once it arrives."""
    arrives_by = "migration" if number.migration is not None else "sync"
    for kind in catalogue.number_kinds():
        model = number.block(kind.name)
        if model is not None:
            yield from kind.pending(space, number, model, arrives_by)


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
