"""``cams-reconciler matrix``: the jobs a run needs, one per account it touches, for a CI matrix.

CAMS budgets requests per account and API (10/s each), so one account's work cannot go faster by being split,
and the accounts' budgets are independent: the natural job is one account. An account whose reads do not fit
one job's time limit is split into *shards* of whole spaces, each sized from the calls it needs at the
account's rate: the busiest API action's calls / qps (actions have budgets of their own and are read side by
side), which is the floor a plan of that shard cannot beat, against ``--job-minutes``.

Shards of one account must never run side by side (they would share, and overrun, the account's budget).
They are put in *waves*: wave N holds the N-th shard of every account, and the workflow chains the waves
(wave N+1 needs wave N). A concurrency group per account was the alternative and is not used: GitHub keeps
one pending job per group and cancels the one already pending when a third arrives, so an account of three
shards would silently lose one; a chained wave never drops a job. GitLab's ``resource_group`` queues
without dropping, but the waves work the same on both (docs/gitops.md).

The estimate counts what ``make_plan`` sends (``engine/actual.py``): one ``QueryChatappPhoneNumbers`` per
space, one read per declared number and block whose kind reads more, one read per declared space-level block
whose kind reads, one ``GetCustomerAccountInfo`` per account; a number not in its space yet is counted as if
it were (an upper bound: planning more is safe, overrunning a job is not).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds as catalogue
from reconciler.core.model import DesiredState, Space

#: GitHub-hosted jobs stop at 6 hours; the default share leaves an hour for set-up, retries and slow answers.
DEFAULT_JOB_MINUTES = 300.0
LIST_ACTION = "QueryChatappPhoneNumbers"
ACCOUNT_ACTION = "GetCustomerAccountInfo"
#: The calls' floor is stretched by this much to size a shard: throttled answers and retries cost time too.
SAFETY = 1.25
#: How many waves the shipped GitHub workflows chain (the shards of one account: 3 × the job limit).
GITHUB_WAVES = 3


def space_calls(space: Space) -> Counter[str]:
    """The calls planning ``space`` sends, by API action (an upper bound: every declared number present)."""
    calls: Counter[str] = Counter({LIST_ACTION: 1})
    for kind in catalogue.kinds():  # one read per declared instance of a kind that reads more than the list
        if kind.api.read:
            calls[kind.api.read] += len(kind.blocks(space))
    return calls


def floor_seconds(calls: Mapping[str, int], qps: float) -> float:
    """The least wall time the account's budget allows for ``calls``: the busiest action's calls at ``qps``."""
    return max(calls.values(), default=0) / qps


@dataclass(frozen=True)
class Job:
    account: str
    shard: int  # 1-based
    shards: int
    spaces: tuple[str, ...]
    calls: Mapping[str, int] = field(default_factory=dict)
    qps: float = 10.0

    @property
    def name(self) -> str:
        """Stable: the account's name, with its shard when the account is split."""
        return self.account if self.shards == 1 else f"{self.account}-{self.shard}-of-{self.shards}"

    @property
    def wave(self) -> int:
        return self.shard

    @property
    def minutes(self) -> float:
        return floor_seconds(self.calls, self.qps) / 60

    def args(self) -> list[str]:
        """The command-line selection of this job: the account, and its spaces when it is a shard."""
        out = ["--account", self.account]
        if self.shards > 1:
            for name in self.spaces:
                out += ["--target", name]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.name, "account": self.account, "shard": self.shard, "shards": self.shards,
                "wave": self.wave, "spaces": list(self.spaces), "args": " ".join(self.args()),
                "targets": " ".join(self.args()[2:]),
                "calls": sum(self.calls.values()), "floor_minutes": round(self.minutes, 2)}


