"""The member at the till: scanned, searched by phone or email, or enrolled on the spot."""

from __future__ import annotations

import pytest

from kiosk.checkout.session import CheckoutError
from kiosk.loyalty.models import NewMember
from tests.checkout_env import running_till


async def test_a_member_by_scan_phone_or_email_shows_points_tier_and_usable_rewards(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        by_id = await co.find_member("M100003")
        by_phone = await co.search_member(phone="555-010-0003")
        by_email = await co.search_member(email=" Chloe.Martin@example.com ")
        assert by_id.member_id == by_phone.member_id == by_email.member_id == "M100003"
        points = by_id.points
        assert (points.available, points.tier, points.next_tier) == (640, "Gold", "Platinum")
        assert points.points_to_next_tier == 15000 - 6100 and str(points.currency_value) == "6.40"
        # 640 points cover 10off (250) and 25off (500), not 50off (1000).
        assert sorted(r.credit_required for r in by_id.usable_rewards) == [250, 500]
        with pytest.raises(CheckoutError, match="No member has that"):
            await co.search_member(email="nobody@example.com")
        with pytest.raises(CheckoutError, match="not a member card"):
            await co.find_member("../orders")


async def test_enrol_on_the_spot_records_consent_and_attaches_the_member(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        with pytest.raises(CheckoutError, match="email address or a phone"):
            await co.enrol(NewMember(first_name="Sam"))
        view = await co.enrol(NewMember(phone="555-010-0777", first_name="Sam", opted_in=True))
        assert view.member.phone == "555-010-0777" and view.member.opted_in is True
        assert view.points.available == 0
        sale = co.new_sale("C01")
        sale.attach_member(view)
        assert sale.member_id == view.member_id
        with pytest.raises(CheckoutError, match="already exists"):
            await co.enrol(NewMember(phone="555-010-0777", opted_in=False))
