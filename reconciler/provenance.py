"""What a plan or a result is for: which tool made it, when, from which commit, against which account,
region and endpoint (``provenance`` in the saved plan and in the results file).

A reviewer reading a PR comment, or someone finding ``plan.json`` in an artifact, must be able to tell
that it was made for the production account and not against the emulator, with which version and from
which commit. ``apply --plan`` also compares the saved plan's target with its own before anything else
(``target_mismatch``): a plan made for one account or region is never applied to another. (The endpoint
is shown, not compared: a proxy or VPC endpoint of the same account is the same target, and the emulator
gets a new port every run.)

``created_at`` honours ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), so that a test or a
reproducible pipeline gets byte-identical plans.

The account id is known when the job logged in with a RAM role (its ARN, ``acs:ram::<account id>:role/...``,
names the account) or when the account check returned ``Mpk``; the name is the account's in the desired
state (``default`` for the credentials the command ran with). Nothing here is secret: no key, no token,
and the endpoint is masked like every URL we print.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.common.masking import mask_url
from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.provenance import Provenance, Target

_ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/")


def account_id_from_env(env: Mapping[str, str]) -> str | None:
    """The account of the RAM role the credentials chain will assume (OIDC or a role profile)."""
    match = _ROLE_ARN.match(env.get("ALIBABA_CLOUD_ROLE_ARN", ""))
    return match.group(1) if match else None


def git_commit(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """The commit checked out in ``cwd`` (the YAML's commit), else ``$GITHUB_SHA``, else None."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=cwd, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        proc = None
    if proc is not None and proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", proc.stdout.strip()):
        return proc.stdout.strip()
    sha = (env or {}).get("GITHUB_SHA", "")
    return sha if re.fullmatch(r"[0-9a-f]{40,64}", sha) else None


def now_utc(env: Mapping[str, str] | None = None) -> str:
    epoch = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH", "")
    moment = (datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit()
              else datetime.now(UTC))
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def collect(targets: Sequence[Target], *, env: Mapping[str, str], cwd: Path | None = None,
            created_at: str | None = None) -> Provenance:
    return Provenance(__version__, created_at or now_utc(env), git_commit(cwd, env), tuple(targets))


def account_id_of(preflight_data: Mapping[str, Any] | None) -> str | None:
    """The account id the account check names (``Mpk``), or None: 0 is the response model's default (no
    account id given), never an account id."""
    mpk = (preflight_data or {}).get("Mpk")
    return str(mpk) if mpk not in (None, "", 0, "0") else None


def target(*, region: str, endpoint: str, env: Mapping[str, str], account: str = DEFAULT_ACCOUNT,
           preflight_data: Mapping[str, Any] | None = None) -> Target:
    account_id = account_id_from_env(env) or account_id_of(preflight_data)
    return Target(account, account_id, region, mask_url(endpoint) or "")


def target_mismatch(saved: Provenance | None, current: Provenance) -> str | None:
    """Why a plan saved for ``saved`` must not be applied where ``current`` points, or None.

    ``current`` is what this run found (its credentials and account check), never the file's word. Every
    account it writes with must be named by the plan, in the same region, with the same account id; a
    plan that does not say (no provenance, no target for an account, a null id where this run knows it)
    is refused: a missing identity is a refusal, not a skipped check. Only an id this run cannot learn
    either (no role ARN and no account check) is left uncompared.
    """
    if saved is None:
        return "the plan does not say which account it was made for (no provenance): make the plan again"
    planned_by_name: dict[str, Target] = {}
    for t in saved.targets:
        if t.account in planned_by_name:
            return f"the plan names account {t.account} twice in its provenance: make the plan again"
        planned_by_name[t.account] = t
    for here in current.targets:
        planned = planned_by_name.get(here.account)
        if planned is None:
            return (f"the plan does not name account {here.account}, which this apply writes with "
                    f"({here.describe()}): make the plan again")
        if planned.region != here.region:
            return (f"the plan was made for {planned.describe()}, and this apply points at {here.describe()}: "
                    "apply it in the region it was planned for")
        if here.account_id and not planned.account_id:
            return (f"the plan does not name the account id of account {here.account}, and these credentials are "
                    f"for {here.account_id}: make the plan again with credentials that say which account it is")
        if planned.account_id and here.account_id and planned.account_id != here.account_id:
            return (f"the plan was made for account id {planned.account_id}, and these credentials are for "
                    f"{here.account_id}: apply it with the credentials of the account it was planned for")
    return None
