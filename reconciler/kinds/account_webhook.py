"""The space-level (account) webhook (``account_webhook:`` on a space): ``UpdateAccountWebhook``.

CAMS sends the account's own events there — WABA, phone-number and template status changes — apart from
each number's webhooks (``webhooks:``, UpdatePhoneWebhook), which carry that number's message status
reports and inbound messages. Setting one never changes the other.

No API reads the account webhook back, so it cannot be compared with the platform. What this tool last sent
for a space is recorded instead, as a digest (never the URL: it may hold a token) in
``account-webhooks.json`` beside the journal (``CAMS_RECONCILER_JOURNAL``, default
``.cams-reconciler/``); like the journal, in CI it must survive between runs. A plan shows an update when
the YAML differs from that record, or when there is none (a first apply, or a record lost: sending the same
values again is harmless). The delivery flags follow the number webhooks' rule: sent only when declared.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from reconciler.engine.digest import canonical_digest
from reconciler.engine.plan import Action, Change
from reconciler.files import write_atomically
from reconciler.kinds import register
from reconciler.kinds.base import CallClient, Field, Kind, Scope, change, show_value

JOURNAL_ENV = "CAMS_RECONCILER_JOURNAL"
#: the journal's default place (``engine.journal``; not imported: ``validate`` loads the kinds, not the engine)
JOURNAL_DEFAULT = Path(".cams-reconciler") / "journal.json"
RECORD_NAME = "account-webhooks.json"
FORMAT_VERSION = 1
_MAX_BYTES = 4 * 1024 * 1024


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


def record_path() -> Path:
    journal = os.environ.get(JOURNAL_ENV) or str(JOURNAL_DEFAULT)
    return Path(journal).with_name(RECORD_NAME)


def _load() -> dict[str, Any]:
    """The record (space name → {cust_space_id, digest, at}); empty when missing or not a record (a broken
    record only means the next plan sends the webhook again)."""
    path = record_path()
    try:
        if not path.is_file() or path.stat().st_size > _MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        return {}
    spaces = data.get("spaces")
    return {k: v for k, v in spaces.items() if isinstance(v, dict)} if isinstance(spaces, dict) else {}


def _save(spaces: Mapping[str, Any]) -> None:
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps({"format_version": FORMAT_VERSION, "spaces": dict(sorted(spaces.items()))},
                                      indent=2, ensure_ascii=False) + "\n")


def digest(cust_space_id: str, model: AccountWebhook) -> str:
    return canonical_digest({"cust_space_id": cust_space_id, **model.params()})


@register
class AccountWebhookKind(Kind):
    name = "account_webhook"
    scope = Scope.SPACE
    model = AccountWebhook
    label = "account webhook"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("status_callback_url", "StatusCallbackUrl", url=True, callback=True),
    )
    action = Action.UPDATE
    write_action = "UpdateAccountWebhook"
    drift_kind = "webhook"

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        recorded = _load().get(space.name) or {}
        if recorded.get("digest") == digest(space.cust_space_id, model):
            return []
        after: dict[str, Any] = {"status_callback_url": show_value(model.status_callback_url, url=True)}
        after.update({k: v for k, v in (("http_delivery", model.http_delivery),
                                        ("queue_delivery", model.queue_delivery)) if v is not None})
        after = {k: v for k, v in after.items() if v is not None}
        reason = ("not sent by this tool yet (the API cannot read it back)" if not recorded else
                  f"differs from what this tool last sent on {recorded.get('at', '?')} (the API cannot read it back)")
        return [change(space, None, Action.UPDATE, field=self.name, before=None, after=after,
                       source=space.sources.get(f"{self.name}.status_callback_url") or space.source,
                       reason=reason)]

    async def write_change(self, client: CallClient, space: Any, model: Any, change: Change) -> None:
        await client.call(self.write_action or "", {"CustSpaceId": space.cust_space_id, **model.params()})
        spaces = _load()
        spaces[space.name] = {"cust_space_id": space.cust_space_id, "digest": digest(space.cust_space_id, model),
                              "at": now()}
        _save(spaces)

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        return None  # not readable: import cannot know it
