"""Memberships: search with `filter`, enrol, details and their update."""

from __future__ import annotations

import re
import sqlite3

from kiosk.sandbox.db import Store, digits
from kiosk.sandbox.loyalty import tier_of
from kiosk.sandbox.loyaltyprime.common import (PrimeError, body_object, invalid, member_row, now_iso, ok,
                                               parse_filter)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
SEARCHABLE = ("key", "alternateIds", "email", "mobile", "contractStatus")


def _alternate_ids(conn: sqlite3.Connection, member_id: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT alt_id FROM lp_alternate_ids WHERE member_id=? ORDER BY alt_id",
                                       (member_id,)).fetchall()]


def contract_status(m: sqlite3.Row) -> str:
    return "ACTIVE" if m["status"] == "ACTIVE" else "CANCELLED"


def membership_json(store: Store, conn: sqlite3.Connection, m: sqlite3.Row) -> dict:
    return {
        "key": m["id"], "name": f"{m['first_name'] or ''} {m['last_name'] or ''}".strip(),
        "type": "PERSON", "program": store.site.site_name, "ccy": "USD", "since": m["created"],
        "contractStatus": contract_status(m), "Tier": tier_of(store, m["lifetime"])[0],
        "owner": {"userId": m["email"] or m["id"], "properties": {
            "FirstName": m["first_name"] or "", "LastName": m["last_name"] or "", "Email": m["email"] or "",
            "Mobile": m["phone"] or "", "Zip": m["zip_code"] or "", "DateofBirth": (m["birth_date"] or "")[:10]}},
        "properties": {"AdvertisingConsent": m["opt_in"] == "YES"},
        "alternateIds": _alternate_ids(conn, m["id"]),
    }


def search(store: Store, filter_text: str | None) -> dict:
    wanted = parse_filter(filter_text)
    unknown = set(wanted) - set(SEARCHABLE)
    if unknown:
        raise invalid(f"filter property not searchable: {sorted(unknown)[0]}")
    if not wanted:
        raise invalid("A membership search needs a filter")
    with store.lock:
        conn = store.conn
        rows = conn.execute("SELECT * FROM members ORDER BY id").fetchall()
        found = []
        for m in rows:
            if "key" in wanted and m["id"] not in wanted["key"]:
                continue
            if "alternateIds" in wanted and not set(_alternate_ids(conn, m["id"])) & set(wanted["alternateIds"]):
                continue
            if "email" in wanted and (m["email"] or "").lower() not in {v.strip().lower() for v in wanted["email"]}:
                continue
            if "mobile" in wanted and (m["phone_digits"] or "") not in {digits(v) for v in wanted["mobile"]}:
                continue
            if "contractStatus" in wanted and contract_status(m) not in wanted["contractStatus"]:
                continue
            found.append(membership_json(store, conn, m))
        return ok(found)


def details(store: Store, key: str) -> dict:
    with store.lock:
        return ok(membership_json(store, store.conn, member_row(store.conn, key)))


def _props(value: object, what: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{what} must be an object")
    return value


def _consent(value: object) -> str:
    if isinstance(value, str):
        value = value.strip().lower() in ("true", "yes", "1")
    return "YES" if value else "NO"


def enrol(store: Store, body: object) -> dict:
    body = body_object(body)
    owner = _props(body.get("owner"), "owner")
    person = _props(owner.get("properties"), "owner.properties")
    props = _props(body.get("properties"), "properties")
    email = str(person.get("Email") or "").strip() or None
    mobile = str(person.get("Mobile") or "").strip() or None
    if not email and not mobile:
        raise invalid("owner.properties needs an Email or a Mobile")
    if email and not _EMAIL.fullmatch(email):
        raise invalid("owner.properties.Email is not a valid address")
    if mobile and not 7 <= len(digits(mobile) or "") <= 15:
        raise invalid("owner.properties.Mobile must have 7 to 15 digits")
    alternates = body.get("alternateIds") or []
    if not isinstance(alternates, list) or not all(isinstance(a, str) and _KEY.fullmatch(a) for a in alternates):
        raise invalid("alternateIds must be a list of ids")
    with store.tx() as conn:
        key = str(body.get("key") or "").strip() or _new_key(conn)
        if not _KEY.fullmatch(key):
            raise invalid("key: letters, digits, - and _ only, at most 40")
        clash = conn.execute("SELECT 1 FROM members WHERE id=? OR (email IS NOT NULL AND email=?)"
                             " OR (phone_digits IS NOT NULL AND phone_digits=?)",
                             (key, email, digits(mobile))).fetchone()
        if clash or any(conn.execute("SELECT 1 FROM lp_alternate_ids WHERE alt_id=?", (a,)).fetchone()
                        for a in alternates):
            raise PrimeError(409, "MEMBERSHIP_EXISTS", "A membership with that key, email, mobile or id exists")
        stamp = now_iso()
        status = "ACTIVE" if str(body.get("contractStatus") or "ACTIVE").upper() == "ACTIVE" else "INACTIVE"
        conn.execute(
            "INSERT INTO members (id, email, phone, phone_digits, first_name, last_name, zip_code, opt_in, status,"
            " birth_date, created, updated, tier_since) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, email, mobile, digits(mobile), str(person.get("FirstName") or ""),
             str(person.get("LastName") or ""), str(person.get("Zip") or ""),
             _consent(props.get("AdvertisingConsent")), status, str(person.get("DateofBirth") or ""),
             stamp, stamp, stamp))
        for alt in alternates:
            conn.execute("INSERT INTO lp_alternate_ids VALUES (?,?)", (alt, key))
        store.record("enrol", member_id=key)
        return ok(membership_json(store, conn, member_row(conn, key)))


def _new_key(conn: sqlite3.Connection) -> str:
    n = conn.execute("SELECT COUNT(*) FROM members").fetchone()[0] + 200001
    while conn.execute("SELECT 1 FROM members WHERE id=?", (f"M{n}",)).fetchone():
        n += 1
    return f"M{n}"


def update(store: Store, key: str, body: object) -> dict:
    body = body_object(body)
    props = _props(body.get("properties"), "properties")
    person = _props(_props(body.get("owner"), "owner").get("properties"), "owner.properties")
    with store.tx() as conn:
        member_row(conn, key)
        if "AdvertisingConsent" in props:
            conn.execute("UPDATE members SET opt_in=? WHERE id=?", (_consent(props["AdvertisingConsent"]), key))
        for field, column in (("Zip", "zip_code"), ("DateofBirth", "birth_date"), ("FirstName", "first_name"),
                              ("LastName", "last_name")):
            if field in person:
                conn.execute(f"UPDATE members SET {column}=? WHERE id=?", (str(person[field] or ""), key))
        conn.execute("UPDATE members SET updated=? WHERE id=?", (now_iso(), key))
        store.record("update", member_id=key)
        return ok(membership_json(store, conn, member_row(conn, key)))


def seed_alternate_ids(conn: sqlite3.Connection) -> None:
    """Each demo member also has a plastic card number as an alternate id: PC + the key's digits."""
    for (member_id,) in conn.execute("SELECT id FROM members").fetchall():
        conn.execute("INSERT OR IGNORE INTO lp_alternate_ids VALUES (?,?)", (f"PC{member_id[1:]}", member_id))
