"""What a plan or a result is for, as plain data: the tool's version, when, from which commit, and the
accounts (``Target``) it talks to. ``reconciler.provenance`` collects it; saved plans and results carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One account the command talked to, and where."""

    account: str  # the account's name in the desired state, or "default"
    account_id: str | None
    region: str
    endpoint: str  # the CAMS base URL, masked

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "account_id": self.account_id, "region": self.region,
                "endpoint": self.endpoint}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Target:
        return cls(str(d["account"]), d.get("account_id"), str(d["region"]), str(d["endpoint"]))

    def describe(self) -> str:
        who = f"account {self.account}" + (f" ({self.account_id})" if self.account_id else "")
        return f"{who}, {self.region} via {self.endpoint}"


@dataclass(frozen=True)
class Provenance:
    tool_version: str
    created_at: str  # ISO 8601, UTC, to the second
    git_commit: str | None
    targets: tuple[Target, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"tool_version": self.tool_version, "created_at": self.created_at, "git_commit": self.git_commit,
                "targets": [t.to_dict() for t in self.targets]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Provenance:
        return cls(str(d["tool_version"]), str(d["created_at"]), d.get("git_commit"),
                   tuple(Target.from_dict(t) for t in d.get("targets", ())))

    def accounts_line(self) -> str:
        return "; ".join(t.describe() for t in self.targets) or "no account"

    def line(self, what: str = "Plan") -> str:
        """``Plan for account default (1051…), ap-southeast-1 via https://…: cams-reconciler 0.1.0, commit
        1a2b3c4, 2026-12-01T22:30:05Z``."""
        commit = f", commit {self.git_commit[:12]}" if self.git_commit else ""
        return (f"{what} for {self.accounts_line()}: cams-reconciler {self.tool_version}{commit}, "
                f"{self.created_at}")
