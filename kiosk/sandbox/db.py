"""The sandbox's SQLite store: schema, demo data, transactions, ledger, replay keys.

One connection behind one lock: the sandbox serves one store's terminals, and
serialising writes is what makes "two redemptions can't overdraw a card" true
without any cleverness.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

from kiosk import private

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY, email TEXT UNIQUE COLLATE NOCASE, phone TEXT, phone_digits TEXT UNIQUE,
    first_name TEXT, last_name TEXT, zip_code TEXT, opt_in TEXT, status TEXT,
    birth_date TEXT, created TEXT, updated TEXT,
    available INTEGER NOT NULL DEFAULT 0, lifetime INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0, used_on_rewards INTEGER NOT NULL DEFAULT 0,
    spent_cents INTEGER NOT NULL DEFAULT 0, tier_since TEXT);
CREATE TABLE IF NOT EXISTS rewards (
    id TEXT PRIMARY KEY, display_text TEXT, description TEXT, credit_required INTEGER,
    deduct_cents INTEGER, reward_limit INTEGER, limit_period TEXT,
    expiration_type TEXT, expiration_period TEXT);
CREATE TABLE IF NOT EXISTS reward_codes (
    code TEXT PRIMARY KEY, member_id TEXT, reward_id TEXT, points INTEGER, order_id TEXT,
    created TEXT, expires TEXT, status TEXT, reversal_key TEXT);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, member_id TEXT, total_cents INTEGER,
    points INTEGER, points_remaining INTEGER, status TEXT, created TEXT, reply TEXT);
CREATE INDEX IF NOT EXISTS orders_id ON orders(id);
CREATE TABLE IF NOT EXISTS order_lines (
    order_seq INTEGER, line_no INTEGER, line_id TEXT, name TEXT, unit_cents INTEGER,
    quantity INTEGER, points INTEGER, returned INTEGER NOT NULL DEFAULT 0,
    points_returned INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (order_seq, line_no));
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY COLLATE NOCASE, kind TEXT, discount_type TEXT, value TEXT,
    code_type TEXT, user_id TEXT, redemption_limit INTEGER, redeemed INTEGER NOT NULL DEFAULT 0,
    balance_cents INTEGER, validity TEXT, status TEXT, group_id INTEGER);
CREATE TABLE IF NOT EXISTS code_redemptions (
    reference_id TEXT PRIMARY KEY, code TEXT, user_id TEXT, amount_cents INTEGER,
    order_id TEXT, action TEXT, undo_of TEXT, undone_by TEXT, created TEXT);
CREATE TABLE IF NOT EXISTS replay (
    scope TEXT, key TEXT, request_hash TEXT, status INTEGER, reply TEXT,
    PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY, at TEXT, kind TEXT, member_id TEXT, order_id TEXT,
    code TEXT, reference TEXT, points INTEGER, amount_cents INTEGER);
"""


