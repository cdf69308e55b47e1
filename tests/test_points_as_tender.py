"""The member's points as a tender, end to end on Loyalty Prime (the backend that
declares it: it refuses a redemption the points don't cover): Pay takes them at the
backend's rate, a refused or failed Pay gives them back, and returns give back the
returned lines' share (rounded down; the last return takes the rest), the rest of the
money going to the other tenders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.checkout.errors import CheckoutError
from tests.checkout_env import approve, running_till
from tests.helpers import wait_for
from tests.prime_helpers import prime_server, prime_till
from tests.test_checkout_flows import fill


def points(server, member: str) -> int:
    (available,), = server.store.read("SELECT available FROM members WHERE id=?", (member,))
    return available


@pytest.fixture
def backend(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    yield server, lambda folder, terminal="T01": prime_till(server, folder, terminal)
    server.stop()


async def _sell_with_points(till, member: str, skus, up_to: int):
    co = till.checkout
    sale = co.new_sale("C01")
    fill(till, sale, *skus)
    sale.attach_member(await co.find_member(member))
    sale.start_tendering()
    paid = sale.add_points(up_to=up_to)
    with pytest.raises(CheckoutError, match="already paying"):
        sale.add_points()
    sale.add_external("cash", Decimal(sale.due) / 100)
    result = await co.pay(sale)
    assert result.ok, result.message
    return sale, result, paid


async def test_points_pay_part_of_a_sale_and_come_back_with_its_returns(backend, tmp_path):
    server, till_at = backend
    member = "M100004"
    before = points(server, member)
    async with till_at(tmp_path) as till:
        sale, result, paid = await _sell_with_points(till, member, ["APP-001", "APP-001", "HOM-001"], up_to=500)
        # The demo programme's rate is 0.01 a point: 5.00 takes 500 points.
        assert (paid.points, paid.amount) == (500, 500)
        await wait_for(lambda: till.outbox.status().depth == 0, timeout=15)
        earned = result.points
        assert points(server, member) == before - 500 + earned
        total = result.receipt["priced"]["total"]

        order = await till.returns.find(sale.sale_id)
        shirt = next(line for line in order.lines if line.sku == "APP-001")
        first = await till.returns.give_back(order, {shirt.line_id: 1}, approve(till, "return"), "C01")
        share = sum(cents for _, _, cents in first.lines)
        back = {b.tender.kind: b for b in first.backs}
        assert back["points"].points == 500 * share // total  # the returned lines' share, rounded down
        assert back["points"].cents + back["cash"].cents == share
        assert "points (" in first.message and "go back to the member" in first.message
        await wait_for(lambda: till.outbox.status().depth == 0, timeout=15)

        rest = await till.returns.give_back(await till.returns.find(sale.sale_id), None,
                                            approve(till, "return"), "C01")
        back_rest = {b.tender.kind: b for b in rest.backs}
        assert back["points"].points + back_rest["points"].points == 500  # the last return takes the rest
        assert back["cash"].cents + back_rest["cash"].cents == total - 500
        await wait_for(lambda: till.outbox.status().depth == 0, timeout=15)
    assert points(server, member) == before  # every point taken and earned is back where it was


async def test_a_points_tender_refused_at_pay_comes_off_and_the_sale_can_be_paid_otherwise(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    try:
        async with prime_till(server, tmp_path) as till:
            co = till.checkout
            sale = co.new_sale("C01")
            fill(till, sale, "APP-001")
            sale.attach_member(await co.find_member("M100001"))
            sale.start_tendering()
            paid = sale.add_points()
            # The member spends their points elsewhere meanwhile: the backend refuses the redemption.
            with server.store.lock:
                server.store.conn.execute("UPDATE members SET available=0 WHERE id='M100001'")
                server.store.conn.commit()
            if sale.due:
                sale.add_external("cash", Decimal(sale.due) / 100)
            result = await co.pay(sale)
            assert not result.ok and "points" in result.message.lower() and paid.points > 0
            assert sale.points_paid is None  # taken off the tenders; what it paid is due again
            sale.add_external("cash", Decimal(sale.due) / 100)
            assert (await co.pay(sale)).ok
    finally:
        server.stop()


async def test_a_backend_whose_debit_stops_at_zero_is_not_offered_points_as_a_tender(sandbox, tmp_path):
    """Annex Cloud's points debit never goes below zero: points taken there could pay for
    nothing, so that backend does not declare the tender and the till refuses it."""
    async with running_till(sandbox, tmp_path) as till:
        sale = till.checkout.new_sale("C01")
        fill(till, sale, "APP-001")
        sale.attach_member(await till.checkout.find_member("M100004"))
        sale.start_tendering()
        with pytest.raises(CheckoutError, match="does not take points"):
            sale.add_points()
