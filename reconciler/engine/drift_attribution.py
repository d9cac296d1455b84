"""Who changed it: for a webhook or business profile that drift finds changed since the space's previous
read, ActionTrail's event history (``LookupEvents``) names the caller of the write (``drift --attribution``).

When is known without it (``Transition.since``: the change happened after the space's previous read, the
last time drift saw the old value). Who needs ``actiontrail:LookupEvents`` on the drift role — a read of the
account's whole API history, which is why it is off by default. One query per write action and time window
(``EventName`` is the one condition ActionTrail allows per query), newest first, at most ``MAX_PAGES`` pages
of 50; the events are matched to the finding by the number (``requestParameters.PhoneNumber``) and space. A
failed lookup (no permission, ActionTrail unreachable) is said in the finding's place and never fails the
run: attribution is a courtesy, the finding is the point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.engine.drift_state import Status, Transition, Transitions

#: The finding kinds attribution looks up, and the CAMS write that changes each.
WRITE_OF_KIND: Mapping[str, str] = {"webhook": "UpdatePhoneWebhook", "profile": "ModifyPhoneBusinessProfile"}
MAX_PAGES = 4


class Caller(Protocol):
    async def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]: ...


def wanted(t: Transition) -> bool:
    return (t.status in (Status.NEW, Status.CHANGED) and t.finding.kind in WRITE_OF_KIND
            and t.since is not None and t.finding.phone_number is not None)


async def _events(client: Caller, event_name: str, start: str, end: str) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    query = {"StartTime": start, "EndTime": end, "Direction": "BACKWARD", "MaxResults": "50",
             "LookupAttribute.1.Key": "EventName", "LookupAttribute.1.Value": event_name}
    for _ in range(MAX_PAGES):
        body = await client.call("LookupEvents", query)
        found += [e for e in body.get("Events") or () if isinstance(e, Mapping)]
        token = body.get("NextToken")
        if not token:
            break
        query = {**query, "NextToken": str(token)}
    return found


def _who(event: Mapping[str, Any]) -> str:
    found = event.get("userIdentity")
    identity: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = identity.get("userName") or identity.get("principalId") or identity.get("accessKeyId") or "unknown"
    return (f"{name} ({identity.get('type', 'unknown type')}) called {event.get('eventName')} at "
            f"{event.get('eventTime')} (ActionTrail event {event.get('eventId')})")


async def attribute(clients: Mapping[str, Caller], space_accounts: Mapping[str, str],
                    space_ids: Mapping[str, str], transitions: Transitions) -> Transitions:
    """``transitions`` with ``who`` filled in for the webhook and profile changes ActionTrail can name.
    ``clients``: account name → client; ``space_accounts``: space → account; ``space_ids``: space → its id."""
    todo = [t for t in transitions.items if wanted(t)]
    if not todo:
        return transitions
    cache: dict[tuple[str, str, str], list[Mapping[str, Any]] | str] = {}
    who: dict[str, str] = {}
    for t in todo:
        account = space_accounts.get(t.finding.space, "default")
        key = (account, WRITE_OF_KIND[t.finding.kind], str(t.since))
        if key not in cache:
            try:
                cache[key] = await _events(clients[account], key[1], str(t.since), transitions.now)
            except Exception as exc:  # noqa: BLE001 - every failure is said in place; the run goes on
                cache[key] = f"unknown: ActionTrail lookup failed ({_one_line(exc)})"
        events = cache[key]
        if isinstance(events, str):
            who[t.finding.address] = events
            continue
        space_id = space_ids.get(t.finding.space)
        match = [e for e in events if _param(e, "PhoneNumber") == t.finding.phone_number
                 and _param(e, "CustSpaceId") in (None, space_id)]
        who[t.finding.address] = _who(match[0]) if match else \
            f"unknown: ActionTrail has no {key[1]} for this number since {t.since}"
    items = tuple(dataclasses.replace(t, who=who[t.finding.address]) if t.finding.address in who else t
                  for t in transitions.items)
    return dataclasses.replace(transitions, items=items)


def _param(event: Mapping[str, Any], name: str) -> Any:
    params = event.get("requestParameters")
    return params.get(name) if isinstance(params, Mapping) else None


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
