"""Signed saved plans: ``CAMS_RECONCILER_PLAN_KEY`` turns ``plan --out`` into a plan ``apply --plan`` can
authenticate.

A saved plan is a file anyone with write access to the artifact (or code under review that produced it) can
edit. ``apply --plan`` already derives everything it judges from a fresh plan, so an edit cannot add a
write; but a file alone cannot say "this is the plan the reviewer saw". With a key, ``plan --out`` adds
``signature``: an HMAC-SHA256 over the plan's canonical content (the JSON document without ``signature``,
keys sorted, no whitespace, UTF-8), and ``apply --plan`` refuses an unsigned plan or one whose MAC does not
verify. Where such a key may live is the operator's decision (docs/gitops.md): only where the code under
review cannot read it.

The same key also keys the digest of the plan's ``${env:NAME}`` values (``env_digest``), so that a token
rotated between the review and the apply is seen even without ``CAMS_RECONCILER_FINGERPRINT_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

PLAN_KEY_ENV = "CAMS_RECONCILER_PLAN_KEY"
ALGORITHM = "hmac-sha256"


def canonical(data: Mapping[str, Any]) -> bytes:
    """The bytes the MAC covers: the document without its ``signature``, in one fixed spelling."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mac(data: Mapping[str, Any], key: str) -> str:
    return hmac.new(key.encode("utf-8"), canonical(data), hashlib.sha256).hexdigest()


def sign(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``data`` with its ``signature`` (the last key, so the rest of the file reads as before)."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return {**body, "signature": {"algorithm": ALGORITHM, "mac": mac(body, key)}}


def signature_problem(data: Mapping[str, Any], key: str | None) -> str | None:
    """Why ``data`` must not be applied under ``key`` (None: no key set, or the MAC verifies)."""
    if not key:
        return None
    signature = data.get("signature")
    if not isinstance(signature, Mapping):
        return (f"the plan is not signed, and {PLAN_KEY_ENV} is set: only a plan signed by `plan --out` with "
                "the same key is applied")
    given = signature.get("mac")
    if signature.get("algorithm") != ALGORITHM or not isinstance(given, str) \
            or not hmac.compare_digest(given, mac(data, key)):
        return ("the plan's signature does not verify with the key in "
                f"{PLAN_KEY_ENV}: the file was edited after `plan --out`, or signed with another key")
    return None


def env_digest(values: Mapping[str, str], key: str) -> str:
    """A keyed digest of the ``${env:NAME}`` values a plan resolved (names and values), never reversible
    without the key."""
    text = json.dumps(dict(sorted(values.items())), separators=(",", ":"), ensure_ascii=False)
    return "hmac-sha256:" + hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()
