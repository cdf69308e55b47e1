"""Members, points and rewards: the client against a real sandbox over loopback HTTP.

Every test runs on fresh demo data (tests/conftest.py), so the starting balances
are the ones in resources/demo/members.json: Ana 180/180 Bronze, Ben 1320/2400
Silver, Chloé 640/6100 Gold, Dev 18250/21000 Platinum, Eva 0, Finn INACTIVE 900.
Where a write matters, the sandbox's ledger is checked as well as the reply.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.annex import requests as rq
from kiosk.loyalty.models import (
    Member, MemberView, NewMember, PointsMovement, Reward,
)
from tests.helpers import ledger, raw_send, set_faults

ANA, BEN, CHLOE, DEV, EVA, FINN = "M100001", "M100002", "M100003", "M100004", "M100005", "M100006"
R10, R25, R50 = "29660", "29661", "29662"
NOT_FOUND_TEXT = "No member found for that card, email or phone."


def _award(member: str, points: object, key: str | None = None, **extra: object) -> dict:
    body = {"id": member, "actionId": 100, "activity": "CREDIT", "credit": points, "reason": "test"}
    if key:
        body["customId"] = key
    return {**body, **extra}


def _debit(member: str, points: object, key: str | None = None) -> dict:
    body = {"id": member, "actionId": 100, "activity": "DEBIT", "debit": points, "reason": "test"}
    if key:
        body["customId"] = key
    return body


def _by_id(rewards: tuple[Reward, ...]) -> dict[str, Reward]:
    return {r.reward_id: r for r in rewards}


# -- lookup_member -------------------------------------------------------------


async def test_lookup_member_returns_the_full_view(client):
    view = await client.lookup_member(BEN)

    assert isinstance(view, MemberView)
    assert view.member_id == BEN and view.missing == ()
    m = view.member
    assert (m.id, m.first_name, m.last_name, m.email) == (BEN, "Ben", "Okafor", "ben.okafor@example.com")
    assert m.phone == "555-010-0002" and m.active and m.opted_in is True
    assert m.total_spend == Decimal("2400.00")

    p = view.points
    assert (p.member_id, p.available, p.lifetime, p.used) == (BEN, 1320, 2400, 1080)
    assert (p.tier, p.next_tier, p.points_to_next_tier) == ("Silver", "Gold", 2600)
    assert p.spend_to_next_tier == Decimal("2600.00")
    assert p.currency_ratio == Decimal("0.01") and p.currency_value == Decimal("13.20")

    rewards = _by_id(view.rewards)
    assert list(rewards) == [R10, R25, R50]
    for rid, name, cost, discount in ((R10, "10off", 250, "10.00"), (R25, "25off", 500, "25.00"),
                                      (R50, "50off", 1000, "50.00")):
        r = rewards[rid]
        assert (r.name, r.credit_required, r.discount) == (name, cost, Decimal(discount))
        assert r.eligible and (r.limit, r.redeemed_count, r.remaining_count) == (1, 0, 1)
    assert [r.reward_id for r in view.usable_rewards] == [R10, R25, R50]


@pytest.mark.parametrize(("member", "available", "tier", "next_tier", "to_next", "value"), [
    (ANA, 180, "Bronze", "Silver", 820, "1.80"),
    (CHLOE, 640, "Gold", "Platinum", 8900, "6.40"),
    (DEV, 18250, "Platinum", None, 0, "182.50"),
    (EVA, 0, "Bronze", "Silver", 1000, "0.00"),
])
async def test_lookup_member_tiers_follow_lifetime_points(client, member, available, tier, next_tier,
                                                          to_next, value):
    p = (await client.lookup_member(member)).points
    assert p.available == available
    assert (p.tier, p.next_tier, p.points_to_next_tier) == (tier, next_tier, to_next)
    assert p.currency_value == Decimal(value)


@pytest.mark.parametrize("ref", [
    "M999999",
    "nobody@example.com",
    "5559999999",
    # An unknown email or card that merely contains a member's phone digits
    # (Ben's are 5550100002) used to resolve to that member in the sandbox.
    "x5550100002@example.com",
    "M5550100002",
])
async def test_lookup_member_unknown_is_not_found_with_a_cashier_message(client, ref):
    with pytest.raises(errors.NotFound) as caught:
        await client.lookup_member(ref)
    assert caught.value.user_message == NOT_FOUND_TEXT
    assert caught.value.code == "AC1005" and caught.value.status == 404


@pytest.mark.parametrize("ref", [
    "chloe.martin@example.com", "CHLOE.Martin@Example.com", "555-010-0003", "5550100003", "555.010.0003",
])
async def test_lookup_member_by_email_or_phone_resolves_the_same_member(client, ref):
    view = await client.lookup_member(ref)
    assert view.member_id == CHLOE and view.member.first_name == "Chloé"
    assert view.points.member_id == CHLOE and view.points.available == 640
    assert len(view.rewards) == 3 and view.missing == ()
    # 640 points: the 250 and 500 rewards, not the 1000 one.
    assert [r.reward_id for r in view.usable_rewards] == [R10, R25]


@pytest.mark.parametrize("ref", ["../admin", "a/b", "", "..", ".hidden", "M10 0001", "M1?x=1", "M1#x",
                                 "a%2Fb", "(555) 010-0003", "x" * 129])
async def test_lookup_member_refuses_a_bad_identifier_before_sending(sandbox, counted, ref):
    client, transport = counted
    with pytest.raises(errors.InvalidIdentifier):
        await client.lookup_member(ref)
    assert transport.sent == []
    assert ledger(sandbox) == []


async def test_lookup_member_when_the_service_is_down_raises_instead_of_a_partial_view(sandbox, client):
    # The only fault switch that fails a GET fails all three, the member part
    # included; a view with zero points must not come back in that case.
    set_faults(sandbox, error_rate=1.0)
    with pytest.raises(errors.BackendUnavailable):
        await client.lookup_member(BEN)
    set_faults(sandbox, error_rate=0.0)
    assert (await client.lookup_member(BEN)).points.available == 1320


# -- search_member -------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"email": "ana.lima@example.com"}, ANA),
    ({"email": "  Ana.Lima@Example.COM "}, ANA),
    ({"phone": "555-010-0002"}, BEN),
    ({"phone": "(555) 010-0002"}, BEN),
    ({"phone": "555 010 0002"}, BEN),
    ({"phone": "5550100002"}, BEN),
    ({"email": "", "phone": "555.010.0003"}, CHLOE),
])
async def test_search_member_by_email_or_phone(client, kwargs, expected):
    member = await client.search_member(**kwargs)
    assert isinstance(member, Member) and member.id == expected


@pytest.mark.parametrize("kwargs", [{}, {"email": "", "phone": ""}, {"email": None, "phone": None}])
async def test_search_member_with_neither_is_invalid_and_sends_nothing(counted, kwargs):
    client, transport = counted
    with pytest.raises(errors.InvalidRequest):
        await client.search_member(**kwargs)
    assert transport.sent == []


async def test_search_member_unknown_is_not_found(client):
    with pytest.raises(errors.NotFound):
        await client.search_member(email="nobody@example.com")
    with pytest.raises(errors.NotFound):
        await client.search_member(phone="555-999-9999")


# -- enrol_member --------------------------------------------------------------


async def test_enrol_with_email_records_consent_and_the_member_can_be_found(sandbox, client):
    member = await client.enrol_member(NewMember(email="zoe.ng@example.com", first_name="Zoë",
                                                 last_name="Ng", opted_in=True))
    assert re.fullmatch(r"M\d{6}", member.id)
    assert (member.email, member.first_name, member.last_name) == ("zoe.ng@example.com", "Zoë", "Ng")
    assert member.active and member.phone is None

    stored = await client.get_member(member.id)
    assert stored.opted_in is True and stored.email == "zoe.ng@example.com"
    assert (await client.search_member(email="ZOE.NG@example.com")).id == member.id
    view = await client.lookup_member(member.id)
    assert (view.points.available, view.points.lifetime, view.points.tier) == (0, 0, "Bronze")
    assert view.usable_rewards == () and not any(r.eligible for r in view.rewards)

    rows = ledger(sandbox, "member_enrol")
    assert [row["member_id"] for row in rows] == [member.id]


async def test_enrol_with_phone_only_records_no_consent(sandbox, client):
    member = await client.enrol_member(NewMember(phone="555-019-9999", opted_in=False))
    assert member.email is None and member.phone == "555-019-9999"

    stored = await client.get_member(member.id)
    assert stored.opted_in is False
    assert (await client.lookup_member("5550199999")).member_id == member.id
    assert (await client.search_member(phone="(555) 019-9999")).id == member.id
    assert [row["member_id"] for row in ledger(sandbox, "member_enrol")] == [member.id]


async def test_enrol_an_email_that_contains_a_members_phone_digits(client):
    # Used to be refused as a duplicate of Ben (phone 555-010-0002).
    member = await client.enrol_member(NewMember(email="ben5550100002@example.com"))
    assert (await client.get_member("ben5550100002@example.com")).id == member.id
    assert (await client.get_member(BEN)).email == "ben.okafor@example.com"


@pytest.mark.parametrize("new", [
    NewMember(email="ana.lima@example.com"),
    NewMember(email="ANA.LIMA@EXAMPLE.COM"),
    NewMember(email=" ana.lima@example.com "),
    NewMember(phone="555-010-0001"),
    NewMember(phone="(555) 010-0001"),
    NewMember(phone="5550100001"),
    NewMember(email="brand.new@example.com", phone="555.010.0004"),
])
async def test_enrol_duplicate_email_or_phone_already_exists(sandbox, client, new):
    with pytest.raises(errors.AlreadyExists) as caught:
        await client.enrol_member(new)
    assert caught.value.code == "AC2003"
    assert ledger(sandbox, "member_enrol") == []
    with pytest.raises(errors.NotFound):
        await client.get_member("brand.new@example.com")


@pytest.mark.parametrize("new", [
    NewMember(),
    NewMember(first_name="Nobody", opted_in=True),
    NewMember(email="not-an-email"),
    NewMember(email="ana@"),
    NewMember(email="@"),
    NewMember(email="a b@example.com"),
    NewMember(email="a@b@example.com"),
    NewMember(email="x" * 120 + "@example.com"),
    NewMember(phone="12345"),
    NewMember(phone="1234567890123456"),
    NewMember(phone="555 0100 ext 12"),
])
async def test_enrol_without_a_valid_email_or_phone_is_invalid(sandbox, client, new):
    with pytest.raises(errors.InvalidRequest) as caught:
        await client.enrol_member(new)
    assert caught.value.code == "AC2001"
    assert ledger(sandbox) == []


# -- points --------------------------------------------------------------------


async def test_award_points_raises_available_and_lifetime(sandbox, client):
    moved = await client.award_points(ANA, 100, "award-1", "goodwill")
    assert isinstance(moved, PointsMovement)
    assert (moved.member_id, moved.points, moved.not_moved) == (ANA, 100, 0)
    assert (moved.available_after, moved.lifetime_after, moved.tier) == (280, 280, "Bronze")

    p = await client.get_points(ANA)
    assert (p.available, p.lifetime, p.used) == (280, 280, 0)
    rows = ledger(sandbox, "points_credit")
    assert [(r["member_id"], r["points"], r["reference"]) for r in rows] == [(ANA, 100, "award-1")]


async def test_award_points_that_cross_a_tier_move_the_member_up(client):
    moved = await client.award_points(BEN, 2600, "award-tier", "promotion")
    assert (moved.available_after, moved.lifetime_after, moved.tier) == (3920, 5000, "Gold")
    p = await client.get_points(BEN)
    assert (p.tier, p.next_tier, p.points_to_next_tier) == ("Gold", "Platinum", 10000)


async def test_debit_more_than_available_takes_only_what_is_there(sandbox, client):
    moved = await client.debit_points(ANA, 500, "debit-1", "correction")
    assert (moved.points, moved.not_moved, moved.available_after) == (180, 320, 0)
    p = await client.get_points(ANA)
    assert (p.available, p.lifetime, p.used) == (0, 180, 180)

    # With nothing left, a debit moves nothing and the balance never goes negative.
    moved = await client.debit_points(ANA, 10, "debit-2", "correction")
    assert (moved.points, moved.not_moved, moved.available_after) == (0, 10, 0)
    assert (await client.get_points(ANA)).available == 0
    rows = ledger(sandbox, "points_debit")
    assert [(r["member_id"], r["points"], r["reference"]) for r in rows] == [
        (ANA, -180, "debit-1"), (ANA, 0, "debit-2")]


async def test_debit_within_the_balance(client):
    moved = await client.debit_points(CHLOE, 40, "debit-3", "correction")
    assert (moved.points, moved.not_moved, moved.available_after, moved.lifetime_after) == (40, 0, 600, 6100)


@pytest.mark.parametrize("points", [0, -5])
@pytest.mark.parametrize("credit", [True, False])
async def test_zero_or_negative_points_are_refused_client_side(sandbox, counted, points, credit):
    client, transport = counted
    with pytest.raises(ValueError):
        rq.adjust_points(ANA, points, "k", credit=credit, reason="x")
    call = client.award_points if credit else client.debit_points
    with pytest.raises(ValueError):
        await call(ANA, points, "k", "x")
    assert transport.sent == []
    assert ledger(sandbox) == []


@pytest.mark.parametrize("body", [
    _debit(ANA, 0), _award(ANA, 0), _debit(ANA, -5), _award(ANA, -5), _award(ANA, "1.5"), _award(ANA, 2.5),
    _award(ANA, "ten"), _award(ANA, None), _award(ANA, True),
    {"id": ANA, "actionId": 100, "activity": "TRANSFER", "credit": 5},
])
async def test_sandbox_refuses_points_that_are_not_a_positive_whole_number(sandbox, body):
    response = raw_send(sandbox, "POST", "points", body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "AC2001"
    assert ledger(sandbox) == []
    row = sandbox.store.read("SELECT available, lifetime FROM members WHERE id=?", (ANA,))[0]
    assert (row["available"], row["lifetime"]) == (180, 180)


async def test_award_above_the_site_limit_is_refused_and_changes_nothing(sandbox, client):
    assert sandbox.store.site.max_award_points == 100_000
    with pytest.raises(errors.PointsLimitReached) as caught:
        await client.award_points(EVA, 100_001, "too-many", "typo")
    assert caught.value.code == "AC1026"
    p = await client.get_points(EVA)
    assert (p.available, p.lifetime) == (0, 0)
    assert ledger(sandbox) == []
    # The limit itself is allowed, and the refused key was not burnt.
    moved = await client.award_points(EVA, 100_000, "too-many", "typo")
    assert moved.points == 100_000 and moved.available_after == 100_000


async def test_a_repeated_key_with_the_same_payload_is_replayed_once(sandbox, client):
    first = await client.award_points(BEN, 50, "same-key", "goodwill")
    again = await client.award_points(BEN, 50, "same-key", "goodwill")
    assert again == first and first.available_after == 1370
    assert (await client.get_points(BEN)).available == 1370
    assert len(ledger(sandbox, "points_credit")) == 1


async def test_a_repeated_key_with_a_different_payload_is_a_conflict(sandbox, client):
    await client.award_points(BEN, 50, "same-key", "goodwill")
    with pytest.raises(errors.Conflict) as caught:
        await client.award_points(BEN, 60, "same-key", "goodwill")
    assert caught.value.code == "AC2002"
    with pytest.raises(errors.Conflict):
        await client.debit_points(BEN, 50, "same-key", "goodwill")
    assert (await client.get_points(BEN)).available == 1370
    assert len(ledger(sandbox)) == 1


# -- POST /bulkpoints ------------------------------------------------------------


def _available(sandbox, member: str) -> int:
    return sandbox.store.read("SELECT available FROM members WHERE id=?", (member,))[0]["available"]


async def test_bulkpoints_applies_each_numbered_item(sandbox):
    response = raw_send(sandbox, "POST", "bulkpoints", {
        "1": _award(ANA, 10, "bulk-1"), "2": _debit(BEN, 20, "bulk-2"), "3": _award(CHLOE, 5, "bulk-3")})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"1", "2", "3"}
    assert (body["1"]["pointsAwarded"], body["1"]["updatedAvailablePoints"]) == (10, 190)
    assert (body["2"]["pointsDeducted"], body["2"]["updatedAvailablePoints"]) == (20, 1300)
    assert (body["3"]["pointsAwarded"], body["3"]["updatedAvailablePoints"]) == (5, 645)
    assert (_available(sandbox, ANA), _available(sandbox, BEN), _available(sandbox, CHLOE)) == (190, 1300, 645)
    assert [(r["kind"], r["member_id"], r["points"]) for r in ledger(sandbox)] == [
        ("points_credit", ANA, 10), ("points_debit", BEN, -20), ("points_credit", CHLOE, 5)]


async def test_bulkpoints_a_bad_item_gets_its_own_error_and_the_others_apply(sandbox):
    response = raw_send(sandbox, "POST", "bulkpoints", {
        "1": _award(ANA, 10, "bulk-1"),
        "2": _award(BEN, 0, "bulk-2"),
        "3": _award("M999999", 10, "bulk-3"),
        "4": _award(DEV, 100_001, "bulk-4"),
        # A key that is not a string used to crash the whole request with a 500
        # after item 1 had been applied.
        "5": _award(BEN, 10, {"not": "a key"}),
        "6": "not an item",
        "7": _debit(CHLOE, 5, "bulk-7"),
    })
    assert response.status_code == 200
    body = response.json()
    assert body["1"]["pointsAwarded"] == 10 and body["7"]["pointsDeducted"] == 5
    assert {n: body[n].get("errorCode") for n in ("2", "3", "4", "5", "6")} == {
        "2": "AC2001", "3": "AC1005", "4": "AC1026", "5": "AC2001", "6": "AC2001"}
    assert all(body[n]["errorMessage"] for n in ("2", "3", "4", "5", "6"))
    assert (_available(sandbox, ANA), _available(sandbox, BEN), _available(sandbox, CHLOE),
            _available(sandbox, DEV)) == (190, 1320, 635, 18250)
    assert [(r["kind"], r["member_id"]) for r in ledger(sandbox)] == [
        ("points_credit", ANA), ("points_debit", CHLOE)]


async def test_bulkpoints_items_are_replayed_by_key(sandbox):
    items = {"1": _award(ANA, 10, "bulk-1"), "2": _award(BEN, 10, "bulk-2")}
    first = raw_send(sandbox, "POST", "bulkpoints", items).json()
    again = raw_send(sandbox, "POST", "bulkpoints", items).json()
    assert again == first
    assert (_available(sandbox, ANA), _available(sandbox, BEN)) == (190, 1330)
    assert len(ledger(sandbox)) == 2


@pytest.mark.parametrize("body", [{}, [], [_award(ANA, 10)], "x"])
async def test_bulkpoints_needs_an_object_of_numbered_items(sandbox, body):
    response = raw_send(sandbox, "POST", "bulkpoints", body)
    assert response.status_code == 400 and response.json()["errorCode"] == "AC2001"
    assert ledger(sandbox) == []
