"""What a space says about its drift checks, as plain data: ``acknowledge:`` entries (known findings accepted
until a date) and ``endpoint_checks:`` (opt-in probes of the declared callback URLs). ``config.drift_settings``
reads them from the YAML; ``engine`` and ``render`` use them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase

from reconciler.core.source import Source

DEFAULT_TIMEOUT_MS = 3000
DEFAULT_MIN_DAYS = 14


@dataclass(frozen=True)
class Acknowledgement:
    space: str
    finding: str  # as written, without a leading "<space>/"
    reason: str
    until: dt.date  # the last day (UTC) it holds
    source: Source  # where the entry starts

    @property
    def pattern(self) -> str:
        return f"{self.space}/{self.finding}"

    @property
    def address(self) -> str:
        """The address of the finding an expired acknowledgement becomes."""
        return f"{self.space}/*/acknowledgement/{self.finding}"

    def matches(self, address: str) -> bool:
        """``address`` (``space/number/action[/field]``) is this acknowledgement's finding. Without a field
        segment the pattern covers every field of that number and action."""
        return fnmatchcase(address, self.pattern) or fnmatchcase(address, self.pattern + "/*")

    def expired(self, today: dt.date) -> bool:
        return today > self.until


@dataclass(frozen=True)
class EndpointChecks:
    source: Source
    enabled: bool = True
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    min_days_to_expiry: int = DEFAULT_MIN_DAYS
    before_apply: bool = True


@dataclass(frozen=True)
class SpaceDriftSettings:
    acknowledge: tuple[Acknowledgement, ...] = ()
    endpoint_checks: EndpointChecks | None = None

    @property
    def checks_endpoints(self) -> bool:
        return self.endpoint_checks is not None and self.endpoint_checks.enabled