class ApiError(Exception):
    """An answer in the documented error shape: {"errorCode", "errorMessage"}."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found() -> ApiError:
    return ApiError(404, "AC1005", "No data found")


def invalid(message: str) -> ApiError:
    return ApiError(400, "AC2001", message)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def cents(amount: Any, what: str) -> int:
    """Currency (number or string, at most 2 decimals) to integer cents."""
    if isinstance(amount, bool) or amount is None or amount == "":
        raise invalid(f"{what} is required")
    try:
        value = Decimal(repr(amount) if isinstance(amount, float) else str(amount).strip())
        # quantize itself fails on huge exponents ("1e30"): inside the try, so
        # that is a 400 like any other bad amount, not a 500.
        exact = value.is_finite() and value >= 0 and value == value.quantize(Decimal("0.01"))
    except ArithmeticError:
        raise invalid(f"{what} is not a number") from None
    if not exact:
        raise invalid(f"{what} must be a non-negative amount with at most 2 decimals")
    return int(value * 100)


def money(cents_value: int | None) -> str:
    return "" if cents_value is None else f"{Decimal(cents_value) / 100:.2f}"


@dataclass
class Site:
    site_id: str
    site_name: str
    secret: str
    guest_user_id: str
    points_per_unit: Decimal
    currency_ratio: Decimal
    tiers: list[tuple[str, int]]
    max_award_points: int = 100_000


@dataclass
class Store:
    conn: sqlite3.Connection
    site: Site
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Off only for tests that need to see what a retried write does to a
    # backend that does not deduplicate (the outbox crash test), one switch per
    # kind of write: orders (by order id, and their full return), points (by
    # customId), codes (by referenceId).
    order_protection: bool = True
    points_protection: bool = True
    code_protection: bool = True
    profile: str = "extended"

    @property
    def duplicate_protection(self) -> bool:
        return self.order_protection and self.points_protection and self.code_protection

    @duplicate_protection.setter
    def duplicate_protection(self, on: bool) -> None:
        self.order_protection = self.points_protection = self.code_protection = bool(on)

    def protects(self, scope: str) -> bool:
        if scope.startswith("points:"):
            return self.points_protection
        if scope == "code":
            return self.code_protection
        return self.order_protection  # "order" and "return"

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def record(self, kind: str, *, member_id: str | None = None, order_id: str | None = None,
               code: str | None = None, reference: str | None = None, points: int | None = None,
               amount_cents: int | None = None) -> None:
        self.conn.execute(
            "INSERT INTO ledger (at, kind, member_id, order_id, code, reference, points, amount_cents)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (now_iso(), kind, member_id, order_id, code, reference, points, amount_cents))

    def once(self, scope: str, key: str | None, request: Any,
             apply: Callable[[], dict]) -> dict:
        """Apply a write at most once per key: a repeat with the same request gets
        the first reply; the same key with a different request is a conflict.
        Must run inside tx()."""
        if not key:
            return apply()
        digest = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
        if self.protects(scope):
            row = self.conn.execute("SELECT request_hash, reply FROM replay WHERE scope=? AND key=?",
                                    (scope, key)).fetchone()
            if row is not None:
                if row["request_hash"] != digest:
                    raise ApiError(409, "AC2002", "This key was already used for a different request")
                return json.loads(row["reply"])
        reply = apply()
        self.conn.execute("INSERT OR REPLACE INTO replay VALUES (?,?,?,?,?)",
                          (scope, key, digest, 200, json.dumps(reply)))
        return reply


def _demo(name: str) -> Any:
    return json.loads(resources.files("kiosk_resources").joinpath("demo", name).read_text("utf-8"))


def demo_site() -> dict:
    return _demo("site.json")


def load_site(overrides: dict | None = None) -> Site:
    raw = {**demo_site(), **(overrides or {})}
    return Site(
        site_id=str(raw["siteId"]), site_name=raw["siteName"], secret=raw["secret"],
        guest_user_id=raw["guestUserId"], points_per_unit=Decimal(str(raw["pointsPerCurrencyUnit"])),
        currency_ratio=Decimal(str(raw["creditsToCurrencyRatio"])),
        tiers=[(t["name"], int(t["minLifetimePoints"])) for t in raw["tiers"]],
    )


def digits(phone: str | None) -> str | None:
    only = "".join(ch for ch in phone or "" if ch.isdigit())
    return only or None


def open_store(path: str, site: Site, *, fresh: bool = False) -> Store:
    if path != ":memory:":
        private.create_file(Path(path))
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    store = Store(conn, site)
    with store.tx():
        if fresh:
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
                conn.execute(f"DROP TABLE {table}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        if conn.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 0:
            _seed(conn)
    return store


def _seed(conn: sqlite3.Connection) -> None:
    stamp = "2024-01-15T10:00:00+0000"
    for m in _demo("members.json"):
        conn.execute(
            "INSERT INTO members (id, email, phone, phone_digits, first_name, last_name, zip_code,"
            " opt_in, status, birth_date, created, updated, available, lifetime, used, spent_cents,"
            " tier_since) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (m["id"], m["email"], m["phone"], digits(m["phone"]), m["firstName"], m["lastName"],
             m["zipCode"], m["optInStatus"], m["status"], m["birthDate"], stamp, stamp,
             m["availablePoints"], m["lifetimePoints"], m["lifetimePoints"] - m["availablePoints"],
             cents(m["totalSpent"], "totalSpent"), stamp))
    for r in _demo("rewards.json"):
        conn.execute("INSERT INTO rewards VALUES (?,?,?,?,?,?,?,?,?)",
                     (r["rewardId"], r["displayText"], r["rewardDescription"], r["creditRequired"],
                      cents(r["deductAmount"], "deductAmount"), r["rewardLimit"], r["limitPeriod"],
                      r["rewardExpirationType"], r["rewardExpirationPeriod"]))
    for group, c in enumerate(_demo("codes.json"), start=7800):
        insert_code(conn, c, group)


def insert_code(conn: sqlite3.Connection, c: dict, group_id: int) -> None:
    partial = c["kind"] in ("giftcard", "storecard")
    balance = cents(c["value"], "value") if partial else None
    conn.execute(
        "INSERT INTO codes (code, kind, discount_type, value, code_type, user_id, redemption_limit,"
        " redeemed, balance_cents, validity, status, group_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (c["incentiveCode"], c["kind"], c["discountType"], str(c["value"]), c["codeType"],
         c.get("userId"), c.get("redemptionLimit"), 0, balance, c.get("validity", ""),
         c.get("status", "Active"), group_id))
