"""The Incentive Engine: validate, redeem, undo (single and batch), member codes."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from kiosk.loyalty.ids import PATTERNS
from kiosk.sandbox.db import ApiError, Store, cents, insert_code, invalid, money, not_found, now_iso
from kiosk.sandbox.loyalty import find_member

PARTIAL_KINDS = ("giftcard", "storecard")


def _code(conn: sqlite3.Connection, code: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM codes WHERE code=?", (code,)).fetchone()
    if row is None:
        raise not_found()
    return row


VALIDITY_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def _expired(row: sqlite3.Row) -> bool:
    if not row["validity"]:
        return False
    try:
        until = datetime.strptime(row["validity"], VALIDITY_FORMAT)
    except ValueError:
        return False
    return until < datetime.now(timezone.utc)


def _limit_reached(row: sqlite3.Row) -> bool:
    return row["redemption_limit"] is not None and row["redeemed"] >= row["redemption_limit"]


def _usage_status(row: sqlite3.Row) -> str:
    if row["status"] != "Active":
        return row["status"]
    if row["kind"] in PARTIAL_KINDS:
        # The limit counts for cards too (README, assumption 13): it used to be
        # ignored here, so a card with redemptionLimit 2 could be spent any number of times.
        if row["balance_cents"] == 0 or _limit_reached(row):
            return "Fully Used"
        return "Partially Used" if row["redeemed"] else "Active"
    if _limit_reached(row):
        return "Fully Used"
    return "Partially Used" if row["redeemed"] else "Active"


def _problem(store: Store, row: sqlite3.Row, user_id: str | None) -> str | None:
    """Why this code can't be used now (by this user), or None."""
    if row["status"] != "Active":
        return "This code is inactive"
    if _expired(row):
        return f"This code expired on {row['validity'][:10]}"
    if _usage_status(row) == "Fully Used":
        if row["kind"] not in PARTIAL_KINDS:
            return "This code is fully used"
        return "This card has no balance left" if row["balance_cents"] == 0 else \
            "This card has reached its redemption limit"
    if user_id is not None and row["code_type"] == "Private" and row["user_id"] != user_id:
        return "This code belongs to another member"
    return None


def code_json(store: Store, row: sqlite3.Row, user_id: str | None = None) -> dict:
    problem = _problem(store, row, user_id)
    partial = row["kind"] in PARTIAL_KINDS
    value = row["value"] if row["discount_type"] == "Percentage" else money(cents(row["value"], "value"))
    return {
        "siteId": store.site.site_id, "incentiveCode": row["code"], "incentiveType": row["kind"],
        "redemptionType": "Partial" if partial else "Full", "discountType": row["discount_type"],
        "codeValue": value, "balanceCodeValue": money(row["balance_cents"]) if partial else "",
        "codeType": row["code_type"], "userId": row["user_id"] or "", "groupId": row["group_id"],
        "codeValidity": row["validity"] or "", "codeStatus": _usage_status(row),
        "redemptionLimit": row["redemption_limit"], "redeemed": row["redeemed"],
        "valid": "NO" if problem else "YES", "message": problem or "Code is valid",
    }


def validate(store: Store, code: str, user_id: str | None) -> dict:
    with store.lock:
        return code_json(store, _code(store.conn, code), user_id)


def _user(store: Store, conn: sqlite3.Connection, user_id: str) -> str:
    if user_id == store.site.guest_user_id:
        return user_id
    m = find_member(conn, user_id)
    if m is None:
        raise not_found()
    return m["id"]


