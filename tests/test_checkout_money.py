"""The money rules as properties: exact to the cent, stable, never negative."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.checkout import money
from kiosk.checkout.cart import Cart
from kiosk.checkout.session import CheckoutError, Session
from kiosk.loyalty.models import CodeInfo

RATES = {"standard": Decimal("8.25"), "reduced": Decimal("2.00"), "zero": Decimal("0")}
grosses = st.lists(st.integers(min_value=0, max_value=500_000), min_size=1, max_size=12)
rates = st.sampled_from(list(RATES.values()))
discounts = st.lists(st.one_of(
    st.builds(lambda c: money.Discount("fixed", cents=c), st.integers(min_value=0, max_value=100_000)),
    st.builds(lambda p: money.Discount("percent", percent=Decimal(p)), st.integers(min_value=0, max_value=100))),
    max_size=4)


@given(st.integers(min_value=0, max_value=10**7), st.lists(st.integers(min_value=0, max_value=10**6), min_size=1,
                                                          max_size=20))
def test_spread_adds_up_to_the_cent_and_no_share_exceeds_its_weight(total, weights):
    total = min(total, sum(weights))
    shares = money.spread(total, weights)
    assert sum(shares) == total
    assert all(0 <= s <= w for s, w in zip(shares, weights))
    assert shares == money.spread(total, weights)  # stable


@given(grosses, discounts, st.data())
def test_pricing_never_goes_negative_and_the_parts_add_up(lines, ds, data):
    line_rates = [data.draw(rates) for _ in lines]
    for inclusive in (False, True):
        p = money.price(lines, line_rates, ds, inclusive=inclusive)
        assert p.merchandise == sum(lines)
        assert 0 <= p.discount <= p.merchandise and sum(p.discounts) == p.discount
        assert all(0 <= line.discount <= line.gross and line.net >= 0 and line.tax >= 0 for line in p.lines)
        assert sum(line.discount for line in p.lines) == p.discount
        assert p.net == p.merchandise - p.discount
        assert p.total == sum(line.total for line in p.lines)
        assert p.total == (p.net if inclusive else p.net + p.tax)
        assert 0 <= p.points_basis <= p.total
        assert p.order_total - p.discount == p.points_basis


def test_the_documented_example_spreads_a_discount_by_largest_remainder():
    # 1.00 off lines of 3.33, 3.33 and 3.34: 0.333 + 0.333 + 0.334, so 0.33 + 0.33 + 0.34,
    # the odd cent to the largest remainder.
    p = money.price([333, 333, 334], [Decimal(0)] * 3, [money.Discount("x", cents=100)], inclusive=False)
    assert [line.discount for line in p.lines] == [33, 33, 34]
    # Tax per line after the discount, half up: 8.25 % of 1.00 is 0.0825 -> 0.08.
    q = money.price([100, 100], [Decimal("8.25")] * 2, [], inclusive=False)
    assert q.tax == 16 and q.total == 216
    # Inclusive: the tax is the part of the price that is tax, 2.16 * 8.25 / 108.25 = 0.1646 -> 0.16.
    r = money.price([216], [Decimal("8.25")], [], inclusive=True)
    assert (r.tax, r.total, r.points_basis) == (16, 216, 200)


def test_percent_coupons_come_off_first_and_nothing_takes_more_than_is_left():
    p = money.price([1000], [Decimal(0)], [money.Discount("fixed", cents=900),
                                           money.Discount("percent", percent=Decimal(50))], inclusive=False)
    assert p.discounts == (500, 500) and p.total == 0


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=50), st.data())
def test_returns_in_steps_give_back_exactly_what_was_paid_never_more(paid, bought, data):
    returned, total = 0, 0
    while returned < bought:
        n = data.draw(st.integers(min_value=1, max_value=bought - returned))
        share = money.refund_share(paid, bought, returned, n)
        assert share >= 0
        assert total + share <= paid
        total += share
        returned += n
    assert total == paid
    with pytest.raises(ValueError):
        money.refund_share(paid, bought, bought, 1)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_a_card_pays_what_it_can_and_never_goes_negative(balance, due):
    amount = money.card_amount(balance, due)
    assert 0 <= amount <= balance and amount <= due and (amount == balance or amount == due)


def _card(code: str, balance: str) -> CodeInfo:
    return CodeInfo(code=code, kind="giftcard", partial=True, discount_type="fixed", value=Decimal(balance),
                    balance=Decimal(balance), status="Active", valid_until=None, assigned_to=None,
                    redemption_limit=None, redeemed=None, usable=True)


class P:
    def __init__(self, sku: str, price: str, tax_class: str = "standard"):
        self.sku, self.name, self.price, self.tax_class = sku, sku, Decimal(price), tax_class


@given(st.lists(st.tuples(st.sampled_from(["1.99", "7.50", "19.99", "0.99", "120.00"]),
                          st.sampled_from(list(RATES))), min_size=1, max_size=8),
       st.lists(st.sampled_from(["0.01", "4.20", "20.00", "50.00"]), max_size=3),
       st.booleans())
def test_tenders_sum_to_the_total(items, cards, inclusive):
    sale = Session("S1", "C01", inclusive, RATES)
    for n, (price, tax_class) in enumerate(items):
        sale.cart.add(P(f"SKU{n}", price, tax_class))
    sale.start_tendering()
    for n, balance in enumerate(cards):
        try:
            card = sale.add_card(_card(f"GC-{n}", balance))
        except CheckoutError:
            assert sale.due == 0
            continue
        assert card.left >= 0
    if sale.due:
        sale.add_external("cash", Decimal(sale.due + 500) / 100)  # the shopper hands over 5.00 more
    total = sale.priced().total
    assert sale.due == 0
    assert sale.paid - sale.change == total
    assert all(c.amount <= c.balance for c in sale.cards)


def test_quantities_and_line_ids():
    cart = Cart()
    line = cart.add(P("Z", "12.34"))
    cart.add(P("A", "1.00"))
    cart.add(P("A", "1.00"))
    assert [(x.sku, x.quantity, x.gross) for x in cart.lines] == [("Z", 1, 1234), ("A", 2, 200)]
    cart.set_quantity(cart.lines[1].line_id, 0)
    assert [x.line_id for x in cart.lines] == [line.line_id]
    restored = Cart.from_json(cart.to_json())
    restored.add(P("B", "2.00"))
    assert restored.lines[-1].line_id == "3"  # line ids never repeat, even after a restore


line_sets = st.lists(st.tuples(st.integers(min_value=1, max_value=20_000), st.integers(min_value=1, max_value=6)),
                     min_size=1, max_size=5)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(line_sets, st.data())
def test_partial_returns_never_remove_more_points_than_the_order_earned(sandbox, lines, data):
    """The sandbox's line returns (the mechanism partial returns use), in-process."""
    from kiosk.sandbox.loyalty import post_points
    from kiosk.sandbox.orders import create_order

    order_id = f"P-{uuid.uuid4().hex[:12]}"
    detail = [{"id": f"L{n}", "productName": "x", "unitPrice": str(Decimal(cents) / 100), "quantity": qty}
              for n, (cents, qty) in enumerate(lines)]
    earned = create_order(sandbox.store, {"id": order_id, "userId": "M100004", "orderDetail": detail})["pointsAwarded"]
    left = {f"L{n}": qty for n, (_, qty) in enumerate(lines)}
    removed = 0
    while any(left.values()):
        line = data.draw(st.sampled_from(sorted(k for k, v in left.items() if v)))
        n = data.draw(st.integers(min_value=1, max_value=left[line]))
        reply = post_points(sandbox.store, {"id": "M100004", "actionId": "100", "activity": "DEBIT",
                                            "orderId": order_id, "customId": uuid.uuid4().hex,
                                            "returnLines": [{"id": line, "quantity": n}]})
        left[line] -= n
        removed += reply["pointsDeducted"]
        assert 0 <= removed <= earned
    assert removed == earned  # everything back: exactly what it earned, never more
