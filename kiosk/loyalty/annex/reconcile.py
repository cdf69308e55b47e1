"""After an attempt with an unknown outcome: ask Annex Cloud what it holds under our key.

Only with the reads the site declared (backend.reads). The documents have no read
by key; the extended sandbox adds three (kiosk/sandbox/README.md, assumption 23):
`orders` (GET /orders/{id}), `points_activity` (GET /points/{id}/activity?customId=)
and `code_redemption` (GET /incentive/redemption/{referenceId}). Code redemptions
can also be counted in the documented Redemption Log, when the count can only be
ours. Whatever can't be checked is `unverifiable`, and the outbox holds it for a
person (or resends it, where the site declared that its provider deduplicates).

"Applied" is only believed when what the backend holds matches what we sent;
anything else under our key is a mismatch for a person to look at, never a
success and never a blind resend.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from kiosk.loyalty.annex.writes import body_of
from kiosk.loyalty.backend import NOT_APPLIED, UNKNOWN, Verdict, WriteRecord, unverifiable

ORDERS_READ, POINTS_READ, CODES_READ = "orders", "points_activity", "code_redemption"
READS = (ORDERS_READ, POINTS_READ, CODES_READ)


class Reader(Protocol):
    async def find_order(self, order_id: str) -> dict | None: ...
    async def find_points_activity(self, member: str, key: str) -> dict | None: ...
    async def find_code_redemption(self, reference: str) -> dict | None: ...
    async def redemption_log(self, code: str, user_id: str, start: datetime, end: datetime) -> dict: ...
    async def find_user(self, member: str) -> dict | None: ...


def _same(a: Any, b: Any) -> bool:
    """Equal as the backend means it: "5.00" == 5 == "5", lists and objects by content."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return str(a).strip().casefold() == str(b).strip().casefold()


def _compare(sent: dict, held: dict, fields: tuple[str, ...]) -> tuple[str, ...]:
    """Fields we sent that the backend holds differently (a field it does not echo is not held against it)."""
    return tuple(f"{name}: sent {sent[name]!r}, backend has {held[name]!r}"
                 for name in fields if name in sent and name in held and not _same(sent[name], held[name]))


def _ids_equal(a: Any, b: Any) -> bool:
    return a is not None and b is not None and str(a).strip().casefold() == str(b).strip().casefold()


def _verdict(held: dict | None, differences: tuple[str, ...], reply: Any = None) -> Verdict:
    if held is None:
        return NOT_APPLIED
    if differences:
        return Verdict(False, differences=differences, held=held)
    return Verdict(True, reply=held if reply is None else reply)


async def _order(reader: Reader, sent: dict) -> Verdict:
    held = await reader.find_order(sent["id"])
    if held is None:
        return NOT_APPLIED
    if not _ids_equal(held.get("id"), sent["id"]) or "orderTotal" not in held:
        return UNKNOWN
    differences = _compare(sent, held, ("orderTotal", "discountAmount"))
    if sent.get("userId") and held.get("userId") and not _ids_equal(sent["userId"], held["userId"]):
        differences += (f"userId: sent {sent['userId']!r}, backend has {held['userId']!r}",)
    lines_sent = [(str(x.get("id")), x.get("quantity"), x.get("unitPrice")) for x in sent.get("orderDetail", [])]
    lines_held = [(str(x.get("id")), x.get("quantity"), x.get("unitPrice")) for x in held.get("orderDetail", [])]
    if "orderDetail" in held and not _same([list(x) for x in lines_sent], [list(x) for x in lines_held]):
        differences += (f"order lines: sent {lines_sent}, backend has {lines_held}",)
    return _verdict(held, differences)


async def _full_return(reader: Reader, order_id: str) -> Verdict:
    held = await reader.find_order(order_id)
    if held is None:
        return NOT_APPLIED
    if not _ids_equal(held.get("id"), order_id) or "status" not in held:
        return UNKNOWN
    if str(held["status"]).lower() not in ("returned", "return"):
        return NOT_APPLIED
    return Verdict(True, reply=held)


_POINTS_FIELDS = ("id", "actionId", "activity", "credit", "debit", "rewardId", "rewardCode", "orderId",
                  "returnLines")


