"""A number's callback URLs (``webhooks:``): compared after URL normalisation, set by ``UpdatePhoneWebhook``.

The delivery flags (``http_delivery``/``queue_delivery`` → ``HttpFlag``/``QueueFlag``) cannot be read back
from the API, so they are never compared: a declared flag is sent with every webhook update (and shown in
the plan), an undeclared one is never sent, so a channel an operator switched off stays off. Only the URLs
that differ are sent (every parameter of the write but the number is optional).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from reconciler.core.plan import Action
from reconciler.core.secret_url import SecretUrl
from reconciler.kinds import register
from reconciler.kinds.base import Field, Kind, Scope


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


@register
class WebhooksKind(Kind):
    name = "webhooks"
    scope = Scope.NUMBER
    inheritable = True
    model = Webhooks
    label = "webhooks"
    fields: ClassVar[tuple[Field, ...]] = (
        CallbackUrlField("status_callback_url", "StatusCallbackUrl", url=True, callback=True),
        CallbackUrlField("up_callback_url", "UpCallbackUrl", url=True, callback=True),
    )
    action = Action.UPDATE_WEBHOOK
    write_action = "UpdatePhoneWebhook"
    drift_kind = "webhook"
    import_shared = True  # the same pair on every number goes to the space's defaults

    def reason(self, names: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
        text = f"{' and '.join(n.replace('_', ' ') for n in names)} {'differs' if len(names) == 1 else 'differ'}"
        masked_only = [n for n in names if before.get(n) == after.get(n)]
        if masked_only:  # masking made two different URLs look equal (?token=*** on both sides)
            text += f" ({', '.join(masked_only)}: only in masked query values)"
        return text

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Any]:
        out = super().diff(space, number, model, item, data)
        secret = {f.name: (v, item.get(f.api)) for f in self.fields if isinstance(v := getattr(model, f.name), SecretUrl)}
        if out and secret and isinstance(out[0].before, Mapping):
            c = out[0]  # the API's value of a secret URL: masked, with its fingerprint to compare
            before = {k: (secret[k][0].display_actual(secret[k][1]) if k in secret else v) for k, v in c.before.items()}
            out = [replace(c, before=before)]
        flags = model.flags()
        if out and flags:
            c = out[0]
            out = [replace(c, reason=c.reason + f"; {', '.join(flags)} sent as declared (not readable back)")]
        return out

    def extra_after(self, model: Any) -> dict[str, Any]:
        return dict(model.flags())

    def write_params(self, model: Any, differing: Iterable[str]) -> dict[str, Any]:
        wanted = set(differing)
        params: dict[str, Any] = {f.api: getattr(model, f.name) for f in self.fields if f.name in wanted}
        params.update({_FLAGS[k]: v for k, v in model.flags().items()})
        return params

