"""End-to-end checkout on Loyalty Prime: a real till, its database and outbox, the Prime
sandbox over loopback. The flows that move points and vouchers, and the returns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.checkout.session import CheckoutError, State
from kiosk.loyalty.models import NewMember
from tests.helpers import ledger, wait_for
from tests.prime_helpers import prime_server, prime_till, set_prime_faults
from tests.test_checkout_flows import fill


@pytest.fixture
def prime(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    yield server
    server.stop()


def points(server, member: str) -> int:
    (available,), = server.store.read("SELECT available FROM members WHERE id=?", (member,))
    return available


async def _sell(till, member, *skus, coupon=None):
    co = till.checkout
    sale = co.new_sale("C01")
    fill(till, sale, *skus)
    if member:
        sale.attach_member(await co.find_member(member))
    if coupon:
        await co.apply_coupon(sale, coupon)
    sale.start_tendering()
    if sale.due:
        sale.add_external("cash", Decimal(sale.due) / 100)
    return sale, await co.pay(sale)


async def test_a_members_sale_with_a_voucher_accrues_and_converts_once(prime, tmp_path):
    async with prime_till(prime, tmp_path) as till:
        view = await till.checkout.find_member("PC100002")  # the plastic card: an alternate id
        assert view.member_id == "M100002" and view.points.available == 1320
        sale, result = await _sell(till, "M100002", "COF-001", "SNK-001", coupon="BEN15OFF")
        assert result.ok, result.message
        # 7.99 coffee (double) and 2.29 crisps, less 15 %: 6.79 x 2 + 1.95 = 15 points.
        assert result.points == 15
        await wait_for(lambda: ledger(prime, "order_create"))
        assert [(e["order_id"], e["points"]) for e in ledger(prime, "order_create")] == [(sale.sale_id, 15)]
        assert [e["code"] for e in ledger(prime, "code_redeem")] == ["BEN15OFF"]
        again = till.checkout.new_sale("C01")
        fill(till, again, "COF-001")
        again.attach_member(await till.checkout.find_member("M100002"))
        with pytest.raises(CheckoutError, match="converted"):
            await till.checkout.apply_coupon(again, "BEN15OFF")
    assert points(prime, "M100002") == 1320 + 15


async def test_a_voucher_used_elsewhere_meanwhile_is_refused_at_pay_and_nothing_accrues(prime, tmp_path):
    async with prime_till(prime, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "COF-001")
        sale.attach_member(await co.find_member("M100002"))
        await co.apply_coupon(sale, "BEN15OFF")
        with prime.store.tx() as conn:  # another till converted it a moment ago
            conn.execute("UPDATE codes SET redeemed=redemption_limit WHERE code='BEN15OFF'")
        sale.start_tendering()
        sale.add_external("cash", Decimal(sale.due) / 100)
        result = await co.pay(sale)
        assert not result.ok and "BEN15OFF" in result.message
        assert sale.state != State.COMMITTED and sale.coupons == []
    assert ledger(prime, "order_create") == [] and points(prime, "M100002") == 1320


async def test_double_pay_commits_once(prime, tmp_path):
    async with prime_till(prime, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "COF-002")
        sale.attach_member(await co.find_member("M100001"))
        sale.start_tendering()
        sale.add_external("cash", Decimal(sale.due) / 100)
        first, second = await co.pay(sale), await co.pay(sale)
        assert first.ok and second.ok
        await wait_for(lambda: ledger(prime, "order_create"))
    assert len(ledger(prime, "order_create")) == 1


async def test_a_guest_sale_sends_nothing_and_offline_sales_accrue_later(prime, tmp_path):
    async with prime_till(prime, tmp_path) as till:
        _, guest = await _sell(till, None, "COF-002")
        assert guest.ok
        set_prime_faults(prime, error_rate=1.0)
        sale, offline = await _sell(till, "M100001", "COF-002", "COF-002")
        assert offline.ok, offline.message
        set_prime_faults(prime, error_rate=0.0)
        till.engine.wake()
        await wait_for(lambda: ledger(prime, "order_create"), timeout=15)
        assert till.outbox.status().dead == 0
    assert [e["order_id"] for e in ledger(prime, "order_create")] == [sale.sale_id]


async def test_partial_then_full_return_priced_by_the_terminal(prime, tmp_path):
    from tests.checkout_env import approve

    async with prime_till(prime, tmp_path) as till:
        sale, result = await _sell(till, "M100004", "APP-001", "APP-001", "APP-001", "HOM-001")
        assert result.ok
        earned = result.points
        order = await till.returns.find(sale.sale_id)
        shirts = next(line for line in order.lines if line.sku == "APP-001")
        first = await till.returns.give_back(order, {shirts.line_id: 1}, approve(till, "return", sale.sale_id), "C01")
        assert not first.whole and first.points_removed == shirts.points_for(1)
        order = await till.returns.find(sale.sale_id)
        rest = await till.returns.give_back(order, None, approve(till, "return", sale.sale_id), "C01")
        assert first.points_removed + rest.points_removed == earned
        await wait_for(lambda: till.outbox.status().depth == 0)
    assert points(prime, "M100004") == 18250


async def test_enrolment_records_marketing_consent(prime, tmp_path):
    async with prime_till(prime, tmp_path) as till:
        assert till.checkout.can_enrol()
        view = await till.checkout.enrol(NewMember(email="hana.ito@example.com", first_name="Hana", opted_in=True))
        assert view.member.opted_in is True and view.member.email == "hana.ito@example.com"
        with pytest.raises(CheckoutError, match="already exists"):
            await till.checkout.enrol(NewMember(email="hana.ito@example.com"))
    [(consent,)] = prime.store.read("SELECT opt_in FROM members WHERE email='hana.ito@example.com'")
    assert consent == "YES"
