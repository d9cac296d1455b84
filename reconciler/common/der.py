"""The DER structure of an RSA public key (X.509 ``SubjectPublicKeyInfo``, what ``BEGIN PUBLIC KEY`` holds):
the WhatsApp Flows encryption key's rule, read by the reconciler's offline check and by the emulator.

Only the few elements the rule needs are walked (no general ASN.1 reader): the outer SEQUENCE, the algorithm
identifier's OID, the BIT STRING and the modulus INTEGER of the ``RSAPublicKey`` inside it.
"""

from __future__ import annotations

#: 1.2.840.113549.1.1.1 rsaEncryption
RSA_OID = bytes.fromhex("2a864886f70d010101")
#: The smallest modulus WhatsApp Flows accepts.
RSA_MIN_BITS = 2048


class NotRsaKey(ValueError):
    """A well-formed public key of another algorithm."""


def element(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at ``at``; ValueError when malformed."""
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


def rsa_modulus_bits(der: bytes) -> int:
    """The modulus size of the RSA public key whose ``SubjectPublicKeyInfo`` is ``der``: ``NotRsaKey`` for
    another algorithm, ValueError for anything that is not that structure."""
    try:
        tag, start, end = element(der, 0)                   # SubjectPublicKeyInfo ::= SEQUENCE
        if tag != 0x30 or end != len(der):
            raise ValueError("not a SEQUENCE")
        tag, alg_start, alg_end = element(der, start)       # AlgorithmIdentifier ::= SEQUENCE { OID, NULL }
        tag_oid, oid_start, oid_end = element(der, alg_start)
        if tag != 0x30 or tag_oid != 0x06 or der[oid_start:oid_end] != RSA_OID:
            raise NotRsaKey("not an RSA key")
        tag, bits_start, _ = element(der, alg_end)          # BIT STRING holding RSAPublicKey
        if tag != 0x03 or der[bits_start] != 0:
            raise ValueError("bad BIT STRING")
        tag, key_start, _ = element(der, bits_start + 1)    # RSAPublicKey ::= SEQUENCE { n INTEGER, e INTEGER }
        tag_n, n_start, n_end = element(der, key_start)
        if tag != 0x30 or tag_n != 0x02:
            raise ValueError("bad RSAPublicKey")
    except IndexError:
        raise ValueError("truncated") from None
    return int.from_bytes(der[n_start:n_end], "big").bit_length()
