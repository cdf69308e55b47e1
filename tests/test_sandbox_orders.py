"""Orders on the sandbox, through the real client over loopback HTTP: accrual,
line points, tiers, replays, full and partial returns, and refused bodies.

Effects are checked where they land: the member's balance (client.get_points),
the order (client.get_order / raw GET) and the sandbox ledger."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from itertools import count

import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.annex import requests as rq
from kiosk.loyalty.models import Order, OrderLine, ReturnLine
from kiosk.sandbox.server import SandboxServer
from tests.helpers import client_for, ledger, raw_get, raw_send

D = Decimal
_ids = count(1)


def _order(member: str, lines: list[tuple[str, str, int]], *, total: str | None = None,
           discount: str = "0.00", order_id: str | None = None) -> Order:
    """lines: (line id, unit price, quantity); total defaults to the lines' sum."""
    built = tuple(OrderLine(line_id, f"item {line_id}", D(price), qty) for line_id, price, qty in lines)
    gross = sum((line.unit_price * line.quantity for line in built), D("0.00"))
    return Order(id=order_id or f"ORD-{next(_ids):04d}", member_id=member,
                 total=D(total) if total is not None else gross, lines=built, discount=D(discount))


def _rows(sandbox, kind: str, order_id: str) -> list[dict]:
    return [row for row in ledger(sandbox, kind) if row["order_id"] == order_id]


def _expected_points(total: Decimal, discount: Decimal, ratio: Decimal) -> int:
    return int((max(total - discount, D(0)) * ratio).to_integral_value(ROUND_FLOOR))


def _assert_largest_remainder(awarded: int, weights: list[int], shares: list[int]) -> None:
    """Independent of the sandbox's code: each share is the floor or the ceiling of
    its exact part, they sum to the award, and every line rounded up had a
    remainder at least as large as every line rounded down."""
    assert sum(shares) == awarded
    whole = sum(weights)
    exact = [Fraction(awarded * w, whole) for w in weights] if whole else \
        [Fraction(awarded, len(weights))] * len(weights)
    for share, part in zip(shares, exact):
        assert part - 1 < share < part + 1, (shares, exact)
    up = [part - int(part) for share, part in zip(shares, exact) if share > part]
    down = [part - int(part) for share, part in zip(shares, exact) if share < part]
    if up and down:
        assert min(up) >= max(down), (shares, exact)


# --- accrual -------------------------------------------------------------------

AWKWARD = [
    # (lines, total, discount)
    ([("A", "3.33", 1), ("B", "3.33", 1), ("C", "3.34", 1)], None, "0.01"),  # 9.99 -> 9, three-way tie
    ([("A", "7.99", 1), ("B", "7.99", 1), ("C", "7.99", 1)], None, "0.00"),  # 23.97 -> 23 over equal lines
    ([("A", "0.01", 1), ("B", "0.01", 1), ("C", "0.01", 1), ("D", "99.97", 1)], None, "0.00"),
    ([("A", "0.99", 3), ("B", "19.99", 1), ("C", "1.29", 7)], None, "2.50"),
    ([("A", "1.43", 7), ("B", "0.07", 13), ("C", "2.95", 2)], None, "0.37"),
    ([("A", "12.50", 2), ("B", "17.00", 1)], "42.00", "0.99"),  # total given below the lines' sum
    ([("A", "5.00", 1)], "4.00", "5.00"),  # discount above the total: nothing to earn
    ([("A", "0.00", 1), ("B", "0.00", 2)], "5.00", "0.00"),  # only free lines: shared equally
]


