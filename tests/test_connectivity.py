"""How long "slow" lasts: the drain loop against the sandbox over loopback, on a clock the test moves."""

from __future__ import annotations

import asyncio

from kiosk.config import OutboxSettings
from kiosk.events import EventHub
from kiosk.outbox import events as ev
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.helpers import client_for, set_faults


class MovingClock:
    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


async def test_slow_clears_within_5_s_of_the_first_normal_answer(sandbox, tmp_path):
    clock, hub, changes = MovingClock(), EventHub(), []
    hub.subscribe(ev.ConnectivityChanged, lambda e: changes.append((clock(), e.state)))
    db = open_database(tmp_path / "terminal.sqlite3")
    async with client_for(sandbox, attempt_timeout=2.0, get_budget=0.5) as client:
        # The shipped probe period: what a till does, not a test-only tempo.
        engine = SyncEngine(Outbox(db, clock=clock), client, OutboxSettings(), hub=hub, attempt_timeout_s=2.0,
                            clock=clock)
        runner = asyncio.ensure_future(engine.run())

        async def move_until(done, most_s: float) -> float:
            """Advance the clock 0.1 s at a time, giving the loop real time for each step (the
            clock runs a few times faster than real time, so an answer takes clock time too)."""
            started = clock.now
            while not done():
                assert clock.now - started <= most_s, changes
                clock.now += 0.1
                await asyncio.sleep(0.03)
            return clock.now - started

        try:
            set_faults(sandbox, error_rate=1.0)  # answered, but with 503s: slow, not offline
            await move_until(lambda: engine.state == ev.DEGRADED, 30)
            # Slow for a good while, as a backend in trouble is.
            await move_until(lambda: False if clock.now < changes[-1][0] + 10 else True, 15)
            assert engine.state == ev.DEGRADED
            set_faults(sandbox, error_rate=0.0)
            took = await move_until(lambda: engine.state == ev.ONLINE, 30)
        finally:
            await engine.stop()
            await runner
            engine.close()
            db.close()
    # Every answer from the moment the faults went is normal; the first comes at the next probe.
    print(f"slow cleared {took:.2f} s (clock) after the backend recovered")
    assert took <= 5.0, changes
    assert [state for _, state in changes] == [ev.DEGRADED, ev.ONLINE]