async def _points(reader: Reader, row: WriteRecord, sent: dict) -> Verdict:
    found = await reader.find_points_activity(row.member_id or sent["id"], row.key)
    if found is None:
        return NOT_APPLIED
    held = found.get("request")
    if not _ids_equal(found.get("customId"), row.key) or not isinstance(held, dict) or "activity" not in held:
        return UNKNOWN
    return _verdict(found, _compare(sent, held, _POINTS_FIELDS), reply=found.get("reply", found))


async def _code(reader: Reader, item: dict) -> tuple[dict | None, tuple[str, ...]]:
    held = await reader.find_code_redemption(item["referenceId"])
    if held is None:
        return None, ()
    if not _ids_equal(held.get("referenceId"), item["referenceId"]) or "incentiveCode" not in held:
        raise _Unreadable()
    expected = {"incentiveCode": item["incentiveCode"], "userId": item["userId"],
                "action": item.get("action", "REDEEM")}
    if item.get("orderId"):
        # Only when sent: an undo built without one is held under the original's order.
        expected["orderId"] = item["orderId"]
    if "codeValue" in item:
        expected["codeValue"] = item["codeValue"]
    if "originalReferenceId" in item:
        expected["originalReferenceId"] = item["originalReferenceId"]
    return held, _compare(expected, held, tuple(expected))


class _Unreadable(Exception):
    """A redemption record that does not name its reference or code."""


async def _codes(reader: Reader, items: list[dict]) -> Verdict:
    found = [await _code(reader, item) for item in items]
    held = [h for h, _ in found]
    if all(h is None for h in held):
        return NOT_APPLIED
    differences = tuple(d for _, ds in found for d in ds)
    if any(h is None for h in held):
        # A batch is all or nothing: half of it held means someone else used our references.
        differences += ("only part of the batch is recorded under its references",)
    return _verdict(held, differences)


def _reply_problems(sent: Any, reply: Any, fields: dict[str, Any]) -> list[str]:
    if not isinstance(reply, dict):
        return [f"the reply is {type(reply).__name__}, not an object"]
    return [f"{name}: sent {want!r}, reply has {reply.get(name)!r}" for name, want in fields.items()
            if want not in (None, "") and not _ids_equal(reply.get(name), want)]


def _points_amount(sent: dict, reply: dict) -> list[str]:
    """The amount a points movement says it moved: what was sent, or less (a limit, a
    balance that ran out), never more, and never a number that is not one."""
    for asked, moved in (("credit", "pointsAwarded"), ("debit", "pointsDeducted")):
        if asked not in sent:
            continue
        if asked in reply and not _same(reply[asked], sent[asked]):
            return [f"{asked}: sent {sent[asked]!r}, reply has {reply[asked]!r}"]
        value = reply.get(moved, reply.get(asked))
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return [f"{moved}: {value!r} is not a number"]
        if not (0 <= amount <= Decimal(str(sent[asked])) and amount == amount.to_integral_value()):
            return [f"{moved}: {value!r} for {sent[asked]!r} sent"]
    return []


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


async def enrolment(reader: Reader, sent: dict) -> Verdict:
    """An enrolment files the member under its enrolment key (the member id we chose): the
    documented `GET /users/{id}` says whether it was made. A member under that id with
    another email or phone is someone else's (never ours, never a success)."""
    held = await reader.find_user(sent["id"])
    if held is None:
        return NOT_APPLIED
    if not _ids_equal(held.get("id"), sent["id"]):
        # Found by the key as an email or a phone: not filed under it.
        return NOT_APPLIED
    differences: tuple[str, ...] = ()
    if sent.get("email") and not _ids_equal(held.get("email"), sent["email"]):
        differences += ("email: the member under this enrolment key has another email",)
    if sent.get("phone") and _digits(held.get("phone")) != _digits(sent["phone"]):
        differences += ("phone: the member under this enrolment key has another phone",)
    return _verdict(held, differences)


