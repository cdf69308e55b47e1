"""Retention: sales, returns and the audit log are pruned after keep_records_days
while the till runs, except what still matters to money. The clock is moved."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from kiosk.checkout import till as tills
from kiosk.events import EventHub
from tests.checkout_env import approve, settings_for
from tests.helpers import Clock, client_for, set_faults, wait_for
from tests.test_checkout_flows import fill

DAY = 86400


def _count(db, table: str) -> int:
    return db.read(f"SELECT COUNT(*) FROM {table}")[0][0]


async def _cash_sale(till, *skus: str):
    sale = till.checkout.new_sale("C01")
    fill(till, sale, *skus)
    sale.start_tendering()
    sale.add_external("cash", Decimal("20.00"))
    result = await till.checkout.pay(sale)
    assert result.ok, result.message
    return sale


async def test_old_records_are_pruned_while_the_till_runs_and_open_ones_are_kept(sandbox, tmp_path):
    clock = Clock()
    settings = settings_for(tmp_path, keep_records_days=730)
    async with client_for(sandbox, attempt_timeout=2.0) as client:
        till = tills.build(settings, client, site_id=sandbox.store.site.site_id, hub=EventHub(), demo=True,
                           clock=clock)
        await till.start()
        try:
            old = await _cash_sale(till, "SNK-001", "SNK-001")
            order = await till.returns.find(old.sale_id)
            await till.returns.give_back(order, {order.lines[0].line_id: 1}, approve(till, "return"), "C01")
            await wait_for(lambda: till.outbox.status().depth == 0, timeout=15)
            assert (_count(till.db, "sales"), _count(till.db, "returns")) == (1, 1)
            assert _count(till.db, "audit_log") >= 2  # the sale and the return, at least

            set_faults(sandbox, error_rate=1.0)
            undelivered = await _cash_sale(till, "SNK-002")  # as old, but its order can't be delivered yet
            clock.now += 731 * DAY
            till.engine.wake()
            await wait_for(lambda: _count(till.db, "returns") == 0, timeout=10)
            assert [row["id"] for row in till.db.read("SELECT id FROM sales")] == [undelivered.sale_id]
            assert _count(till.db, "audit_log") == 0  # every entry was older than two years
            assert till.outbox.status().depth == 1  # and the queue still holds the order
        finally:
            set_faults(sandbox, error_rate=0.0)
            await till.close()


def test_the_audit_log_still_refuses_deleting_a_recent_entry(db):
    db.conn.execute("INSERT INTO audit_log (at, terminal_id, action) VALUES (strftime('%s', 'now'), 'T01', 'sale')")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("DELETE FROM audit_log")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("UPDATE audit_log SET action='x'")
