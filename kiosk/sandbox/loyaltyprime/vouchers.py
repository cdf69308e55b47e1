"""Vouchers: types, the list, info, issue, convert (spend) and revoke (undo a conversion)."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime, timezone

from kiosk.sandbox.db import Store
from kiosk.sandbox.loyaltyprime.common import (PrimeError, body_object, invalid, member_row, not_found, now_iso,
                                               ok, once, parse_filter)

# The demo programme's coupons are Prime voucher types of the same name; gift and
# store cards have no Prime counterpart and are not served (assumption 14).
KIND = "coupon"


def _of(row: sqlite3.Row) -> str:
    return "PERCENT" if row["discount_type"] == "Percentage" else "AMOUNT"


def _expired(row: sqlite3.Row) -> bool:
    try:
        return bool(row["validity"]) and datetime.strptime(row["validity"], "%Y-%m-%dT%H:%M:%S%z") \
            < datetime.now(timezone.utc)
    except ValueError:
        return False


def _status(row: sqlite3.Row) -> str:
    if row["status"] != "Active":
        return "REVOKED"
    if _expired(row):
        return "EXPIRED"
    if row["redemption_limit"] is not None and row["redeemed"] >= row["redemption_limit"]:
        return "CONVERTED"
    return "ISSUED"


def voucher_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict:
    conversions = conn.execute("SELECT * FROM lp_conversions WHERE token=? ORDER BY seq", (row["code"],)).fetchall()
    template = conn.execute("SELECT code FROM codes WHERE group_id=? AND user_id IS NULL AND kind=?",
                            (row["group_id"], KIND)).fetchone()
    return {"token": row["code"], "type": template["code"] if template else row["code"],
            "of": _of(row), "value": row["value"], "issuedTo": row["user_id"], "status": _status(row),
            "validUntil": row["validity"], "conversionsLeft": None if row["redemption_limit"] is None
            else max(row["redemption_limit"] - row["redeemed"], 0),
            "conversions": [{"client": c["member_id"], "receiptId": c["receipt_id"], "date": c["date"],
                             "revoked": c["revoked"]} for c in conversions]}


def _voucher(conn: sqlite3.Connection, token: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM codes WHERE code=? AND kind=?", (token, KIND)).fetchone()
    if row is None:
        raise not_found("No voucher with that token")
    return row


def types(store: Store) -> dict:
    with store.lock:
        rows = store.conn.execute("SELECT * FROM codes WHERE kind=? AND user_id IS NULL ORDER BY code",
                                  (KIND,)).fetchall()
        return ok([{"name": r["code"], "description": "", "of": _of(r), "value": r["value"]} for r in rows])


def listing(store: Store, filter_text: str | None) -> dict:
    wanted = parse_filter(filter_text)
    if set(wanted) - {"issuedTo", "token", "status"}:
        raise invalid("filter: issuedTo, token and status can be searched")
    with store.lock:
        conn = store.conn
        rows = conn.execute("SELECT * FROM codes WHERE kind=? ORDER BY code", (KIND,)).fetchall()
        out = [voucher_json(conn, r) for r in rows]
        for prop, values in wanted.items():
            out = [v for v in out if str(v[prop]) in values]
        return ok(out)


def info(store: Store, token: str) -> dict:
    with store.lock:
        return ok(voucher_json(store.conn, _voucher(store.conn, token)))


def issue(store: Store, type_name: str, recipient: str | None) -> dict:
    with store.tx() as conn:
        template = _voucher(conn, type_name)
        if template["user_id"] is not None:
            raise not_found("No voucher type of that name")
        if recipient:
            member_row(conn, recipient)
        token = f"V{secrets.randbelow(10**10):010d}"
        conn.execute("INSERT INTO codes (code, kind, discount_type, value, code_type, user_id, redemption_limit,"
                     " redeemed, balance_cents, validity, status, group_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     (token, KIND, template["discount_type"], template["value"], "Private" if recipient else "Public",
                      recipient or None, 1, 0, None, template["validity"], "Active", template["group_id"]))
        store.record("voucher_issue", member_id=recipient, code=token)
        return ok({"token": token, "type": type_name, "issuedTo": recipient})


def _client(conn: sqlite3.Connection, client: str | None) -> str:
    if not client:
        raise invalid("client (the membership key) is required")
    m = member_row(conn, client)
    if m["status"] != "ACTIVE":
        raise PrimeError(422, "MEMBERSHIP_NOT_ACTIVE", "This membership is not active")
    return m["id"]


def convert(store: Store, token: str, client: str | None, body: object) -> dict:
    body = body_object(body or {})
    receipt = str(body.get("receiptId") or "").strip() or None
    with store.tx() as conn:
        def apply() -> dict:
            member = _client(conn, client)
            row = _voucher(conn, token)
            status = _status(row)
            if status != "ISSUED":
                raise PrimeError(422, "VOUCHER_NOT_VALID", f"This voucher cannot be used: {status.lower()}")
            if row["user_id"] not in (None, member):
                raise PrimeError(422, "VOUCHER_NOT_VALID", "This voucher belongs to another membership")
            conn.execute("UPDATE codes SET redeemed=redeemed+1 WHERE code=?", (row["code"],))
            conn.execute("INSERT INTO lp_conversions (token, member_id, receipt_id, date) VALUES (?,?,?,?)",
                         (row["code"], member, receipt, now_iso()))
            store.record("code_redeem", member_id=member, code=row["code"], reference=receipt)
            return ok({"token": row["code"], "client": member, "receiptId": receipt, "of": _of(row),
                       "value": row["value"], "converted": True})
        return once(store, "code", receipt and f"convert:{receipt}", {"token": token.upper(), "client": client},
                    apply)


def revoke(store: Store, token: str, client: str | None, body: object) -> dict:
    """Undo a conversion (assumption 15): the named receipt's, else the client's latest."""
    body = body_object(body or {})
    receipt = str(body.get("receiptId") or "").strip() or None
    of_receipt = str(body.get("conversionReceiptId") or "").strip() or None
    with store.tx() as conn:
        def apply() -> dict:
            member = _client(conn, client)
            row = _voucher(conn, token)
            sql = "SELECT * FROM lp_conversions WHERE token=? AND member_id=? AND revoked IS NULL"
            args: tuple = (row["code"], member)
            if of_receipt:
                sql, args = sql + " AND receipt_id=?", args + (of_receipt,)
            conversion = conn.execute(sql + " ORDER BY seq DESC LIMIT 1", args).fetchone()
            if conversion is None:
                raise PrimeError(409, "NOTHING_TO_REVOKE", "This membership has no conversion of that voucher to revoke")
            conn.execute("UPDATE lp_conversions SET revoked=? WHERE seq=?", (receipt or now_iso(), conversion["seq"]))
            conn.execute("UPDATE codes SET redeemed=MAX(redeemed-1,0) WHERE code=?", (row["code"],))
            store.record("code_undo", member_id=member, code=row["code"], reference=receipt)
            return ok({"token": row["code"], "client": member, "receiptId": receipt,
                       "revokedConversion": conversion["receipt_id"]})
        return once(store, "code", receipt and f"revoke:{receipt}", {"token": token.upper(), "client": client,
                                                                     "of": of_receipt}, apply)
