"""Onboarding a brand-new number: which step is next, and what the operator must do (pure: no I/O).

A number declared with ``onboarding:`` moves through the API's states, one reviewed step at a time:

    add-number            AddChatappPhoneNumber (Cc, national number, display name): the number joins the
                          space, PENDING and NOT_VERIFIED (a pre-validated number: GetPreValidatePhoneId
                          first, with the purchase code from the environment, and it joins VERIFIED)
    request-code          GetChatappVerifyCode (locale, method): WhatsApp sends the owner a one-time code
    verify-and-register   ChatappVerifyAndRegister with the code read from the environment when it is sent
    register-number       ChatappPhoneNumberRegister for a verified number that is not registered (a
                          pre-validated number; one deregistered earlier)

What the API cannot show — that a code was asked for, that a code was sent in a verification whose
answer was lost — is in the journal, written *before* the call (write-ahead): a run killed anywhere leaves
the record, so the next plan never asks for a second code for one still on its way and never sends a code
twice. ``next_step`` decides from the number's listed status, those records and the environment:

- not listed: ``add-number``;
- listed, verified: registered → nothing; not registered → ``register-number``;
- listed, not verified:
  - the variable holds a code not yet used → ``verify-and-register``;
  - it holds a code already used (the journal's digest) → ``request-code`` (a new one), or, once a new one
    was asked for, ``verify-and-register`` waiting for the variable to hold it;
  - it is not set: the code expired (the API says ``EXPIRED``) → ``request-code``; a code was asked for
    (the journal) → ``verify-and-register``, waiting: the plan says "set $VAR: the code was sent by SMS at
    10:02" and apply skips it until the variable is set; no code asked for yet → ``request-code``.

Codes are named only by their digest (``code_digest``): the plan and the journal never hold one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reconciler.core.model import Onboarding

#: Journal entries of onboarding (``engine.journal`` keeps them with the membership's own).
CODE_REQUESTED = "code-requested"  # GetChatappVerifyCode about to be sent, or sent: a code is on its way
ONBOARD_VERIFYING = "onboard-verifying"  # ChatappVerifyAndRegister about to be sent / sent, outcome unknown
ONBOARD_SPENT = "onboard-spent"  # a code sent in a verification that did not verify: never sent again
JOURNAL_KINDS = (CODE_REQUESTED, ONBOARD_VERIFYING, ONBOARD_SPENT)


class JournalEntry(Protocol):
    @property
    def at(self) -> str: ...

    @property
    def detail(self) -> str: ...


class CodeJournal(Protocol):
    """The part of the run's journal (``engine.journal.Journal``) onboarding writes ahead in."""

    def for_space(self, kind: str, space: str) -> Mapping[str, JournalEntry]: ...

    def record(self, kind: str, space: str, cust_space_id: str, phone_number: str, detail: str) -> None: ...

    def clear(self, kind: str, space: str, phone_numbers: Sequence[str]) -> None: ...

    def save(self) -> None: ...


#: Statuses of a listed number that is not registered (the emulator's reading: docs/emulator.md).
UNREGISTERED_STATUSES = frozenset({"PENDING", "DISCONNECTED", "UNVERIFIED"})
METHODS = ("sms", "voice")


class Step(str, Enum):
    ADD = "add-number"
    REQUEST_CODE = "request-code"
    VERIFY = "verify-and-register"
    REGISTER = "register-number"


@dataclass(frozen=True)
class Records:
    """What the journal holds for one number (each: when, and its detail)."""

    requested: tuple[str, str] | None = None  # (at, detail: "by SMS (en_US)")
    verifying: tuple[str, str] | None = None  # (at, detail naming the code digest)
    spent: tuple[str, str] | None = None  # (at, detail naming the code digest)


@dataclass(frozen=True)
class Next:
    """The next step, why, and whether apply can take it now (``ready`` False: it waits for the operator)."""

    step: Step
    reason: str
    ready: bool = True


def code_digest(phone_number: str, code: str) -> str:
    """How the journal names a one-time code it must recognise later: a digest, never the code (unkeyed, as
    the migration's: a spent code opens nothing)."""
    return "sha256:" + hashlib.sha256(f"cams-reconciler onboarding code|{phone_number}|{code}".encode()).hexdigest()[:32]


def digest_in(detail: str) -> str | None:
    """The code digest a journal detail names (``... (code sha256:...)``), or None."""
    head, sep, rest = detail.rpartition("(code ")
    return rest.rstrip(")") if sep and rest.startswith("sha256:") else None


def registered(item: Mapping[str, object]) -> bool:
    return str(item.get("Status") or "").upper() not in UNREGISTERED_STATUSES


def verified(item: Mapping[str, object]) -> bool:
    return str(item.get("CodeVerificationStatus") or "").upper() == "VERIFIED"


