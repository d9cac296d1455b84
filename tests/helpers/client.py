"""The client tests' stand-ins for time and the network: a clock that sleeping advances, and a transport that
gives scripted answers and records the requests (``httpx.MockTransport``: the real client code runs)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Answer = httpx.Response | Exception | Callable[[], httpx.Response]


class FakeTime:
    """Clock and sleep for the client: sleeping advances the clock instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


def scripted(*answers: Answer) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that gives the answers in order (the last one repeats) and records the requests: an
    exception is raised, a callable makes a fresh response per request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(seen), len(answers) - 1)]
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer() if callable(answer) else answer

    return httpx.MockTransport(handler), seen
