"""Orders: accrual on POST /orders, reads, full returns and line-level partial returns."""

from __future__ import annotations

import json
import sqlite3
from decimal import ROUND_DOWN, Decimal

from kiosk.loyalty.ids import PATTERNS as ID_PATTERNS
from kiosk.sandbox.db import ApiError, Store, cents, invalid, money, not_found, now_iso
from kiosk.sandbox.loyalty import find_member, move_points, tier_fields


def _split(total: int, weights: list[int]) -> list[int]:
    """Share `total` points over lines by weight, largest remainder, summing exactly."""
    whole = sum(weights)
    if whole <= 0 and total > 0:
        # Only free lines (the total comes from orderTotal): share equally rather
        # than award points that no line carries and no line return can take back.
        weights, whole = [1] * len(weights), len(weights)
    if whole <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    leftovers = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in leftovers[: total - sum(shares)]:
        shares[i] += 1
    return shares


# SQLite integers are 64-bit: larger quantities or amounts used to end in a 500
# (OverflowError) instead of the documented AC2001.
MAX_QUANTITY = 1_000_000
ECHOED = ("storeId", "terminalId", "operatorId", "discountAmount", "taxAmount", "payments", "rewards")
MAX_CENTS = 10**15


def _lines(body: dict) -> list[dict]:
    raw = body.get("orderDetail") or []
    if not isinstance(raw, list):
        raise invalid("orderDetail must be a list")
    lines = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise invalid(f"orderDetail item {n} must be an object")
        quantity = item.get("quantity", 1)
        # isascii(): str.isdigit() also accepts "²", which int() then refuses (a 500).
        if isinstance(quantity, bool) or not isinstance(quantity, (int, str)) or not str(quantity).isascii() \
                or not str(quantity).isdigit() or not 0 < int(quantity) <= MAX_QUANTITY:
            raise invalid(f"orderDetail item {n}: quantity must be a whole number from 1 to {MAX_QUANTITY}")
        lines.append({"id": str(item.get("id") or n), "name": str(item.get("productName") or ""),
                      "unit_cents": cents(item.get("unitPrice", 0), f"orderDetail item {n} unitPrice"),
                      "quantity": int(quantity), "raw": item})
    # Returns name lines by id, so two lines with one id could never be told apart.
    if len({line["id"] for line in lines}) != len(lines):
        raise invalid("orderDetail line ids must be unique within the order")
    return lines


def create_order(store: Store, body: dict) -> dict:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    order_id = str(body.get("id") or "")
    if not ID_PATTERNS["order"].fullmatch(order_id):
        raise invalid("id (the order id) is required: letters, digits, - and _ only")
    lines = _lines(body)
    gross = sum(line["unit_cents"] * line["quantity"] for line in lines)
    total = cents(body["orderTotal"], "orderTotal") if body.get("orderTotal") not in (None, "") else gross
    discount = cents(body.get("discountAmount") or 0, "discountAmount")
    if max([gross, total, discount] + [line["unit_cents"] * line["quantity"] for line in lines]) > MAX_CENTS:
        raise invalid("The order's amounts are too large")
    with store.tx() as conn:
        # The order id is the key: a resend gets the first reply (Store.once).
        return store.once("order", order_id, body,
                          lambda: _create(store, conn, order_id, body, lines, total, discount))


