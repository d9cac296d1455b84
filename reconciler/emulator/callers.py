"""Who calls the emulator (``Caller``: an access key, what it may do, its account) and where each account's
state lives (``BackendDict``): the types the backend and its mixins share (the mixins import them from here,
not from the backend that imports the mixins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.emulator.state import DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Caller:
    """The authenticated access key making a call. ``actions`` None means every action is allowed."""

    access_key_id: str
    actions: frozenset[str] | None = None
    account: str = DEFAULT_ACCOUNT_ID  # the account the key belongs to

    def may(self, action: str) -> bool:
        return self.actions is None or action in self.actions


class BackendDict(dict[str, dict[str, dict[str, Any]]]):
    """``[account_id][region]`` → that account's state in that region (moto's shape). A region the state
    file does not fill is an empty account there: no spaces, no account data."""

    def at(self, account_id: str, region: str) -> dict[str, Any]:
        regions = self.setdefault(account_id, {})
        found = regions.get(region)
        if found is None:
            found = regions[region] = {"keys": [], "account": None, "spaces": {}}
        return found
