"""How fast the background drain starts sends: at most `per_s` a second, in small bursts.

A backlog (the hour the store was offline) is delivered in the background while the cashier
or the shopper goes on; nobody waits for it, so it need not go as fast as the machine can.
Unpaced, its HTTP and JSON work takes a whole core of a two-core till and the screen's
frames come late (the stall benchmark, tests/benchmarks/bench_ui_live.py); paced, the same
backlog takes a little longer and leaves the screen its time. It also spares the backend a
store's tills all catching up at full speed at once. What a person waits for (Pay's and
Returns' urgent lane) is never paced.
"""

from __future__ import annotations

import time
from typing import Callable


class Pace:
    """A token bucket: `per_s` tokens a second, holding at most a quarter second's worth
    (at least one). per_s = 0: no limit."""

    def __init__(self, per_s: float, clock: Callable[[], float] = time.monotonic):
        self.per_s = per_s
        self.clock = clock
        self.capacity = max(1.0, per_s / 4)
        self.tokens = self.capacity
        self._at = clock()

    def _fill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.per_s)
        self._at = now

    def allow(self, wanted: int) -> int:
        """How many of `wanted` sends may start now."""
        if self.per_s <= 0:
            return wanted
        self._fill()
        return max(0, min(wanted, int(self.tokens)))

    def spend(self, n: int) -> None:
        if self.per_s > 0:
            self.tokens -= n

    def wait_s(self) -> float:
        """Until the next send may start (0: now)."""
        if self.per_s <= 0:
            return 0.0
        self._fill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_s
