"""Returns against the sandbox: at another terminal, full and by line, never more than bought."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from kiosk.checkout.session import CheckoutError
from tests.checkout_env import approve, running_till
from tests.helpers import ledger, set_faults, wait_for
from tests.test_checkout_flows import balance, fill, points


async def _sell(till, member: str | None, *skus: str, card: str | None = None, cash: bool = True):
    co = till.checkout
    sale = co.new_sale("C01")
    fill(till, sale, *skus)
    if member:
        sale.attach_member(await co.find_member(member))
    sale.start_tendering()
    if card:
        await co.add_card(sale, card)
    if cash and sale.due:
        sale.add_external("cash", Decimal(sale.due) / 100)
    result = await co.pay(sale)
    assert result.ok, result.message
    return sale, result


async def test_partial_then_full_return_at_another_terminal(sandbox, tmp_path):
    before = points(sandbox, "M100004")
    async with running_till(sandbox, tmp_path, "T01") as first:
        sale, result = await _sell(first, "M100004", "APP-001", "APP-001", "APP-001", "HOM-001")  # 69.47
        earned = result.points
    assert earned == 69 and points(sandbox, "M100004") == before + 69

    async with running_till(sandbox, tmp_path, "T02") as second:
        order = await second.returns.find("R:" + sale.sale_id)  # scanned from the receipt
        assert order.source == "backend"
        shirts = next(line for line in order.lines if line.sku == "APP-001")
        with pytest.raises(CheckoutError, match="manager"):
            await second.returns.give_back(order, {shirts.line_id: 1}, approval=None, operator_id="C01")
        with pytest.raises(CheckoutError, match="Only 3"):
            await second.returns.give_back(order, {shirts.line_id: 4}, approve(second, "return"), "C01")

        done = await second.returns.give_back(order, {shirts.line_id: 1}, approve(second, "return"), "C01")

        # 1 of 3 shirts: the line carries 60 of the 69 points (shared by amount, largest
        # remainder), and a third of them comes off; the money is a third of what the line cost.
        assert done.points_removed == 20
        assert done.refund_cents == shirts.paid_cents // 3
        assert points(sandbox, "M100004") == before + 69 - 20
        again = await second.returns.find(sale.sale_id)
        assert next(line for line in again.lines if line.line_id == shirts.line_id).returned == 1

        # "Return everything" after a partial one returns what is left, line by line.
        rest = await second.returns.give_back(again, None, approve(second, "return"), "C01")
        assert not rest.whole
        assert points(sandbox, "M100004") == before  # every point of the order is back out, none more
        assert done.refund_cents + rest.refund_cents == sum(line.paid_cents for line in order.lines)
        final = await second.returns.find(sale.sale_id)
        assert all(line.left == 0 for line in final.lines)
        with pytest.raises(CheckoutError, match="already returned"):
            await second.returns.give_back(final, {shirts.line_id: 1}, approve(second, "return"), "C01")
    entries = [e for e in second_audit(tmp_path) if e[0] == "return"]
    assert len(entries) == 2 and all(approver == "M01" for _, approver in entries)


def second_audit(folder):
    from kiosk.outbox.store import open_database

    db = open_database(folder / "T02.sqlite3")
    try:
        return [(r["action"], r["approver_id"]) for r in db.read("SELECT * FROM audit_log ORDER BY id")]
    finally:
        db.close()


async def test_full_return_gives_gift_card_value_back_and_cannot_happen_twice(sandbox, tmp_path):
    before = points(sandbox, "M100001")
    async with running_till(sandbox, tmp_path, "T01") as first:
        sale, result = await _sell(first, "M100001", "ELE-002", "STA-001", card="GC-1000-0002")
    total = result.receipt["priced"]["total"]
    assert total == 1379  # 8.99 + 3.75, and 0.74 + 0.31 tax at 8.25 % per line
    assert balance(sandbox, "GC-1000-0002") == Decimal("20.00") - Decimal("13.79")  # all on the card

    async with running_till(sandbox, tmp_path, "T02") as second:
        order = await second.returns.find(sale.sale_id)
        done = await second.returns.give_back(order, None, approve(second, "return"), "C01")
        assert done.whole and done.cards_cents == 1379 and done.refund_cents == 0
        assert done.points_removed == result.points == 12
        await wait_for(lambda: balance(sandbox, "GC-1000-0002") == Decimal("20.00"), timeout=10)
        undo = [r for r in ledger(sandbox, "code_undo") if r["order_id"] == sale.sale_id]
        assert len(undo) == 1 and undo[0]["amount_cents"] == -1379
        assert points(sandbox, "M100001") == before

        twice = await second.returns.find(sale.sale_id)
        assert twice.fully_returned
        with pytest.raises(CheckoutError, match="already returned"):
            await second.returns.give_back(twice, None, approve(second, "return"), "C01")


async def test_a_return_of_an_order_not_yet_synced_comes_from_local_history(sandbox, tmp_path):
    points_before = points(sandbox, "M100005")
    async with running_till(sandbox, tmp_path, "T01") as till:
        sale = till.checkout.new_sale("C01")
        fill(till, sale, "SNK-001", "SNK-001")
        sale.attach_member(await till.checkout.find_member("M100005"))
        sale.start_tendering()
        sale.add_external("cash", Decimal("10.00"))
        set_faults(sandbox, error_rate=1.0)  # the backend answers 503 to everything for a while
        result = await till.checkout.pay(sale)
        assert result.ok and result.points is None
        order = await till.returns.find(sale.sale_id)
        assert order.source == "local" and order.lines[0].quantity == 2
        done = await till.returns.give_back(order, {order.lines[0].line_id: 1}, approve(till, "return"), "C01")
        assert done.points_removed is None  # waits behind the order, in the same group
        again = await till.returns.find(sale.sale_id)
        assert again.lines[0].returned == 1
        with pytest.raises(CheckoutError, match="Only 1"):
            await till.returns.give_back(again, {order.lines[0].line_id: 2}, approve(till, "return"), "C01")
        set_faults(sandbox, error_rate=0.0)
        await wait_for(lambda: till.outbox.status().depth == 0, timeout=15)
        synced = await till.returns.find(sale.sale_id)
        assert synced.source == "backend" and synced.lines[0].returned == 1
        # 4.58 earned 4 points on the line; one of its two units gives back half of them.
        assert points(sandbox, "M100005") == points_before + 4 - 2


async def test_a_guest_line_return_counts_at_every_terminal(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, "T01") as first:
        sale, _ = await _sell(first, None, "APP-001")
        order = await first.returns.find(sale.sale_id)
        line = order.lines[0].line_id
        done = await first.returns.give_back(order, {line: 1}, approve(first, "return"), "C01")
        assert done.refund_cents == order.lines[0].paid_cents and done.points_removed == 0
        with pytest.raises(CheckoutError, match="already returned"):
            await first.returns.give_back(await first.returns.find(sale.sale_id), {line: 1},
                                          approve(first, "return"), "C01")
    async with running_till(sandbox, tmp_path, "T02") as second:
        again = await second.returns.find(sale.sale_id)
        assert again.source == "backend" and again.lines[0].left == 0


async def test_the_same_return_pressed_twice_gives_money_back_once(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, "T01") as till:
        sale, _ = await _sell(till, "M100001", "APP-001", "HOM-001")
        order = await till.returns.find(sale.sale_id)
        line = order.lines[0].line_id
        results = await asyncio.gather(
            till.returns.give_back(order, {line: 1}, approve(till, "return"), "C01"),
            till.returns.give_back(order, {line: 1}, approve(till, "return"), "C01"),
            return_exceptions=True)
        refunds = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, CheckoutError)]
        assert len(refunds) == 1 and len(refused) == 1 and "meanwhile" in str(refused[0])
        assert till.outbox.status().dead == 0


async def test_an_approval_serves_one_return_of_one_sale(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, "T01") as till:
        sale, _ = await _sell(till, "M100001", "APP-001", "HOM-001")
        other, _ = await _sell(till, "M100001", "SNK-001")
        order = await till.returns.find(sale.sale_id)
        for_other = approve(till, "return", subject=other.sale_id)
        with pytest.raises(CheckoutError, match="another sale"):
            await till.returns.give_back(order, {order.lines[0].line_id: 1}, for_other, "C01")
        once = approve(till, "return", subject=sale.sale_id)
        await till.returns.give_back(order, {order.lines[0].line_id: 1}, once, "C01")
        with pytest.raises(CheckoutError, match="already used"):
            await till.returns.give_back(await till.returns.find(sale.sale_id), {order.lines[1].line_id: 1},
                                         once, "C01")
        with pytest.raises(CheckoutError, match="another cashier"):
            await till.returns.give_back(await till.returns.find(sale.sale_id), {order.lines[1].line_id: 1},
                                         approve(till, "return"), "C02")
