"""Onboarding as create paths of the membership kind: the plan's next step for a number declared with
``onboarding:``, and the step's write (``kinds.onboarding`` decides which step; this module makes it a
change and carries it out).

Each step is one change, its item the step's name (``add-number``, ``request-code``,
``verify-and-register``, ``register-number``), so one plan shows exactly the next step of each number and
the reviewer sees what it sends. A one-time code is written ahead in the journal before it is asked for
or sent (``onboarding.before_code_request``; the verification's digest), and never sent twice: a lost
answer is read back from the space's list, never sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import phonenumbers

from reconciler.core.errors import ReconcilerError
from reconciler.core.plan import Action, Change
from reconciler.kinds import onboarding as steps
from reconciler.kinds.base import Block, PlanContext, Refuse, Skip, Write
from reconciler.kinds.onboarding import CODE_REQUESTED, ONBOARD_SPENT, ONBOARD_VERIFYING, Records, Step

if TYPE_CHECKING:
    from reconciler.core.model import Number
    from reconciler.kinds.base import Kind

#: The items of onboarding changes (one per step): how ``create`` knows a change is one.
ITEMS = frozenset(s.value for s in Step)
#: The result code of a verification that did not verify: its code is spent.
CODE_SPENT = "VerifyCodeSpent"


def plan_step(kind: Kind[Any], block: Block[Number | None], item: Mapping[str, Any] | None,
              context: PlanContext) -> list[Change]:
    """The change of the next onboarding step of ``block``'s number (none: it is onboarded)."""
    number = block.model
    assert number is not None and number.onboarding is not None
    declared, phone = number.onboarding, number.phone_number
    nxt = steps.next_step(phone, declared, item, context.onboarding.get(phone, Records()), context.env)
    if nxt is None:
        return []
    var = declared.verify_code_env
    after: dict[str, Any]
    if nxt.step is Step.ADD:
        cc, national = split_number(phone)
        after = {"display_name": declared.display_name, "cc": cc, "phone_number": national}
        if declared.prevalidation_code_env:
            after["prevalidation_code_env"] = declared.prevalidation_code_env
    elif nxt.step is Step.REQUEST_CODE:
        after = {"method": declared.method, "locale": declared.locale}
    elif nxt.step is Step.VERIFY:
        after = {"verify_code_env": var, "env_set": bool(context.env.get(var))}
    else:
        after = {"registered": True}
    change = kind.change(block, Action.CREATE, item=nxt.step.value, field="onboarding", before=None, after=after,
                         source=number.source_of("onboarding"), reason=nxt.reason)
    return [replace(change, label=nxt.step.value)]


def arriving(change: Change) -> bool:
    """Whether an onboarding change brings its number in, registered, by this apply (its other kinds are
    then planned with it): a verification whose code is set, or a registration."""
    if change.item == Step.VERIFY.value:
        return bool((change.after or {}).get("env_set"))
    return change.item == Step.REGISTER.value


def settled(number: Number, item: Mapping[str, Any] | None) -> bool:
    """Whether the number is in its space for its other kinds: not onboarding, or onboarded (verified and
    registered). A number half-way through onboarding is listed, but nothing can be set on it yet."""
    if number.onboarding is None:
        return item is not None
    return item is not None and steps.verified(item) and steps.registered(item)


def split_number(phone: str) -> tuple[str, str]:
    """The country calling code and the national number of E.164 digits (AddChatappPhoneNumber's ``Cc`` and
    ``PhoneNumber``)."""
    parsed = phonenumbers.parse("+" + phone, None)
    return str(parsed.country_code), phonenumbers.national_significant_number(parsed)


# -- apply ----------------------------------------------------------------------------------------------------

async def take_step(w: Write[Number | None]) -> None:
    """Carry out one onboarding change (its item names the step)."""
    number = w.block.model
    if number is None or number.onboarding is None:
        raise Skip("the YAML no longer declares an onboarding for this number")
    step = Step(w.change.item)
    if step is Step.ADD:
        await _add(w, number)
    elif step is Step.REQUEST_CODE:
        await _request_code(w, number)
    elif step is Step.VERIFY:
        await _verify(w, number)
    else:
        await _register(w, number)


def _save(w: Write[Number | None], what: str) -> None:
    """Save what was written ahead; if it cannot be saved, nothing is sent."""
    try:
        w.run.journal.save()
    except ReconcilerError as err:
        raise Refuse(f"not sent: the journal could not record {what} first ({err})", "JournalNotWritable") from None


async def _add(w: Write[Number | None], number: Number) -> None:
    declared, space = number.onboarding, w.block.space
    assert declared is not None
    cc, national = split_number(number.phone_number)
    params: dict[str, Any] = {"CustSpaceId": space.cust_space_id, "Cc": cc, "PhoneNumber": national,
                              "VerifiedName": declared.display_name}
    if declared.prevalidation_code_env:
        purchase = w.run.env.get(declared.prevalidation_code_env, "")
        if not purchase:
            raise Skip(f"environment variable {declared.prevalidation_code_env} is not set: it holds the purchase "
                       "code of the pre-validated number; set it, then apply")
        answer = await w.client.call("GetPreValidatePhoneId", {"PhoneNumber": number.phone_number,
                                                               "VerifyCode": purchase})
        data = answer.get("Data")
        found = data.get("PhoneNumberId") if isinstance(data, Mapping) else None
        if not isinstance(found, str) or not found:
            raise Refuse("GetPreValidatePhoneId answered no PhoneNumberId: the number was not added",
                         "MalformedAnswer")
        params["PreValidateId"] = found
    # A duplicate add is refused by the API, and a lost answer is read back from the list (verify): never
    # sent twice.
    await w.client.call("AddChatappPhoneNumber", params)