@pytest.mark.parametrize(("lines", "total", "discount"), AWKWARD)
async def test_points_are_floor_of_net_total_and_lines_share_them_exactly(client, sandbox, lines, total,
                                                                          discount):
    before = await client.get_points("M100004")
    order = _order("M100004", lines, total=total, discount=discount)
    result = await client.create_order(order)

    expected = _expected_points(order.total, order.discount, sandbox.store.site.points_per_unit)
    assert result.points_awarded == expected
    weights = [int(line.unit_price * 100) * line.quantity for line in order.lines]
    shares = [line.points for line in result.lines]
    assert [line.id for line in result.lines] == [line.id for line in order.lines]
    _assert_largest_remainder(expected, weights, shares)
    # The stored order carries the same line points.
    assert [line.points for line in (await client.get_order(order.id)).lines] == shares
    after = await client.get_points("M100004")
    assert (after.available - before.available, after.lifetime - before.lifetime) == (expected, expected)
    [row] = _rows(sandbox, "order_create", order.id)
    assert (row["member_id"], row["points"], row["amount_cents"]) == ("M100004", expected, int(order.total * 100))


async def test_ratio_other_than_one_rounds_down(tmp_path):
    server = SandboxServer(tmp_path / "ratio.sqlite3", site={"pointsPerCurrencyUnit": "1.5"}).start()
    try:
        async with client_for(server) as client:
            # 9.99 - 0.33 = 9.66; x 1.5 = 14.49 -> 14, split over 3 awkward lines.
            order = _order("M100005", [("A", "3.33", 1), ("B", "3.33", 1), ("C", "3.33", 1)], discount="0.33")
            result = await client.create_order(order)
            assert result.points_awarded == 14
            _assert_largest_remainder(14, [333, 333, 333], [line.points for line in result.lines])
            assert [line.points for line in result.lines] == [5, 5, 4]  # ties go to the earlier line
            assert (await client.get_points("M100005")).available == 14
    finally:
        server.stop()


async def test_order_moves_member_across_a_tier(client, sandbox):
    start = await client.get_points("M100001")
    assert (start.available, start.lifetime, start.tier) == (180, 180, "Bronze")

    order = _order("M100001", [("TV", "450.00", 2)])  # 900 points: 1080 lifetime, Silver from 1000
    raw = await client.execute(rq.create_order(order))
    assert raw["pointsAwarded"] == 900
    assert (raw["previousTier"], raw["updatedUserTier"]) == ("Bronze", "Silver")
    assert (raw["updatedAvailablePoints"], raw["updatedLifetimePoints"]) == (1080, 1080)
    assert (raw["currentTier"], raw["nextTier"], raw["pointsToNextTier"]) == ("Silver", "Gold", 5000 - 1080)

    points = await client.get_points("M100001")
    assert (points.available, points.lifetime, points.tier, points.next_tier) == (1080, 1080, "Silver", "Gold")
    assert (await client.get_member("M100001")).total_spend == D("1080.00")

    # A small order after that keeps the tier: previousTier is empty when nothing changed.
    raw = await client.execute(rq.create_order(_order("M100001", [("X", "1.99", 1)])))
    assert (raw["previousTier"], raw["updatedUserTier"], raw["updatedAvailablePoints"]) == ("", "Silver", 1081)


async def test_member_found_by_email_gets_the_points(client, sandbox):
    order = _order("ana.lima@example.com", [("A", "20.00", 1)])
    result = await client.create_order(order)
    assert (result.member_id, result.points_awarded) == ("M100001", 20)
    assert (await client.get_points("M100001")).available == 200


# --- replays and conflicts -----------------------------------------------------------

async def test_repeated_order_id_with_same_payload_replays_the_first_reply(client, sandbox):
    order = _order("M100002", [("A", "12.34", 3), ("B", "0.99", 1)])
    first = await client.execute(rq.create_order(order))
    second = await client.execute(rq.create_order(order))
    assert second == first
    assert await client.create_order(order) == await client.create_order(order)
    assert len(_rows(sandbox, "order_create", order.id)) == 1
    assert (await client.get_points("M100002")).available == 1320 + first["pointsAwarded"]


