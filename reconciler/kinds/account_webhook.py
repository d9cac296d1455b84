"""The space-level (account) webhook (``account_webhook:`` on a space): ``UpdateAccountWebhook``.

CAMS sends the account's own events there — WABA, phone-number and template status changes — apart from
each number's webhooks (``webhooks:``, UpdatePhoneWebhook), which carry that number's message status
reports and inbound messages. Setting one never changes the other.

No API reads the account webhook back, so it cannot be compared with the platform. What this tool last sent
for a space is recorded instead, in the state store (``reconciler.state``; the ``account-webhooks`` record of
the target: account, region, endpoint), and that record is this kind's "actual" value (``recorded``). A
plan shows an update when the YAML differs from the record, or when there is none for this target (a first
apply, a record lost, a store just moved: sending the same values again is harmless); ``drift`` reports the
latter as unknown, a notice, never as drift. Apply reports the write as sent, never as verified.

The record never holds the URL, nor anything of its secret part (a token in the query): its ``masked`` digest
is of the URL as every log shows it (query values masked), and its ``keyed`` digest, only when
``CAMS_RECONCILER_FINGERPRINT_KEY`` is set, is an HMAC of the real values under that key. An unkeyed digest of
a short token on a Git branch would be an offline guessing oracle. Without the key, a change of the token
alone is not seen (docs/state.md). The delivery flags follow the number webhooks' rule: sent only when
declared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.common.masking import mask_url
from reconciler.core.digest import canonical_digest
from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change
from reconciler.kinds.base import JSON, Api, Block, Kind, Presenter, Recorder, Scope, Values, Write
from reconciler.kinds.fields import Field, show_value
from reconciler.kinds.registration import register

if TYPE_CHECKING:
    from reconciler.core.model import Space

FINGERPRINT_KEY_ENV = "CAMS_RECONCILER_FINGERPRINT_KEY"  # config.env_refs' (not imported: it imports the kinds)
LEGACY_FORMAT_VERSION = 1  # today's unkeyed account-webhooks.json


@dataclass(frozen=True)
class AccountWebhook:
    status_callback_url: str | None = None
    http_delivery: bool | None = None
    queue_delivery: bool | None = None

    def params(self) -> dict[str, Any]:
        """What UpdateAccountWebhook is sent: the declared values only."""
        out: dict[str, Any] = {}
        if self.status_callback_url is not None:
            out["StatusCallbackUrl"] = self.status_callback_url
        if self.http_delivery is not None:
            out["HttpFlag"] = self.http_delivery
        if self.queue_delivery is not None:
            out["QueueFlag"] = self.queue_delivery
        return out


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _key(env: Mapping[str, str]) -> bytes | None:
    key = env.get(FINGERPRINT_KEY_ENV)
    return key.encode() if key else None


def _canonical(cust_space_id: str, params: Mapping[str, Any]) -> str:
    return json.dumps({"cust_space_id": cust_space_id, **params}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str)


def record_of(cust_space_id: str, model: AccountWebhook, env: Mapping[str, str], at: str | None = None) -> dict[str, Any]:
    """What the store keeps of a send: digests only (see the module's docstring), and when."""
    params = model.params()
    masked = {**params, "StatusCallbackUrl": mask_url(params.get("StatusCallbackUrl"))}
    out: dict[str, Any] = {"cust_space_id": cust_space_id, "masked": canonical_digest(json.loads(_canonical(
        cust_space_id, masked))), "at": at or now()}
    key = _key(env)
    if key is not None:
        out["keyed"] = "hmac-sha256:" + hmac.new(key, _canonical(cust_space_id, params).encode(), hashlib.sha256).hexdigest()
    return out


def matches(recorded: Mapping[str, Any], cust_space_id: str, model: AccountWebhook, env: Mapping[str, str]) -> bool:
    """Whether ``recorded`` says these values were sent for this space."""
    if recorded.get("cust_space_id") != cust_space_id:
        return False
    if "legacy_digest" in recorded:  # today's file, adopted: its digest is of the real values, unkeyed
        return bool(recorded["legacy_digest"] == canonical_digest({"cust_space_id": cust_space_id, **model.params()}))
    now_ = record_of(cust_space_id, model, env, at="")
    if "keyed" in recorded and "keyed" in now_:
        return bool(hmac.compare_digest(str(recorded["keyed"]), now_["keyed"]))
    return bool(recorded.get("masked") == now_["masked"])


def legacy_record(data: Any) -> dict[str, Any] | None:
    """Today's ``account-webhooks.json`` (space → {cust_space_id, digest, at}) as record data whose entries
    carry ``legacy_digest``: compared in memory, converted (or dropped) before anything is written."""
    if not isinstance(data, dict) or data.get("format_version") != LEGACY_FORMAT_VERSION:
        return None
    spaces = data.get("spaces")
    if not isinstance(spaces, dict):
        return None
    return {"spaces": {name: {"cust_space_id": v.get("cust_space_id"), "legacy_digest": v.get("digest"),
                              "at": v.get("at", "?")}
                       for name, v in spaces.items() if isinstance(v, dict)}}


class AccountWebhookRecorder(Recorder):
    """Its actual value is the state store's record of what was sent (``PlanContext.recorded``)."""

    def record_of(self, space: Space, model: object, change: Change | None = None,
                  stored: Values | None = None) -> dict[str, JSON]:
        """The whole entry: one change sets all of it (``stored`` is not needed)."""
        assert isinstance(model, AccountWebhook)
        found: dict[str, JSON] = record_of(space.cust_space_id, model, os.environ)
        return found

    def adopt(self, space: Space, model: object, recorded: Values) -> dict[str, JSON] | None:
        """A legacy entry as it may be stored: converted when it still matches the YAML, else dropped."""
        if "legacy_digest" not in recorded:
            return dict(recorded)
        if isinstance(model, AccountWebhook) and matches(recorded, space.cust_space_id, model, os.environ):
            found: dict[str, JSON] = record_of(space.cust_space_id, model, os.environ, at=str(recorded.get("at") or now()))
            return found
        return None

    def unknown(self, change: Change) -> bool:
        """No record for this target: nobody can say whether it differs (drift: a notice, not drift)."""
        return change.before is None


@register
class AccountWebhookKind(Kind[AccountWebhook]):
    name = "account_webhook"
    label = "account webhook"
    scope = Scope.SPACE
    model = AccountWebhook
    fields: ClassVar[tuple[Field, ...]] = (
        Field("status_callback_url", "StatusCallbackUrl", url=True, callback=True),
    )
    api = Api(update="UpdateAccountWebhook")
    importer = None  # not readable: import cannot know it
    presenter = Presenter(drift=DriftKind.WEBHOOK)
    recorder = AccountWebhookRecorder()

    def plan(self, block: Block[AccountWebhook], current: Values | None) -> list[Change]:
        recorded: Mapping[str, Any] = current or {}
        model, space = block.model, block.space
        if recorded and matches(recorded, space.cust_space_id, model, os.environ):
            return []
        url: Any = model.status_callback_url
        # a ${env:NAME} token (config.env_refs.SecretUrl) shows as its template with a keyed fingerprint
        shown = url.display() if hasattr(url, "display") else show_value(url, url=True)
        after: dict[str, JSON] = {"status_callback_url": shown}
        after.update({k: v for k, v in (("http_delivery", model.http_delivery),
                                        ("queue_delivery", model.queue_delivery)) if v is not None})
        after = {k: v for k, v in after.items() if v is not None}
        reason = ("no record that this tool sent it to this target (account, region, endpoint), and the API "
                  "cannot read it back" if not recorded else
                  f"differs from what this tool last sent on {recorded.get('at', '?')} (the API cannot read it back)")
        return [self.change(block, Action.UPDATE, before=None if not recorded else {"recorded_at": recorded.get("at", "?")},
                            after=after, source=space.sources.get(f"{self.name}.status_callback_url") or space.source,
                            reason=reason)]

    def params(self, w: Write[AccountWebhook]) -> dict[str, JSON]:
        found: dict[str, JSON] = w.block.model.params()
        return found
