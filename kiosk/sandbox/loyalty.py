"""Members, tiers, points and rewards: the Users, Points and Rewards categories."""

from __future__ import annotations

import json
import math
import re
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal

from kiosk.sandbox.documented import error_code
from kiosk.sandbox.db import ApiError, Store, digits, invalid, money, not_found, now_iso

REWARD_ACTION = 107


# What a phone number may look like as a lookup key: ASCII digits and the usual
# punctuation. Without it, any key with 7+ digits in it fell through to the phone
# lookup, so an unknown email "x5550100002@example.com" or card "M5550100002"
# resolved to Ben (phone 555-010-0002), and enrolling such an email was refused
# as a duplicate.
_PHONE_KEY = re.compile(r"\+?[0-9() .\-]+")
# Deliberately loose (local@domain.tld, no spaces, one "@"): it only has to turn
# away what is plainly not an address ("@", "ana@", "a b@c.d" used to enrol).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def phone_digits(key: str) -> str | None:
    """The digits of a phone-shaped key with at least 7 of them, else None."""
    if not _PHONE_KEY.fullmatch(key):
        return None
    only = digits(key)
    return only if only and len(only) >= 7 else None


def find_member(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    """Loyalty Search: the POS document looks members up by id, email or phone."""
    row = conn.execute("SELECT * FROM members WHERE id = ?", (key,)).fetchone()
    if row is None and "@" in key:
        # An email is only ever an email: never fall through to the phone lookup.
        return conn.execute("SELECT * FROM members WHERE email = ?", (key,)).fetchone()
    if row is None and phone_digits(key):
        row = conn.execute("SELECT * FROM members WHERE phone_digits = ?", (phone_digits(key),)).fetchone()
    return row


def member_or_404(conn: sqlite3.Connection, key: str) -> sqlite3.Row:
    row = find_member(conn, key)
    if row is None:
        raise not_found()
    return row


def get_user(store: Store, key: str) -> dict:
    with store.lock:
        return user_json(member_or_404(store.conn, key))


def get_points(store: Store, key: str) -> dict:
    with store.lock:
        return points_json(store, member_or_404(store.conn, key))


def user_json(m: sqlite3.Row) -> dict:
    return {
        "id": m["id"], "email": m["email"] or "", "firstName": m["first_name"] or "",
        "lastName": m["last_name"] or "", "zipCode": m["zip_code"] or "",
        "optInStatus": m["opt_in"] or "NO", "status": m["status"] or "ACTIVE",
        "phone": m["phone"] or "", "birthDate": m["birth_date"] or "", "anniversaryDate": "",
        "userProfileImageUrl": "", "createDate": m["created"] or "", "updateDate": m["updated"] or "",
        "totalSpendCurrency": money(m["spent_cents"]), "extendedAttribute": {},
    }


def tier_of(store: Store, lifetime: int) -> tuple[str, str, int]:
    """(current tier, next tier or "", points still needed for it)."""
    current, following = store.site.tiers[0][0], None
    for name, floor in store.site.tiers:
        if lifetime >= floor:
            current = name
        elif following is None:
            following = (name, floor)
    if following is None:
        return current, "", 0
    return current, following[0], following[1] - lifetime


def tier_fields(store: Store, m: sqlite3.Row) -> dict:
    current, nxt, needed = tier_of(store, m["lifetime"])
    spend = Decimal(needed) / store.site.points_per_unit if needed else Decimal(0)
    return {"currentTier": current, "nextTier": nxt, "pointsToNextTier": needed,
            "spendToNextTier": math.ceil(spend)}


def points_json(store: Store, m: sqlite3.Row) -> dict:
    value = (Decimal(m["available"]) * store.site.currency_ratio).quantize(Decimal("0.01"), ROUND_DOWN)
    return {
        "siteId": store.site.site_id, "id": m["id"], "availablePoints": m["available"],
        "usedPoints": m["used"], "negativePoints": 0, "expiredPoints": 0,
        "lifetimePoints": m["lifetime"], "holdPoints": 0, "usedPointsOnReward": m["used_on_rewards"],
        "pointsToExpire": 0, "pointsToExpireDate": "", "totalSpent": money(m["spent_cents"]),
        "creditsToCurrencyRatio": str(store.site.currency_ratio),
        "creditsToCurrencyValue": f"{value:.2f}", "ytdCreditPoints": m["lifetime"],
        "ytdDebitPoints": m["used"], "availableRedemptionPoints": 0, "usedRedemptionPoints": 0,
        **tier_fields(store, m),
    }


def enrol(store: Store, body: dict) -> dict:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    email = str(body.get("email") or "").strip() or None
    phone = str(body.get("phone") or "").strip() or None
    if not email and not phone:
        raise invalid("An email or a phone number is required to enrol")
    if email and (not _EMAIL.fullmatch(email) or len(email) > 120):
        raise invalid("The email address is not valid")
    # Phone-shaped and 7-15 digits: a phone the lookup could not find again
    # ("555 0100 ext 12") would be a member nobody can search for.
    if phone and not (phone_digits(phone) and len(phone_digits(phone)) <= 15):
        raise invalid("The phone number is not valid")
    with store.tx() as conn:
        # Each value against its own column: a duplicate phone in another format
        # is caught by its digits, and an email never matches a phone.
        checks = (("id = ?", body.get("id")), ("email = ?", email),
                  ("phone_digits = ?", phone and phone_digits(phone)))
        for where, value in checks:
            if value and conn.execute(f"SELECT 1 FROM members WHERE {where}", (str(value),)).fetchone():
                raise ApiError(409, "AC2003", "A member with that id, email or phone already exists")
        member_id = str(body.get("id") or _new_member_id(conn))
        stamp = now_iso()
        conn.execute(
            "INSERT INTO members (id, email, phone, phone_digits, first_name, last_name, zip_code,"
            " opt_in, status, birth_date, created, updated, tier_since)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (member_id, email, phone, digits(phone), body.get("firstName") or "",
             body.get("lastName") or "", body.get("zipCode") or "",
             "YES" if str(body.get("optInStatus", "NO")).upper() == "YES" else "NO",
             "ACTIVE", body.get("birthDate") or "", stamp, stamp, stamp))
        store.record("member_enrol", member_id=member_id)
        return user_json(member_or_404(conn, member_id))