async def test_same_order_id_with_a_different_payload_is_a_conflict(client, sandbox):
    order = _order("M100002", [("A", "10.00", 1)])
    await client.create_order(order)
    changed = _order("M100002", [("A", "10.00", 2)], order_id=order.id)
    with pytest.raises(errors.Conflict) as caught:
        await client.create_order(changed)
    assert (caught.value.status, caught.value.code) == (409, "AC2002")
    assert len(_rows(sandbox, "order_create", order.id)) == 1
    assert (await client.get_points("M100002")).available == 1330
    assert [line.quantity for line in (await client.get_order(order.id)).lines] == [1]


async def test_order_for_unknown_member_is_not_found_and_not_recorded(client, sandbox):
    order = _order("M999999", [("A", "10.00", 1)])
    with pytest.raises(errors.NotFound):
        await client.create_order(order)
    assert _rows(sandbox, "order_create", order.id) == []
    with pytest.raises(errors.NotFound):
        await client.get_order(order.id)


async def test_guest_order_earns_nothing_but_is_recorded(client, sandbox):
    guest = sandbox.store.site.guest_user_id
    order = _order(guest, [("A", "25.00", 2), ("B", "3.10", 1)])
    result = await client.create_order(order)
    assert (result.member_id, result.points_awarded) == (guest, 0)
    assert [line.points for line in result.lines] == [0, 0]
    [row] = _rows(sandbox, "order_create", order.id)
    assert (row["member_id"], row["points"], row["amount_cents"]) == (guest, 0, 5310)
    stored = await client.get_order(order.id)
    assert (stored.status, stored.total, stored.points_awarded) == ("placed", D("53.10"), 0)
    back = await client.return_order(order.id)
    assert back.points_removed == 0
    assert (await client.get_order(order.id)).status == "returned"


# --- full returns ----------------------------------------------------------------

async def test_full_return_removes_the_orders_points(client, sandbox):
    order = _order("M100001", [("A", "33.33", 3)])  # 99.99 -> 99
    await client.create_order(order)
    assert (await client.get_points("M100001")).available == 279
    back = await client.return_order(order.id)
    assert (back.order_id, back.points_removed, back.available_after) == (order.id, 99, 180)
    assert (await client.get_points("M100001")).available == 180
    [row] = _rows(sandbox, "order_return", order.id)
    assert (row["member_id"], row["points"]) == ("M100001", -99)
    stored = await client.get_order(order.id)
    assert (stored.status, stored.points_removed) == ("returned", 99)


async def test_full_return_never_takes_the_member_below_zero(client, sandbox):
    order = _order("M100005", [("A", "123.45", 1)])  # M100005 starts at 0
    assert (await client.create_order(order)).points_awarded == 123
    spent = await client.debit_points("M100005", 100, "spend-before-return", "spent at the till")
    assert (spent.points, spent.available_after) == (100, 23)

    back = await client.return_order(order.id)
    assert (back.points_removed, back.available_after) == (23, 0)
    assert (await client.get_points("M100005")).available == 0
    [row] = _rows(sandbox, "order_return", order.id)
    assert row["points"] == -23
    raw = raw_get(sandbox, f"orders/{order.id}", order.id).json()
    assert (raw["status"], raw["pointsRemaining"]) == ("returned", 0)


async def test_second_full_return_changes_nothing(client, sandbox):
    order = _order("M100002", [("A", "40.00", 1)])
    await client.create_order(order)
    first = await client.execute(rq.return_order(order.id))
    points = await client.get_points("M100002")
    second = await client.execute(rq.return_order(order.id))
    assert second == first
    assert await client.get_points("M100002") == points
    assert len(_rows(sandbox, "order_return", order.id)) == 1
    assert points.available == 1320


async def test_return_of_unknown_order_is_not_found(client, sandbox):
    with pytest.raises(errors.NotFound):
        await client.return_order("NO-SUCH-ORDER")
    assert ledger(sandbox, "order_return") == []


