"""The account preflight: one ``GetCustomerAccountInfo`` per run.

A frozen account (``HostingStatus: FREEZE`` or ``CreditLimitStatus: Freeze``) makes every write fail, so
the plan records it as a blocking finding and apply refuses up front instead of failing half-way. Only a
frozen answer blocks: ``NotAuthorized`` / ``VnoNoDataError`` mean "this caller gets no account data" (the
API is meant for resellers), and any other failure of the call (``NoPermission`` from a key without the BSS
permission, ``NotApplicable``, throttling or 5xx after retries, no connection) means the check could not be
made: the preflight is ``unavailable`` with the code, a notice in every format, and apply proceeds. A space
that declares ``account_check: strict`` turns that into ``error``: the run fails and apply refuses. Failures
that are about the run rather than the call (credentials, signature, options) still end it, as they do for
the spaces.

Only an allowlist of fields is kept for display: the login e-mail (personal data) never enters a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.core.client_errors import ApiError, ClientError
from reconciler.core.plan import Preflight
from reconciler.engine.actual import is_space_failure

NO_DATA_CODES = frozenset({"NotAuthorized", "VnoNoDataError"})
# Mpk (the account id) says which account a plan is for (``reconciler.provenance``).
KEPT_FIELDS = ("Mpk", "HostingStatus", "CreditLimitStatus", "IsCertified", "AccountType")


class AccountClient(Protocol):
    async def get_customer_account_info(self) -> dict[str, Any]: ...


def preflight_from_data(data: Mapping[str, Any]) -> Preflight:
    """Interpret ``GetCustomerAccountInfo`` ``Data`` (pure; the fetching is in ``run_preflight``)."""
    kept = {k: data[k] for k in KEPT_FIELDS if k in data}
    hosting = str(data.get("HostingStatus") or "").upper()
    credit = str(data.get("CreditLimitStatus") or "").lower()
    reasons: list[str] = []
    if hosting == "FREEZE":
        reasons.append("HostingStatus is FREEZE")
    if credit == "freeze":
        reasons.append("CreditLimitStatus is Freeze")
    if reasons:
        return Preflight("frozen", f"account business is frozen ({', '.join(reasons)}): apply will refuse",
                         kept)
    detail = "account active"
    if data.get("IsCertified") is False:
        detail += "; not real-name certified"
    return Preflight("ok", detail, kept)


async def run_preflight(client: AccountClient, *, strict: bool = False) -> Preflight:
    """``strict``: a planned space declares ``account_check: strict``."""
    try:
        data = await client.get_customer_account_info()
    except ClientError as err:
        if isinstance(err, ApiError) and err.code in NO_DATA_CODES:
            return Preflight("no-data", f"no account information for this caller ({err.code}); not checked")
        if not is_space_failure(err):
            raise
        if strict:
            return Preflight("error", f"account check unavailable: {err.code}, and a planned space requires it "
                                      f"(account_check: strict): {err}")
        return Preflight("unavailable", err.code)
    return preflight_from_data(data or {})