def reply_problems(kind: str, wire: bytes, reply: Any) -> tuple[str, ...]:
    """Why a 2xx reply does not answer what this operation sent (empty: it does).

    Each kind checks what its documented reply carries: an order its id and member, a
    code its code, reference and member, points the member and the amount. A reply
    that fails is not a success: the outcome is unknown and is reconciled."""
    sent = body_of(wire)
    if kind == "order":
        problems = _reply_problems(sent, reply, {"userId": sent.get("userId")})
        if isinstance(reply, dict) and not _ids_equal(reply.get("id", reply.get("orderId")), sent["id"]):
            problems.append(f"id: sent {sent['id']!r}, reply has {reply.get('id', reply.get('orderId'))!r}")
        return tuple(problems)
    if kind == "full_return":
        return tuple(_reply_problems(sent, reply, {"orderId": sent.get("orderId")}))
    if kind == "enrol":
        return tuple(_reply_problems(sent, reply, {"id": sent.get("id")}))
    if kind in ("redeem_code", "undo_code"):
        return tuple(_code_reply(sent, reply))
    if kind == "redeem_codes":
        items = sent if isinstance(sent, list) else [sent]
        if not isinstance(reply, list) or len(reply) != len(items):
            return (f"the reply is not a list of {len(items)} redemptions",)
        return tuple(p for item, answer in zip(items, reply) for p in _code_reply(item, answer))
    problems = _reply_problems(sent, reply, {"id": sent.get("id")})
    return tuple(problems or _points_amount(sent, reply))


def _code_reply(sent: dict, reply: Any) -> list[str]:
    return _reply_problems(sent, reply, {name: sent.get(name) for name in ("incentiveCode", "referenceId", "userId")})


async def reconcile(reader: Reader, row: WriteRecord, reads: frozenset[str]) -> Verdict:
    try:
        return await _reconcile(reader, row, reads)
    except _Unreadable:
        return UNKNOWN


_NO_READ = ("this backend offers no way to check whether {what} was recorded (backend.reads does not declare "
            "{read})")


async def _reconcile(reader: Reader, row: WriteRecord, reads: frozenset[str]) -> Verdict:
    sent = body_of(row.wire)
    if row.kind == "enrol":
        return await enrolment(reader, sent)
    if row.kind in ("order", "full_return"):
        if ORDERS_READ not in reads:
            return unverifiable(_NO_READ.format(what="the order" if row.kind == "order" else "the return",
                                                read=ORDERS_READ))
        if row.kind == "order":
            return await _order(reader, sent)
        return await _full_return(reader, sent["orderId"])
    if row.kind in ("return_lines", "award_points", "debit_points", "redeem_reward", "reverse_reward",
                    "redeem_points", "reverse_points"):
        if POINTS_READ not in reads:
            return unverifiable(_NO_READ.format(what="the points movement", read=POINTS_READ))
        return await _points(reader, row, sent)
    items = sent if isinstance(sent, list) else [sent]
    if CODES_READ in reads:
        if row.kind in ("redeem_code", "undo_code"):
            held, differences = await _code(reader, sent)
            return _verdict(held, differences)
        if row.kind == "redeem_codes":
            return await _codes(reader, items)
    if row.kind in ("redeem_code", "undo_code", "redeem_codes"):
        return await _by_log(reader, row, items)
    raise ValueError(f"no reconciliation for operation kind {row.kind!r}")


async def _by_log(reader: Reader, row: WriteRecord, items: list[dict]) -> Verdict:
    """Count the card's redemptions (or undos) by this member in the Redemption Log around
    the attempt. Believed only when the count can be ours alone: none of this terminal's
    other uses of the card overlap the window, and the log shows 0 (not applied) or 1
    more than this terminal's own uses it knows were applied (applied)."""
    if row.window is None:
        return unverifiable("no attempt time is recorded to look the redemption up in the Redemption Log")
    if row.overlapping:
        return unverifiable("another use of this card by this member was in doubt at the same time, so the "
                            "Redemption Log's count can't tell which one was recorded")
    start = datetime.fromtimestamp(row.window[0], timezone.utc).replace(microsecond=0)
    end = datetime.fromtimestamp(row.window[1], timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    counts = []
    for item in items:
        log = await reader.redemption_log(item["incentiveCode"], item["userId"], start, end)
        field = "undoRedemptionCount" if str(item.get("action", "")).upper() == "UNDO" else "redemptionCount"
        value = log.get(field) if isinstance(log, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return UNKNOWN
        counts.append(value - row.known_applied)
    if all(count == 0 for count in counts):
        return NOT_APPLIED
    if all(count == 1 for count in counts):
        return Verdict(True, reply={"reconciled": "redemption log", "counts": counts})
    return unverifiable(f"the Redemption Log shows {', '.join(str(c) for c in counts)} unexplained uses of "
                        "this card by this member in those minutes, so it can't tell whether this one was recorded")