# --- partial returns -------------------------------------------------------------

async def test_get_order_reflects_status_and_returned_quantities(client, sandbox):
    order = _order("M100004", [("A", "10.00", 3), ("B", "5.55", 1)])  # 35 points: A 30, B 5
    created = await client.create_order(order)
    assert [line.points for line in created.lines] == [30, 5]
    assert (await client.get_order(order.id)).status == "placed"

    await client.return_lines("M100004", order.id, [ReturnLine("A", 1)], "ret-a1")
    stored = await client.get_order(order.id)
    assert (stored.status, stored.points_awarded, stored.points_removed) == ("partially returned", 35, 10)
    raw = raw_get(sandbox, f"orders/{order.id}", order.id).json()
    assert [(d["returnedQuantity"], d["pointsReturned"]) for d in raw["orderDetail"]] == [(1, 10), (0, 0)]
    assert raw["pointsRemaining"] == 25
    # Sale-time balances are not repeated as if they were current.
    assert "updatedAvailablePoints" not in raw

    await client.return_order(order.id)
    raw = raw_get(sandbox, f"orders/{order.id}", order.id).json()
    assert raw["status"] == "returned" and raw["pointsRemaining"] == 0
    assert [(d["returnedQuantity"], d["pointsReturned"]) for d in raw["orderDetail"]] == [(3, 30), (1, 5)]


async def test_partial_return_takes_back_the_lines_points(client, sandbox):
    order = _order("M100004", [("A", "10.00", 3), ("B", "5.55", 1)])
    await client.create_order(order)
    before = (await client.get_points("M100004")).available
    back = await client.return_lines("M100004", order.id, [ReturnLine("B", 1)], "ret-b")
    assert (back.order_id, back.points_removed, back.available_after) == (order.id, 5, before - 5)
    assert (await client.get_points("M100004")).available == before - 5
    [row] = _rows(sandbox, "order_partial_return", order.id)
    assert (row["points"], row["reference"]) == (-5, "ret-b")


async def test_a_line_returned_in_steps_gives_back_exactly_its_points(client, sandbox):
    # A: 7 x 1.43 = 10.01; B: 2 x 0.50. 11 points: A 10 (not a multiple of 7), B 1.
    order = _order("M100004", [("A", "1.43", 7), ("B", "0.50", 2)])
    created = await client.create_order(order)
    assert [line.points for line in created.lines] == [10, 1]
    before = (await client.get_points("M100004")).available

    steps = [1, 2, 4]
    removed = [(await client.return_lines("M100004", order.id, [ReturnLine("A", n)], f"step-{i}")).points_removed
               for i, n in enumerate(steps)]
    assert removed == [1, 2, 7]  # floor(10*1/7), floor(10*2/7), then whatever is left
    assert sum(removed) == 10
    assert (await client.get_points("M100004")).available == before - 10
    raw = raw_get(sandbox, f"orders/{order.id}", order.id).json()
    assert raw["status"] == "partially returned"
    assert [(d["returnedQuantity"], d["pointsReturned"]) for d in raw["orderDetail"]] == [(7, 10), (0, 0)]

    # Returning the last line by lines completes the order.
    await client.return_lines("M100004", order.id, [ReturnLine("B", 2)], "step-b")
    stored = await client.get_order(order.id)
    assert (stored.status, stored.points_removed) == ("returned", 11)


async def test_same_line_twice_in_one_request_is_one_line(client, sandbox):
    order = _order("M100004", [("A", "1.43", 7)])  # 10 points
    await client.create_order(order)
    back = await client.return_lines("M100004", order.id, [ReturnLine("A", 3), ReturnLine("A", 4)], "twice")
    assert back.points_removed == 10
    raw = raw_get(sandbox, f"orders/{order.id}", order.id).json()
    assert (raw["orderDetail"][0]["returnedQuantity"], raw["orderDetail"][0]["pointsReturned"]) == (7, 10)
    assert raw["status"] == "returned"


