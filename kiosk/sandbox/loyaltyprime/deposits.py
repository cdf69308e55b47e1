"""Deposits: the redeemable balance, the statement, redemption and its reversal, adjustment."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from kiosk.sandbox.db import Store
from kiosk.sandbox.loyaltyprime.tx import note_adjustment
from kiosk.sandbox.loyaltyprime.common import (POINTS_TYPE, PrimeError, active_member, body_object, invalid,
                                               member_row, not_found, ok, once, parse_filter, statement, whole)


def _check_type(points_type: str | None) -> None:
    if (points_type or POINTS_TYPE).upper() != POINTS_TYPE:
        raise invalid(f"Unknown points type; this programme has {POINTS_TYPE}")


def redeemable(store: Store, key: str, points_type: str | None) -> dict:
    _check_type(points_type)
    with store.lock:
        m = member_row(store.conn, key)
        points = m["available"] if m["status"] == "ACTIVE" else 0
        rate = store.site.currency_ratio
        value = (Decimal(points) * rate).quantize(Decimal("0.01"), ROUND_DOWN)
        return ok({"membershipKey": key, "type": POINTS_TYPE, "points": points,
                   "conversionRate": f"{rate:f}", "value": f"{value:.2f}"})


def _line(row) -> dict:
    return {"date": row["date"], "kind": row["kind"], "receiptId": row["receipt_id"], "txId": row["tx_id"],
            "debitorId": row["debitor_id"], "points": row["points"], "balance": row["balance"],
            "description": row["description"] or "", "reversedBy": row["reversed_by"]}


def statement_json(store: Store, key: str, points_type: str | None, filter_text: str | None) -> dict:
    _check_type(points_type)
    wanted = parse_filter(filter_text)
    columns = {"receiptId": "receipt_id", "txId": "tx_id", "kind": "kind"}
    if set(wanted) - set(columns):
        raise invalid(f"filter property not known here: {sorted(set(wanted) - set(columns))[0]}")
    with store.lock:
        member_row(store.conn, key)
        sql, args = "SELECT * FROM lp_statement WHERE member_id=?", [key]
        for prop, values in wanted.items():
            sql += f" AND {columns[prop]} IN ({','.join('?' * len(values))})"
            args += values
        rows = store.conn.execute(sql + " ORDER BY seq", args).fetchall()
        return ok([_line(r) for r in rows])


def _receipt(body: dict) -> tuple[str, str]:
    receipt, debitor = str(body.get("receiptId") or "").strip(), str(body.get("debitorId") or "").strip()
    if not receipt or not debitor:
        raise invalid("receiptId and debitorId are required")
    if "_" in debitor:
        raise invalid("debitorId may not contain '_' (a reversal names receiptId_debitorId)")
    return receipt, debitor


def redeem(store: Store, key: str, points_type: str | None, body: object) -> dict:
    _check_type(points_type)
    body = body_object(body)
    receipt, debitor = _receipt(body)
    points = whole(body.get("amount"), "amount")
    if points <= 0:
        raise invalid("amount must be above zero")
    with store.tx() as conn:
        def apply() -> dict:
            m = active_member(conn, key)
            if m["available"] < points:
                raise PrimeError(422, "INSUFFICIENT_POINTS", f"Only {m['available']} points can be redeemed")
            statement(store, conn, key, "REDEEM", -points, receipt_id=receipt, debitor_id=debitor,
                      date=body.get("date"), description=str(body.get("description") or ""))
            store.record("redeem", member_id=key, reference=receipt, points=-points)
            balance = member_row(conn, key)["available"]
            return ok({"membershipKey": key, "receiptId": receipt, "txId": f"{receipt}_{debitor}",
                       "points": points, "balance": balance})
        return once(store, "points:redeem", f"{receipt}_{debitor}", {"key": key, **body}, apply)


def redeem_reversal(store: Store, body: object) -> dict:
    body = body_object(body)
    tx_id = str(body.get("txId") or "").strip()
    _check_type(body.get("pointsType"))
    receipt, _, debitor = tx_id.rpartition("_")
    if not receipt or not debitor:
        raise invalid("txId must be receiptId_debitorId")
    with store.tx() as conn:
        def apply() -> dict:
            row = conn.execute("SELECT * FROM lp_statement WHERE kind='REDEEM' AND receipt_id=? AND debitor_id=?"
                               " ORDER BY seq DESC LIMIT 1", (receipt, debitor)).fetchone()
            if row is None:
                raise not_found("No redemption with that receipt")
            if row["reversed_by"]:
                raise PrimeError(409, "ALREADY_REVERSED", "That redemption was already reversed")
            back = -row["points"]
            statement(store, conn, row["member_id"], "REDEEM_REVERSAL", back, receipt_id=receipt,
                      tx_id=tx_id, debitor_id=debitor, date=body.get("date"),
                      description=str(body.get("description") or ""))
            conn.execute("UPDATE lp_statement SET reversed_by=? WHERE seq=?", (tx_id, row["seq"]))
            store.record("redeem_reversal", member_id=row["member_id"], reference=f"{receipt}-REVERSAL", points=back)
            return ok({"membershipKey": row["member_id"], "txId": tx_id, "points": back,
                       "balance": member_row(conn, row["member_id"])["available"]})
        return once(store, "points:redeem_reversal", tx_id, body, apply)


def adjust(store: Store, key: str, points_type: str | None, body: object) -> dict:
    _check_type(points_type)
    body = body_object(body)
    receipt, debitor = _receipt(body)
    points = whole(body.get("amount"), "amount", signed=True)
    if points == 0:
        raise invalid("amount may not be zero")
    with store.tx() as conn:
        def apply() -> dict:
            member_row(conn, key)
            tx_id = str(body.get("txId") or "")
            if tx_id:
                row = conn.execute("SELECT member_id FROM lp_tx WHERE tx_id=?", (tx_id,)).fetchone()
                if row is None or row["member_id"] != key:
                    raise not_found("No transaction of this membership with that txId")
            moved = statement(store, conn, key, "ADJUST", points, receipt_id=receipt, debitor_id=debitor,
                              date=body.get("date"), description=str(body.get("description") or ""))
            if tx_id and moved < 0:
                note_adjustment(conn, tx_id, -moved)
            store.record("adjust", member_id=key, order_id=tx_id or None, reference=receipt, points=moved)
            return ok({"membershipKey": key, "receiptId": receipt, "requested": points, "points": moved,
                       "notAdjusted": points - moved, "balance": member_row(conn, key)["available"]})
        return once(store, "points:adjust", f"{receipt}_{debitor}", {"key": key, **body}, apply)
