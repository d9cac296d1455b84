"""The WhatsApp Flows encryption public key, as the reconciler reads it from a file or the YAML: checked
offline (a PEM ``BEGIN PUBLIC KEY`` RSA key of at least 2048 bits, what the API accepts) and shown in plans
by its fingerprint, never whole.

The fingerprint is ``SHA256:`` and the unpadded base64 of the SHA-256 of the key's DER (the form OpenSSH
prints for its keys): the same key in any PEM line wrapping has one fingerprint, and two keys differ in it.
The emulator has its own copy of the parser (emulator and engine never import each other).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

RSA_MIN_BITS = 2048
_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----")
_RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


class KeyError_(ValueError):
    """Why a text is not an acceptable Flows public key (one line, never quoting the key)."""


def _der(data: bytes, at: int) -> tuple[int, int, int]:
    if at + 2 > len(data):
        raise ValueError("truncated")
    tag, first = data[at], data[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        octets = first & 0x7F
        if octets == 0 or octets > 4 or at + octets > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[at:at + octets], "big")
        at += octets
    if at + length > len(data):
        raise ValueError("truncated")
    return tag, at, at + length


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
        tag, start, end = _der(der, 0)
        if tag != 0x30 or end != len(der):
            raise ValueError("structure")
        tag, alg_start, alg_end = _der(der, start)
        tag_oid, oid_start, oid_end = _der(der, alg_start)
        if tag != 0x30 or tag_oid != 0x06 or der[oid_start:oid_end] != _RSA_OID:
            raise KeyError_("it is not an RSA key")
        tag, bits_start, _ = _der(der, alg_end)
        if tag != 0x03 or der[bits_start] != 0:
            raise ValueError("structure")
        tag, key_start, _ = _der(der, bits_start + 1)
        tag_n, n_start, n_end = _der(der, key_start)
        if tag != 0x30 or tag_n != 0x02:
            raise ValueError("structure")
    except KeyError_:
        raise
    except (ValueError, IndexError):
        raise KeyError_("its DER structure is not an RSA public key") from None
    bits = int.from_bytes(der[n_start:n_end], "big").bit_length()
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