@pytest.mark.parametrize("lines", [
    [ReturnLine("A", 3)],  # 2 of 3 are left
    [ReturnLine("A", 2), ReturnLine("A", 1)],  # 3 again, split over two items
    [ReturnLine("B", 1), ReturnLine("B", 1)],
    [ReturnLine("A", 1), ReturnLine("Z", 1)],  # a line that is not on the order
    [ReturnLine("A", 0)],
], ids=["more-than-left", "split-over-items", "same-line-twice", "unknown-line", "zero"])
async def test_over_returning_is_refused_and_changes_nothing(client, sandbox, lines):
    order = _order("M100004", [("A", "10.00", 3), ("B", "1.00", 1)])
    await client.create_order(order)
    await client.return_lines("M100004", order.id, [ReturnLine("A", 1)], "first")
    points = await client.get_points("M100004")
    raw = raw_get(sandbox, f"orders/{order.id}", order.id).json()
    rows = ledger(sandbox)
    with pytest.raises(errors.InvalidRequest) as caught:
        await client.return_lines("M100004", order.id, lines, "too-many")
    assert caught.value.code == "AC2001"
    assert await client.get_points("M100004") == points
    assert raw_get(sandbox, f"orders/{order.id}", order.id).json() == raw
    assert ledger(sandbox) == rows


async def test_return_lines_with_a_debit_is_refused(client, sandbox):
    order = _order("M100004", [("A", "10.00", 3)])
    await client.create_order(order)
    points = await client.get_points("M100004")
    body = {"id": "M100004", "actionId": 100, "activity": "DEBIT", "debit": 5, "customId": "both",
            "orderId": order.id, "returnLines": [{"id": "A", "quantity": 1}]}
    response = raw_send(sandbox, "POST", "points", body)
    assert response.status_code == 400 and response.json()["errorCode"] == "AC2001"
    assert await client.get_points("M100004") == points
    assert _rows(sandbox, "order_partial_return", order.id) == []


async def test_return_lines_after_a_full_return_is_refused(client, sandbox):
    order = _order("M100004", [("A", "10.00", 3)])
    await client.create_order(order)
    await client.return_order(order.id)
    points = await client.get_points("M100004")
    with pytest.raises(errors.Conflict) as caught:
        await client.return_lines("M100004", order.id, [ReturnLine("A", 1)], "late")
    assert caught.value.code == "AC2022"
    assert await client.get_points("M100004") == points
    assert _rows(sandbox, "order_partial_return", order.id) == []


async def test_return_lines_of_another_members_order_is_refused(client, sandbox):
    order = _order("M100004", [("A", "10.00", 3)])
    await client.create_order(order)
    with pytest.raises(errors.InvalidRequest):
        await client.return_lines("M100002", order.id, [ReturnLine("A", 1)], "not-mine")
    with pytest.raises(errors.NotFound):
        await client.return_lines("M100004", "NO-SUCH-ORDER", [ReturnLine("A", 1)], "no-order")
    assert ledger(sandbox, "order_partial_return") == []


async def test_partial_return_replayed_with_its_key_is_applied_once(client, sandbox):
    order = _order("M100004", [("A", "10.00", 3)])
    await client.create_order(order)
    request = rq.return_lines("M100004", order.id, [ReturnLine("A", 1)], "ret-once")
    first = await client.execute(request)
    assert await client.execute(request) == first
    assert len(_rows(sandbox, "order_partial_return", order.id)) == 1
    other = rq.return_lines("M100004", order.id, [ReturnLine("A", 2)], "ret-once")
    with pytest.raises(errors.Conflict):
        await client.execute(other)
    assert raw_get(sandbox, f"orders/{order.id}", order.id).json()["orderDetail"][0]["returnedQuantity"] == 1


# --- refused bodies ------------------------------------------------------------------