async def _request_code(w: Write[Number | None], number: Number) -> None:
    declared, space, phone = number.onboarding, w.block.space, number.phone_number
    assert declared is not None
    journal = w.run.journal
    try:
        before = steps.before_code_request(journal, space.name, space.cust_space_id, phone, declared.method,
                                           declared.locale)
    except ReconcilerError as err:
        journal.clear(CODE_REQUESTED, space.name, [phone])
        raise Refuse(f"not sent: the journal could not record the code request first ({err})",
                     "JournalNotWritable") from None
    sent = await w.run.attempt(lambda: w.client.call("GetChatappVerifyCode", {
        "CustSpaceId": space.cust_space_id, "PhoneNumber": phone, "Locale": declared.locale,
        "Method": declared.method.upper()}))
    if sent.ok:
        steps.code_sent(journal, space.name, space.cust_space_id, phone, declared.method, declared.locale)
        w.run.note(w.change.address, f"WhatsApp sends the code {steps.how_sent(declared.method, declared.locale)}: set "
                   f"${declared.verify_code_env} to it, then apply verifies and registers the number; ")
        return
    if sent.lost:  # a code may be on its way: the record written ahead stays, and no second code is asked for
        raise Refuse(f"the code request's answer was lost ({sent.message}); a code may be on its way, so none is "
                     f"asked for again: the journal records it, and the next plan says to set "
                     f"${declared.verify_code_env} (or `onboarding send-code` asks for another)", sent.code)
    steps.code_not_sent(journal, space.name, space.cust_space_id, phone, before)
    raise Refuse(sent.message, sent.code)


async def _verify(w: Write[Number | None], number: Number) -> None:
    declared, space, phone = number.onboarding, w.block.space, number.phone_number
    assert declared is not None
    journal, var = w.run.journal, declared.verify_code_env
    code = w.run.env.get(var, "")
    if not code:
        requested = journal.for_space(CODE_REQUESTED, space.name).get(phone)
        when = f": the code was sent {requested.detail} at {requested.at}" if requested else ""
        raise Skip(f"environment variable {var} is not set{when}; set it to the code, then apply")
    digest = steps.code_digest(phone, code)
    used = [e for k in (ONBOARD_VERIFYING, ONBOARD_SPENT) if (e := journal.for_space(k, space.name).get(phone))]
    if any(steps.digest_in(e.detail) == digest for e in used):
        raise Skip(f"{var} holds a code already used at {used[0].at}: a one-time code is never sent twice; the "
                   "next plan asks for a new one")
    # Write-ahead: the verification is on record, with its code's digest, before the code leaves.
    journal.clear(CODE_REQUESTED, space.name, [phone])  # the code asked for is the one being used now
    journal.record(ONBOARD_VERIFYING, space.name, space.cust_space_id, phone,
                   f"verification sent; outcome not confirmed (code {digest})")
    _save(w, "the verification")
    sent = await w.run.attempt(lambda: w.client.call("ChatappVerifyAndRegister", {
        "CustSpaceId": space.cust_space_id, "PhoneNumber": phone, "VerifyCode": code}))
    if sent.ok:
        steps.onboarded(journal, space.name, phone)
        return
    if sent.lost:
        listed = await _item(w, phone)
        if listed is not None and steps.verified(listed):
            steps.onboarded(journal, space.name, phone)
            w.run.note(w.change.address, f"the verification's answer was lost ({sent.code}); read back: it landed; ")
            return
        if listed is None:
            raise Refuse(f"the verification's answer was lost ({sent.message}) and the number could not be read "
                         "back; recorded in the journal: the next plan reads it and shows what is left", sent.code)
    # Refused, or lost and not verified: the code is spent, never sent again.
    journal.clear(ONBOARD_VERIFYING, space.name, [phone])
    journal.record(ONBOARD_SPENT, space.name, space.cust_space_id, phone, f"did not verify (code {digest})")
    raise Refuse(f"{sent.message}; the code in {var} is spent (never sent again): the next plan asks for a new one",
                 sent.code if not sent.lost else CODE_SPENT)


async def _register(w: Write[Number | None], number: Number) -> None:
    space = w.block.space
    # A second registration of one that landed is refused; a lost answer is read back from the list (verify).
    await w.client.call("ChatappPhoneNumberRegister", {"CustSpaceId": space.cust_space_id,
                                                       "PhoneNumber": number.phone_number})
    steps.onboarded(w.run.journal, space.name, number.phone_number)


async def _item(w: Write[Number | None], phone: str) -> Mapping[str, Any] | None:
    read = await w.run.attempt(lambda: w.client.call("QueryChatappPhoneNumbers",
                                                     {"CustSpaceId": w.block.space.cust_space_id}))
    items = read.value.get("PhoneNumbers") if read.ok and isinstance(read.value, Mapping) else None
    if not isinstance(items, list):
        return None
    return next((i for i in items if isinstance(i, Mapping) and str(i.get("PhoneNumber", "")) == phone), {})