def _create(store: Store, conn: sqlite3.Connection, order_id: str, body: dict, lines: list[dict],
            total: int, discount: int) -> dict:
    user_key = str(body.get("userId") or "")
    guest = user_key == store.site.guest_user_id
    m = None if guest else find_member(conn, user_key)
    if m is None and not guest:
        raise not_found()
    base = max(total - discount, 0)
    points = int((Decimal(base) / 100 * store.site.points_per_unit).to_integral_value(ROUND_DOWN))
    points = 0 if guest else points
    shares = _split(points, [line["unit_cents"] * line["quantity"] for line in lines])
    reply = {"siteId": store.site.site_id, "id": order_id, "userId": m["id"] if m else user_key,
             "email": body.get("email") or (m["email"] if m else ""), "orderTotal": body.get("orderTotal", money(total)),
             "source": body.get("source", ""), "pointsAwarded": points, "pointsExpirationDate": "",
             "coupon": body.get("coupon") or [], "status": "placed"}
    # Assumption 24: what the till adds to an order is kept and read back with it.
    reply.update({key: body[key] for key in ECHOED if key in body})
    if m is not None:
        _, moved = move_points(store, conn, m, points)
        conn.execute("UPDATE members SET spent_cents=spent_cents+? WHERE id=?", (base, m["id"]))
        after = conn.execute("SELECT * FROM members WHERE id=?", (m["id"],)).fetchone()
        reply.update(previousTier=moved["previousTier"], updatedUserTier=moved["updatedUserTier"],
                     currentTierPurchaseRatio=str(store.site.points_per_unit),
                     updatedAvailablePoints=after["available"],
                     updatedLifetimePoints=after["lifetime"], **_tier_reply(store, after))
    reply["orderDetail"] = [{**line["raw"], "points": share} for line, share in zip(lines, shares)]
    seq = conn.execute("INSERT INTO orders (id, member_id, total_cents, points, points_remaining,"
                       " status, created, reply) VALUES (?,?,?,?,?,?,?,?)",
                       (order_id, m["id"] if m else user_key, total, points, points, "placed",
                        now_iso(), json.dumps(reply))).lastrowid
    for n, (line, share) in enumerate(zip(lines, shares)):
        conn.execute("INSERT INTO order_lines (order_seq, line_no, line_id, name, unit_cents, quantity,"
                     " points) VALUES (?,?,?,?,?,?,?)",
                     (seq, n, line["id"], line["name"], line["unit_cents"], line["quantity"], share))
    store.record("order_create", member_id=reply["userId"], order_id=order_id, points=points,
                 amount_cents=total)
    return reply


def _tier_reply(store: Store, m: sqlite3.Row) -> dict:
    fields = tier_fields(store, m)
    return {"currentTier": fields["currentTier"], "nextTier": fields["nextTier"],
            "pointsToNextTier": fields["pointsToNextTier"],
            "spendAmountToNextTier": fields["spendToNextTier"]}


def _order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM orders WHERE id=? ORDER BY seq LIMIT 1", (order_id,)).fetchone()
    if row is None:
        raise not_found()
    return row


def get_order(store: Store, order_id: str) -> dict:
    with store.lock:
        row = _order(store.conn, order_id)
        reply = json.loads(row["reply"])
        lines = store.conn.execute("SELECT * FROM order_lines WHERE order_seq=? ORDER BY line_no",
                                   (row["seq"],)).fetchall()
        for detail, line in zip(reply.get("orderDetail", []), lines):
            detail["returnedQuantity"] = line["returned"]
            detail["pointsReturned"] = line["points_returned"]
        reply.update(status=row["status"], pointsRemaining=row["points_remaining"],
                     pointsRemoved=row["points"] - row["points_remaining"])
        for key in ("updatedAvailablePoints", "updatedLifetimePoints", "previousTier", "updatedUserTier"):
            reply.pop(key, None)  # those described the moment of the sale, not now
        return reply


def return_order(store: Store, order_id: str, body: dict) -> dict:
    """PATCH /orders/{id} with status "return": the order's remaining points go,
    never taking the member below zero. A second return changes nothing."""
    if not isinstance(body, dict) or str(body.get("status", "")).lower() != "return":
        raise invalid('Only {"status": "return"} is supported')
    if body.get("orderId") not in (None, "", order_id):
        raise invalid("orderId in the body does not match the path")
    with store.tx() as conn:
        return store.once("return", order_id, {"status": "return"}, lambda: _return_all(store, conn, order_id))


def _return_all(store: Store, conn: sqlite3.Connection, order_id: str) -> dict:
    order = _order(conn, order_id)
    m = find_member(conn, order["member_id"])
    removed, reply = 0, {}
    if m is not None:
        removed, reply = move_points(store, conn, m, -order["points_remaining"])
        conn.execute("UPDATE members SET spent_cents=MAX(spent_cents-?,0) WHERE id=?",
                     (order["total_cents"], m["id"]))
        reply.update(_tier_reply(store, conn.execute("SELECT * FROM members WHERE id=?", (m["id"],)).fetchone()))
    conn.execute("UPDATE orders SET points_remaining=0, status='returned' WHERE seq=?", (order["seq"],))
    conn.execute("UPDATE order_lines SET returned=quantity, points_returned=points WHERE order_seq=?",
                 (order["seq"],))
    store.record("order_return", member_id=order["member_id"], order_id=order_id, points=-removed)
    reply.pop("id", None)
    return {"siteId": store.site.site_id, "orderId": order_id, "pointsRemoved": removed,
            "status": "returned", **reply}


