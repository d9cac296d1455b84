"""ActionTrail's event history, as far as ``drift --attribution`` reads it: every successful CAMS write is
recorded as an event of the calling key's account, and ``LookupEvents`` answers from them.

The request is the official SDK's (``alibabacloud_actiontrail20200706`` LookupEventsRequest): every
parameter optional; ``StartTime``/``EndTime`` in UTC ``YYYY-MM-DDThh:mm:ssZ`` (default: seven days ago / now);
``Direction`` ``FORWARD`` or ``BACKWARD`` (the default, newest first); ``MaxResults`` 0 to 50 (the emulator
answers 20 when it is absent); ``LookupAttribute.N.Key``/``Value`` with the keys the model lists and one
condition per query; ``NextToken`` only as this emulator handed it out, with the same other parameters. The
error codes for a bad value are not documented: the emulator answers ``InvalidParameter`` naming the
parameter (the stricter reading; docs/emulator.md). Events carry the fields of ActionTrail's event log
(``eventId``, ``eventName``, ``eventTime``, ``eventRW``, ``serviceName``, ``userIdentity``, ...) and, as request
parameters, only ``CustSpaceId`` and ``PhoneNumber``: never a callback URL (it may hold a token) or a code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.emulator.errors import EmulatorApiError

if TYPE_CHECKING:
    from reconciler.emulator.callers import Caller

LOOKUP_KEYS = ("ServiceName", "EventName", "User", "EventId", "ResourceType", "ResourceName", "EventRW",
               "EventAccessKeyId")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_KEPT_PARAMS = ("CustSpaceId", "PhoneNumber")
DEFAULT_MAX = 20
MAX_EVENTS = 10_000  # per account: the oldest go first


def _invalid(name: str, why: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", f"The parameter {name} is invalid: {why}.")


def _time(params: Mapping[str, str], name: str, default: dt.datetime) -> dt.datetime:
    text = params.get(name)
    if not text:
        return default
    if not _TIME.match(text):
        raise _invalid(name, "expected UTC time as YYYY-MM-DDThh:mm:ssZ")
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise _invalid(name, "not a calendar time") from None


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ActionTrailMixin:
    """Mixed into ``CamsBackend``: ``record_event`` after each successful write, ``LookupEvents`` the action.
    The events live on the backend instance (``_trail``: account id → events, oldest first)."""

    region: str

    def _events_of(self, account: str) -> list[dict[str, Any]]:
        trail: dict[str, list[dict[str, Any]]] = self.__dict__.setdefault("_trail", {})
        return trail.setdefault(account, [])

    def record_event(self, action: str, caller: Caller, params: Mapping[str, str], request_id: str | None = None,
                     *, now: dt.datetime | None = None) -> None:
        moment = now or dt.datetime.now(dt.UTC)
        events = self._events_of(caller.account)
        events.append({
            "eventId": str(uuid.uuid4()).upper(),
            "eventName": action,
            "eventRW": "Write",
            "eventType": "ApiCall",
            "eventTime": _stamp(moment),
            "eventVersion": 1,
            "serviceName": "Cams",
            "acsRegion": self.region,
            "requestId": request_id or str(uuid.uuid4()).upper(),
            "sourceIpAddress": "127.0.0.1",
            "userIdentity": {"type": "ram-user", "accountId": caller.account, "accessKeyId": caller.access_key_id,
                             "principalId": caller.access_key_id, "userName": caller.access_key_id},
            "requestParameters": {k: params[k] for k in _KEPT_PARAMS if params.get(k)},
            "_at": moment,
        })
        del events[:-MAX_EVENTS]

    def LookupEvents(self, caller: Caller, params: Mapping[str, str]) -> dict[str, Any]:  # noqa: N802 - API name
        now = dt.datetime.now(dt.UTC)
        start = _time(params, "StartTime", now - dt.timedelta(days=7))
        end = _time(params, "EndTime", now)
        if start > end:
            raise _invalid("StartTime", "later than EndTime")
        direction = params.get("Direction") or "BACKWARD"
        if direction not in ("FORWARD", "BACKWARD"):
            raise _invalid("Direction", "FORWARD or BACKWARD")
        text = params.get("MaxResults")
        if text is None or text == "":
            limit = DEFAULT_MAX
        elif not text.isdigit() or int(text) > 50:
            raise _invalid("MaxResults", "an integer from 0 to 50")
        else:
            limit = int(text)
        extra = sorted(k for k in params if k.startswith("LookupAttribute.") and not k.startswith("LookupAttribute.1."))
        if extra:
            raise _invalid(extra[0], "only one query condition is allowed per query")
        key, value = params.get("LookupAttribute.1.Key"), params.get("LookupAttribute.1.Value")
        if key is not None and key not in LOOKUP_KEYS:
            raise _invalid("LookupAttribute.1.Key", "one of " + ", ".join(LOOKUP_KEYS))
        if (key is None) != (value is None) or value == "":
            raise _invalid("LookupAttribute.1.Value" if key else "LookupAttribute.1.Key", "Key and Value go together")
        query = {k: v for k, v in params.items() if k != "NextToken"}
        fingerprint = hashlib.sha256(json.dumps(sorted(query.items())).encode()).hexdigest()[:12]
        offset = 0
        token = params.get("NextToken")
        if token:
            try:
                where, _, seen = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
                offset = int(where)
            except (ValueError, UnicodeDecodeError):
                raise _invalid("NextToken", "not a token this service handed out") from None
            if seen != fingerprint:
                raise _invalid("NextToken", "the other parameters differ from the request that returned it")
        found = [e for e in self._events_of(caller.account)  # to the second, as the times are written
                 if start <= e["_at"].replace(microsecond=0) <= end and _matches(e, key, value)]
        if direction == "BACKWARD":
            found.reverse()
        page = found[offset:offset + limit]
        body: dict[str, Any] = {"StartTime": _stamp(start), "EndTime": _stamp(end),
                                "Events": [{k: v for k, v in e.items() if k != "_at"} for e in page]}
        if offset + limit < len(found) and limit:
            body["NextToken"] = base64.urlsafe_b64encode(f"{offset + limit}:{fingerprint}".encode()).decode()
        return body


def _matches(event: Mapping[str, Any], key: str | None, value: str | None) -> bool:
    if key is None:
        return True
    identity = event["userIdentity"]
    got = {"ServiceName": event["serviceName"], "EventName": event["eventName"], "User": identity["userName"],
           "EventId": event["eventId"], "EventRW": event["eventRW"], "EventAccessKeyId": identity["accessKeyId"],
           "ResourceName": event["requestParameters"].get("PhoneNumber"),
           "ResourceType": "ACS::CAMS::PhoneNumber"}.get(key)
    return got == value
