"""Which of a drift run's findings the YAML acknowledges (``acknowledge:`` of their space).

``acknowledge`` pairs each with the first acknowledgement of its space that matches it and has not expired, and turns every
expired acknowledgement into a finding of its own (address ``SPACE/*/acknowledgement/PATTERN``), so an
acknowledgement nobody renews is seen, and an acknowledged finding comes back the day after ``until``.
Unexpired acknowledgements that match nothing are returned as ``unused`` (the finding may be resolved:
a report says so, it is not a finding).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.core.drift_settings import Acknowledgement, SpaceDriftSettings
from reconciler.engine.drift_state import Finding, digest_of


@dataclass(frozen=True)
class Acknowledged:
    findings: tuple[Finding, ...]  # this run's findings, expired acknowledgements included
    by_address: Mapping[str, Acknowledgement]  # the acknowledged ones → what covers them
    expired: tuple[Acknowledgement, ...]
    unused: tuple[Acknowledgement, ...]  # unexpired, matching no finding


def expired_finding(ack: Acknowledgement) -> Finding:
    return Finding(address=ack.address, space=ack.space, kind="acknowledgement",
                   headline=f"! acknowledgement expired {ack.finding} (until {ack.until.isoformat()})",
                   details=(f"reason: {ack.reason}", "renew it with a later `until`, or remove it"),
                   location=f"{ack.source.file}:{ack.source.line}", digest=digest_of(ack.finding, str(ack.until)),
                   acknowledgeable=False)


def acknowledge_findings(findings: Sequence[Finding], settings: Mapping[str, SpaceDriftSettings], today: dt.date,
                read_spaces: Iterable[str]) -> Acknowledged:
    """Pair findings with acknowledgements. Only spaces this run read have their acknowledgements judged
    (an unread space's expired acknowledgement waits for a run that reads it)."""
    read = set(read_spaces)
    by_address: dict[str, Acknowledgement] = {}
    used: set[int] = set()
    expired: list[Acknowledgement] = []
    for f in findings:
        if not f.acknowledgeable:
            continue
        for ack in settings.get(f.space, SpaceDriftSettings()).acknowledge:
            if ack.matches(f.address):
                used.add(id(ack))
                if not ack.expired(today):
                    by_address[f.address] = ack
                    break
    unused: list[Acknowledgement] = []
    for space, s in settings.items():
        if space not in read:
            continue
        for ack in s.acknowledge:
            if ack.expired(today):
                expired.append(ack)
            elif id(ack) not in used:
                unused.append(ack)
    extra = [expired_finding(a) for a in expired]
    return Acknowledged(tuple(findings) + tuple(extra), by_address, tuple(expired), tuple(unused))
