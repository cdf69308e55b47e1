from decimal import Decimal


async def test_lookup_member_reads_user_points_and_rewards(client):
    view = await client.lookup_member("M100002")
    assert view.member.display_name == "Ben Okafor"
    assert view.points.available == 1320
    assert view.points.tier == "Silver"
    assert [r.name for r in view.rewards] == ["10off", "25off", "50off"]
    assert [r.discount for r in view.usable_rewards] == [Decimal("10.00"), Decimal("25.00"), Decimal("50.00")]
    assert view.missing == ()
