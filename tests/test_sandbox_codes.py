"""The sandbox's Incentive Engine through the real client over loopback HTTP:
validate, redeem (coupons and partial gift cards), replays, undo, all-or-nothing
batches, guests, concurrent spends, member codes, creating and assigning codes.

Effects are checked where they land: the code as validate reports it and the
sandbox ledger."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal

import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.annex import requests as rq
from kiosk.loyalty.models import CodeSpend
from tests.helpers import ledger, raw_send

D = Decimal
GUEST = "guest"


def _spend(code: str, user: str, ref: str, amount: str | None = None, **kw) -> CodeSpend:
    return CodeSpend(code=code, user_id=user, reference_id=ref, amount=None if amount is None else D(amount), **kw)


def _rows(sandbox, code: str, kind: str = "code_redeem") -> list[dict]:
    return [row for row in ledger(sandbox, kind) if row["code"] == code]


async def _balance(client, code: str) -> Decimal | None:
    return (await client.validate_code(code)).balance


async def _balances(client, *codes: str) -> list:
    return [(await client.validate_code(code)) for code in codes]


# --- validate -----------------------------------------------------------------------

async def test_valid_coupon(client):
    info = await client.validate_code("WELCOME10")
    assert (info.code, info.kind, info.partial, info.discount_type, info.value) == \
        ("WELCOME10", "coupon", False, "percent", D("10.00"))
    assert (info.usable, info.status, info.redemption_limit, info.redeemed) == (True, "Active", 1000, 0)
    assert info.balance is None
    # Codes are matched without regard to case.
    assert (await client.validate_code("welcome10")).code == "WELCOME10"


async def test_valid_gift_card_shows_its_balance(client):
    info = await client.validate_code("GC-1000-0003")
    assert (info.kind, info.partial, info.discount_type, info.value, info.balance, info.usable) == \
        ("giftcard", True, "fixed", D("4.20"), D("4.20"), True)


async def test_expired_code_is_not_usable(client):
    info = await client.validate_code("SPRING20")
    assert info.usable is False
    assert "expired" in info.reason.lower()
    assert info.valid_until is not None and info.valid_until.date() < datetime.now().date()
    with pytest.raises(errors.CodeNotUsable) as caught:
        await client.redeem_code(_spend("SPRING20", "M100001", "spring"))
    assert "expired" in caught.value.user_message.lower()


async def test_inactive_card_is_not_usable(client, sandbox):
    info = await client.validate_code("GC-1000-0099")
    assert (info.usable, info.status) == (False, "Inactive")
    assert "inactive" in info.reason.lower()
    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("GC-1000-0099", "M100001", "inactive", "1.00"))
    assert (await client.validate_code("GC-1000-0099")).balance == D("30.00")
    assert ledger(sandbox, "code_redeem") == []


async def test_fully_used_coupon_is_not_usable(client, sandbox):
    redeemed = await client.redeem_code(_spend("BEN15OFF", "M100002", "ben-1"))
    assert (redeemed.status, redeemed.redeemed) == ("Fully Used", 1)
    info = await client.validate_code("BEN15OFF", user_id="M100002")
    assert (info.usable, info.status) == (False, "Fully Used")
    assert "fully used" in info.reason.lower()
    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("BEN15OFF", "M100002", "ben-2"))
    assert len(_rows(sandbox, "BEN15OFF")) == 1


async def test_private_code_of_another_member_is_not_usable_for_them(client):
    other = await client.validate_code("BEN15OFF", user_id="M100001")
    assert other.usable is False and "another member" in other.reason
    owner = await client.validate_code("BEN15OFF", user_id="M100002")
    assert (owner.usable, owner.assigned_to) == (True, "M100002")
    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("BEN15OFF", "M100001", "not-ben"))
    assert (await client.validate_code("BEN15OFF")).redeemed == 0


async def test_unknown_code_is_not_found(client):
    with pytest.raises(errors.NotFound):
        await client.validate_code("NO-SUCH-CODE")
    with pytest.raises(errors.NotFound):
        await client.redeem_code(_spend("NO-SUCH-CODE", "M100001", "nope"))


# --- redeem -------------------------------------------------------------------------

async def test_redeem_coupon(client, sandbox):
    redeemed = await client.redeem_code(_spend("SAVE5", "M100001", "save5-1", order_id="ORD-1"))
    assert (redeemed.code, redeemed.user_id, redeemed.reference_id, redeemed.order_id) == \
        ("SAVE5", "M100001", "save5-1", "ORD-1")
    assert (redeemed.amount, redeemed.redeemed, redeemed.status, redeemed.balance_after) == \
        (D("5.00"), 1, "Partially Used", None)
    assert (await client.validate_code("SAVE5")).redeemed == 1
    [row] = _rows(sandbox, "SAVE5")
    assert (row["member_id"], row["order_id"], row["reference"], row["amount_cents"]) == \
        ("M100001", "ORD-1", "save5-1", None)


async def test_gift_card_partial_redemptions_down_to_zero(client, sandbox):
    first = await client.redeem_code(_spend("GC-1000-0002", "M100001", "gc2-a", "7.35"))
    assert (first.amount, first.balance_after, first.status) == (D("7.35"), D("12.65"), "Partially Used")
    info = await client.validate_code("GC-1000-0002")
    assert (info.balance, info.status, info.usable) == (D("12.65"), "Partially Used", True)

    second = await client.redeem_code(_spend("GC-1000-0002", "M100001", "gc2-b", "12.65"))
    assert (second.amount, second.balance_after, second.status) == (D("12.65"), D("0.00"), "Fully Used")
    info = await client.validate_code("GC-1000-0002")
    assert (info.balance, info.status, info.usable) == (D("0.00"), "Fully Used", False)
    assert [row["amount_cents"] for row in _rows(sandbox, "GC-1000-0002")] == [735, 1265]

    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("GC-1000-0002", "M100001", "gc2-c", "0.01"))


async def test_amount_above_balance_is_refused_and_states_what_is_left(client, sandbox):
    with pytest.raises(errors.InsufficientBalance) as caught:
        await client.redeem_code(_spend("GC-1000-0003", "M100001", "gc3", "4.21"))
    assert "4.20" in caught.value.user_message
    assert caught.value.code == "AC2021"
    info = await client.validate_code("GC-1000-0003")
    assert (info.balance, info.status, info.redeemed) == (D("4.20"), "Active", 0)
    assert _rows(sandbox, "GC-1000-0003") == []
    # The refused request did not use up its reference id.
    done = await client.redeem_code(_spend("GC-1000-0003", "M100001", "gc3", "4.20"))
    assert done.balance_after == D("0.00")


@pytest.mark.parametrize("amount", ["1.005", "0.00", "-1.00", "abc", None])
async def test_bad_amounts_are_refused(client, sandbox, amount):
    body = {"incentiveCode": "GC-1000-0001", "userId": "M100001", "referenceId": "bad-amount", "source": "POS"}
    if amount is not None:
        body["codeValue"] = amount
    response = raw_send(sandbox, "PATCH", "incentive/updatecodedetails/M100001", body)
    assert response.status_code == 400 and response.json()["errorCode"] == "AC2001", response.text
    assert await _balance(client, "GC-1000-0001") == D("50.00")
    assert ledger(sandbox, "code_redeem") == []


@pytest.mark.parametrize("order_id", [["ORD-1"], {"id": "ORD-1"}, True])
async def test_order_id_of_the_wrong_type_is_refused(client, sandbox, order_id):
    # Was a 500: the value went straight into an SQL parameter.
    body = {"incentiveCode": "GC-1000-0001", "userId": "M100001", "referenceId": "odd-order",
            "codeValue": "1.00", "orderId": order_id}
    response = raw_send(sandbox, "PATCH", "incentive/updatecodedetails/M100001", body)
    assert (response.status_code, response.json()["errorCode"]) == (400, "AC2001")
    assert await _balance(client, "GC-1000-0001") == D("50.00")


async def test_client_refuses_an_amount_with_three_decimals(client, sandbox):
    with pytest.raises((errors.InvalidRequest, ValueError)):
        await client.redeem_code(_spend("GC-1000-0001", "M100001", "three-decimals", "1.005"))
    assert await _balance(client, "GC-1000-0001") == D("50.00")


async def test_user_in_body_must_match_the_path(client, sandbox):
    body = {"incentiveCode": "GC-1000-0001", "userId": "M100002", "referenceId": "mismatch", "codeValue": "1.00"}
    response = raw_send(sandbox, "PATCH", "incentive/updatecodedetails/M100001", body)
    assert response.status_code == 400 and response.json()["errorCode"] == "AC2001"
    assert await _balance(client, "GC-1000-0001") == D("50.00")


# --- replays --------------------------------------------------------------------------

async def test_reused_reference_with_same_payload_replays(client, sandbox):
    spend = _spend("GC-1000-0001", "M100001", "replay-1", "12.50")
    first = await client.execute(rq.update_code(spend))
    second = await client.execute(rq.update_code(spend))
    assert second == first
    assert await client.redeem_code(spend) == await client.redeem_code(spend)
    assert await _balance(client, "GC-1000-0001") == D("37.50")
    assert len(_rows(sandbox, "GC-1000-0001")) == 1
    # A replay inside a batch is the same redemption too.
    assert (await client.redeem_codes([spend]))[0].balance_after == D("37.50")
    assert len(_rows(sandbox, "GC-1000-0001")) == 1


@pytest.mark.parametrize("changed", [
    _spend("GC-1000-0001", "M100001", "replay-2", "12.51"),
    _spend("GC-1000-0002", "M100001", "replay-2", "12.50"),
    _spend("GC-1000-0001", "M100002", "replay-2", "12.50"),
], ids=["amount", "code", "member"])
async def test_reused_reference_with_different_payload_is_a_conflict(client, sandbox, changed):
    await client.redeem_code(_spend("GC-1000-0001", "M100001", "replay-2", "12.50"))
    with pytest.raises(errors.Conflict) as caught:
        await client.redeem_code(changed)
    assert (caught.value.status, caught.value.code) == (409, "AC2002")
    assert [await _balance(client, c) for c in ("GC-1000-0001", "GC-1000-0002")] == [D("37.50"), D("20.00")]
    assert len(ledger(sandbox, "code_redeem")) == 1


# --- undo ----------------------------------------------------------------------------

async def test_undo_restores_the_balance(client, sandbox):
    await client.redeem_code(_spend("GC-1000-0001", "M100001", "spend-1", "20.00"))
    await client.redeem_code(_spend("GC-1000-0001", "M100001", "spend-2", "5.00"))
    undo = _spend("GC-1000-0001", "M100001", "undo-1", undo_of="spend-1")
    undone = await client.undo_code(undo)
    assert (undone.reference_id, undone.amount, undone.balance_after, undone.redeemed) == \
        ("undo-1", D("20.00"), D("45.00"), 1)
    assert await _balance(client, "GC-1000-0001") == D("45.00")
    [row] = _rows(sandbox, "GC-1000-0001", "code_undo")
    assert (row["reference"], row["amount_cents"], row["member_id"]) == ("undo-1", -2000, "M100001")

    # The same undo sent again is a replay; a second undo of that redemption is not.
    assert await client.undo_code(undo) == undone
    with pytest.raises(errors.Conflict) as caught:
        await client.undo_code(_spend("GC-1000-0001", "M100001", "undo-2", undo_of="spend-1"))
    assert caught.value.code == "AC2022"
    assert await _balance(client, "GC-1000-0001") == D("45.00")
    assert len(_rows(sandbox, "GC-1000-0001", "code_undo")) == 1


async def test_undo_brings_a_used_coupon_back(client, sandbox):
    await client.redeem_code(_spend("BEN15OFF", "M100002", "ben-spend"))
    assert (await client.validate_code("BEN15OFF", user_id="M100002")).usable is False
    await client.undo_code(_spend("BEN15OFF", "M100002", "ben-undo", undo_of="ben-spend"))
    info = await client.validate_code("BEN15OFF", user_id="M100002")
    assert (info.usable, info.status, info.redeemed) == (True, "Active", 0)


@pytest.mark.parametrize("original", ["never-sent", "other-card"])
async def test_undo_of_unknown_redemption_is_not_found(client, sandbox, original):
    await client.redeem_code(_spend("GC-1000-0002", "M100001", "other-card", "1.00"))
    with pytest.raises(errors.NotFound):
        await client.undo_code(_spend("GC-1000-0001", "M100001", "undo-x", undo_of=original))
    assert await _balance(client, "GC-1000-0001") == D("50.00")
    assert ledger(sandbox, "code_undo") == []


async def test_undo_without_the_original_is_refused_before_sending(client):
    with pytest.raises(ValueError):
        await client.undo_code(_spend("GC-1000-0001", "M100001", "undo-none"))


# --- batches -------------------------------------------------------------------------

async def test_batch_across_two_cards(client, sandbox):
    replies = await client.redeem_codes([_spend("GC-1000-0001", "M100001", "b-1", "30.00", order_id="ORD-B"),
                                         _spend("GC-1000-0002", "M100001", "b-2", "5.00", order_id="ORD-B")])
    assert [(r.code, r.amount, r.balance_after) for r in replies] == \
        [("GC-1000-0001", D("30.00"), D("20.00")), ("GC-1000-0002", D("5.00"), D("15.00"))]
    assert [await _balance(client, c) for c in ("GC-1000-0001", "GC-1000-0002")] == [D("20.00"), D("15.00")]
    assert [(r["code"], r["reference"], r["order_id"]) for r in ledger(sandbox, "code_redeem")] == \
        [("GC-1000-0001", "b-1", "ORD-B"), ("GC-1000-0002", "b-2", "ORD-B")]


@pytest.mark.parametrize(("bad", "error"), [
    (_spend("GC-1000-0002", "M100001", "b-bad", "20.01"), errors.InsufficientBalance),
    (_spend("NO-SUCH-CARD", "M100001", "b-bad", "1.00"), errors.NotFound),
    (_spend("SPRING20", "M100001", "b-bad"), errors.CodeNotUsable),
    (_spend("GC-1000-0002", "M100001", "b-bad", undo_of="never-sent"), errors.NotFound),
    (_spend("GC-1000-0001", "M100001", "b-bad", "25.01"), errors.InsufficientBalance),  # 50 - 25 left
], ids=["over-balance", "unknown-code", "expired", "undo-unknown", "same-card-overdrawn"])
async def test_batch_with_one_bad_item_changes_nothing(client, sandbox, bad, error):
    before = await _balances(client, "GC-1000-0001", "GC-1000-0002", "SAVE5")
    rows = ledger(sandbox)
    good = [_spend("GC-1000-0001", "M100001", "b-good-1", "25.00"), _spend("SAVE5", "M100001", "b-good-2")]
    with pytest.raises(error) as caught:
        await client.redeem_codes([good[0], bad, good[1]])
    # The backend's wording names the item. (For the documents' own codes, such as
    # AC1005, the client shows its generic sentence and keeps that wording in detail.)
    assert caught.value.detail.startswith("Item 2: ")
    assert await _balances(client, "GC-1000-0001", "GC-1000-0002", "SAVE5") == before
    assert ledger(sandbox) == rows
    # Nothing of the batch was kept, not even the good items' reference ids.
    assert len(await client.redeem_codes(good)) == 2
    assert await _balance(client, "GC-1000-0001") == D("25.00")


async def test_batch_items_need_their_own_reference(client, sandbox):
    with pytest.raises(errors.InvalidRequest):
        await client.redeem_codes([_spend("GC-1000-0001", "M100001", "same", "1.00"),
                                   _spend("GC-1000-0002", "M100001", "same", "1.00")])
    assert ledger(sandbox, "code_redeem") == []


# --- guests and private cards --------------------------------------------------------------

async def test_guest_can_redeem_a_public_gift_card(client, sandbox):
    redeemed = await client.redeem_code(_spend("GC-1000-0002", GUEST, "guest-gc", "3.00"))
    assert (redeemed.user_id, redeemed.balance_after) == (GUEST, D("17.00"))
    [row] = _rows(sandbox, "GC-1000-0002")
    assert (row["member_id"], row["amount_cents"]) == (GUEST, 300)


async def test_guest_cannot_redeem_a_private_store_card(client, sandbox):
    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("SC-2000-0001", GUEST, "guest-sc", "1.00"))
    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("SC-2000-0001", "M100001", "other-sc", "1.00"))
    assert await _balance(client, "SC-2000-0001") == D("15.00")
    assert _rows(sandbox, "SC-2000-0001") == []
    # Its owner can.
    assert (await client.redeem_code(_spend("SC-2000-0001", "M100003", "own-sc", "1.00"))).balance_after == \
        D("14.00")


async def test_unknown_member_cannot_redeem(client, sandbox):
    with pytest.raises(errors.NotFound):
        await client.redeem_code(_spend("GC-1000-0001", "M999999", "ghost", "1.00"))
    assert await _balance(client, "GC-1000-0001") == D("50.00")


# --- concurrency ----------------------------------------------------------------------------

async def test_concurrent_spends_never_overdraw_a_card(client, sandbox):
    spends = [_spend("GC-1000-0001", "M100001", f"race-{n:02d}", "10.00") for n in range(20)]
    results = await asyncio.gather(*(client.redeem_code(s) for s in spends), return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 5
    assert len(lost) == 15 and all(isinstance(e, (errors.InsufficientBalance, errors.CodeNotUsable)) for e in lost), \
        lost
    assert sorted(r.balance_after for r in won) == [D("0.00"), D("10.00"), D("20.00"), D("30.00"), D("40.00")]
    info = await client.validate_code("GC-1000-0001")
    assert (info.balance, info.status) == (D("0.00"), "Fully Used")
    rows = _rows(sandbox, "GC-1000-0001")
    assert len(rows) == 5 and sum(r["amount_cents"] for r in rows) == 5000
    assert sorted(r["reference"] for r in rows) == sorted(r.reference_id for r in won)


# --- member codes, creating and assigning ----------------------------------------------------

async def test_member_codes_list_assigned_and_used_codes(client):
    codes = {info.code: info for info in await client.member_codes("M100002")}
    assert "BEN15OFF" in codes
    assert (codes["BEN15OFF"].assigned_to, codes["BEN15OFF"].usable) == ("M100002", True)
    assert "SC-2000-0001" not in codes
    assert "SAVE5" not in {info.code for info in await client.member_codes("M100001")}
    await client.redeem_code(_spend("SAVE5", "M100001", "m-save5"))
    assert "SAVE5" in {info.code for info in await client.member_codes("M100001")}
    with pytest.raises(errors.NotFound):
        await client.member_codes("M999999")


async def test_create_and_assign_codes_then_validate(client, sandbox):
    created = raw_send(sandbox, "POST", "incentive/codes", [
        {"incentiveCode": "KIOSK-GC-1", "incentiveType": "giftcard", "discountType": "Fixed",
         "codeValue": "25.00", "codeType": "Public", "redemptionLimit": 10,
         "codeValidity": "2032-01-01T00:00:00+0000"},
        {"incentiveCode": "KIOSK-C-1", "incentiveType": "coupon", "discountType": "Percentage",
         "codeValue": "12", "redemptionLimit": 1, "codeValidity": "2032-01-01T00:00:00+0000"},
    ])
    assert created.status_code == 200, created.text
    assert [c["incentiveCode"] for c in created.json()["codes"]] == ["KIOSK-GC-1", "KIOSK-C-1"]

    card = await client.validate_code("KIOSK-GC-1")
    assert (card.kind, card.partial, card.balance, card.usable) == ("giftcard", True, D("25.00"), True)
    coupon = await client.validate_code("KIOSK-C-1")
    assert (coupon.kind, coupon.discount_type, coupon.value, coupon.assigned_to, coupon.usable) == \
        ("coupon", "percent", D("12.00"), None, True)

    assigned = raw_send(sandbox, "POST", "incentive/assigncodes", {"incentiveCode": "KIOSK-C-1", "userId": "M100004"})
    assert assigned.status_code == 200, assigned.text
    mine = await client.validate_code("KIOSK-C-1", user_id="M100004")
    assert (mine.usable, mine.assigned_to) == (True, "M100004")
    assert (await client.validate_code("KIOSK-C-1", user_id="M100001")).usable is False
    assert "KIOSK-C-1" in {info.code for info in await client.member_codes("M100004")}
    assert (await client.redeem_code(_spend("KIOSK-C-1", "M100004", "kc1"))).status == "Fully Used"

    # A code exists once; a code belongs to one member.
    again = raw_send(sandbox, "POST", "incentive/codes", {"incentiveCode": "kiosk-gc-1", "codeValue": "1.00"})
    assert (again.status_code, again.json()["errorCode"]) == (409, "AC2003")
    taken = raw_send(sandbox, "POST", "incentive/assigncodes", {"incentiveCode": "KIOSK-C-1", "userId": "M100001"})
    assert (taken.status_code, taken.json()["errorCode"]) == (409, "AC2022")
    assert (await client.validate_code("KIOSK-C-1")).assigned_to == "M100004"


async def test_a_cards_redemption_limit_counts(client, sandbox):
    created = raw_send(sandbox, "POST", "incentive/codes", {
        "incentiveCode": "LIM-2", "incentiveType": "giftcard", "codeValue": "10.00", "redemptionLimit": 2})
    assert created.status_code == 200, created.text
    await client.redeem_code(_spend("LIM-2", "M100001", "lim-1", "1.00"))
    second = await client.redeem_code(_spend("LIM-2", "M100001", "lim-2", "1.00"))
    assert (second.balance_after, second.status) == (D("8.00"), "Fully Used")
    info = await client.validate_code("LIM-2")
    assert (info.usable, info.balance) == (False, D("8.00"))
    assert "limit" in info.reason
    with pytest.raises(errors.CodeNotUsable):
        await client.redeem_code(_spend("LIM-2", "M100001", "lim-3", "1.00"))
    assert len(_rows(sandbox, "LIM-2")) == 2
    # An undo frees a use again.
    await client.undo_code(_spend("LIM-2", "M100001", "lim-undo", undo_of="lim-1"))
    assert (await client.redeem_code(_spend("LIM-2", "M100001", "lim-4", "2.00"))).balance_after == D("7.00")


@pytest.mark.parametrize("body", [
    pytest.param({"incentiveCode": "../x", "codeValue": "1.00"}, id="bad-code"),
    # Unreadable validity used to mean "never expires": this one validated as usable.
    pytest.param({"incentiveCode": "NEW-1", "codeValue": "1.00", "codeValidity": "2020-01-01"}, id="validity-format"),
    # A limit that is not a number made every later validate of the code a 500.
    pytest.param({"incentiveCode": "NEW-1", "codeValue": "1.00", "redemptionLimit": "many"}, id="limit-text"),
    pytest.param({"incentiveCode": "NEW-1", "codeValue": "1.00", "redemptionLimit": 0}, id="limit-zero"),
    pytest.param({"incentiveCode": "NEW-1", "codeValue": "1.001"}, id="value-3-decimals"),
    pytest.param({"incentiveCode": "NEW-1", "codeValue": "5.00", "incentiveType": "voucher"}, id="bad-type"),
    pytest.param([{"incentiveCode": "NEW-1", "codeValue": "5.00"}, {"incentiveCode": "NEW-2"}], id="one-bad-of-two"),
])
async def test_creating_bad_codes_is_refused_and_creates_nothing(client, sandbox, body):
    response = raw_send(sandbox, "POST", "incentive/codes", body)
    assert (response.status_code, response.json()["errorCode"]) == (400, "AC2001")
    with pytest.raises(errors.NotFound):
        await client.validate_code("NEW-1")


async def test_only_the_member_who_redeemed_can_undo(client, sandbox):
    from kiosk.loyalty.models import CodeSpend

    await client.redeem_code(CodeSpend("GC-1000-0002", "M100002", "ben-spends", D("5.00")))
    with pytest.raises(errors.InvalidRequest):
        await client.undo_code(CodeSpend("GC-1000-0002", "M100001", "ana-undoes", undo_of="ben-spends"))
    assert await _balance(client, "GC-1000-0002") == D("15.00")
    await client.undo_code(CodeSpend("GC-1000-0002", "M100002", "ben-undoes", undo_of="ben-spends"))
    assert await _balance(client, "GC-1000-0002") == D("20.00")
