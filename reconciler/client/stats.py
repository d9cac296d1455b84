"""Per-action counters of what the client did: calls, attempts, retries, throttled answers, failures.

Commands print ``summary_line()`` after a run, and a plan records ``to_dict()``, so a reviewer sees what a
run cost against the 10 requests/second budget and whether it was throttled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ActionStats:
    calls: int = 0  # logical calls (one per method call, however many attempts)
    attempts: int = 0  # HTTP requests sent (or tried)
    retries: int = 0  # attempts after the first
    throttled: int = 0  # throttling answers received (System.LimitControl, Throttling*)
    failed: int = 0  # calls that ended in an error


@dataclass
class ClientStats:
    actions: dict[str, ActionStats] = field(default_factory=dict)
    #: the run's explicit time budget in seconds, when one was set (reported: it can fail calls)
    run_budget: float | None = None

    def for_action(self, action: str) -> ActionStats:
        found = self.actions.get(action)
        if found is None:
            found = self.actions[action] = ActionStats()
        return found

    def total(self) -> ActionStats:
        out = ActionStats()
        for s in self.actions.values():
            out.calls += s.calls
            out.attempts += s.attempts
            out.retries += s.retries
            out.throttled += s.throttled
            out.failed += s.failed
        return out

    def summary_line(self) -> str:
        """E.g. ``API: 14 calls, 2 retries, 1 throttled, 0 failed (QueryChatappPhoneNumbers 3, ...)``."""
        t = self.total()
        head = f"API: {t.calls} calls, {t.retries} retries, {t.throttled} throttled, {t.failed} failed"
        if self.run_budget is not None:
            head += f"; run time budget {self.run_budget:g} s"
        if not self.actions:
            return head
        per = ", ".join(f"{name} {s.calls}" for name, s in sorted(self.actions.items()))
        return f"{head} ({per})"

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {name: asdict(s) for name, s in sorted(self.actions.items())}
