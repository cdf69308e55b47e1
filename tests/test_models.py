"""The vendor's own examples parse into typed models; loose values are read tolerantly."""

import logging
from datetime import date, datetime
from decimal import Decimal

import pytest

from kiosk.loyalty import errors, parse
from kiosk.loyalty.annex import errors as annex_errors
from kiosk.loyalty.annex import replies as annex_replies
from kiosk.loyalty.models import (
    MemberView, PointsBalance,
)
from tests.seed_fixtures import load_seed


def test_user_details_example():
    m = annex_replies.member(load_seed("002_get_user_details"))
    assert (m.id, m.email, m.first_name, m.last_name, m.phone) == (
        "user@domain.com", "user@domain.com", "John", "Doe", "123-123-4567")
    assert m.opted_in is True and m.active
    assert m.birth_date == date(2018, 4, 1)
    assert m.total_spend == Decimal("150.00")
    assert m.display_name == "John Doe"


def test_points_examples_both_shapes():
    loyalty = annex_replies.points_balance(load_seed("000_points_get_response"))
    assert (loyalty.member_id, loyalty.available, loyalty.lifetime, loyalty.used) == ("user@domain.com", 6620, 8620, 2000)
    assert loyalty.currency_value == Decimal("10.50")  # a JSON number, read exactly
    assert loyalty.expire_date is not None
    pos = annex_replies.points_balance(load_seed("002_get_user_points"))
    assert pos.available == 50 and pos.expire_date is None  # "" as a date is empty, not an error
    assert pos.currency_ratio == Decimal("1")


def test_rewards_example_has_no_discount_values_so_none_is_usable():
    body = load_seed("002_available_rewards")
    rewards = tuple(annex_replies.reward(r) for r in parse.items(body, "rewardDetail"))
    assert [(r.name, r.credit_required, r.eligible) for r in rewards] == [
        ("10off", 250, True), ("25off", 500, True), ("50off", 1000, True)]
    # deductAmount is "0.00" in the documents: a till can't apply such a reward.
    assert all(r.discount is None for r in rewards)
    view = MemberView("x", None, PointsBalance("x", available=5000), rewards)
    assert view.usable_rewards == ()


def test_reward_with_a_value_is_usable_only_when_points_cover_it():
    reward = annex_replies.reward({"rewardId": "1", "displayText": "10off", "creditRequired": "250",
                              "deductAmount": "10.00", "eligible": "YES", "remainingCount": 1})
    assert reward.discount == Decimal("10.00")
    assert MemberView("x", None, PointsBalance("x", available=249), (reward,)).usable_rewards == ()
    assert MemberView("x", None, PointsBalance("x", available=250), (reward,)).usable_rewards == (reward,)
    assert MemberView("x", None, None, (reward,)).usable_rewards == ()


def test_order_examples():
    order = annex_replies.order_result(load_seed("002_place_order_response"))
    assert order.points_awarded == 20 and order.total == Decimal("20.00")
    assert order.tier == "FRIENDS" and order.next_tier == "BESTIES"
    assert order.lines[0].points == 20 and order.lines[0].unit_price == Decimal("20.00")
    back = annex_replies.return_result(load_seed("002_order_return_response"))
    assert (back.order_id, back.points_removed, back.available_after) == ("fsdafsafsad2432323423", 20, 340)


def test_points_post_examples():
    replies = load_seed("000_points_post_response")
    redeemed = annex_replies.reward_redemption(replies["To Redeem Rewards"])
    assert (redeemed.reward_code, redeemed.points_deducted, redeemed.available_after) == ("4260", 300, 4545)
    assert redeemed.expires == datetime(2020, 10, 30, 5, 30)
    award = annex_replies.points_movement(replies["To Award Points"])
    assert (award.points, award.available_after) == (50, 4545)
    debit = annex_replies.points_movement(load_seed("002_points_debit_response"))
    assert (debit.points, debit.available_after, debit.tier) == (30, 3034, None)


def test_a_wrong_type_becomes_empty_with_a_warning_that_hides_the_value(caplog):
    odd = load_seed("000_points_post_response")["To Deduct Custom Points"]
    with caplog.at_level(logging.WARNING, logger="kiosk.loyalty.parse"):
        movement = annex_replies.points_movement(odd)
    # The document itself sends "general survey" as updatedAvailablePoints.
    assert movement.available_after is None
    assert movement.not_moved == 50
    assert "updatedAvailablePoints" in caplog.text
    assert "general survey" not in caplog.text


def test_code_examples():
    single = annex_replies.code_redemption(load_seed("001_updatecodedetails_response"))
    assert (single.code, single.reference_id, single.balance_after, single.redeemed) == (
        "APPMFDTC", "xyz01", Decimal("8.00"), 4)
    batch = annex_replies.code_redemption(load_seed("001_updatebatchcodedetails_response"))
    assert batch.status == "Partially Used" and batch.order_id == "BB0547"


@pytest.mark.parametrize("body", ["002_error_ac1002", "002_error_ac1005"])
def test_error_examples_map_to_exceptions(body):
    exc = annex_errors.from_error_body(401 if body.endswith("1002") else 404, load_seed(body))
    assert isinstance(exc, errors.NotAuthorized if body.endswith("1002") else errors.NotFound)
    assert exc.detail in ("Request Not Authorized", "No data found")


@pytest.mark.parametrize(("value", "expected"), [
    ("250", 250), (250, 250), ("1,000", 1000), ("", None), (None, None), ("12.5", None), ("abc", None),
    (True, None), ([1], None), ("250.00", 250),
])
def test_integer_reader(value, expected):
    assert parse.integer({"f": value}, "f") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("10.50", Decimal("10.50")), (10.5, Decimal("10.50")), (0.1, Decimal("0.10")), ("1,234.5", Decimal("1234.50")),
    ("", None), ("NaN", None), ("Infinity", None), ({}, None), (False, None),
])
def test_money_reader(value, expected):
    assert parse.money({"f": value}, "f") == expected


def test_dates_and_flags():
    assert parse.timestamp({"d": "2024-04-28T06:02:06+0000"}, "d").year == 2024
    assert parse.timestamp({"d": "2022-10-07 17:55:00"}, "d").hour == 17
    assert parse.timestamp({"d": "yesterday"}, "d") is None
    assert parse.yes_no({"f": "YES"}, "f") is True and parse.yes_no({"f": "no"}, "f") is False
    assert parse.yes_no({"f": "maybe"}, "f") is None
    assert parse.mapping(["not", "a", "dict"], "x") == {}
    assert parse.items({"l": "nope"}, "l") == [] and parse.items({"l": [1, {"a": 1}]}, "l") == [{"a": 1}]