def plan_jobs(desired: DesiredState, spaces: Iterable[str] | None = None, *, qps: float,
              job_minutes: float = DEFAULT_JOB_MINUTES) -> list[Job]:
    """The jobs of a run over ``spaces`` (names; None: every declared space), in the YAML's order of accounts.

    An account's spaces go into one job while the job's floor (stretched by ``SAFETY``) fits ``job_minutes``;
    the spaces of a larger account are cut, in YAML order, into the fewest shards that each fit (a single
    space larger than a job is a shard of its own: it cannot be cut)."""
    chosen = None if spaces is None else set(spaces)
    budget = job_minutes * 60 / SAFETY
    by_account: dict[str, list[Space]] = {}
    for space in desired.spaces:
        if chosen is None or space.name in chosen:
            by_account.setdefault(space.account, []).append(space)
    jobs: list[Job] = []
    for account, members in by_account.items():
        groups: list[tuple[list[str], Counter[str]]] = []
        names: list[str] = []
        calls: Counter[str] = Counter({ACCOUNT_ACTION: 1})
        for space in members:
            more = calls + space_calls(space)
            if names and floor_seconds(more, qps) > budget:
                groups.append((names, calls))
                names, more = [], Counter({ACCOUNT_ACTION: 1}) + space_calls(space)
            names.append(space.name)
            calls = more
        groups.append((names, calls))
        jobs += [Job(account, i, len(groups), tuple(n), dict(c), qps) for i, (n, c) in enumerate(groups, 1)]
    return jobs


def waves(jobs: Sequence[Job]) -> list[list[Job]]:
    count = max((j.wave for j in jobs), default=0)
    return [[j for j in jobs if j.wave == w] for w in range(1, count + 1)]


def document(jobs: Sequence[Job], *, job_minutes: float) -> dict[str, Any]:
    """The JSON form (``--format json``): every job, the waves and what they were sized against."""
    return {"jobs": len(jobs), "accounts": list(dict.fromkeys(j.account for j in jobs)),
            "several_accounts": len({j.account for j in jobs}) > 1, "waves": len(waves(jobs)),
            "job_minutes": job_minutes, "include": [j.to_dict() for j in jobs]}


def github_outputs(jobs: Sequence[Job], *, job_minutes: float) -> str:
    """Lines for ``$GITHUB_OUTPUT``: ``jobs``, ``accounts``, ``several`` (true when the run touches more than
    one account), ``waves``, and ``wave-N`` (N = 1..3, a ``strategy.matrix`` document each, ``{"include":
    []}`` for a wave with no job: the workflow skips it). A run that needs more waves than the workflow chains
    fails here, not halfway through."""
    import json

    grouped = waves(jobs)
    if len(grouped) > GITHUB_WAVES:
        raise ValueError(f"the run needs {len(grouped)} waves of jobs (an account of {len(grouped)} shards) and "
                         f"the shipped workflows chain {GITHUB_WAVES}: raise --job-minutes, or add waves")
    lines = [f"jobs={len(jobs)}", f"accounts={' '.join(dict.fromkeys(j.account for j in jobs))}",
             f"several={'true' if len({j.account for j in jobs}) > 1 else 'false'}", f"waves={len(grouped)}"]
    for n in range(1, GITHUB_WAVES + 1):
        wave = grouped[n - 1] if n <= len(grouped) else []
        lines.append(f"wave-{n}=" + json.dumps({"include": [j.to_dict() for j in wave]}, separators=(",", ":")))
    return "\n".join(lines) + "\n"


_SAFE_VALUE = re.compile(r"[A-Za-z0-9._ -]*")


def gitlab_yaml(jobs: Sequence[Job], *, template: str = ".cams-reconciler") -> str:
    """A child pipeline's jobs: one job per wave, ``parallel:matrix`` over that wave's jobs, each wave
    ``needs`` the one before, each extending ``template`` (defined by the including pipeline)."""
    import json

    out = [f"# generated by `cams-reconciler matrix --format gitlab`: {len(jobs)} job(s) in {len(waves(jobs))} "
           "wave(s); a wave runs after the one before it (shards of one account never overlap)"]
    previous = None
    for n, wave in enumerate(waves(jobs), 1):
        name = f"cams-wave-{n}"
        out += [f"{name}:", f"  extends: {template}"]
        if previous is not None:
            out += [f"  needs: [{previous}]"]
        out += ["  parallel:", "    matrix:"]
        for job in wave:
            entries = {"CAMS_JOB": job.name, "CAMS_ACCOUNT": job.account, "CAMS_SELECTION": " ".join(job.args())}
            for i, (key, value) in enumerate(entries.items()):
                if not _SAFE_VALUE.fullmatch(value):  # names are checked by the config; stay safe anyway
                    raise ValueError(f"{key} {value!r}: not a plain name")
                out.append(("      - " if i == 0 else "        ") + f"{key}: {json.dumps(value)}")
        previous = name
    if not jobs:
        out += ["cams-nothing-to-do:", "  script: [\"echo no space to run\"]"]
    return "\n".join(out) + "\n"

