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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from reconciler.core.plan import Action, Change
from reconciler.kinds import register
from reconciler.kinds.base import Field, Kind, Scope, change
from reconciler.kinds.flows_key import KeyError_, fingerprint, public_key_der


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


def declared_pem(number: Any, model: EncryptionKey) -> str:
    return str(model.public_key)


@register
class EncryptionKeyKind(Kind):
    name = "encryption_key"
    scope = Scope.NUMBER
    inheritable = False  # one key per number: Flows keys are not shared by accident
    model = EncryptionKey
    label = "Flows encryption key"
    drift_kind = "settings"
    fields: ClassVar[tuple[Field, ...]] = (Field("public_key", "EncryptionPublicKey"),)
    action = Action.UPDATE
    read_action = "GetPhoneEncryptionPublicKey"
    write_action = "UpdatePhoneEncryptionPublicKey"

    def build_from(self, values: Mapping[str, Any], yaml_file: str) -> Any:
        """The key is read once, here, when the YAML is loaded (``check`` has refused an unreadable one)."""
        if values.get("public_key") is not None:
            return EncryptionKey(str(values["public_key"]))
        name = str(values["public_key_file"])
        return EncryptionKey(read_key_file(key_path(yaml_file, name)), name)

    def check_in(self, block: Any, yaml_file: str) -> list[tuple[tuple[Any, ...], str]]:
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

    def diff(self, space: Any, number: Any, model: Any, item: Mapping[str, Any],
             data: Mapping[str, Any] | None) -> list[Change]:
        data = data or {}
        pem = declared_pem(number, model)
        have = data.get("EncryptionPublicKey")
        path = "encryption_key.public_key" if model.public_key_file is None else "encryption_key.public_key_file"
        source = number.source_of(path)
        if not _same_key(pem, have):
            before = {"public_key": fingerprint(have) if isinstance(have, str) else None}
            after = {"public_key": fingerprint(pem)}
            reason = ("no Flows encryption key is uploaded" if before["public_key"] is None
                      else "the uploaded Flows encryption key is another key")
            return [change(space, number, self.action, field=path, before=before, after=after, source=source,
                           reason=reason + " (shown by fingerprint)")]
        status = str(data.get("EncryptionPublicKeyStatus") or "").strip().upper()
        if status != "VALID":
            return [change(space, number, Action.DRIFT, field="encryption_key.status", before=status or None,
                           after="VALID", source=source,
                           reason=f"the Flows encryption key is {status or 'of no status'}, not VALID: upload it "
                                  "again or check the number's Flows setup")]
        return []

    def pending(self, space: Any, number: Any, model: Any, arrives_by: str) -> list[Change]:
        return [change(space, number, self.action, field="encryption_key.public_key", before=None,
                       after={"public_key": fingerprint(declared_pem(number, model))}, pending=True,
                       source=number.source_of("encryption_key"),
                       reason=f"after {arrives_by}: uploaded where it differs (shown by fingerprint)")]

    def write_params(self, model: Any, differing: Iterable[str]) -> dict[str, Any]:
        return {"EncryptionPublicKey": model.public_key}

    def import_block(self, item: Mapping[str, Any], data: Mapping[str, Any] | None,
                     **options: Any) -> dict[str, Any] | None:
        key = (data or {}).get("EncryptionPublicKey")
        if not isinstance(key, str) or not key.strip():
            return None
        return {"public_key": key.strip() + "\n"}
