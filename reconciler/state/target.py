"""Whose state a record is: the target (account, region, endpoint) every record and lock names.

- ``account``: ``acct:<id>`` (the RAM role's ARN or the account check's ``Mpk`` name it); only when the
  account check is unavailable, ``key:<access key id>`` (an id, not a secret: it names the key, not the
  account, so a key rotation starts a new record, which costs at most one resend of the account webhook);
- ``region``: the region the clients were opened for;
- ``endpoint``: the CAMS host (scheme, port and path kept, every secret-bearing part masked) or, for the
  in-process emulator (``--emulator STATE``), ``emulator:<state file>``: its port changes every run, its state
  file is what makes it that emulator.

A record for another target is never used: a rehearsal against the emulator, or against another account,
reads and writes records of its own, and the real account's plan does not move. The lock is per account
(``lock_key``): two runs for one account at two endpoints of it (a VPC endpoint and the public one) still
exclude each other.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.common.masking import mask_url

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class TargetId:
    account: str  # "acct:<id>" | "key:<access key id>"
    region: str
    endpoint: str  # "https://cams.ap-southeast-1.aliyuncs.com" | "emulator:<state file>"

    def to_dict(self) -> dict[str, str]:
        return {"account": self.account, "region": self.region, "endpoint": self.endpoint}

    @classmethod
    def from_dict(cls, d: Any) -> TargetId | None:
        if not isinstance(d, Mapping) or not all(isinstance(d.get(k), str) for k in ("account", "region", "endpoint")):
            return None
        return cls(d["account"], d["region"], d["endpoint"])

    @property
    def key(self) -> str:
        """The record folder's name: readable, safe in a path or an object key, and unique (a digest of the
        three parts ends it, since the readable part drops characters)."""
        return _slug(self.account, self.region, self.endpoint)

    @property
    def lock_key(self) -> str:
        """One lock per account (per emulator state file for the in-process emulator)."""
        where = self.endpoint if self.endpoint.startswith("emulator:") else ""
        return _slug(self.account, where)

    def describe(self) -> str:
        return f"{self.account}, {self.region} via {self.endpoint}"


def _slug(*parts: str) -> str:
    readable = "--".join(_UNSAFE.sub("-", p.split("://", 1)[-1]).strip("-") for p in parts if p)
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:10]
    return f"{readable[:100]}--{digest}"


def endpoint_name(endpoint: str | None, emulator_state: str | None) -> str:
    """What the target's ``endpoint`` says: the emulator's state file, else the masked base URL."""
    if emulator_state:  # as given (normalised): an absolute path would differ from runner to runner
        return f"emulator:{os.path.normpath(emulator_state)}"
    return (mask_url(endpoint) or "").rstrip("/")


def target_of(*, account_id: str | None, access_key_id: str | None, region: str, endpoint: str | None,
              emulator_state: str | None = None) -> TargetId:
    if account_id:
        account = f"acct:{account_id}"
    elif access_key_id:
        account = f"key:{access_key_id}"
    else:
        account = "unknown"
    return TargetId(account, region, endpoint_name(endpoint, emulator_state))
