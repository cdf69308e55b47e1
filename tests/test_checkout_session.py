"""The checkout session's states and rules, and the manager approvals, on a real till."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests import annex_ops
from kiosk.checkout.session import CheckoutError, Session, State
from kiosk.loyalty.models import MemberView, PointsBalance, Reward
from tests.checkout_env import approve, running_till
from tests.helpers import wait_for
from tests.test_checkout_flows import balance, fill
from tests.test_checkout_money import RATES, P, _card


def _member(points: int = 600) -> MemberView:
    return MemberView("M1", None, PointsBalance("M1", available=points), ())


def _reward(rid: str = "R1", cost: int = 250, discount: str | None = "10.00") -> Reward:
    return Reward(rid, f"{rid} off", cost, Decimal(discount) if discount else None, True)


def test_the_states_follow_the_cart_member_rewards_tendering_order():
    sale = Session("S1", "C01", False, RATES)
    assert sale.state == State.OPEN
    with pytest.raises(CheckoutError, match="empty"):
        sale.start_tendering()
    sale.cart.add(P("A", "20.00"))
    sale.attach_member(_member())
    assert sale.state == State.MEMBER
    sale.select_reward(_reward())
    assert sale.state == State.SELECTED
    sale.start_tendering()
    with pytest.raises(CheckoutError, match="go back to the cart"):
        sale.select_reward(_reward("R2"))
    with pytest.raises(CheckoutError, match="go back to the cart"):
        sale.attach_member(_member())
    sale.add_card(_card("GC-1", "5.00"))
    sale.back_to_cart()  # the total may change: tenders come off
    assert sale.state == State.SELECTED and not sale.cards
    sale.remove_reward("R1")
    assert sale.state == State.MEMBER
    sale.detach_member()
    assert sale.state == State.OPEN
    sale.start_tendering()
    with pytest.raises(CheckoutError, match="still due"):
        sale.begin_authorize()
    sale.add_external("cash", Decimal("50.00"))
    sale.begin_authorize()
    with pytest.raises(CheckoutError, match="wait for it"):
        sale.void()
    sale.authorize_failed()
    assert sale.state == State.TENDERING
    sale.begin_authorize()
    sale.committed()
    with pytest.raises(CheckoutError, match="return instead"):
        sale.void()


def test_rewards_need_a_member_points_and_a_money_value():
    sale = Session("S1", "C01", False, RATES)
    sale.cart.add(P("A", "20.00"))
    with pytest.raises(CheckoutError, match="member first"):
        sale.select_reward(_reward())
    sale.attach_member(_member(points=400))
    with pytest.raises(CheckoutError, match="no money value"):
        sale.select_reward(_reward(discount=None))
    sale.select_reward(_reward("R1", 250))
    with pytest.raises(CheckoutError, match="150 left"):
        sale.select_reward(_reward("R2", 250))  # 400 points cover one, not two
    with pytest.raises(CheckoutError, match="already"):
        sale.select_reward(_reward("R1", 250))


def test_codes_go_where_they_belong_and_cards_pay_what_they_hold():
    sale = Session("S1", "C01", False, RATES)
    sale.cart.add(P("A", "10.00", "zero"))
    with pytest.raises(CheckoutError, match="at payment"):
        sale.apply_coupon(_card("GC-1", "5.00"))
    with pytest.raises(CheckoutError, match="Press Pay first"):
        sale.add_card(_card("GC-1", "5.00"))
    sale.start_tendering()
    card = sale.add_card(_card("GC-1", "4.20"))
    assert (card.amount, card.left, sale.due) == (420, 0, 580)
    with pytest.raises(CheckoutError, match="already paying"):
        sale.add_card(_card("GC-1", "4.20"))
    big = sale.add_card(_card("GC-2", "50.00"))
    assert (big.amount, big.left, sale.due) == (580, 4420, 0)
    with pytest.raises(CheckoutError, match="Nothing is left"):
        sale.add_external("cash", Decimal("1.00"))


async def test_price_override_and_void_need_a_manager_and_are_audited(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001")
        line = sale.cart.lines[0]
        cashier = till.operators.sign_in("C01", "1111")
        with pytest.raises(Exception, match="manager"):
            till.operators.authorize("price_override", "C01", "1111", requested_by=cashier.id, reason="x")
        with pytest.raises(CheckoutError, match="approval"):
            await co.override_price(sale, line.line_id, Decimal("15.00"), "damaged", approve(till, "void"))
        await co.override_price(sale, line.line_id, Decimal("15.00"), "damaged box",
                                approve(till, "price_override", sale.sale_id, "damaged box"))
        changed = sale.cart.lines[0]
        assert (changed.unit_cents, changed.list_cents, changed.override_approver) == (1500, 1999, "M01")
        with pytest.raises(CheckoutError, match="manager"):
            await co.void(sale)
        await co.void(sale, approve(till, "void", sale.sale_id, "customer left"))
        assert sale.state == State.VOIDED
        assert till.sales.get(sale.sale_id) is None and till.outbox.status().depth == 0  # nothing left behind
        log = till.audit.lines(till.audit.entries())
        assert any("price_override" in e and "damaged box" in e and "Morgan" in e for e in log)
        assert any(" void " in f" {e} " for e in log)


async def test_offline_allowance_takes_a_card_on_trust_and_reports_what_the_backend_refused(sandbox, tmp_path):
    from kiosk.sandbox.server import SandboxServer

    port, db_path = sandbox.port, sandbox.db_path
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        with pytest.raises(CheckoutError, match="manager"):
            till.allowances.grant(None, max_sales=2, max_amount="30.00", hours=4, operator_id="C01")
        till.allowances.grant(approve(till, "offline_allowance"), max_sales=2, max_amount="30.00", hours=4,
                              operator_id="C01")
        sandbox.stop()
        await wait_for(lambda: co.offline, timeout=10)
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001")  # 21.64 with tax
        card = await co.add_card(sale, "GC-1000-0003")  # holds 4.20, but offline nobody can tell
        assert not card.checked and card.amount == 2164
        result = await co.pay(sale)
        assert result.ok
        allowance = till.allowances.active()
        assert (allowance.used_sales, allowance.cents_left) == (1, 3000 - 2164)
        second = co.new_sale("C01")
        fill(till, second, "APP-001")
        await co.add_card(second, "GC-1000-0001")  # takes only what the allowance has left
        assert second.cards[0].amount == 3000 - 2164 and second.due == 2164 - (3000 - 2164)
        back = SandboxServer(db_path, port=port, faults=True).start()
        try:
            await wait_for(lambda: till.allowances.pending() == 0, timeout=15)
            refused = till.allowances.report()
            assert [(r.sale_id, r.code, r.amount) for r in refused] == [(sale.sale_id, "GC-1000-0003", "21.64")]
            assert "4.20" in refused[0].reason
            assert balance(back, "GC-1000-0003") == Decimal("4.20")  # refused whole, never partly taken
            assert till.outbox.status().dead == 0
        finally:
            back.stop()


def test_the_cart_is_locked_once_payment_starts():
    sale = Session("S1", "C01", False, RATES)
    sale.cart.add(P("A", "20.00", "zero"))
    sale.cart.add(P("B", "5.00", "zero"))
    sale.start_tendering()
    sale.add_card(_card("GC-1", "50.00"))
    with pytest.raises(CheckoutError, match="go back to the cart"):
        sale.cart.remove(sale.cart.lines[0].line_id)  # would pay 20.00 of gift card out as change
    sale.back_to_cart()
    sale.cart.remove(sale.cart.lines[0].line_id)
    assert sale.priced().total == 500 and not sale.cards


@pytest.mark.parametrize("bad", ["abc", "", "1e40", "Infinity", "NaN", "1.234", "-"])
def test_a_bad_amount_is_a_sentence_not_a_crash(bad):
    sale = Session("S1", "C01", False, RATES)
    sale.cart.add(P("A", "1.00"))
    sale.start_tendering()
    with pytest.raises(CheckoutError):
        sale.add_external("cash", bad)
    with pytest.raises(CheckoutError, match="tax rate"):
        _priced_without_rates()


def _priced_without_rates():
    sale = Session("S2", "C01", False, {})
    sale.cart.add(P("A", "1.00"))
    return sale.priced()


async def test_the_offline_allowance_cap_holds_when_two_sales_pay_at_once(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        till.allowances.grant(approve(till, "offline_allowance"), max_sales=5, max_amount="30.00", hours=1,
                              operator_id="C01")
        sandbox.stop()
        await wait_for(lambda: co.offline, timeout=10)
        sales = []
        for code in ("GC-1000-0001", "GC-1000-0002"):
            sale = co.new_sale("C01")
            fill(till, sale, "APP-001")  # 21.64: each fits the allowance alone, not both
            await co.add_card(sale, code)
            sales.append(sale)
        results = await asyncio.gather(*(co.pay(s) for s in sales), return_exceptions=True)
        assert sum(1 for r in results if not isinstance(r, Exception) and r.ok) == 1
        assert sum(1 for r in results if isinstance(r, CheckoutError) and "allowance" in str(r)) == 1
        assert till.allowances.active().used_cents == 2164


def test_tenders_can_be_taken_off_again():
    sale = Session("S1", "C01", False, RATES)
    sale.cart.add(P("A", "10.00", "zero"))
    sale.start_tendering()
    sale.add_card(_card("GC-1", "4.00"))
    sale.add_external("cash", Decimal("2.00"))
    sale.remove_card("gc-1")
    assert sale.due == 800
    sale.remove_external(0)
    with pytest.raises(CheckoutError, match="no longer"):
        sale.remove_external(0)
    assert sale.due == 1000 and sale.paid == 0


def test_a_dead_lettered_redemption_of_a_failed_sale_is_listed_for_a_person(db):
    from kiosk.checkout.sales import PlannedRedemption, Sales
    from kiosk.loyalty.models import CodeSpend
    from kiosk.outbox.queue import Outbox

    outbox = Outbox(db)
    sales = Sales(db, outbox, "T01", "STORE-001")
    spend = CodeSpend("GC-1", "guest", "T01-KEY-1", Decimal("5.00"), order_id="S1")
    [op_id] = sales.begin("S1", "C01", None, {"sale_id": "S1"},
                          [PlannedRedemption("card", "GC-1", "guest", "T01-KEY-1", 500, annex_ops.redeem_code(spend).urgent())])
    [row] = outbox.claim("me", 1, 30)
    outbox.dead(row.id, "me", "AC2001: the request is not valid")
    sales.fail("S1", "failed", {op_id: ("undo_wanted", None)}, undo=lambda r: None)
    [stuck] = sales.problems()
    assert (stuck.sale_id, stuck.ref, stuck.op_state) == ("S1", "GC-1", "dead")
    assert sales.get("S1")["state"] == "tendering"


def test_a_sale_that_is_not_tendering_is_refused_at_pay_with_a_sentence(db):
    from kiosk.checkout.errors import CheckoutError
    from kiosk.checkout.sales import Sales
    from kiosk.outbox.queue import Outbox

    sales = Sales(db, Outbox(db), "T01", "STORE-001")
    sales.begin("S1", "C01", None, {"sale_id": "S1"}, [])
    with pytest.raises(CheckoutError, match="interrupted and is still being resolved"):
        sales.begin("S1", "C01", None, {"sale_id": "S1"}, [])
    sales.fail("S1", "declined", {}, undo=lambda r: None)
    sales.void("S1")
    with pytest.raises(CheckoutError, match="This sale is voided; start a new one"):
        sales.begin("S1", "C01", None, {"sale_id": "S1"}, [])


def test_a_line_taken_off_goes_back_where_it_was():
    from kiosk.checkout.cart import Cart
    from kiosk.checkout.errors import CartError

    cart = Cart()
    product = type("P", (), {"sku": "A", "name": "A", "price": "1.00", "tax_class": "standard"})
    other = type("P", (), {"sku": "B", "name": "B", "price": "2.00", "tax_class": "standard"})
    first, second = cart.add(product, 3), cart.add(other)
    taken = cart.remove(first.line_id)
    cart.put_back(taken, 0)
    assert [line.line_id for line in cart.lines] == [first.line_id, second.line_id] and cart.lines[0].quantity == 3
    with pytest.raises(CartError):
        cart.put_back(taken, 0)  # never twice
    gone = cart.remove(second.line_id)
    cart.locked = True  # payment started: nothing comes back
    with pytest.raises(CartError):
        cart.put_back(gone, 1)