def _apply(store: Store, conn: sqlite3.Connection, item: dict) -> dict:
    """One redeem or undo; the caller holds the transaction."""
    if not isinstance(item, dict):
        raise invalid("Each item must be a JSON object")
    code, user_id = str(item.get("incentiveCode") or ""), str(item.get("userId") or "")
    reference = str(item.get("referenceId") or "")
    if not code or not user_id:
        raise invalid("incentiveCode and userId are required")
    if not reference:
        raise invalid("referenceId is required: this site redeems with a reference id")
    # orderId is bound into SQL (redemptions, ledger): a list or an object there
    # used to end in a 500 from sqlite instead of AC2001.
    order_id = item.get("orderId")
    if order_id is not None and (isinstance(order_id, bool) or not isinstance(order_id, (str, int))):
        raise invalid("orderId must be a string")
    return store.once("code", reference, item, lambda: _redeem_or_undo(store, conn, item, code, user_id, reference))


def _redeem_or_undo(store: Store, conn: sqlite3.Connection, item: dict, code: str, user_id: str,
                    reference: str) -> dict:
    if conn.execute("SELECT 1 FROM code_redemptions WHERE reference_id=?", (reference,)).fetchone() \
            and store.code_protection:
        raise ApiError(409, "AC2002", "This referenceId was already used")
    row = _code(conn, code)
    user = _user(store, conn, user_id)
    action = str(item.get("action") or "REDEEM").upper()
    if action not in ("REDEEM", "UNDO"):
        # Never read an unknown action as a redemption: a misspelt undo would spend the code twice.
        raise invalid('action must be "UNDO" (or absent, or "REDEEM", for a redemption)')
    undo = action == "UNDO"
    message = _undo(store, conn, row, item, user, reference) if undo else _redeem(store, conn, row, item, user, reference)
    after = _code(conn, row["code"])
    amount = conn.execute("SELECT amount_cents FROM code_redemptions WHERE reference_id=?",
                          (reference,)).fetchone()["amount_cents"]
    return {"message": message, "siteId": store.site.site_id, "groupId": after["group_id"],
            "source": item.get("source", "POS"), "userId": user, "orderId": item.get("orderId", ""),
            "incentiveCode": after["code"], "codeType": after["code_type"],
            "codeValidity": after["validity"] or "", "codeStatus": _usage_status(after),
            "codeValue": money(amount) if amount is not None else after["value"],
            "balanceCodeValue": money(after["balance_cents"]) if after["kind"] in PARTIAL_KINDS else "",
            "redemptionLimit": after["redemption_limit"], "redeemed": after["redeemed"],
            "referenceId": reference, **({"originalReferenceId": item["originalReferenceId"]} if undo else {})}


def _redeem(store: Store, conn: sqlite3.Connection, row: sqlite3.Row, item: dict, user: str,
            reference: str) -> str:
    problem = _problem(store, row, user)
    if problem:
        raise ApiError(422, "AC2020", problem)
    amount = None
    if row["kind"] in PARTIAL_KINDS:
        amount = cents(item.get("codeValue"), "codeValue")
        if amount <= 0:
            raise invalid("codeValue must be more than zero")
        if amount > row["balance_cents"]:
            raise ApiError(422, "AC2021", f"Insufficient balance: {money(row['balance_cents'])} left")
        conn.execute("UPDATE codes SET balance_cents=balance_cents-?, redeemed=redeemed+1 WHERE code=?",
                     (amount, row["code"]))
    else:
        conn.execute("UPDATE codes SET redeemed=redeemed+1 WHERE code=?", (row["code"],))
    conn.execute("INSERT OR REPLACE INTO code_redemptions VALUES (?,?,?,?,?,?,?,?,?)",
                 (reference, row["code"], user, amount, item.get("orderId"), "redeem", None, None, now_iso()))
    store.record("code_redeem", member_id=user, order_id=item.get("orderId"), code=row["code"],
                 reference=reference, amount_cents=amount)
    return "Incentive code redeemed successfully."


