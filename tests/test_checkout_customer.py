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


def test_why_a_reward_cannot_be_used_comes_in_a_few_words():
    from kiosk.loyalty.models import Member

    ten = Reward("R10", "10off", 250, Decimal("10.00"), True, limit=1, remaining_count=1)
    view = MemberView("M1", Member("M1", status="ACTIVE"), PointsBalance("M1", available=180), (ten,))
    assert view.why_not(ten) == "needs 70 more points"
    assert MemberView("M1", None, PointsBalance("M1", available=600), (ten,)).why_not(ten) is None
    assert MemberView("M1", None, PointsBalance("M1", available=600), (ten,)).why_not(ten, spent=500) == \
        "needs 150 more points"  # what rewards already on the sale take is not there to spend
    used = Reward("R10", "10off", 250, Decimal("10.00"), False, limit=1, remaining_count=0)
    assert MemberView("M1", None, PointsBalance("M1", available=600), (used,)).why_not(used) == "limit reached"
    inactive = MemberView("M1", Member("M1", status="INACTIVE"), PointsBalance("M1", available=900), (ten,))
    assert inactive.why_not(ten) == "member inactive"
    assert MemberView("M1", None, None, (ten,)).why_not(ten) == "points not available"


def test_tier_progress_runs_from_the_start_of_the_members_tier():
    tiers = {"Bronze": 0, "Silver": 1000, "Gold": 5000, "Platinum": 15000}
    gold = PointsBalance("M1", lifetime=6100, tier="Gold", next_tier="Platinum", points_to_next_tier=8900)
    assert gold.tier_progress(tiers) == (1100, 10_000)
    top = PointsBalance("M1", lifetime=21000, tier="Platinum", points_to_next_tier=0)
    assert top.tier_progress(tiers) is None
    assert gold.tier_progress({"Silver": 1000}) is None  # a tier the settings don't name: no bar to draw


def test_the_embedded_sandbox_plays_the_tiers_of_the_settings(tmp_path):
    from kiosk import config
    from kiosk.connect import connect

    conn = connect(config.Settings(loyalty={"tiers": {"Plus": 300, "Basic": 0}}), sandbox_db=tmp_path / "sb.sqlite3")
    try:
        assert conn.sandbox.store.site.tiers == [("Basic", 0), ("Plus", 300)]
    finally:
        conn.sandbox.stop()
