"""What the customer sees, in the core: refused cards, rewards worth more than the goods."""

from __future__ import annotations

import pytest

from kiosk.checkout.session import CheckoutError, State
from tests.checkout_env import running_till


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