def _undo(store: Store, conn: sqlite3.Connection, row: sqlite3.Row, item: dict, user: str,
          reference: str) -> str:
    original_ref = str(item.get("originalReferenceId") or "")
    if not original_ref:
        raise invalid("An undo names the redemption it reverses in originalReferenceId")
    original = conn.execute("SELECT * FROM code_redemptions WHERE reference_id=? AND action='redeem'",
                            (original_ref,)).fetchone()
    if original is None or original["code"].upper() != row["code"].upper():
        raise not_found()
    if original["user_id"] != user:
        # Only whoever redeemed (the same member, or the guest id) can give it back.
        raise invalid("That redemption was made for another member")
    if original["undone_by"] and store.code_protection:
        raise ApiError(409, "AC2022", "That redemption was already undone")
    amount = original["amount_cents"]
    conn.execute("UPDATE codes SET balance_cents=balance_cents+?, redeemed=MAX(redeemed-1,0) WHERE code=?",
                 (amount or 0, row["code"]) if row["kind"] in PARTIAL_KINDS else (0, row["code"]))
    conn.execute("UPDATE code_redemptions SET undone_by=? WHERE reference_id=?", (reference, original_ref))
    conn.execute("INSERT OR REPLACE INTO code_redemptions VALUES (?,?,?,?,?,?,?,?,?)",
                 (reference, row["code"], original["user_id"], amount, original["order_id"], "undo",
                  original_ref, None, now_iso()))
    store.record("code_undo", member_id=original["user_id"], order_id=original["order_id"],
                 code=row["code"], reference=reference, amount_cents=-(amount or 0))
    return "Incentive code redemption undone successfully."


def update_code(store: Store, user_id: str, body: dict) -> dict:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    if str(body.get("userId") or "") != user_id:
        raise invalid("userId in the body does not match the path")
    with store.tx() as conn:
        return _apply(store, conn, body)


def update_batch(store: Store, site_id: str, body: object) -> object:
    """All or nothing: a batch that fails anywhere changes nothing."""
    if site_id != store.site.site_id:
        raise invalid("That site id is not this site")
    single = isinstance(body, dict)
    items = [body] if single else body
    if not isinstance(items, list) or not items:
        raise invalid("The body must be a code object or a non-empty list of them")
    references = [str(i.get("referenceId") or "") for i in items if isinstance(i, dict)]
    if len(set(references)) != len(references):
        raise invalid("Each item needs its own referenceId")
    with store.tx() as conn:
        replies = []
        for n, item in enumerate(items, start=1):
            try:
                replies.append(_apply(store, conn, item))
            except ApiError as exc:
                raise ApiError(exc.status, exc.code, f"Item {n}: {exc.message}") from None
    return replies[0] if single else replies


def user_codes(store: Store, user_id: str) -> dict:
    with store.lock:
        conn = store.conn
        user = _user(store, conn, user_id)
        rows = conn.execute(
            "SELECT * FROM codes WHERE user_id=? OR code IN"
            " (SELECT code FROM code_redemptions WHERE user_id=?) ORDER BY code", (user, user)).fetchall()
        return {"siteId": store.site.site_id, "userId": user,
                "codes": [code_json(store, row, user) for row in rows]}


def create_codes(store: Store, body: object) -> dict:
    items = body if isinstance(body, list) else [body]
    with store.tx() as conn:
        created = []
        group = (conn.execute("SELECT MAX(group_id) FROM codes").fetchone()[0] or 7800) + 1
        for item in items:
            if not isinstance(item, dict):
                raise invalid("Each code must be a JSON object")
            kind = str(item.get("incentiveType") or "coupon").lower()
            if kind not in ("coupon", "giftcard", "storecard"):
                raise invalid("incentiveType must be coupon, giftcard or storecard")
            discount = "Percentage" if str(item.get("discountType", "")).lower().startswith("percent") else "Fixed"
            code = str(item.get("incentiveCode") or "")
            if not PATTERNS["code"].fullmatch(code):
                raise invalid("incentiveCode: letters, digits, - and _ only")
            if conn.execute("SELECT 1 FROM codes WHERE code=?", (code,)).fetchone():
                raise ApiError(409, "AC2003", "That code already exists")
            cents(item.get("codeValue"), "codeValue")
            # A validity _expired() can't read used to mean "never expires" (a code
            # created with "2020-01-01" validated as usable), and a limit that is not
            # a number made every later validate a 500 (int compared with str).
            validity = item.get("codeValidity", "")
            if validity not in (None, ""):
                try:
                    datetime.strptime(str(validity), VALIDITY_FORMAT)
                except ValueError:
                    raise invalid("codeValidity must look like 2030-12-31T23:59:59+0000") from None
            limit = item.get("redemptionLimit")
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
                raise invalid("redemptionLimit must be a whole number above zero")
            insert_code(conn, {"incentiveCode": code, "kind": kind, "discountType": discount,
                               "value": str(item["codeValue"]), "codeType": item.get("codeType", "Public"),
                               "userId": item.get("userId"), "redemptionLimit": item.get("redemptionLimit"),
                               "validity": item.get("codeValidity") or "", "status": "Active"}, group)
            created.append(code_json(store, _code(conn, code)))
        return {"message": "Incentive codes created successfully.", "groupId": group, "codes": created}