def _body(order_id: str = "BAD-1", **line) -> dict:
    return {"id": order_id, "userId": "M100001", "orderTotal": "10.00", "source": "POS",
            "orderDetail": [{"id": "A", "productName": "x", "unitPrice": "10.00", "quantity": 1, **line}]}


@pytest.mark.parametrize("body", [
    pytest.param(_body(unitPrice="-1.00"), id="negative-price"),
    pytest.param(_body(unitPrice=-1), id="negative-price-number"),
    pytest.param(_body(unitPrice="1.001"), id="price-3-decimals"),
    pytest.param(_body(unitPrice="abc"), id="price-not-a-number"),
    pytest.param(_body(quantity=0), id="quantity-0"),
    pytest.param(_body(quantity=-2), id="quantity-negative"),
    pytest.param(_body(quantity=1.5), id="quantity-fraction"),
    pytest.param(_body(quantity=True), id="quantity-bool"),
    # str.isdigit() says yes, int() says no: was a 500.
    pytest.param(_body(quantity="\u00b2"), id="quantity-superscript-two"),
    pytest.param(_body(quantity=10**30), id="quantity-too-big"),  # SQLite overflow: was a 500
    pytest.param(_body(unitPrice="99999999999999.99", quantity=1000), id="amount-too-big"),  # was a 500
    pytest.param(_body("../x"), id="id-dot-dot"),
    pytest.param(_body("a/b"), id="id-slash"),
    pytest.param(_body(""), id="id-empty"),
    pytest.param({**_body(), "orderTotal": "-10.00"}, id="negative-total"),
    pytest.param({**_body(), "discountAmount": "0.001"}, id="discount-3-decimals"),
    pytest.param({**_body(), "orderDetail": {"id": "A"}}, id="detail-not-a-list"),
    pytest.param({**_body(), "orderDetail": ["A"]}, id="line-not-an-object"),
    pytest.param(["not", "an", "object"], id="body-not-an-object"),
])
async def test_invalid_order_bodies_are_refused_as_ac2001(client, sandbox, body):
    response = raw_send(sandbox, "POST", "orders", body)
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "AC2001"
    assert ledger(sandbox, "order_create") == []
    assert (await client.get_points("M100001")).available == 180


def test_absurdly_large_amount_is_refused_as_ac2001(sandbox):
    response = raw_send(sandbox, "POST", "orders", {**_body(), "orderTotal": "1e30"})
    assert (response.status_code, response.json()["errorCode"]) == (400, "AC2001")
    assert ledger(sandbox, "order_create") == []


async def test_client_does_not_round_an_order_total_silently(client, sandbox):
    order = _order("M100001", [("A", "10.005", 1)], total="10.005")
    with pytest.raises((errors.InvalidRequest, ValueError)):
        await client.create_order(order)
    assert ledger(sandbox, "order_create") == []


def test_line_ids_must_be_unique_within_an_order(sandbox):
    body = {"id": "T01-DUPLINE", "userId": "M100001", "orderDetail": [
        {"id": "A", "unitPrice": "1.00", "quantity": 1}, {"id": "A", "unitPrice": "2.00", "quantity": 1}]}
    response = raw_send(sandbox, "POST", "orders", body)
    assert (response.status_code, response.json()["errorCode"]) == (400, "AC2001")
    assert "unique" in response.json()["errorMessage"]
    assert ledger(sandbox, "order_create") == []


def test_unknown_routes_and_methods_answer_in_the_documented_error_shape(sandbox):
    wrong_method = raw_send(sandbox, "PUT", "orders/T01-ANY", {"status": "return"})
    assert (wrong_method.status_code, wrong_method.json()["errorCode"]) == (405, "AC2030")
    unknown = raw_send(sandbox, "POST", "no/such/route", {})
    assert (unknown.status_code, unknown.json()) == (404, {"errorCode": "AC1005", "errorMessage": "No data found"})
