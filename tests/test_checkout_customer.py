"""What the customer sees, in the core: refused cards, rewards worth more than the goods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.checkout.session import CheckoutError, Session, State
from kiosk.loyalty.models import MemberView, PointsBalance, Reward
from tests.checkout_env import running_till
from tests.test_checkout_money import RATES, P


def test_a_reward_worth_more_than_the_goods_left_says_what_it_would_take():
    sale = Session("S1", "C01", False, RATES)
    sale.cart.add(P("A", "7.99"))
    sale.attach_member(MemberView("M1", None, PointsBalance("M1", available=1000), ()))
    fifty = Reward("R50", "50off", 1000, Decimal("50.00"), True)
    assert sale.reward_takes(fifty) == 799 and sale.rewards == []  # asking applies nothing
    sale.select_reward(fifty)
    assert sale.rewards_short() == [(sale.rewards[0], 799)]
    sale.cart.add(P("B", "60.00"))
    assert sale.rewards_short() == []  # the goods now cover it
    with pytest.raises(CheckoutError, match="already on this sale"):
        sale.reward_takes(fifty)  # the same refusals as applying it


async def test_a_refused_gift_card_leaves_the_sale_at_the_cart(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        sale.cart.add(till.catalogue.by_sku("COF-001"))
        with pytest.raises(CheckoutError, match="GC-1000-0099"):
            await co.apply_code(sale, "GC-1000-0099")  # inactive
        assert sale.state == State.OPEN and not sale.cart.locked
        sale.cart.add(till.catalogue.by_sku("COF-001"))  # the cart still takes products
        assert sale.cart.lines[0].quantity == 2 and sale.cards == []


async def test_a_refused_card_while_paying_keeps_the_tenders_already_taken(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        sale.cart.add(till.catalogue.by_sku("COF-001"))
        await co.add_card(sale, "GC-1000-0003")  # 4.20 of the 7.99 (and tax)
        with pytest.raises(CheckoutError):
            await co.add_card(sale, "GC-1000-0099")
        assert sale.state == State.TENDERING and [c.code for c in sale.cards] == ["GC-1000-0003"]
