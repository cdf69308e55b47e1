"""What every Loyalty Prime route shares: the envelope, errors, auth, `filter`, amounts, replay keys."""

from __future__ import annotations

import hmac
import json
import sqlite3
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable
from urllib.parse import unquote

from kiosk.sandbox.db import Store

PREFIX = "/api/v10"
POINTS_TYPE = "BONUS"
DEBITOR_ID = "KIOSK-DEMO"
PARTNER_ID = "DEMO-PARTNER"
CHANNEL_KEY = "STORE"

EXTRA_SCHEMA = """
CREATE TABLE IF NOT EXISTS lp_alternate_ids (alt_id TEXT PRIMARY KEY COLLATE NOCASE, member_id TEXT);
CREATE TABLE IF NOT EXISTS lp_tx (
    tx_id TEXT PRIMARY KEY, member_id TEXT, date TEXT, total_cents INTEGER, points INTEGER,
    points_reversed INTEGER NOT NULL DEFAULT 0, status TEXT, items TEXT, created TEXT);
CREATE TABLE IF NOT EXISTS lp_statement (
    seq INTEGER PRIMARY KEY, member_id TEXT, date TEXT, kind TEXT, receipt_id TEXT, tx_id TEXT,
    debitor_id TEXT, points INTEGER, balance INTEGER, description TEXT, reversed_by TEXT);
CREATE TABLE IF NOT EXISTS lp_conversions (
    seq INTEGER PRIMARY KEY, token TEXT, member_id TEXT, receipt_id TEXT, date TEXT, revoked TEXT);
"""


class PrimeError(Exception):
    """An answer in the sandbox's error envelope (README: error bodies are an assumption)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(what: str = "No such record") -> PrimeError:
    return PrimeError(404, "NOT_FOUND", what)


def invalid(message: str) -> PrimeError:
    return PrimeError(400, "INVALID_REQUEST", message)


def ok(data: Any) -> dict:
    return {"success": True, "data": data}


def failure(code: str, message: str) -> dict:
    return {"success": False, "data": None, "error": {"code": code, "message": message}}


def authorized(header: str | None, api_key: str) -> bool:
    scheme, _, key = (header or "").partition(" ")
    return scheme == "ApiKey" and bool(key.strip()) and hmac.compare_digest(key.strip().encode(), api_key.encode())


def raw_param(query_string: bytes, name: str) -> str | None:
    """A query parameter as sent: percent-decoded, but a '+' stays a '+' (an email's),
    since public clients send `filter` un-encoded."""
    for part in query_string.decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if unquote(key) == name:
            return unquote(value, encoding="utf-8", errors="strict")
    return None


def parse_filter(text: str | None) -> dict[str, list[str]]:
    """`[{"property": "key", "value": "M1"}, ...]` to {property: [values]} (repeats are an OR)."""
    if text in (None, ""):
        return {}
    try:
        items = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise invalid("filter is not a JSON array") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("property"), str)
                                              for i in items):
        raise invalid('filter must be a list of {"property", "value"} objects')
    out: dict[str, list[str]] = {}
    for item in items:
        out.setdefault(item["property"], []).append(str(item.get("value", "")))
    return out


def whole(value: Any, what: str, *, signed: bool = False) -> int:
    """Points: a whole number, as a JSON number or a string ("10")."""
    if isinstance(value, bool) or value is None or value == "":
        raise invalid(f"{what} is required")
    text = str(value).strip()
    body = text[1:] if signed and text.startswith("-") else text
    if isinstance(value, float) or not body.isascii() or not body.isdigit() or len(body) > 12:
        raise invalid(f"{what} must be a whole number")
    return int(text)


def price_cents(value: Any, what: str) -> int:
    """A price: number or string, not negative, at most 2 decimals."""
    if isinstance(value, bool) or value is None or value == "":
        raise invalid(f"{what} is required")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        exact = amount.is_finite() and 0 <= amount < 10**12 and amount == amount.quantize(Decimal("0.01"))
    except (InvalidOperation, ArithmeticError):
        raise invalid(f"{what} is not a number") from None
    if not exact:
        raise invalid(f"{what} must be an amount of at least 0 with at most 2 decimals")
    return int(amount * 100)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def body_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    return body


def once(store: Store, scope: str, key: str | None, request: Any, apply: Callable[[], Any]) -> Any:
    """Apply a write at most once per key (assumption 5): the same request again gets the
    first reply; the key with another request is a conflict. Inside store.tx()."""
    if not key:
        return apply()
    digest = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    scope = f"lp:{scope}"
    if store.protects(scope.removeprefix("lp:")):
        row = store.conn.execute("SELECT request_hash, reply FROM replay WHERE scope=? AND key=?",
                                 (scope, key)).fetchone()
        if row is not None:
            if row["request_hash"] != digest:
                raise PrimeError(409, "KEY_CONFLICT", "This id was already used for a different request")
            return json.loads(row["reply"])
    reply = apply()
    store.conn.execute("INSERT OR REPLACE INTO replay VALUES (?,?,?,?,?)",
                       (scope, key, digest, 200, json.dumps(reply)))
    return reply


def member_row(conn: sqlite3.Connection, key: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM members WHERE id=?", (key,)).fetchone()
    if row is None:
        raise not_found("No membership with that key")
    return row


def active_member(conn: sqlite3.Connection, key: str) -> sqlite3.Row:
    row = member_row(conn, key)
    if row["status"] != "ACTIVE":
        raise PrimeError(422, "MEMBERSHIP_NOT_ACTIVE", "This membership is not active")
    return row


def statement(store: Store, conn: sqlite3.Connection, member_id: str, kind: str, points: int, *,
              receipt_id: str | None = None, tx_id: str | None = None, debitor_id: str | None = None,
              date: str | None = None, description: str = "") -> int:
    """Move points and write the statement line; a debit never goes below zero (assumption 6).
    Returns the points actually moved (signed)."""
    m = member_row(conn, member_id)
    if points >= 0:
        conn.execute("UPDATE members SET available=available+?, lifetime=lifetime+? WHERE id=?",
                     (points, points if kind == "EARN" else 0, member_id))
        moved = points
    else:
        moved = -min(-points, m["available"])
        conn.execute("UPDATE members SET available=available+?, used=used-? WHERE id=?", (moved, moved, member_id))
    balance = conn.execute("SELECT available FROM members WHERE id=?", (member_id,)).fetchone()[0]
    conn.execute("INSERT INTO lp_statement (member_id, date, kind, receipt_id, tx_id, debitor_id, points,"
                 " balance, description) VALUES (?,?,?,?,?,?,?,?,?)",
                 (member_id, date or now_iso(), kind, receipt_id, tx_id, debitor_id, moved, balance, description))
    return moved
