"""Transactions: POST /tx (a quote without txId, a booking with one), reversal, history, details, products."""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import ROUND_DOWN, Decimal

from kiosk.sandbox.db import Store
from kiosk.sandbox.loyaltyprime.common import (CHANNEL_KEY, active_member, body_object, invalid,
                                               member_row, not_found, now_iso, ok, once, parse_filter,
                                               price_cents, statement, whole)

_TX_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_QUANTITY = 1_000_000
# Categories of the demo catalogue, each a product key; points per currency unit
# are the site's, times the product's multiplier (assumption 8).
PRODUCTS = {"COFFEE": 2, "SNACKS": 1, "DRINKS": 1, "BOOKS": 1, "GENERAL": 1}


def products(store: Store) -> dict:
    return ok([{"key": key, "channelKey": CHANNEL_KEY, "name": key.title(), "multiplier": mult}
               for key, mult in PRODUCTS.items()])


def _split(total: int, weights: list[int]) -> list[int]:
    whole_weight = sum(weights)
    if whole_weight <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * w // whole_weight for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole_weight), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _items(raw: object) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise invalid("items must list at least one item")
    items = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise invalid(f"items[{n}] must be an object")
        key = str(item.get("productKey") or "")
        if key not in PRODUCTS:
            raise invalid(f"items[{n}]: unknown productKey")
        if str(item.get("channelKey") or CHANNEL_KEY) != CHANNEL_KEY:
            raise invalid(f"items[{n}]: unknown channelKey")
        quantity = whole(item.get("quantity", 1), f"items[{n}].quantity")
        if not 0 < quantity <= MAX_QUANTITY:
            raise invalid(f"items[{n}].quantity must be from 1 to {MAX_QUANTITY}")
        unit = price_cents(item.get("price"), f"items[{n}].price")
        items.append({"productKey": key, "channelKey": CHANNEL_KEY, "price": item.get("price"),
                      "quantity": quantity, "unit_cents": unit, "lineId": str(item.get("lineId") or n)})
    return items


def evaluate(store: Store, items: list[dict]) -> tuple[int, list[int]]:
    """Points of a cart: floor(sum of price × quantity × multiplier × site rate), shared by line."""
    weights = [i["unit_cents"] * i["quantity"] * PRODUCTS[i["productKey"]] for i in items]
    total = int((Decimal(sum(weights)) / 100 * store.site.points_per_unit).to_integral_value(ROUND_DOWN))
    return total, _split(total, weights)


def post_tx(store: Store, body: object) -> dict:
    body = body_object(body)
    client = str(body.get("clientId") or "")
    items = _items(body.get("items"))
    tx_id = body.get("txId")
    points, shares = evaluate(store, items)
    lines = [{"productKey": i["productKey"], "lineId": i["lineId"], "quantity": i["quantity"], "points": s}
             for i, s in zip(items, shares)]
    if tx_id in (None, ""):
        with store.lock:
            active_member(store.conn, client)
        return ok({"txId": None, "clientId": client, "points": points, "items": lines, "booked": False})
    tx_id = str(tx_id)
    if not _TX_ID.fullmatch(tx_id):
        raise invalid("txId: letters, digits, - and _ only, at most 80")
    with store.tx() as conn:
        def apply() -> dict:
            active_member(conn, client)
            moved = statement(store, conn, client, "EARN", points, tx_id=tx_id, date=body.get("date"))
            total = sum(i["unit_cents"] * i["quantity"] for i in items)
            conn.execute("UPDATE members SET spent_cents=spent_cents+? WHERE id=?", (total, client))
            conn.execute("INSERT OR REPLACE INTO lp_tx VALUES (?,?,?,?,?,?,?,?,?)",
                         (tx_id, client, body.get("date") or now_iso(), total, moved, 0, "BOOKED",
                          json.dumps(lines), now_iso()))
            store.record("order_create", member_id=client, order_id=tx_id, points=moved, amount_cents=total)
            return ok({"txId": tx_id, "clientId": client, "points": moved, "items": lines, "booked": True,
                       "balance": member_row(conn, client)["available"]})
        return once(store, "order", tx_id, body, apply)


def _tx(conn: sqlite3.Connection, tx_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM lp_tx WHERE tx_id=?", (tx_id,)).fetchone()
    if row is None:
        raise not_found("No transaction with that txId")
    return row


def tx_json(row: sqlite3.Row) -> dict:
    return {"txId": row["tx_id"], "clientId": row["member_id"], "date": row["date"],
            "amount": f"{Decimal(row['total_cents']) / 100:.2f}", "points": row["points"],
            "pointsReversed": row["points_reversed"], "status": row["status"], "items": json.loads(row["items"])}


def reversal(store: Store, body: object) -> dict:
    body = body_object(body)
    tx_id = str(body.get("txId") or "")
    if not tx_id:
        raise invalid("txId is required")
    with store.tx() as conn:
        def apply() -> dict:
            row = _tx(conn, tx_id)
            if body.get("clientId") not in (None, "", row["member_id"]):
                raise invalid("clientId does not match the transaction")
            left = row["points"] - row["points_reversed"]
            moved = -statement(store, conn, row["member_id"], "EARN_REVERSAL", -left, tx_id=tx_id,
                               debitor_id=str(body.get("debitorId") or ""), date=body.get("date"),
                               description=str(body.get("description") or ""))
            conn.execute("UPDATE members SET spent_cents=MAX(spent_cents-?,0) WHERE id=?",
                         (row["total_cents"], row["member_id"]))
            conn.execute("UPDATE lp_tx SET status='REVERSED', points_reversed=points WHERE tx_id=?", (tx_id,))
            store.record("order_return", member_id=row["member_id"], order_id=tx_id, points=-moved)
            return ok({"txId": tx_id, "clientId": row["member_id"], "pointsReversed": moved,
                       "balance": member_row(conn, row["member_id"])["available"]})
        return once(store, "return", tx_id, {k: v for k, v in body.items() if k != "date"}, apply)


def note_adjustment(conn: sqlite3.Connection, tx_id: str, points: int) -> None:
    """A negative adjustment whose receiptId names a booked transaction counts against it (assumption 12)."""
    # Only POST /tx/reversal makes a transaction REVERSED: a client asking whether its
    # reversal landed must not be told yes because returns took every point already.
    conn.execute("UPDATE lp_tx SET points_reversed=MIN(points, points_reversed+?),"
                 " status=CASE WHEN status='REVERSED' THEN status ELSE 'PARTIALLY_REVERSED' END"
                 " WHERE tx_id=?", (points, tx_id))


def details(store: Store, tx_id: str) -> dict:
    with store.lock:
        return ok(tx_json(_tx(store.conn, tx_id)))


def history(store: Store, filter_text: str | None) -> dict:
    wanted = parse_filter(filter_text)
    columns = {"txId": "tx_id", "clientId": "member_id", "status": "status"}
    if set(wanted) - set(columns):
        raise invalid(f"filter property not known here: {sorted(set(wanted) - set(columns))[0]}")
    sql, args = "SELECT * FROM lp_tx WHERE 1=1", []
    for prop, values in wanted.items():
        sql += f" AND {columns[prop]} IN ({','.join('?' * len(values))})"
        args += values
    with store.lock:
        return ok([tx_json(r) for r in store.conn.execute(sql + " ORDER BY created, tx_id LIMIT 500", args)])
