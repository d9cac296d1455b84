"""What the journal holds of the numbers being onboarded, for a plan (``kinds.onboarding.Records``), and the
settling of what the space's list shows done: a number listed verified and registered needs nothing of its
onboarding remembered, whatever the journal says (a verification whose answer was lost but which landed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.model import Space
from reconciler.engine.journal import Journal
from reconciler.kinds import onboarding as steps


def onboarding_records(journal: Journal, space: Space, listed: Mapping[str, Mapping[str, Any]]) -> dict[str, steps.Records]:
    """Phone → the journal's onboarding records of ``space``'s numbers; the entries of a number the list shows
    onboarded (verified and registered) are cleared instead (the caller saves the journal)."""
    phones = {p for kind in steps.JOURNAL_KINDS for p in journal.for_space(kind, space.name)}
    out: dict[str, steps.Records] = {}
    for phone in sorted(phones):
        item = listed.get(phone)
        if item is not None and steps.verified(item) and steps.registered(item):
            steps.onboarded(journal, space.name, phone)
            continue
        out[phone] = steps.records_of(journal, space.name, phone)
    return out
