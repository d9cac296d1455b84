"""``AccountClients``: one client per Alibaba Cloud account, opened once per run, and the routing of each
space's calls to the client of the account it belongs to.

The engine's readers and writers call ``client.query_phone_numbers(cust_space_id, ...)`` and the like; an
``AccountClients`` answers those calls itself by sending each to the client of the space's account, so the
engine code that reads or writes one space does not change with the number of accounts. Each account's
client has its own credentials, region, endpoint and request budget (CAMS limits requests per account), so
the spaces of two accounts are read side by side, each at its account's full rate.

What is per account rather than per space (the account preflight, ``GetCustomerAccountInfo``) is asked of
each client in turn: ``accounts()`` lists them. ``combine_preflights`` folds their answers into the plan's
one ``Preflight``: the worst status wins, and the detail names each account.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.model import DesiredState
from reconciler.core.plan import Preflight

#: Worst first: the combined preflight takes the first status any account has.
_PREFLIGHT_ORDER = ("error", "frozen", "unavailable", "ok", "no-data", "skipped")


class AccountClients(Mapping[str, Any]):
    """Account name → client, plus the client methods of one space, routed by ``cust_space_id``.

    ``space_accounts`` maps each declared space id to its account name; a space id it does not list (an
    ad-hoc ``call``) goes to the ``default`` account's client, or the only client when there is one.
    ``stats``: the statistics the clients share (they are given one ``ClientStats``), for progress lines.
    """

    def __init__(self, clients: Mapping[str, Any], space_accounts: Mapping[str, str] | None = None,
                 *, stats: Any = None) -> None:
        if not clients:
            raise ValueError("AccountClients needs at least one client")
        self._clients = dict(clients)
        self._space_accounts = dict(space_accounts or {})
        self.stats = stats if stats is not None else getattr(next(iter(self._clients.values())), "stats", None)

    @classmethod
    def for_desired(cls, clients: Mapping[str, Any], desired: DesiredState, *, stats: Any = None) -> AccountClients:
        return cls(clients, {s.cust_space_id: s.account for s in desired.spaces}, stats=stats)

    # -- the mapping ------------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        return self._clients[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    def __repr__(self) -> str:
        return f"AccountClients({sorted(self._clients)!r})"

    def account_of(self, cust_space_id: str) -> str:
        name = self._space_accounts.get(cust_space_id)
        if name is not None:
            return name
        if DEFAULT_ACCOUNT in self._clients or len(self._clients) != 1:
            return DEFAULT_ACCOUNT
        return next(iter(self._clients))

    def for_space(self, cust_space_id: str) -> Any:
        name = self.account_of(cust_space_id)
        try:
            return self._clients[name]
        except KeyError:
            raise LookupError(f"no client for account {name!r} (space {cust_space_id})") from None

    # -- the client methods of one space, routed ----------------------------------------------------------
    async def query_phone_numbers(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).query_phone_numbers(cust_space_id, *args, **kwargs)

    async def sync_phone_numbers(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).sync_phone_numbers(cust_space_id, *args, **kwargs)

    async def migration_verified(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).migration_verified(cust_space_id, *args, **kwargs)

    async def migration_register(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).migration_register(cust_space_id, *args, **kwargs)

    async def verification_status(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).verification_status(cust_space_id, *args, **kwargs)

    async def get_migration_verify_code(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).get_migration_verify_code(cust_space_id, *args, **kwargs)

    async def upload_flow_json(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).upload_flow_json(cust_space_id, *args, **kwargs)

    async def read_flow_json(self, cust_space_id: str, *args: Any, **kwargs: Any) -> Any:
        return await self.for_space(cust_space_id).read_flow_json(cust_space_id, *args, **kwargs)

    async def get_customer_account_info(self) -> Any:
        """Only meaningful for one account; with several, ask each (``self[name]``)."""
        if len(self._clients) != 1:
            raise LookupError("GetCustomerAccountInfo is per account: ask each account's client")
        return await next(iter(self._clients.values())).get_customer_account_info()

    async def call(self, action: str, params: Mapping[str, Any]) -> Any:
        space = params.get("CustSpaceId")
        client = self.for_space(str(space)) if space else self._clients.get(DEFAULT_ACCOUNT) \
            or next(iter(self._clients.values()))
        return await client.call(action, params)


def preflight_rank(status: str) -> int:
    """Where ``status`` stands, worst first (0); an unknown status counts as the worst."""
    return _PREFLIGHT_ORDER.index(status) if status in _PREFLIGHT_ORDER else 0


def combine_preflights(by_account: Mapping[str, Preflight]) -> Preflight:
    """One account: its preflight as is. Several: the worst status, every account's detail by name, and
    each account's data under its name."""
    if len(by_account) == 1:
        return next(iter(by_account.values()))
    ranked = sorted(by_account.values(), key=lambda p: preflight_rank(p.status))
    status = ranked[0].status if ranked else "skipped"
    detail = "; ".join(f"{name}: {p.status}" + (f" ({p.detail})" if p.detail else "")
                       for name, p in by_account.items())
    data = {name: dict(p.data) for name, p in by_account.items() if p.data}
    return Preflight(status, detail, data)