def returned_line_points(line_points: int, bought: int, returned_before: int, points_returned_before: int,
                         qty: int) -> int:
    """The points `qty` more returned units of a line take back: their share of the
    line's points, rounded down, except that the last units take whatever the line
    has left, so a line returned in several steps gives back exactly what it earned.
    Pure, so a client's tests can check their own arithmetic against the sandbox's."""
    if not 0 < qty <= bought - returned_before:
        raise ValueError("qty must be between 1 and the units not yet returned")
    if qty == bought - returned_before:
        return line_points - points_returned_before
    return line_points * qty // bought


def partial_return(store: Store, conn: sqlite3.Connection, m: sqlite3.Row | None, body: dict) -> dict:
    """A points DEBIT tied to an order and the lines returned (the API has no partial return).
    `m` None: a guest's order, whose lines are recorded as returned with no points."""
    if str(body.get("activity", "")).upper() != "DEBIT":
        raise invalid("A return of lines is a DEBIT")
    if body.get("debit") not in (None, ""):
        raise invalid("Send returnLines or debit, not both: the points of returned lines are computed")
    order = _order(conn, str(body.get("orderId") or ""))
    if order["member_id"] != (m["id"] if m is not None else store.site.guest_user_id):
        raise invalid("That order belongs to another member")
    if order["status"] == "returned":
        raise ApiError(409, "AC2022", "That order was already returned in full")
    wanted = body.get("returnLines")
    if not isinstance(wanted, list) or not wanted:
        raise invalid("returnLines must list the returned lines")
    lines = {row["line_id"]: row for row in conn.execute(
        "SELECT * FROM order_lines WHERE order_seq=?", (order["seq"],)).fetchall()}
    points = 0
    updates = []
    # Units and points already claimed by earlier items of this same request, per
    # line: the same line named twice used to be checked against the stored row
    # twice and could return more units (and points) than the line had.
    claimed: dict[str, tuple[int, int]] = {}
    for item in wanted:
        line = lines.get(str(item.get("id") if isinstance(item, dict) else ""))
        if line is None:
            raise invalid("returnLines names a line that is not on the order")
        qty = item.get("quantity")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise invalid("returnLines quantity must be a whole number above zero")
        units_before, points_before = claimed.get(line["line_id"], (0, 0))
        left = line["quantity"] - line["returned"] - units_before
        if qty > left:
            raise invalid(f"Line {line['line_id']}: {qty} returned but only {left} left on the order")
        share = returned_line_points(line["points"], line["quantity"], line["returned"] + units_before,
                                     line["points_returned"] + points_before, qty)
        claimed[line["line_id"]] = (units_before + qty, points_before + share)
        points += share
        updates.append((qty, share, order["seq"], line["line_no"]))
    points = min(points, order["points_remaining"])
    moved, reply = move_points(store, conn, m, -points) if m is not None else (0, {"id": order["member_id"]})
    for update in updates:
        conn.execute("UPDATE order_lines SET returned=returned+?, points_returned=points_returned+?"
                     " WHERE order_seq=? AND line_no=?", update)
    all_back = conn.execute("SELECT COUNT(*) FROM order_lines WHERE order_seq=? AND returned<quantity",
                            (order["seq"],)).fetchone()[0] == 0
    conn.execute("UPDATE orders SET points_remaining=points_remaining-?, status=? WHERE seq=?",
                 (points, "returned" if all_back else "partially returned", order["seq"]))
    store.record("order_partial_return", member_id=order["member_id"], order_id=order["id"],
                 reference=body.get("customId"), points=-moved)
    return {**reply, "actionId": body.get("actionId"), "activity": "debit", "orderId": order["id"],
            "debit": points, "pointsDeducted": moved, "pointsNotDeducted": points - moved,
            "returnLines": wanted, "customId": body.get("customId", ""), "reason": body.get("reason", "")}
