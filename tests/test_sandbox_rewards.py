"""Rewards: eligibility, redemption (actionId 107), limits, reversal, races.
The client against a real sandbox over loopback HTTP; starting balances as in
resources/demo/members.json (see test_sandbox_members.py).
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.annex import replies as annex_replies
from kiosk.loyalty.models import (
    MemberView, PointsBalance, Reward, RewardRedemption,
)
from tests.helpers import ledger

ANA, BEN, CHLOE, DEV, EVA, FINN = "M100001", "M100002", "M100003", "M100004", "M100005", "M100006"
R10, R25, R50 = "29660", "29661", "29662"

def _by_id(rewards: tuple[Reward, ...]) -> dict[str, Reward]:
    return {r.reward_id: r for r in rewards}


# -- rewards -------------------------------------------------------------------


@pytest.mark.parametrize(("member", "eligible"), [
    (ANA, []), (EVA, []), (BEN, [R10, R25, R50]), (CHLOE, [R10, R25]), (DEV, [R10, R25, R50]),
    (FINN, []),  # 900 points, but inactive
])
async def test_get_rewards_eligibility_follows_points_and_status(client, member, eligible):
    rewards = await client.get_rewards(member)
    assert [r.reward_id for r in rewards] == [R10, R25, R50]
    assert [r.reward_id for r in rewards if r.eligible] == eligible


async def test_reward_eligibility_flips_as_points_move(client):
    await client.award_points(ANA, 70, "to-250", "goodwill")
    assert [r.reward_id for r in await client.get_rewards(ANA) if r.eligible] == [R10]
    await client.debit_points(ANA, 1, "to-249", "correction")
    assert [r.reward_id for r in await client.get_rewards(ANA) if r.eligible] == []


async def test_redeem_reward_deducts_points_and_uses_up_the_limit(sandbox, client):
    redemption = await client.redeem_reward(BEN, R10, "redeem-1", order_id="ORD-1")
    assert isinstance(redemption, RewardRedemption)
    assert re.fullmatch(r"RW\d{8}", redemption.reward_code)
    assert (redemption.member_id, redemption.reward_id, redemption.key) == (BEN, R10, "redeem-1")
    assert (redemption.points_deducted, redemption.available_after) == (250, 1070)
    assert redemption.expires is not None

    p = await client.get_points(BEN)
    assert (p.available, p.lifetime, p.used) == (1070, 2400, 1330)
    rewards = _by_id(await client.get_rewards(BEN))
    assert (rewards[R10].redeemed_count, rewards[R10].remaining_count, rewards[R10].eligible) == (1, 0, False)
    assert rewards[R25].eligible and rewards[R50].eligible
    view = await client.lookup_member(BEN)
    assert [r.reward_id for r in view.usable_rewards] == [R25, R50]

    rows = ledger(sandbox, "reward_redeem")
    assert [(r["member_id"], r["points"], r["code"], r["reference"], r["order_id"]) for r in rows] == [
        (BEN, -250, redemption.reward_code, "redeem-1", "ORD-1")]


async def test_redeem_reward_replayed_with_the_same_key_gives_the_same_code(sandbox, client):
    first = await client.redeem_reward(BEN, R10, "redeem-1")
    again = await client.redeem_reward(BEN, R10, "redeem-1")
    assert again == first
    assert (await client.get_points(BEN)).available == 1070
    assert len(ledger(sandbox, "reward_redeem")) == 1


async def test_a_second_redemption_over_the_limit_is_not_available(sandbox, client):
    await client.redeem_reward(BEN, R10, "redeem-1")
    with pytest.raises(errors.RewardNotAvailable) as caught:
        await client.redeem_reward(BEN, R10, "redeem-2")
    assert caught.value.code == "AC2011"
    assert (await client.get_points(BEN)).available == 1070
    assert len(ledger(sandbox, "reward_redeem")) == 1


async def test_redeem_without_enough_points_names_the_numbers(sandbox, client):
    with pytest.raises(errors.InsufficientPoints) as caught:
        await client.redeem_reward(ANA, R10, "redeem-ana")
    assert caught.value.code == "AC2010"
    assert "250" in caught.value.user_message and "180" in caught.value.user_message
    assert (await client.get_points(ANA)).available == 180
    assert ledger(sandbox) == []


async def test_redeem_for_an_inactive_member_is_not_available(sandbox, client):
    with pytest.raises(errors.RewardNotAvailable):
        await client.redeem_reward(FINN, R10, "redeem-finn")
    assert (await client.get_points(FINN)).available == 900
    assert ledger(sandbox) == []


async def test_redeem_an_unknown_reward_is_not_found(sandbox, client):
    with pytest.raises(errors.NotFound):
        await client.redeem_reward(BEN, "99999", "redeem-x")
    with pytest.raises(errors.NotFound):
        await client.redeem_reward("M999999", R10, "redeem-y")
    assert (await client.get_points(BEN)).available == 1320
    assert ledger(sandbox) == []


async def test_redeem_a_reward_id_outside_the_allow_list_sends_nothing(counted):
    client, transport = counted
    with pytest.raises(errors.InvalidIdentifier):
        await client.redeem_reward(BEN, "../29660", "redeem-z")
    assert transport.sent == []


async def test_reverse_reward_credits_points_back_and_frees_the_reward(sandbox, client):
    redemption = await client.redeem_reward(BEN, R10, "redeem-1")
    moved = await client.reverse_reward(BEN, redemption.reward_code, "reverse-1")
    assert (moved.member_id, moved.points, moved.available_after) == (BEN, 250, 1320)

    p = await client.get_points(BEN)
    assert (p.available, p.lifetime, p.used) == (1320, 2400, 1080)
    r10 = _by_id(await client.get_rewards(BEN))[R10]
    assert (r10.redeemed_count, r10.remaining_count, r10.eligible) == (0, 1, True)
    assert [(r["kind"], r["points"], r["code"]) for r in ledger(sandbox)] == [
        ("reward_redeem", -250, redemption.reward_code), ("reward_reverse", 250, redemption.reward_code)]

    again = await client.redeem_reward(BEN, R10, "redeem-2")
    assert again.reward_code != redemption.reward_code and again.available_after == 1070


async def test_a_second_reversal_is_a_conflict(sandbox, client):
    redemption = await client.redeem_reward(BEN, R10, "redeem-1")
    await client.reverse_reward(BEN, redemption.reward_code, "reverse-1")
    # The same key is the same request: replayed, not applied twice.
    await client.reverse_reward(BEN, redemption.reward_code, "reverse-1")
    with pytest.raises(errors.Conflict) as caught:
        await client.reverse_reward(BEN, redemption.reward_code, "reverse-2")
    assert caught.value.code == "AC2022"
    assert (await client.get_points(BEN)).available == 1320
    assert len(ledger(sandbox, "reward_reverse")) == 1


async def test_reversing_an_unknown_or_someone_elses_code_is_not_found(sandbox, client):
    with pytest.raises(errors.NotFound):
        await client.reverse_reward(BEN, "RW00000000", "reverse-x")
    redemption = await client.redeem_reward(BEN, R10, "redeem-1")
    with pytest.raises(errors.NotFound):
        await client.reverse_reward(CHLOE, redemption.reward_code, "reverse-y")
    assert (await client.get_points(CHLOE)).available == 640
    assert ledger(sandbox, "reward_reverse") == []


async def test_simultaneous_redemptions_of_a_limited_reward_succeed_once(sandbox, client):
    results = await asyncio.gather(
        *(client.redeem_reward(BEN, R10, f"race-{i}") for i in range(10)), return_exceptions=True)
    won = [r for r in results if isinstance(r, RewardRedemption)]
    lost = [r for r in results if not isinstance(r, RewardRedemption)]
    assert len(won) == 1, results
    assert len(lost) == 9 and all(isinstance(e, errors.RewardNotAvailable) for e in lost), lost
    assert won[0].available_after == 1070
    assert (await client.get_points(BEN)).available == 1070
    rows = ledger(sandbox, "reward_redeem")
    assert len(rows) == 1 and rows[0]["code"] == won[0].reward_code and rows[0]["points"] == -250


# -- models ------------------------------------------------------------------------


def _reward_json(reward_id: str, deduct: str, cost: int = 250) -> dict:
    return {"rewardId": reward_id, "displayText": f"r{reward_id}", "creditRequired": str(cost),
            "deductAmount": deduct, "eligible": "YES", "rewardLimit": "1", "redeemCount": 0,
            "remainingCount": 1}


@pytest.mark.parametrize("deduct", ["0.00", "0", "", None])
def test_a_reward_without_a_discount_value_is_not_usable(deduct):
    free = annex_replies.reward(_reward_json("1", deduct))
    assert free.discount is None and free.eligible and free.credit_required == 250
    paid = annex_replies.reward(_reward_json("2", "10.00"))
    assert paid.discount == Decimal("10.00")

    view = MemberView(member_id=BEN, member=None,
                      points=PointsBalance(member_id=BEN, available=1000), rewards=(free, paid))
    assert view.usable_rewards == (paid,)
