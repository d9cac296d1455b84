"""Retiring a number: deregistration (``ChatappPhoneNumberDeregister``) as the membership kind's delete.

Only with an explicit opt-in: a number declared ``retire: true``, or a number of the space no YAML declares
when the space says ``unmanaged_numbers: deregister``. A registered number gets one ``deregister`` change
(action ``delete``, destructive in every format); one already deregistered (listed ``DISCONNECTED``, or any
status that is not registered) or gone from the list needs nothing, and is then no longer expected in the
space. How many one plan may deregister is guarded like the webhook threshold
(``engine.safety``, ``safety.max_deregister_fraction``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reconciler.core.plan import Action, Address, Change, Severity
from reconciler.kinds import onboarding as steps
from reconciler.kinds.base import Block, Write

if TYPE_CHECKING:
    from reconciler.core.model import Number, Space
    from reconciler.kinds.base import Kind

LABEL = "deregister"
EFFECT = "ChatappPhoneNumberDeregister: it stops sending and receiving on WhatsApp"


def plan_retire(kind: Kind[Any], block: Block[Number | None], item: Mapping[str, Any] | None) -> list[Change]:
    """``retire: true``: a deregistration while the number is registered; nothing once it is not."""
    number = block.model
    assert number is not None
    if item is None or not steps.registered(item):
        return []
    change = kind.change(block, Action.DELETE, field="retire", before={"status": item.get("Status")},
                         after={"status": "DISCONNECTED"}, source=number.source_of("retire"),
                         reason=f"retire: true — deregister it ({EFFECT}); then it is no longer expected in the space")
    return [replace(change, label=LABEL)]


def plan_unmanaged(kind: Kind[Any], space: Space, numbers: Mapping[str, Mapping[str, Any]],
                   declared: set[str]) -> Iterable[Change]:
    """``unmanaged_numbers: deregister``: every registered number no YAML declares."""
    source = space.sources.get("unmanaged_numbers", space.source)
    for phone, item in numbers.items():
        if phone in declared or not steps.registered(item):
            continue
        yield Change(action=Action.DELETE, kind=kind.name, label=LABEL, space=space.name,
                     cust_space_id=space.cust_space_id, phone_number=phone, field="unmanaged_numbers",
                     before={"status": item.get("Status"), "verified_name": item.get("VerifiedName")},
                     after={"status": "DISCONNECTED"}, source=source, severity=Severity.WARNING,
                     reason=f"in the space but declared in no YAML, and unmanaged_numbers: deregister — {EFFECT}")


def is_deregistration(change: Change) -> bool:
    return change.kind == "membership" and change.action is Action.DELETE


def unmanaged_block(space: Space, phone: str) -> Block[Number | None]:
    """The instance of an undeclared number (no model: nothing is declared of it)."""
    return Block(Address("membership", space.name, phone), space, None, None)


async def deregister(w: Write[Number | None]) -> None:
    """Deregister the number. A second deregistration of one that landed is refused by the API; a lost
    answer is read back (verify: the number no longer registered)."""
    phone = w.change.phone_number
    assert phone is not None
    await w.client.call("ChatappPhoneNumberDeregister", {"CustSpaceId": w.block.space.cust_space_id,
                                                         "PhoneNumber": phone})