def _new_member_id(conn: sqlite3.Connection) -> str:
    while True:
        candidate = f"M{secrets.randbelow(900000) + 100000}"
        if conn.execute("SELECT 1 FROM members WHERE id=?", (candidate,)).fetchone() is None:
            return candidate


def move_points(store: Store, conn: sqlite3.Connection, m: sqlite3.Row, delta: int) -> tuple[int, dict]:
    """Apply a credit (>0) or debit (<0); a debit never takes points below zero.
    Returns (points actually moved, reply fields shared by every points reply)."""
    before_tier = tier_of(store, m["lifetime"])[0]
    if delta >= 0:
        moved = delta
        conn.execute("UPDATE members SET available=available+?, lifetime=lifetime+? WHERE id=?",
                     (delta, delta, m["id"]))
    else:
        moved = min(-delta, m["available"])
        conn.execute("UPDATE members SET available=available-?, used=used+? WHERE id=?",
                     (moved, moved, m["id"]))
    return moved, points_reply(store, conn, m["id"], before_tier)


def points_reply(store: Store, conn: sqlite3.Connection, member_id: str, before_tier: str) -> dict:
    """The fields every points reply shares, read after the change."""
    after = conn.execute("SELECT * FROM members WHERE id=?", (member_id,)).fetchone()
    after_tier = tier_of(store, after["lifetime"])[0]
    return {
        "siteId": store.site.site_id, "id": member_id,
        "updatedAvailablePoints": after["available"], "updatedLifetimePoints": after["lifetime"],
        "previousTier": before_tier if before_tier != after_tier else "",
        "updatedUserTier": after_tier,
    }


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or value is None or value == "":
        raise invalid(f"{what} is required")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise invalid(f"{what} must be a whole number of points") from None
    if number <= 0:
        raise invalid(f"{what} must be greater than zero")
    return number