def next_step(phone_number: str, declared: Onboarding, item: Mapping[str, object] | None, records: Records,
              env: Mapping[str, str]) -> Next | None:
    """The next step of onboarding ``phone_number`` (None: onboarded, nothing to do). ``item``: its entry in
    the space's list (None: not listed); ``env``: the environment (only the declared variable is read, to
    tell a used code from a new one by its digest)."""
    var = declared.verify_code_env
    if item is None:
        how = (f"pre-validated: GetPreValidatePhoneId with the purchase code in ${declared.prevalidation_code_env}, "
               "then AddChatappPhoneNumber with its id; next: register-number"
               if declared.prevalidation_code_env else
               f"AddChatappPhoneNumber as {declared.display_name!r}; next: request-code (WhatsApp sends a code by "
               f"{declared.method.upper()})")
        return Next(Step.ADD, f"not in the space: add it ({how})")
    if verified(item):
        if registered(item):
            return None
        return Next(Step.REGISTER, f"verified but not registered (Status {item.get('Status')}): "
                                   "ChatappPhoneNumberRegister")
    status = str(item.get("CodeVerificationStatus") or "").upper() or "unknown"
    code = env.get(var, "")
    spent = {digest_in(r[1]) for r in (records.verifying, records.spent) if r is not None} - {None}
    if code and code_digest(phone_number, code) not in spent:
        return Next(Step.VERIFY, f"verify with the code in ${var} (set), then register: ChatappVerifyAndRegister")
    if code and records.requested is not None:  # a new code was asked for since: the variable is stale
        at, how = records.requested
        return Next(Step.VERIFY, f"set ${var} to the new code: it was sent {how} at {at}; ${var} still holds the "
                                 "code already used, which is never sent again (skipped until then)", ready=False)
    if code:
        used_at = (records.verifying or records.spent or ("earlier", ""))[0]
        return Next(Step.REQUEST_CODE, f"the code in ${var} was used at {used_at} and did not verify the number "
                                       f"(CodeVerificationStatus {status}); a one-time code is never sent twice: a "
                                       f"new code is asked for by {declared.method.upper()}; set ${var} to it, then "
                                       "apply verifies and registers")
    if status == "EXPIRED":
        return Next(Step.REQUEST_CODE, f"the code sent{_at(records.requested)} expired (CodeVerificationStatus "
                                       f"EXPIRED): a new code is asked for by {declared.method.upper()}")
    if records.requested is not None:
        at, how = records.requested
        return Next(Step.VERIFY, f"set ${var}: the code was sent {how} at {at}; apply verifies and registers the "
                                 "number once it is set (skipped until then)", ready=False)
    return Next(Step.REQUEST_CODE, f"added, not verified (CodeVerificationStatus {status}): WhatsApp sends the "
                                   f"owner a code by {declared.method.upper()} ({declared.locale}); then set ${var} "
                                   "to it and apply again")


def _at(record: tuple[str, str] | None) -> str:
    return f" at {record[0]}" if record is not None else ""


def records_of(journal: CodeJournal, space: str, phone_number: str) -> Records:
    """What the journal holds of onboarding ``phone_number`` in ``space``."""
    def one(kind: str) -> tuple[str, str] | None:
        entry = journal.for_space(kind, space).get(phone_number)
        return None if entry is None else (entry.at, entry.detail)

    return Records(requested=one(CODE_REQUESTED), verifying=one(ONBOARD_VERIFYING), spent=one(ONBOARD_SPENT))


def how_sent(method: str, locale: str) -> str:
    """How a journal entry says a code was sent: ``by SMS (en_US)``."""
    return f"by {method.upper()} ({locale})"


def before_code_request(journal: CodeJournal, space: str, cust_space_id: str, phone_number: str, method: str,
                        locale: str) -> str | None:
    """Write ahead of GetChatappVerifyCode: a code about to be sent is recorded (saved before the call: if
    the record cannot be saved, the caller sends nothing), and a verification of unknown outcome becomes a
    spent code (a new code voids the old one, which is then never sent again). Returns the detail of a
    request recorded before (a code already on its way), for ``code_not_sent``."""
    verifying = journal.for_space(ONBOARD_VERIFYING, space).get(phone_number)
    if verifying is not None:
        journal.clear(ONBOARD_VERIFYING, space, [phone_number])
        journal.record(ONBOARD_SPENT, space, cust_space_id, phone_number, verifying.detail)
    before = journal.for_space(CODE_REQUESTED, space).get(phone_number)
    journal.record(CODE_REQUESTED, space, cust_space_id, phone_number,
                   f"{how_sent(method, locale)}, answer not confirmed")
    journal.save()
    return None if before is None else before.detail


def code_sent(journal: CodeJournal, space: str, cust_space_id: str, phone_number: str, method: str,
              locale: str) -> None:
    """GetChatappVerifyCode was accepted: a code is on its way, sent now."""
    journal.record(CODE_REQUESTED, space, cust_space_id, phone_number, how_sent(method, locale))
    journal.save()


def code_not_sent(journal: CodeJournal, space: str, cust_space_id: str, phone_number: str,
                  before: str | None) -> None:
    """GetChatappVerifyCode was refused: no new code is on its way (a code asked for earlier still is)."""
    if before is None:
        journal.clear(CODE_REQUESTED, space, [phone_number])
    else:
        journal.record(CODE_REQUESTED, space, cust_space_id, phone_number, before)
    journal.save()


def onboarded(journal: CodeJournal, space: str, phone_number: str) -> None:
    """The number is verified and registered: nothing of its onboarding is left to remember."""
    for kind in JOURNAL_KINDS:
        journal.clear(kind, space, [phone_number])
