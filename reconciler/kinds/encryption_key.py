"""A number's WhatsApp Flows encryption public key (``encryption_key:``), from a file beside the YAML or as a
PEM in it. Read by ``GetPhoneEncryptionPublicKey`` for each present number that declares it, set by
``UpdatePhoneEncryptionPublicKey``.

Keys are compared by their DER (a re-wrapped PEM is the same key) and shown by fingerprint only
(``SHA256:...``): a plan, a log or a results file never holds the PEM. Only the public key belongs in a
repository; a private key is refused offline. A key the platform holds but marks anything but ``VALID``
(``MISMATCH``: the number's key no longer matches what Flows expects) is drift, unless the plan replaces
the key anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from reconciler.core.drift_kinds import DriftKind
from reconciler.core.plan import Action, Change
from reconciler.kinds.base import JSON, Api, Block, Importer, Kind, Presenter, Rules, Scope, Values, Write
from reconciler.kinds.fields import Field
from reconciler.kinds.flows_key import KeyError_, fingerprint, public_key_der
from reconciler.kinds.registration import register


@dataclass(frozen=True)
class EncryptionKey:
    public_key: str  # the declared PEM: as written in the YAML, or read from public_key_file
    public_key_file: str | None = None  # as written in the YAML, relative to that file (for messages)


def _same_key(declared: str, actual: Any) -> bool:
    if not isinstance(actual, str) or not actual.strip():
        return False
    try:
        return public_key_der(declared) == public_key_der(actual)
    except KeyError_:
        return declared.strip() == actual.strip()


def key_path(yaml_file: str, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else Path(yaml_file).parent / path


def read_key_file(path: Path) -> str:
    """A key file's text (a regular file of at most 64 KiB, ASCII): ``KeyError_`` naming why not."""
    try:
        if not path.exists():
            raise KeyError_(f"cannot read the key file {path}: no such file")
        if not path.is_file():
            raise KeyError_(f"cannot read the key file {path}: not a regular file")
        if path.stat().st_size > 65536:
            raise KeyError_(f"the key file {path} is larger than 64 KiB: not a public key")
        return path.read_text(encoding="ascii")
    except UnicodeDecodeError:
        raise KeyError_(f"the key file {path} is not PEM text") from None
    except OSError as exc:
        raise KeyError_(f"cannot read the key file {path}: {exc.strerror or exc}") from None


class KeyRules(Rules):
    def build(self, model: Callable[..., object], values: Mapping[str, Any], yaml_file: str) -> EncryptionKey:
        """The key is read once, here, when the YAML is loaded (``check`` has refused an unreadable one)."""
        if values.get("public_key") is not None:
            return EncryptionKey(str(values["public_key"]))
        name = str(values["public_key_file"])
        return EncryptionKey(read_key_file(key_path(yaml_file, name)), name)

    def check(self, block: Any, yaml_file: str) -> list[tuple[tuple[str | int, ...], str]]:
        given = [k for k in ("public_key", "public_key_file") if block.get(k) is not None]
        if len(given) != 1:
            return [((), "needs exactly one of public_key_file (a PEM file) and public_key (the PEM itself)")]
        name = given[0]
        value = block[name]
        if not isinstance(value, str):
            return []  # the schema reports it
        try:
            text = value if name == "public_key" else read_key_file(key_path(yaml_file, value))
        except KeyError_ as exc:
            return [((name,), str(exc))]
        try:
            public_key_der(text)
        except KeyError_ as exc:
            return [((name,), f"not a usable Flows encryption key: {exc}")]
        return []


class KeyImporter(Importer):
    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        key = current.get("EncryptionPublicKey")
        if not isinstance(key, str) or not key.strip():
            return None
        return {"public_key": key.strip() + "\n"}


@register
class EncryptionKeyKind(Kind[EncryptionKey]):
    name = "encryption_key"
    label = "Flows encryption key"
    scope = Scope.NUMBER
    model = EncryptionKey
    fields: ClassVar[tuple[Field, ...]] = (Field("public_key", "EncryptionPublicKey"),)
    api = Api(read="GetPhoneEncryptionPublicKey", update="UpdatePhoneEncryptionPublicKey")
    depends_on = ("membership",)
    rules = KeyRules(inheritable=False)  # one key per number: Flows keys are not shared by accident
    importer = KeyImporter()
    presenter = Presenter(drift=DriftKind.SETTINGS)

    def plan(self, block: Block[EncryptionKey], current: Values | None) -> list[Change]:
        model = block.model
        pem = str(model.public_key)
        if current is None:
            return [self.change(block, Action.UPDATE, field="encryption_key.public_key", before=None,
                                after={"public_key": fingerprint(pem)}, pending=True,
                                source=block.source("encryption_key"),
                                reason=f"after {block.arrives_by}: uploaded where it differs (shown by fingerprint)")]
        have = current.get("EncryptionPublicKey")
        path = "encryption_key.public_key" if model.public_key_file is None else "encryption_key.public_key_file"
        source = block.source(path)
        if not _same_key(pem, have):
            before: dict[str, JSON] = {"public_key": fingerprint(have) if isinstance(have, str) else None}
            after: dict[str, JSON] = {"public_key": fingerprint(pem)}
            reason = ("no Flows encryption key is uploaded" if before["public_key"] is None
                      else "the uploaded Flows encryption key is another key")
            return [self.change(block, Action.UPDATE, field=path, before=before, after=after, source=source,
                                reason=reason + " (shown by fingerprint)")]
        status = str(current.get("EncryptionPublicKeyStatus") or "").strip().upper()
        if status != "VALID":
            return [self.change(block, Action.DRIFT, field="encryption_key.status", before=status or None,
                                after="VALID", source=source,
                                reason=f"the Flows encryption key is {status or 'of no status'}, not VALID: upload "
                                       "it again or check the number's Flows setup")]
        return []

    def params(self, w: Write[EncryptionKey]) -> dict[str, JSON]:
        return {"EncryptionPublicKey": w.block.model.public_key}
