"""The background drain's pace (kiosk/outbox/pace.py): a backlog goes out at most
outbox.drain_per_s sends a second, so that it leaves the screen its time; what a person waits
for (the urgent lane: Pay, a return) is never held back by it."""

from __future__ import annotations

import asyncio
import time

from kiosk.outbox.pace import Pace
from tests.test_outbox_delivery import _order, engine_for, outbox  # noqa: F401 (the fixture)
from tests.helpers import Clock, client_for


def test_a_burst_of_a_quarter_second_then_the_rate():
    clock = Clock()
    pace = Pace(20, clock)
    assert pace.allow(8) == 5  # a quarter of a second's worth at once
    pace.spend(5)
    assert pace.allow(8) == 0 and abs(pace.wait_s() - 0.05) < 1e-9
    clock.now += 0.125
    assert pace.allow(8) == 2  # 20 a second: two and a half in an eighth
    pace.spend(2)
    clock.now += 60  # idle for a minute: still one burst, not a minute's worth
    assert pace.allow(100) == 5 and pace.wait_s() == 0.0


def test_a_rate_of_zero_holds_nothing_back():
    pace = Pace(0, Clock())
    assert pace.allow(64) == 64 and pace.wait_s() == 0.0
    pace.spend(64)
    assert pace.allow(64) == 64


def test_a_slow_rate_still_sends_one_at_a_time():
    clock = Clock()
    pace = Pace(2, clock)
    assert pace.allow(8) == 1  # a burst of at least one
    pace.spend(1)
    assert pace.allow(8) == 0 and abs(pace.wait_s() - 0.5) < 1e-9
    clock.now += 0.5
    assert pace.allow(8) == 1


async def test_a_backlog_drains_at_the_pace_and_all_of_it_arrives(sandbox, outbox):  # noqa: F811
    outbox.enqueue([_order() for _ in range(25)])
    async with client_for(sandbox) as client:
        engine = engine_for(outbox, client, drain_per_s=10)
        started = time.monotonic()
        try:
            status = await engine.run(until_empty=True)
        finally:
            engine.close()
        took = time.monotonic() - started
    assert status.depth == 0 and engine.delivered == 25
    # A burst of 2.5, then 10 a second: the last of 25 can't start before 2.25 s. And it is
    # the pace that holds them, not the engine's 1 s poll: each send held back by the pace
    # went at the poll once (about 13 s for these 25, a send every half second).
    assert 2.2 <= took < 8, took


async def test_the_urgent_lane_is_not_paced(sandbox, outbox):  # noqa: F811
    async with client_for(sandbox) as client:
        engine = engine_for(outbox, client, drain_per_s=1)
        engine.pace.spend(engine.pace.allow(10))  # the background's allowance used up
        assert engine.pace.wait_s() > 0.5
        op_ids = outbox.enqueue([_order() for _ in range(3)])
        try:
            outcomes = await asyncio.wait_for(engine.deliver_now(op_ids, timeout_s=5), 5)
        finally:
            engine.close()
    assert [o.state for o in outcomes] == ["done"] * 3
