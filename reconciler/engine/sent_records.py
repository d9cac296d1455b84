"""The records of what this tool sent where no API reads it back (the recorded kinds: the account webhook,
template archive).

One ``account-webhooks`` record per target in the state store, ``{"spaces": {space name: entry}}``, the entry
being the kind's (``Kind.record_of``: digests and a time, never a URL). ``load`` gives each space its entry
from its own account's target; ``sent`` writes one space's entry right after the write was accepted, as a
merge (only that space's entry changes, whatever else the record holds now). Today's unkeyed
``account-webhooks.json`` is read for the default target until adopted; its entries are converted (or
dropped) by the kind before anything is written (``Kind.adopt``): its digests are unkeyed and never enter
the store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler import kinds as catalogue
from reconciler.core.model import DesiredState, Space
from reconciler.state.records import ACCOUNT_WEBHOOKS, TEMPLATE_ARCHIVE, RunState

#: recorded kind → the record kind it is kept in
RECORD_KINDS = {"account_webhook": ACCOUNT_WEBHOOKS, "template_archive": TEMPLATE_ARCHIVE}
_MAX_LEGACY = 4 * 1024 * 1024


def _read_legacy(path: Path) -> Any:
    """Today's file, leniently as before (a broken one only means the webhook is sent again)."""
    from reconciler.kinds.account_webhook import legacy_record

    try:
        if not path.is_file() or path.stat().st_size > _MAX_LEGACY:
            return None
        return legacy_record(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


class SentRecords:
    def __init__(self, state: RunState | None, desired: DesiredState) -> None:
        self.state = state
        self.desired = desired

    def _spaces(self, data: Any) -> dict[str, Any]:
        spaces = data.get("spaces") if isinstance(data, Mapping) else None
        return {k: v for k, v in spaces.items() if isinstance(v, Mapping)} if isinstance(spaces, Mapping) else {}

    def load(self) -> dict[str, dict[str, Mapping[str, Any] | None]]:
        """Space name → recorded kind name → its entry for this space (None: no record for this target)."""
        out: dict[str, dict[str, Mapping[str, Any] | None]] = {s.name: {k: None for k in RECORD_KINDS}
                                                               for s in self.desired.spaces}
        if self.state is None:
            return out
        for kind_name, record in RECORD_KINDS.items():
            for account in self.state.targets:
                spaces = self._spaces(self.state.load(record, account, read_legacy=_read_legacy))
                for space in self.desired.spaces:
                    if self.state.account_of(space.name) == account and space.name in spaces:
                        out[space.name][kind_name] = spaces[space.name]
        return out

    def stored(self, kind_name: str, space: Space) -> Mapping[str, Any] | None:
        """``kind_name``'s entry for ``space`` as stored now (None: none, or no state store)."""
        if self.state is None:
            return None
        record = self.state.load(RECORD_KINDS[kind_name], self.state.account_of(space.name), read_legacy=_read_legacy)
        return self._spaces(record).get(space.name)

    def sent(self, kind_name: str, space: Space, entry: Mapping[str, Any]) -> None:
        """Record that ``kind_name``'s values were sent for ``space`` (merged into the record as it is now)."""
        if self.state is None:
            return
        recorder = catalogue.get(kind_name).recorder
        assert recorder is not None, f"{kind_name} is not a recorded kind"

        def merge(current: Any) -> Any:
            kept: dict[str, Any] = {}
            for name, recorded in self._spaces(current).items():
                declared = self.desired.space(name)
                adopted = (recorder.adopt(declared, declared.block(kind_name), recorded) if declared is not None
                           else None if "legacy_digest" in recorded else dict(recorded))
                if adopted is not None:
                    kept[name] = adopted
            kept[space.name] = dict(entry)
            return {"spaces": dict(sorted(kept.items()))}

        self.state.update(RECORD_KINDS[kind_name], self.state.account_of(space.name), merge,
                          what=f"{catalogue.get(kind_name).label} of space {space.name} sent", read_legacy=_read_legacy)