def post_points(store: Store, body: dict) -> dict:
    """POST /points: award, debit, redeem a reward (107) or reverse one.

    customId is the caller's idempotency key (see README.md)."""
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    member_key = str(body.get("id") or "")
    activity = str(body.get("activity") or "").upper()
    if activity not in ("CREDIT", "DEBIT"):
        raise invalid("activity must be CREDIT or DEBIT")
    action = str(body.get("actionId") or "")
    # customId and orderId are bound into SQL (replay key, ledger): a list or an
    # object there used to raise a 500 from sqlite, and inside /bulkpoints that
    # 500 hid the items already applied before it.
    for name in ("customId", "orderId"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            raise invalid(f"{name} must be a string")
    from kiosk.sandbox.orders import partial_return  # the Orders side owns line math

    # The documents have no line return: in the documented profile returnLines is an
    # unknown field and ignored, so a DEBIT there needs its own `debit`.
    lines = body.get("returnLines") is not None and store.profile != "documented"
    with store.tx() as conn:
        if member_key == store.site.guest_user_id and lines:
            # Assumption 12: a guest order's lines are returned the same way, with no
            # points, so every terminal knows what already came back.
            return store.once(f"points:{member_key}", body.get("customId"), body,
                              lambda: partial_return(store, conn, None, body))
        m = member_or_404(conn, member_key)
        scope = f"points:{m['id']}"
        if action == str(REWARD_ACTION) and activity == "DEBIT":
            return store.once(scope, body.get("customId"), body, lambda: _redeem_reward(store, conn, m, body))
        if action == str(REWARD_ACTION):
            return store.once(scope, body.get("customId"), body, lambda: _reverse_reward(store, conn, m, body))
        if lines:
            return store.once(scope, body.get("customId"), body, lambda: partial_return(store, conn, m, body))
        return store.once(scope, body.get("customId"), body, lambda: _adjust(store, conn, m, body, activity))


def _adjust(store: Store, conn: sqlite3.Connection, m: sqlite3.Row, body: dict, activity: str) -> dict:
    if activity == "CREDIT":
        points = _count(body.get("credit", body.get("debit/credit")), "credit")
        if points > store.site.max_award_points:
            raise ApiError(422, "AC1026", "Points cannot be awarded due to limit reached")
        moved, reply = move_points(store, conn, m, points)
        store.record("points_credit", member_id=m["id"], order_id=body.get("orderId"),
                     reference=body.get("customId"), points=moved)
        return {**reply, "actionId": body.get("actionId"), "activity": "credit", "credit": points,
                "pointsAwarded": moved, "reason": body.get("reason", ""),
                "orderId": body.get("orderId", ""), "customId": body.get("customId", ""),
                "storeDetails": _store(body)}
    points = _count(body.get("debit", body.get("debit/credit")), "debit")
    moved, reply = move_points(store, conn, m, -points)
    store.record("points_debit", member_id=m["id"], order_id=body.get("orderId"),
                 reference=body.get("customId"), points=-moved)
    return {**reply, "actionId": body.get("actionId"), "activity": "debit", "debit": points,
            "pointsDeducted": moved, "pointsNotDeducted": points - moved,
            "reason": body.get("reason", ""), "orderId": body.get("orderId", ""),
            "customId": body.get("customId", ""), "storeDetails": _store(body)}


def _store(body: dict) -> dict:
    return {"storeId": body["storeId"]} if body.get("storeId") else {}


def _redeem_reward(store: Store, conn: sqlite3.Connection, m: sqlite3.Row, body: dict) -> dict:
    reward = conn.execute("SELECT * FROM rewards WHERE id=?", (str(body.get("rewardId") or ""),)).fetchone()
    if reward is None:
        raise not_found()
    if (m["status"] or "ACTIVE").upper() != "ACTIVE":
        raise ApiError(422, "AC2011", "The member is not active")
    used = _redeemed_count(conn, m["id"], reward["id"])
    if reward["reward_limit"] is not None and used >= reward["reward_limit"]:
        raise ApiError(422, "AC2011", "Reward limit reached for this member")
    if m["available"] < reward["credit_required"]:
        raise ApiError(422, "AC2010",
                       f"Not enough points: {reward['credit_required']} needed, {m['available']} available")
    moved, reply = move_points(store, conn, m, -reward["credit_required"])
    conn.execute("UPDATE members SET used_on_rewards=used_on_rewards+? WHERE id=?", (moved, m["id"]))
    code = _new_reward_code(conn)
    expires = (datetime.now(timezone.utc) + timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%S")
    conn.execute("INSERT INTO reward_codes VALUES (?,?,?,?,?,?,?,?,?)",
                 (code, m["id"], reward["id"], moved, body.get("orderId"), now_iso(), expires, "issued", None))
    store.record("reward_redeem", member_id=m["id"], order_id=body.get("orderId"), code=code,
                 reference=body.get("customId"), points=-moved)
    return {**reply, "rewardId": reward["id"], "rewardName": reward["display_text"],
            "rewardDescription": reward["description"], "activity": "debit",
            "debit": reward["credit_required"], "pointsDeducted": moved,
            "deductAmount": money(reward["deduct_cents"]), "rewardCode": code,
            "rewardCodeExpDate": expires, "orderId": body.get("orderId", ""),
            "customId": body.get("customId", ""), "reason": body.get("reason", ""),
            "storeDetails": _store(body)}


def _reverse_reward(store: Store, conn: sqlite3.Connection, m: sqlite3.Row, body: dict) -> dict:
    code = str(body.get("rewardCode") or "")
    row = conn.execute("SELECT * FROM reward_codes WHERE code=? AND member_id=?", (code, m["id"])).fetchone()
    if row is None:
        raise not_found()
    if row["status"] != "issued":
        raise ApiError(409, "AC2022", "This reward redemption was already reversed")
    # Not move_points: giving back spent points must not count as new lifetime points.
    conn.execute("UPDATE members SET available=available+?, used=MAX(used-?,0),"
                 " used_on_rewards=MAX(used_on_rewards-?,0) WHERE id=?",
                 (row["points"], row["points"], row["points"], m["id"]))
    conn.execute("UPDATE reward_codes SET status='reversed', reversal_key=? WHERE code=?",
                 (body.get("customId"), code))
    store.record("reward_reverse", member_id=m["id"], code=code, reference=body.get("customId"),
                 points=row["points"])
    reply = points_reply(store, conn, m["id"], tier_of(store, m["lifetime"])[0])
    return {**reply, "activity": "credit", "rewardId": row["reward_id"], "rewardCode": code,
            "rewardCodeStatus": "Void", "pointsAwarded": row["points"], "customId": body.get("customId", "")}


def _redeemed_count(conn: sqlite3.Connection, member_id: str, reward_id: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM reward_codes WHERE member_id=? AND reward_id=?"
                        " AND status='issued'", (member_id, reward_id)).fetchone()[0]


def _new_reward_code(conn: sqlite3.Connection) -> str:
    while True:
        code = f"RW{secrets.randbelow(90_000_000) + 10_000_000}"
        if conn.execute("SELECT 1 FROM reward_codes WHERE code=?", (code,)).fetchone() is None:
            return code


def rewards_json(store: Store, key: str) -> dict:
    with store.lock:
        conn = store.conn
        m = member_or_404(conn, key)
        active = (m["status"] or "ACTIVE").upper() == "ACTIVE"
        detail = []
        for r in conn.execute("SELECT * FROM rewards ORDER BY credit_required").fetchall():
            used = _redeemed_count(conn, m["id"], r["id"])
            remaining = max((r["reward_limit"] or 0) - used, 0) if r["reward_limit"] is not None else 1
            eligible = active and remaining > 0 and m["available"] >= r["credit_required"]
            detail.append({
                "rewardId": r["id"], "rewardCategory": "", "displayText": r["display_text"],
                "rewardType": "1", "rewardTerms": "", "rewardDescription": r["description"] or "",
                "creditRequired": str(r["credit_required"]), "deductAmount": money(r["deduct_cents"]),
                "rewardCurrency": "USD", "rewardExpirationType": r["expiration_type"] or "",
                "rewardExpirationPeriod": r["expiration_period"] or "",
                "eligible": "YES" if eligible else "NO", "rewardLimit": str(r["reward_limit"] or ""),
                "limitPeriod": r["limit_period"] or "", "redeemCount": used,
                "remainingCount": remaining, "autoRewardStatus": "NO", "tierData": [],
            })
        value = (Decimal(m["available"]) * store.site.currency_ratio).quantize(Decimal("0.01"), ROUND_DOWN)
        return {"siteId": store.site.site_id, "creditsToCurrencyRatio": str(store.site.currency_ratio),
                "creditsToCurrencyValue": f"{value:.2f}", "rewardDetail": detail}


def bulk_points(store: Store, body: dict) -> dict:
    """Each numbered item stands alone: one failing item does not undo the others."""
    if not isinstance(body, dict) or not body:
        raise invalid("The body must be an object of numbered items")
    replies: dict[str, dict] = {}
    for number, item in body.items():
        try:
            replies[number] = post_points(store, item)
        except ApiError as exc:
            code = error_code(exc.status, exc.code) if store.profile == "documented" else exc.code
            replies[number] = {"errorCode": code, "errorMessage": exc.message}
    return replies


def points_activity(store: Store, member_key: str, custom_id: str) -> dict:
    """What was applied under one customId: the request as received and its reply.

    The documents have no such read; a terminal that lost a reply needs one to
    learn whether its write was applied (README.md, assumption 23)."""
    if not custom_id:
        raise invalid("customId is required")
    with store.lock:
        member_id = member_key if member_key == store.site.guest_user_id else \
            member_or_404(store.conn, member_key)["id"]
        row = store.conn.execute("SELECT request_hash, reply FROM replay WHERE scope=? AND key=?",
                                 (f"points:{member_id}", custom_id)).fetchone()
    if row is None:
        raise not_found()
    return {"siteId": store.site.site_id, "id": member_id, "customId": custom_id,
            "request": json.loads(row["request_hash"]), "reply": json.loads(row["reply"])}
