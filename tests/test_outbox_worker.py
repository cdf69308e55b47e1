"""Delivery on its own loop in a worker thread (kiosk/outbox/worker.py), as the app runs it:
a till on the sandbox over loopback, Qt-free."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from decimal import Decimal
from pathlib import Path
from typing import AsyncIterator

import pytest

from kiosk.checkout import till as tills
from kiosk.events import EventHub
from kiosk.loyalty import calls
from kiosk.loyalty.models import Order, OrderLine
from kiosk.outbox import events as ev
from kiosk.outbox import ops
from kiosk.outbox.worker import THREAD_NAME, EngineThread
from tests import annex_ops
from tests.checkout_env import settings_for
from tests.helpers import client_for, ledger, set_faults, wait_for


# What the cashier waits for in this sale: read on the GUI loop with the front client.
READS = {"get_member", "get_rewards", "get_points", "validate_code"}


def delivery_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


@contextlib.asynccontextmanager
async def threaded_till(sandbox, folder: Path, made: list | None = None) -> AsyncIterator[tills.Till]:
    def make():
        client = client_for(sandbox, attempt_timeout=2.0)
        if made is not None:
            made.append(client)
        return client

    async with client_for(sandbox, attempt_timeout=2.0) as client:
        till = tills.build(settings_for(folder), client, site_id=sandbox.store.site.site_id, hub=EventHub(),
                           demo=True, delivery_client=make)
        await till.start()
        try:
            yield till
        finally:
            await till.close()


def urgent_order(member: str = "M100001") -> ops.Operation:
    order = Order(ops.new_order_id("T01"), member, Decimal("5.00"), (OrderLine("L1", "Tea", Decimal("5.00"), 1),))
    return annex_ops.create_order(order).urgent()


async def test_a_pay_delivers_on_the_worker_thread_with_its_own_client_while_reads_stay_here(sandbox, tmp_path):
    seen: list[tuple[str, str]] = []
    stop = calls.listen(lambda call: seen.append((call.operation, threading.current_thread().name)))
    try:
        async with threaded_till(sandbox, tmp_path) as till:
            delivered_on = []
            till.engine.hub.subscribe(ev.Delivered, lambda e: delivered_on.append(threading.current_thread()))
            assert isinstance(till.engine, EngineThread)
            co = till.checkout
            sale = co.new_sale("C01")
            sale.cart.add(till.catalogue.by_sku("APP-001"))
            sale.attach_member(await co.find_member("M100003"))
            sale.start_tendering()
            await co.add_card(sale, "GC-1000-0003")  # redeemed by Pay's urgent lane
            sale.add_external("cash", Decimal(sale.due) / 100)

            result = await co.pay(sale)

            assert result.ok, result.message
            assert sorted(row["kind"] for row in ledger(sandbox) if row["order_id"] == sale.sale_id) == [
                "code_redeem", "order_create"]
            assert delivered_on and {t.name for t in delivered_on} == {THREAD_NAME}
            assert threading.current_thread() not in delivered_on
            # Two clients, each used on its own loop only (a client refuses a second loop).
            worker_client, front = till.engine.client, till.checkout.backend
            assert worker_client is not front and worker_client._http is not front._http
            assert front._loop is asyncio.get_running_loop() and worker_client._loop is till.engine.loop
            assert till.engine.backend is front  # what Pay encodes with, and the screens read with
    finally:
        stop()
    here = threading.current_thread().name
    on_worker = {operation for operation, name in seen if name == THREAD_NAME}
    assert {operation for operation, name in seen if name == here} == READS, seen
    assert not on_worker & READS and "redeem_code" in on_worker, seen


@pytest.mark.parametrize("give_up", ["cancel", "timeout"])
async def test_a_caller_giving_up_on_an_urgent_delivery_does_not_cancel_the_send(sandbox, tmp_path, give_up):
    async with threaded_till(sandbox, tmp_path) as till:
        set_faults(sandbox, latency_ms=700)
        [op_id] = till.outbox.enqueue([urgent_order()])
        waiting = asyncio.ensure_future(till.engine.deliver_now([op_id], 5.0))
        # Attempt recorded, the request out: the slowed sandbox holds the reply.
        await wait_for(lambda: till.outbox.get(op_id)["attempts"] == 1, timeout=3)
        if give_up == "cancel":
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        else:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(waiting, 0.05)
        # The wait on the worker loop goes on: the send it started finishes there.
        assert till.engine.engine._awaited[op_id] == 1
        await wait_for(lambda: till.outbox.get(op_id)["state"] == "done", timeout=5)
        row = till.outbox.get(op_id)
        assert row["attempts"] == 1 and row["last_error"] is None
        assert len(ledger(sandbox, "order_create")) == 1
        await wait_for(lambda: not till.engine.engine._awaited, timeout=2)


async def test_an_urgent_delivery_from_the_callers_loop_returns_the_outcome(sandbox, tmp_path):
    async with threaded_till(sandbox, tmp_path) as till:
        [op_id] = till.outbox.enqueue([urgent_order()])
        [outcome] = await till.engine.deliver_now([op_id], 5.0)
        assert outcome.op_id == op_id and outcome.state == "done" and outcome.reply is not None
        assert len(ledger(sandbox, "order_create")) == 1


async def test_connectivity_changes_arrive_from_the_worker_thread(sandbox, tmp_path):
    async with threaded_till(sandbox, tmp_path) as till:
        changes = []
        till.engine.hub.subscribe(ev.ConnectivityChanged,
                                  lambda e: changes.append((e.state, threading.current_thread().name)))
        sandbox.stop()
        await wait_for(lambda: (ev.OFFLINE, THREAD_NAME) in changes, timeout=10)
        assert till.checkout.offline  # the checkout's own subscriber saw it too
        assert {name for _, name in changes} == {THREAD_NAME}


async def test_close_stops_delivery_closes_its_client_and_leaves_no_thread(sandbox, tmp_path):
    made: list = []
    before = delivery_threads()
    async with threaded_till(sandbox, tmp_path, made) as till:
        [op_id] = till.outbox.enqueue([urgent_order()])
        till.engine.wake()  # from this thread: it reaches the worker's loop
        await wait_for(lambda: till.outbox.get(op_id)["state"] == "done", timeout=5)
        assert len(delivery_threads()) == len(before) + 1
        loop, thread = till.engine.loop, till.engine.thread
    assert delivery_threads() == before and not thread.is_alive()
    assert loop.is_closed()
    [worker_client] = made
    assert worker_client._http is None  # closed, on its own loop, before that loop stopped
    assert till.engine.client is None
    with pytest.raises(Exception):
        till.outbox.get(op_id)  # the database is closed last


async def test_a_till_that_fails_to_start_delivery_leaves_no_thread(sandbox, tmp_path):
    before = delivery_threads()

    def broken():
        raise RuntimeError("no client today")

    async with client_for(sandbox, attempt_timeout=2.0) as client:
        till = tills.build(settings_for(tmp_path), client, site_id=sandbox.store.site.site_id, hub=EventHub(),
                           demo=True, delivery_client=broken)
        with pytest.raises(RuntimeError, match="no client today"):
            await till.start()
        assert delivery_threads() == before
        await till.close()
    assert delivery_threads() == before
