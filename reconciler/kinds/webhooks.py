"""A number's callback URLs (``webhooks:``): compared after URL normalisation, set by ``UpdatePhoneWebhook``.

The delivery flags (``http_delivery``/``queue_delivery`` → ``HttpFlag``/``QueueFlag``) cannot be read back
from the API, so they are never compared: a declared flag is sent with every webhook update (and shown in
the plan), an undeclared one is never sent, so a channel an operator switched off stays off. Only the URLs
that differ are sent (every parameter of the write but the number is optional).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change
from reconciler.core.secret_url import SecretUrl
from reconciler.kinds.base import JSON, Api, Block, Importer, Kind, Presenter, Rules, Scope, Values, Write
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import register


@dataclass(frozen=True)
class CallbackUrlField(Field):
    """A callback URL whose token may come from the environment (``${env:NAME}``, config/env_refs.py): a
    resolved one is shown as its template with a keyed fingerprint, never as the URL."""

    def show(self, value: Any) -> Any:
        if isinstance(value, SecretUrl):
            return value.display()
        return super().show(value)


@dataclass(frozen=True)
class Webhooks:
    status_callback_url: str | None = None
    up_callback_url: str | None = None
    http_delivery: bool | None = None  # HttpFlag: sent when declared, never compared (not readable)
    queue_delivery: bool | None = None  # QueueFlag: likewise

    def flags(self) -> dict[str, bool]:
        """The delivery flags the YAML declares: only these are sent."""
        return {name: value for name in _FLAGS if (value := getattr(self, name)) is not None}


_FLAGS = {"http_delivery": "HttpFlag", "queue_delivery": "QueueFlag"}


class WebhooksPresenter(Presenter):
    def reason(self, kind_label: str, names: Sequence[str], before: Mapping[str, JSON],
               after: Mapping[str, JSON]) -> str:
        text = f"{' and '.join(n.replace('_', ' ') for n in names)} {'differs' if len(names) == 1 else 'differ'}"
        masked_only = [n for n in names if before.get(n) == after.get(n)]
        if masked_only:  # masking made two different URLs look equal (?token=*** on both sides)
            text += f" ({', '.join(masked_only)}: only in masked query values)"
        return text


@register
class WebhooksKind(Kind[Webhooks]):
    name = "webhooks"
    label = "webhooks"
    scope = Scope.NUMBER
    model = Webhooks
    fields: ClassVar[tuple[Field, ...]] = (
        CallbackUrlField("status_callback_url", "StatusCallbackUrl", url=True, callback=True),
        CallbackUrlField("up_callback_url", "UpCallbackUrl", url=True, callback=True),
    )
    api = Api(update="UpdatePhoneWebhook")
    depends_on = ("membership",)
    rules = Rules(inheritable=True)
    importer = Importer(shared=True)  # the same pair on every number goes to the space's defaults
    presenter = WebhooksPresenter(labels={Action.UPDATE: "update-webhook"}, drift=DriftKind.WEBHOOK)

    def plan(self, block: Block[Webhooks], current: Values | None) -> list[Change]:
        out = super().plan(block, current)
        model, flags = block.model, block.model.flags()
        if not out:
            return out
        c = out[0]
        if current is None:  # pending: the flags are sent as declared
            return [replace(c, after={**(c.after or {}), **flags})] if flags else out
        item: Mapping[str, Any] = current
        secret = {f.name: (v, item.get(f.api)) for f in self.fields
                  if isinstance(v := getattr(model, f.name), SecretUrl)}
        if secret and isinstance(c.before, Mapping):  # the API's value of a secret URL: masked, with its fingerprint
            c = replace(c, before={k: (secret[k][0].display_actual(secret[k][1]) if k in secret else v)
                                   for k, v in c.before.items()})
        if flags:
            c = replace(c, after={**(c.after or {}), **flags},
                        reason=c.reason + f"; {', '.join(flags)} sent as declared (not readable back)")
        return [c]

    def params(self, w: Write[Webhooks]) -> dict[str, JSON]:
        """Only the URLs that differ (every parameter but the number is optional), and the declared flags."""
        wanted = set(w.change.before) if isinstance(w.change.before, Mapping) else set()
        model = w.block.model
        params: dict[str, JSON] = {f.api: getattr(model, f.name) for f in self.fields if f.name in wanted}
        params.update({_FLAGS[k]: v for k, v in model.flags().items()})
        return params