def assign_code(store: Store, body: dict) -> dict:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    with store.tx() as conn:
        row = _code(conn, str(body.get("incentiveCode") or ""))
        user = _user(store, conn, str(body.get("userId") or ""))
        if row["user_id"] and row["user_id"] != user:
            raise ApiError(409, "AC2022", "That code is already assigned to another member")
        conn.execute("UPDATE codes SET user_id=?, code_type='Private' WHERE code=?", (user, row["code"]))
        return {"message": "Incentive code assigned successfully.", **code_json(store, _code(conn, row["code"]), user)}


def redemption(store: Store, reference: str) -> dict:
    """One redemption or undo by its referenceId (README.md, assumption 23)."""
    with store.lock:
        row = store.conn.execute("SELECT * FROM code_redemptions WHERE reference_id=?", (reference,)).fetchone()
    if row is None:
        raise not_found()
    reply = {"referenceId": row["reference_id"], "incentiveCode": row["code"], "userId": row["user_id"],
             "codeValue": money(row["amount_cents"]), "orderId": row["order_id"] or "",
             "action": "UNDO" if row["action"] == "undo" else "REDEEM", "created": row["created"],
             "undoneBy": row["undone_by"] or ""}
    if row["undo_of"]:
        reply["originalReferenceId"] = row["undo_of"]
    return reply


LOG_FORMAT = "%Y-%m-%d %H:%M:%S"


def _log_date(body: dict, name: str) -> str:
    """A window end as stored in code_redemptions.created (UTC, seconds)."""
    try:
        when = datetime.strptime(str(body.get(name) or ""), LOG_FORMAT)
    except ValueError:
        raise invalid(f"{name} is required, as YYYY-MM-DD HH:MM:SS in UTC") from None
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


def redemption_log(store: Store, body: dict) -> dict:
    """POST /incentive/getredemptionlog: how many redemptions and undos were recorded
    in a window (both ends included), optionally for one code and/or one member.
    001 names the method without a shape; this one is assumed (README.md)."""
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object")
    start, end = _log_date(body, "fromDate"), _log_date(body, "toDate")
    where, args = ["created >= ?", "created <= ?"], [start, end]
    code, user = body.get("incentiveCode"), body.get("userId")
    if code not in (None, ""):
        where.append("code = ? COLLATE NOCASE")
        args.append(str(code))
    if user not in (None, ""):
        where.append("user_id = ?")
        args.append(str(user))
    rows = store.read(f"SELECT action, COUNT(*) AS n FROM code_redemptions WHERE {' AND '.join(where)}"
                      " GROUP BY action", tuple(args))
    counts = {row["action"]: row["n"] for row in rows}
    return {"incentiveCode": code or "", "userId": user or "", "fromDate": body["fromDate"],
            "toDate": body["toDate"], "redemptionCount": counts.get("redeem", 0),
            "undoRedemptionCount": counts.get("undo", 0)}
