"""The WhatsApp Flows encryption public key, as the reconciler reads it from a file or the YAML: checked
offline (a PEM ``BEGIN PUBLIC KEY`` RSA key of at least 2048 bits, what the API accepts) and shown in plans
by its fingerprint, never whole.

The fingerprint is ``SHA256:`` and the unpadded base64 of the SHA-256 of the key's DER (the form OpenSSH
prints for its keys): the same key in any PEM line wrapping has one fingerprint, and two keys differ in it.
The DER structure's rule is ``reconciler.common.der``, which the emulator applies too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from reconciler.common import der as der_rules
from reconciler.common.der import RSA_MIN_BITS

_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----")


class KeyError_(ValueError):
    """Why a text is not an acceptable Flows public key (one line, never quoting the key)."""


def public_key_der(pem: str) -> bytes:
    """The DER of the one RSA public key in ``pem``; ``KeyError_`` (with why) for anything else."""
    if "PRIVATE KEY" in pem:
        raise KeyError_("it is a private key: give the public key only (openssl rsa -pubout)")
    found = _PEM.findall(pem)
    if len(found) != 1 or pem.strip().splitlines()[0].strip() != "-----BEGIN PUBLIC KEY-----":
        raise KeyError_("it is not one PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)")
    try:
        der = base64.b64decode("".join(found[0].split()), validate=True)
    except (binascii.Error, ValueError):
        raise KeyError_("its base64 body is malformed") from None
    try:
        bits = der_rules.rsa_modulus_bits(der)
    except der_rules.NotRsaKey:
        raise KeyError_("it is not an RSA key") from None
    except ValueError:
        raise KeyError_("its DER structure is not an RSA public key") from None
    if bits < RSA_MIN_BITS:
        raise KeyError_(f"it is a {bits}-bit RSA key; WhatsApp Flows needs at least {RSA_MIN_BITS} bits")
    return der


def fingerprint_der(der: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def fingerprint(pem: str | None) -> str | None:
    """The key's fingerprint; for a text that is not a key (what the API holds may be anything), a
    fingerprint of the text itself, marked so (never the text)."""
    if not pem or not pem.strip():
        return None
    try:
        return fingerprint_der(public_key_der(pem))
    except KeyError_:
        return "SHA256(text):" + base64.b64encode(hashlib.sha256(pem.strip().encode()).digest()).decode().rstrip("=")
