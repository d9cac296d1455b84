"""Numeric command-line options, range-checked where they are parsed.

A number outside its range is a usage error naming the option's range, never a run that hangs or spins:
``--qps 1e-300`` would make the first request wait 10**300 seconds, ``--latency-ms 1e12`` would hold every
emulator answer for 30 years, ``nan`` passes every ``<`` comparison. The ranges are wide enough for every
real use (the API's budget is 10 requests/s per action) and say why they end where they do.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

#: ``--qps``: below one request per 10 s a plan of a few calls outlives the client's 60 s call deadline;
#: above 10,000/s is no budget at all (the emulator's ``--qps 0`` turns its limiter off instead).
QPS_RANGE = (0.1, 10_000.0)
#: Delays the emulator adds, in milliseconds: at most a minute (the client gives up on a call after 60 s).
DELAY_MS_RANGE = (0.0, 60_000.0)


def bounded_float(low: float, high: float, *, allow_zero: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` accepting a finite number in ``[low, high]`` (and 0 when ``allow_zero``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if math.isfinite(value) and (low <= value <= high or (allow_zero and value == 0)):
            return value
        what = "0 or a number" if allow_zero else "a positive number" if low > 0 else "a number"
        raise argparse.ArgumentTypeError(f"expected {what} from {low:g} to {high:g}, got {text!r}")

    return parse

