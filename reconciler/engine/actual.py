"""The actual state of the planned spaces, read through the client with a fixed, minimal set of calls.

Per space: one ``QueryChatappPhoneNumbers``; per *present* number and per declared block whose kind reads more
(``Kind.api.read``: a ``business_profile`` → one ``QueryPhoneBusinessProfile``): that one call (``Kind.read``);
per declared space-level block whose kind reads: its read; then, only where a kind asks from what it read
(``Kind.more_reads``: a ``username`` with ``transfer: true`` whose name would be written → the username of
each other number of the space, to show the one that loses it), those reads. Nothing else: the number of
calls is part of the contract (it is printed, and a read-only key on an untrusted PR must be enough). All
calls are started together; the client's per-action limiter paces them, so the wall time is bound by the
API budget, not by round trips.

Each space's read (its numbers, then its profiles) succeeds or fails on its own: a space that is
unsubscribed, not owned by the key, denied by RAM, or unreachable after the client's retries becomes a
``SpaceReadError`` in the result, and the other spaces are read as usual. A drift job over 200 spaces must
not lose its whole report to one space. Failures that are not about a space (no credentials, a rejected
signature, a bad endpoint option) still end the whole read: every space would fail the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from reconciler import kinds as catalogue
from reconciler.core.client_errors import ApiError, AuthenticationError, ClientError, TransportError
from reconciler.core.digest import canonical_digest
from reconciler.core.model import Space
from reconciler.core.normalize import normalize_phone
from reconciler.core.plan import Address
from reconciler.kinds.onboarding_paths import settled


class ReadClient(Protocol):
    """The read-only part of ``CamsClient`` the engine needs while planning (kinds read through ``call``)."""

    async def query_phone_numbers(self, cust_space_id: str, status: str | None = None) -> list[dict[str, Any]]: ...

    async def call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ActualSpace:
    """What CAMS reports for one space, keyed by normalised phone number.

    ``numbers`` holds the ``QueryChatappPhoneNumbers`` items (API field names, values as returned);
    ``reads`` holds, by kind name, the data of that kind's own read for the present numbers that declare it
    (``reads["business_profile"][phone]``: ``QueryPhoneBusinessProfile`` ``Data``; undeclared blocks are not
    read, but for what a kind's ``more_reads`` asks: a username transfer reads the space's other numbers);
    ``space_reads`` the data of space-level kinds, by kind name.
    """

    cust_space_id: str
    numbers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reads: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    space_reads: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __repr__(self) -> str:  # callback URLs may hold tokens: never print the values
        return (f"ActualSpace(cust_space_id={self.cust_space_id!r}, numbers={len(self.numbers)}, "
                f"reads={ {k: len(v) for k, v in self.reads.items()} })")

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of everything seen, for ``apply --plan`` to detect a stale plan.

        It is a digest of the whole space (including callback URLs), which reveals nothing a reader of the
        space could not read directly, and cannot be turned back into a token.
        """
        seen: dict[str, Any] = {
            "cust_space_id": self.cust_space_id,
            "numbers": {k: dict(v) for k, v in self.numbers.items()},
            "reads": {kind: {k: dict(v) for k, v in data.items()} for kind, data in sorted(self.reads.items())},
        }
        if self.space_reads:
            seen["space_reads"] = {kind: dict(v) for kind, v in sorted(self.space_reads.items())}
        return canonical_digest(seen)


@dataclass(frozen=True)
class SpaceReadError:
    """Why one space's actual state could not be read: the client error's one line (already secret-free:
    the client scrubs what it sent and masks URL queries) and its code."""

    cust_space_id: str
    message: str
    code: str

    @classmethod
    def from_exception(cls, cust_space_id: str, exc: ClientError) -> SpaceReadError:
        return cls(cust_space_id, str(exc), exc.code)


def is_space_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is about the space being read (record it, read the others) rather than about the run
    (credentials, signature, options: let it end the run, as every space would fail alike)."""
    if isinstance(exc, AuthenticationError):
        return False
    return isinstance(exc, (ApiError, TransportError))


def index_numbers(items: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """``PhoneNumbers`` items → phone (normalised) → item. Items without a number are kept under their
    text so they are not silently dropped."""
    out: dict[str, Mapping[str, Any]] = {}
    for item in items:
        phone = normalize_phone(item.get("PhoneNumber", ""))
        out[phone] = MappingProxyType(dict(item))
    return dict(sorted(out.items()))


ProgressCallback = Callable[[str], None]


async def fetch_actual(client: ReadClient, spaces: Iterable[Space],
                       on_space_done: ProgressCallback | None = None, *,
                       only: Collection[Address] | None = None) -> dict[str, ActualSpace | SpaceReadError]:
    """Read every space (and the declared profiles of its present numbers) concurrently.

    Returns space name → ``ActualSpace``, or ``SpaceReadError`` for a space whose read failed (a space is
    all or nothing: a partial read would show present numbers as missing, so a failing profile read fails
    its space, and its other calls are cancelled). A failure that is not about a space
    (``is_space_failure``) propagates and cancels everything. ``on_space_done(name)`` is called as each
    space completes, read or failed (progress display).
    """
    space_list = list(spaces)

    async def read_space(space: Space) -> ActualSpace:
        cid = space.cust_space_id
        items = await client.query_phone_numbers(cid)
        numbers = index_numbers(items)
        # each declared instance whose kind reads more than the list: of a present number, or of the space
        # (not a number half-way through onboarding: nothing is read of it until it is registered)
        wanted = [(kind, block) for kind in catalogue.kinds() if kind.api.read for block in kind.blocks(space)
                  if (block.number is None or (block.number.phone_number in numbers and settled(
                      block.number, numbers[block.number.phone_number])))
                  and (only is None or block.address in only)]
        datas = await gather_all([kind.read(client, block) for kind, block in wanted])
        reads: dict[str, dict[str, Mapping[str, Any]]] = {}
        space_reads: dict[str, Mapping[str, Any]] = {}
        for (kind, block), data in zip(wanted, datas):
            if block.number is None:
                space_reads[kind.name] = MappingProxyType(dict(data or {}))
            else:
                reads.setdefault(kind.name, {})[block.number.phone_number] = MappingProxyType(dict(data or {}))
        if only is None:  # what a plan needs read beyond the declared instances (a username transfer's loser)
            more = [(kind, phone) for kind in catalogue.kinds() if kind.api.read
                    for phone in kind.more_reads(space, numbers, reads.get(kind.name, {}))]
            found = await gather_all([kind.read_number(client, space, phone) for kind, phone in more])
            for (kind, phone), data in zip(more, found):
                reads.setdefault(kind.name, {})[phone] = MappingProxyType(dict(data or {}))
        return ActualSpace(cid, MappingProxyType(numbers),
                           MappingProxyType({k: MappingProxyType(dict(sorted(v.items()))) for k, v in reads.items()}),
                           MappingProxyType(space_reads))

    async def one_space(space: Space) -> tuple[str, ActualSpace | SpaceReadError]:
        seen: ActualSpace | SpaceReadError
        try:
            seen = await read_space(space)
        except ClientError as exc:
            if not is_space_failure(exc):
                raise
            seen = SpaceReadError.from_exception(space.cust_space_id, exc)
        if on_space_done is not None:
            on_space_done(space.name)
        return space.name, seen

    results = await gather_all([one_space(s) for s in space_list])
    return dict(results)


async def gather_all(aws: list[Awaitable[Any]]) -> list[Any]:
    """``asyncio.gather`` that cancels the siblings when one fails (gather alone leaves them running)."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
