"""The sync engine against the real sandbox over loopback HTTP: exactly once, error classes, urgent lane."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest

from tests import annex_ops
from kiosk import i18n
from kiosk.config import OutboxSettings
from kiosk.events import EventHub
from kiosk.loyalty.models import CodeSpend, Order, OrderLine
from kiosk.outbox import events as ev
from kiosk.outbox import ops
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.helpers import client_for, ledger, set_faults
from tests.outbox_workload import Workload, assert_exactly_once, make_gift_cards

# Unpaced: these tests are about what is delivered, not how fast (pacing: tests/test_outbox_pace.py).
FAST = dict(backoff_base_s=0.02, backoff_cap_s=0.2, resume_jitter_s=0.5, settle_s=0.1, drain_per_s=0)


@pytest.fixture
def outbox(tmp_path):
    db = open_database(tmp_path / "terminal.sqlite3")
    yield Outbox(db)
    db.close()


def engine_for(outbox: Outbox, client, hub: EventHub | None = None, **settings) -> SyncEngine:
    return SyncEngine(outbox, client, OutboxSettings(**{**FAST, **settings}), hub=hub, attempt_timeout_s=2.0)


async def drain(outbox: Outbox, client, hub: EventHub | None = None, **settings):
    engine = engine_for(outbox, client, hub, **settings)
    try:
        return await engine.run(until_empty=True)
    finally:
        engine.close()


def _order(member: str = "M100001", total: str = "5.00", order_id: str | None = None) -> ops.Operation:
    order = Order(order_id or ops.new_order_id("T01"), member, Decimal(total),
                  (OrderLine("L1", "Tea", Decimal(total), 1),))
    return annex_ops.create_order(order)


async def deliver_losing_the_first_reply(sandbox, outbox: Outbox, client, op_id: int) -> str:
    """Send with the reply dropped after the backend applied it, then let the engine settle it.
    Returns the state the urgent lane saw for the first attempt."""
    engine = engine_for(outbox, client)
    try:
        set_faults(sandbox, drop_reply_rate=1.0)
        [first] = await engine.deliver_now([op_id], timeout_s=5)
        set_faults(sandbox, drop_reply_rate=0.0)
        await engine.run(until_empty=True)
    finally:
        engine.close()
    return first.state


async def test_lost_replies_and_errors_without_backend_deduplication_apply_once(sandbox, outbox):
    workload = Workload(cards=make_gift_cards(sandbox, 4), seed=7)
    operations = workload.operations(200)
    outbox.enqueue(operations)
    set_faults(sandbox, duplicate_protection=False, drop_reply_rate=0.1, error_rate=0.1, seed=11)
    async with client_for(sandbox, attempt_timeout=2.0) as client:
        status = await drain(outbox, client)
    assert (status.depth, status.dead) == (0, 0)
    assert_exactly_once(sandbox, operations)


@pytest.mark.slow  # drains a large queue
async def test_one_permanent_failure_is_dead_lettered_after_one_attempt_while_the_rest_drain(sandbox, outbox):
    operations = Workload(seed=3).operations(999, mix=(("order", 80), ("points", 20)))
    bad = annex_ops.award_points("M999999", 10, ops.new_key("T01"), "goodwill")  # no such member
    operations.insert(500, bad)
    outbox.enqueue(operations)
    hub, dead = EventHub(), []
    hub.subscribe(ev.DeadLettered, dead.append)
    async with client_for(sandbox) as client:
        status = await drain(outbox, client, hub)
    assert (status.depth, status.dead) == (0, 1)
    [row] = outbox.rows("dead")
    assert (row["key"], row["attempts"]) == (bad.key, 1)
    assert i18n.readable(row["last_error"]).startswith("AC1005")
    assert [(e.op_id, e.kind) for e in dead] == [(row["id"], "award_points")]
    assert_exactly_once(sandbox, [op for op in operations if op is not bad])


async def test_refused_credentials_pause_the_queue_and_dead_letter_nothing(sandbox, outbox):
    operations = [_order() for _ in range(5)]
    outbox.enqueue(operations)
    hub, seen = EventHub(), []
    hub.subscribe(ev.DeliveryPaused, seen.append)
    hub.subscribe(ev.DeliveryResumed, seen.append)
    async with client_for(sandbox, secret="not-the-secret") as wrong:
        status = await drain(outbox, wrong, hub)
    assert status.paused and "credentials" in status.paused
    assert (status.depth, status.dead) == (5, 0)
    assert ledger(sandbox, "order_create") == []
    assert isinstance(seen[0], ev.DeliveryPaused)
    # Fixed credentials: the next drainer checks first, resumes, and everything goes.
    async with client_for(sandbox) as client:
        status = await drain(outbox, client, hub)
    assert (status.depth, status.dead, status.paused) == (0, 0, None)
    assert isinstance(seen[-1], ev.DeliveryResumed)
    assert_exactly_once(sandbox, operations)


async def test_already_applied_counts_only_when_the_backend_holds_what_was_sent(sandbox, outbox):
    order_id = ops.new_order_id("T01")
    async with client_for(sandbox) as client:
        # Someone else's order sits under our id, with another total.
        other = Order(order_id, "M100002", Decimal("9.99"), (OrderLine("L1", "Tea", Decimal("9.99"), 1),))
        await client.create_order(other)
        mine = _order(total="5.00", order_id=order_id)
        [op_id] = outbox.enqueue([mine])
        # Our attempt's reply was lost (as after a crash): reconciliation must compare, not trust.
        outbox.claim("crashed", 1, 0.0)
        status = await drain(outbox, client)
    assert status.dead == 1
    row = outbox.get(op_id)
    assert "orderTotal" in i18n.readable(row["last_error"]) and "9.99" in i18n.readable(row["last_error"])
    assert '"9.99"' in row["backend_view"]
    assert len(ledger(sandbox, "order_create")) == 1


async def test_a_key_used_for_another_request_is_a_dead_letter_with_both_sides(sandbox, outbox):
    order_id = ops.new_order_id("T01")
    async with client_for(sandbox) as client:
        await client.create_order(Order(order_id, "M100002", Decimal("9.99"),
                                        (OrderLine("L1", "Tea", Decimal("9.99"), 1),)))
        [op_id] = outbox.enqueue([_order(total="5.00", order_id=order_id)])
        await drain(outbox, client)
    row = outbox.get(op_id)
    assert row["state"] == "dead" and i18n.readable(row["last_error"]).startswith("AC2002")
    assert '"9.99"' in row["backend_view"]


async def test_a_lost_reply_is_reconciled_into_the_backends_answer(sandbox, outbox):
    [card] = make_gift_cards(sandbox, 1, balance="20.00")
    spend = CodeSpend(card, "guest", ops.new_key("T01"), amount=Decimal("7.50"))
    [op_id] = outbox.enqueue([annex_ops.redeem_code(spend)])
    set_faults(sandbox, duplicate_protection=False)
    async with client_for(sandbox) as client:
        assert await deliver_losing_the_first_reply(sandbox, outbox, client, op_id) == "pending"
    row = outbox.get(op_id)
    assert (row["state"], row["attempts"]) == ("done", 1)
    assert '"codeValue": "7.50"' in row["reply"]
    assert [e["amount_cents"] for e in ledger(sandbox, "code_redeem")] == [750]


async def test_urgent_delivery_returns_the_reply_or_gives_up_in_time(sandbox, outbox):
    [card] = make_gift_cards(sandbox, 1, balance="20.00")
    first = annex_ops.redeem_code(CodeSpend(card, "guest", ops.new_key("T01"), amount=Decimal("4.00"))).urgent()
    second = annex_ops.redeem_code(CodeSpend(card, "guest", ops.new_key("T01"), amount=Decimal("1.00"))).urgent()
    ids_ = outbox.enqueue([first, second])
    async with client_for(sandbox, attempt_timeout=3.0) as client:
        engine = engine_for(outbox, client)
        try:
            [done] = await engine.deliver_now(ids_[:1], timeout_s=3)
            assert done.state == "done" and done.reply["balanceCodeValue"] in ("16.00", 16)
            set_faults(sandbox, latency_ms=1500)
            started = time.monotonic()
            [late] = await engine.deliver_now(ids_[1:], timeout_s=0.3)
            assert late.state == "pending"
            assert time.monotonic() - started < 1.0
            # It was not abandoned: it finishes in the background.
            await engine.run(until_empty=True)
        finally:
            engine.close()
    assert outbox.get(ids_[1])["state"] == "done"
    assert [e["amount_cents"] for e in ledger(sandbox, "code_redeem")] == [400, 100]


async def test_a_failed_urgent_delivery_says_why_and_stays_queued(sandbox, outbox):
    [op_id] = outbox.enqueue([_order().urgent()])
    set_faults(sandbox, error_rate=1.0)
    async with client_for(sandbox) as client:
        engine = engine_for(outbox, client)
        try:
            [outcome] = await engine.deliver_now([op_id], timeout_s=3)
        finally:
            engine.close()
    assert outcome.state == "pending" and "cannot be reached" in outcome.error
    assert outbox.status().depth == 1


@pytest.mark.slow  # waits out real outage timings
async def test_offline_is_known_and_delivery_resumes_each_within_10_s(sandbox, outbox):
    from kiosk.sandbox.server import SandboxServer

    hub, changes = EventHub(), []
    hub.subscribe(ev.ConnectivityChanged, lambda e: changes.append((time.monotonic(), e.state)))
    depth = []
    hub.subscribe(ev.QueueChanged, lambda e: depth.append(e.depth))
    port, db_path = sandbox.port, sandbox.db_path
    async with client_for(sandbox) as client:
        # Production timings: the probe period and the resume jitter as shipped.
        engine = SyncEngine(outbox, client, OutboxSettings(), hub=hub, attempt_timeout_s=2.0)
        runner = asyncio.ensure_future(engine.run())
        try:
            await asyncio.sleep(0.5)
            sandbox.stop()
            gone = time.monotonic()
            while not any(state == ev.OFFLINE for _, state in changes):
                assert time.monotonic() - gone < 10, changes
                await asyncio.sleep(0.05)
            offline_after = [t for t, s in changes if s == ev.OFFLINE][0] - gone
            outbox.enqueue([_order() for _ in range(3)])  # sales made while offline
            engine.wake()
            back = SandboxServer(db_path, port=port, faults=True).start()
            try:
                returned = time.monotonic()
                while outbox.status().depth:
                    assert time.monotonic() - returned < 10
                    await asyncio.sleep(0.05)
                resumed_after = time.monotonic() - returned
                assert len(ledger(back, "order_create")) == 3
            finally:
                await engine.stop()
                await runner
                back.stop()
        finally:
            engine.close()
    assert offline_after < 10 and resumed_after < 10
    assert 3 in depth and depth[-1] == 0


@pytest.mark.slow  # forty orders against a slowed backend
async def test_a_full_disk_while_delivering_loses_nothing_and_sends_nothing_twice(sandbox, outbox):
    operations = Workload(seed=4).operations(40, mix=(("order", 1),))
    ids_ = outbox.enqueue(operations)
    set_faults(sandbox, duplicate_protection=False, latency_ms=300)
    async with client_for(sandbox, attempt_timeout=1.0) as client:
        engine = SyncEngine(outbox, client, OutboxSettings(**FAST), attempt_timeout_s=1.0)
        try:
            sending = asyncio.ensure_future(engine.deliver_now(ids_, timeout_s=10))
            await asyncio.sleep(0.15)  # claimed, attempts on disk, requests under way ...
            pages = outbox.db.read("PRAGMA page_count")[0][0]
            outbox.db.conn.execute(f"PRAGMA max_page_count={pages}")  # ... and now the disk is full
            outcomes = await sending
        finally:
            engine.close()
        # Applied by the backend, but the outcome could not be written: pending and in doubt, not lost.
        stuck = [o.op_id for o in outcomes if o.state == "pending"]
        assert stuck and {o.state for o in outcomes} <= {"pending", "done"}
        in_doubt = outbox.db.read("SELECT id FROM ops WHERE state='pending' AND maybe_sent=1")
        assert [r["id"] for r in in_doubt] == stuck
        assert outbox.db.read("SELECT COUNT(*) FROM ops")[0][0] == 40
        outbox.db.conn.execute("PRAGMA max_page_count=1073741823")
        set_faults(sandbox, latency_ms=0)
        await asyncio.sleep(2.1)  # the leases of the unrecorded attempts run out
        status = await drain(outbox, client)
    assert (status.depth, status.dead) == (0, 0)
    assert_exactly_once(sandbox, operations)


async def test_reward_redemption_and_its_reversal_survive_lost_replies(sandbox, outbox):
    set_faults(sandbox, duplicate_protection=False)
    [first] = outbox.enqueue([annex_ops.redeem_reward("M100003", "29660", ops.new_key("T01"))])
    async with client_for(sandbox) as client:
        assert await deliver_losing_the_first_reply(sandbox, outbox, client, first) == "pending"
        reward_code = json.loads(outbox.get(first)["reply"])["rewardCode"]
        [second] = outbox.enqueue([annex_ops.reverse_reward("M100003", reward_code, ops.new_key("T01"))])
        assert await deliver_losing_the_first_reply(sandbox, outbox, client, second) == "pending"
    assert [e["kind"] for e in ledger(sandbox) if e["kind"].startswith("reward")] == ["reward_redeem", "reward_reverse"]
    assert outbox.status().dead == 0


async def test_a_batch_of_cards_whose_reply_was_lost_is_recognised_whole(sandbox, outbox):
    cards = make_gift_cards(sandbox, 2, balance="30.00")
    spends = [CodeSpend(card, "guest", ops.new_key("T01"), amount=Decimal("10.00")) for card in cards]
    [op_id] = outbox.enqueue([annex_ops.redeem_codes(sandbox.store.site.site_id, spends, ops.new_key("T01"))])
    set_faults(sandbox, duplicate_protection=False)
    async with client_for(sandbox) as client:
        assert await deliver_losing_the_first_reply(sandbox, outbox, client, op_id) == "pending"
    row = outbox.get(op_id)
    assert (row["state"], row["attempts"]) == ("done", 1)
    assert sorted(e["reference"] for e in ledger(sandbox, "code_redeem")) == sorted(s.reference_id for s in spends)


async def test_an_undo_without_an_order_id_whose_reply_was_lost_is_recognised(sandbox, outbox):
    [card] = make_gift_cards(sandbox, 1, balance="20.00")
    spend = CodeSpend(card, "guest", ops.new_key("T01"), amount=Decimal("6.00"), order_id="T01-SALE1")
    [redeem] = outbox.enqueue([annex_ops.redeem_code(spend)])
    set_faults(sandbox, duplicate_protection=False)
    async with client_for(sandbox) as client:
        await drain(outbox, client)
        undo = CodeSpend(card, "guest", ops.new_key("T01"), amount=Decimal("6.00"), undo_of=spend.reference_id)
        [undo_id] = outbox.enqueue([annex_ops.undo_code(undo)])
        assert await deliver_losing_the_first_reply(sandbox, outbox, client, undo_id) == "pending"
        # What queued after it is not held back.
        [behind] = outbox.enqueue([annex_ops.redeem_code(CodeSpend(card, "guest", ops.new_key("T01"), Decimal("1.00")))])
        await drain(outbox, client)
    assert outbox.status().dead == 0 and outbox.get(behind)["state"] == "done"
    assert outbox.get(undo_id)["state"] == "done" and outbox.get(undo_id)["attempts"] == 1
    assert len(ledger(sandbox, "code_undo")) == 1


async def test_the_journal_is_emptied_after_a_drain(sandbox, outbox):
    operations = Workload(seed=5).operations(300, mix=(("order", 100),))
    async with client_for(sandbox) as client:
        for start in range(0, 300, 50):  # sales come in while the queue drains
            outbox.enqueue(operations[start:start + 50])
            status = await drain(outbox, client)
    assert status.depth == 0
    assert outbox.db.wal_bytes() == 0


async def test_delivered_rows_are_pruned_while_the_till_runs(sandbox, tmp_path):
    from tests.helpers import Clock, wait_for

    clock = Clock()
    db = open_database(tmp_path / "pruned.sqlite3")
    outbox = Outbox(db, clock=clock)
    async with client_for(sandbox) as client:
        engine = SyncEngine(outbox, client, OutboxSettings(**FAST, keep_done_days=30), attempt_timeout_s=2.0,
                            clock=clock)
        task = asyncio.ensure_future(engine.run())
        try:
            outbox.enqueue([_order() for _ in range(5)])
            engine.wake()
            await wait_for(lambda: outbox.status().depth == 0, timeout=10)
            assert db.read("SELECT COUNT(*) FROM ops")[0][0] == 5  # kept for the record...
            clock.now += 31 * 86400
            outbox.enqueue([_order()])
            engine.wake()
            # ...until they are older than keep_done_days: the running engine prunes them.
            await wait_for(lambda: db.read("SELECT COUNT(*) FROM ops WHERE state='done'")[0][0] == 1, timeout=10)
        finally:
            await engine.stop()
            await task
            engine.close()
            db.close()
