"""The API calls the engine makes, counted by action as it makes them.

The count is part of the product's contract: a plan makes one QueryChatappPhoneNumbers per space, one
QueryPhoneBusinessProfile per present number that declares a profile and one GetCustomerAccountInfo per run,
and the calls of a plan and of an apply are printed and saved. Retries are the client's business (its own
stats); this counts what the engine asked for.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

#: Client method → the API action it calls.
METHOD_ACTIONS = {
    "query_phone_numbers": "QueryChatappPhoneNumbers",
    "get_customer_account_info": "GetCustomerAccountInfo",
    "sync_phone_numbers": "ChatappSyncPhoneNumber",
    "migration_verified": "ChatappMigrationVerified",
    "migration_register": "ChatappMigrationRegister",
    "verification_status": "GetPhoneNumberVerificationStatus",
}


class CountingClient:
    """Passes calls through to ``inner`` and counts them by API action into ``calls`` (a fresh counter,
    or one the caller keeps, to read even when the work is cancelled half-way)."""

    def __init__(self, inner: Any, calls: Counter[str] | None = None) -> None:
        self._inner = inner
        self.calls: Counter[str] = calls if calls is not None else Counter()

    async def call(self, action: str, params: Any) -> Any:
        """The generic call (the kinds' reads and writes): counted by its action."""
        self.calls[action] += 1
        return await self._inner.call(action, params)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        action = METHOD_ACTIONS.get(name)
        if action is None:
            return target

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[action] += 1
            return await target(*args, **kwargs)

        return counted
