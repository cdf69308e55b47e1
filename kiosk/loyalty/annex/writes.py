"""Annex Cloud's side of the write contract: intents to exact bytes, replies to results.

The bytes of a write are its method, its path and its body: `PATCH
incentive/updatecodedetails/M100001\\n{...}`. They are made once, when the write is
queued, and sent unchanged on every attempt.
"""

from __future__ import annotations

import json
from typing import Any

from kiosk.loyalty import errors, parse
from kiosk.loyalty import writes as w
from kiosk.loyalty.annex import requests as rq
from kiosk.loyalty.models import CodeSpend, ReturnLine


def pack(request: rq.ApiRequest) -> bytes:
    return f"{request.method} {request.path}\n".encode() + (request.encoded() or b"")


def unpack(wire: bytes) -> tuple[str, str, bytes]:
    head, _, body = wire.partition(b"\n")
    method, _, path = head.decode().partition(" ")
    return method, path, body


def body_of(wire: bytes) -> Any:
    body = unpack(wire)[2]
    return json.loads(body) if body else None


def encode(write: w.Write, *, store_id: str | None, site_id: str) -> bytes:
    return pack(request_of(write, store_id=store_id, site_id=site_id))


def request_of(write: w.Write, *, store_id: str | None, site_id: str) -> rq.ApiRequest:
    if isinstance(write, w.AccrueOrder):
        return rq.create_order(write.order)
    if isinstance(write, w.ReturnOrder):
        return rq.return_order(write.order_id)
    if isinstance(write, w.ReturnLines):
        points = write.points
        if points is None:
            # Priced by the backend (an extension the site declared: priced_line_returns).
            lines = [ReturnLine(line.line_id, line.quantity) for line in write.lines]
            return rq.return_lines(write.member_id, write.order_id, lines, write.key, store_id)
        # The documented way: a DEBIT of the points the terminal computed, tied to the order.
        return rq.adjust_points(write.member_id, points, write.key, credit=False, reason="items returned",
                                order_id=write.order_id, store_id=store_id)
    if isinstance(write, w.AwardPoints):  # and DebitPoints
        return rq.adjust_points(write.member_id, write.points, write.key, credit=write.kind == "award_points",
                                reason=write.reason, order_id=write.order_id, store_id=store_id)
    if isinstance(write, w.RedeemPoints):
        # Annex Cloud's "redeem custom points": a DEBIT under the tender's key, tied to the sale.
        return rq.adjust_points(write.member_id, write.points, write.key, credit=False,
                                reason=f"points tender {rq.amount(write.amount)}", order_id=write.order_id,
                                store_id=store_id)
    if isinstance(write, w.ReversePointsRedemption):
        return rq.adjust_points(write.member_id, write.points, write.key, credit=True,
                                reason=f"points tender given back {rq.amount(write.amount)}",
                                order_id=write.order_id, store_id=store_id)
    if isinstance(write, w.RedeemReward):
        return rq.redeem_reward(write.member_id, write.reward_id, write.key, write.order_id, store_id)
    if isinstance(write, w.ReverseReward):
        return rq.reverse_reward(write.member_id, write.reward_code, write.key, store_id)
    if isinstance(write, w.SpendCode):  # and UndoCode
        return rq.update_code(write.spend)
    if isinstance(write, w.SpendCodes):
        return rq.update_codes(site_id, write.spends)
    if isinstance(write, w.EnrolMember):
        return rq.enrol(write.new, member_id=write.key)
    raise TypeError(f"Annex Cloud has no request for {type(write).__name__}")


def result(kind: str, reply: Any) -> w.WriteResult:
    """The terminal's reading of a reply stored with a done write (bounded reads: a
    reply's "1e999999999" must not stall the till)."""
    if not isinstance(reply, dict):
        return w.WriteResult()
    try:
        if kind == "order":
            lines = {}
            for line in parse.items(reply, "orderDetail"):
                points = parse.integer(line, "points")
                if points is not None and parse.text(line, "id"):
                    lines[parse.text(line, "id") or ""] = points
            return w.WriteResult(points=parse.integer(reply, "pointsAwarded") or 0,
                                 available_after=parse.integer(reply, "updatedAvailablePoints"),
                                 line_points=lines or None)
        if kind in ("redeem_code", "undo_code"):
            return w.WriteResult(balance_after=parse.money(reply, "balanceCodeValue"))
        if kind == "enrol":
            return w.WriteResult(member_id=parse.text(reply, "id"))
        moved = parse.integer(reply, "pointsRemoved")
        if moved is None:
            moved = parse.integer(reply, "pointsDeducted")
        if moved is None:
            moved = parse.integer(reply, "pointsAwarded")
        return w.WriteResult(points=moved, available_after=parse.integer(reply, "updatedAvailablePoints"),
                             reward_code=parse.text(reply, "rewardCode"))
    except errors.UnusableReply:
        return w.WriteResult()


def legacy_intent(kind: str, body: bytes) -> dict[str, Any]:
    """The intent of a row queued before intents were stored (schema 5): read back from
    its Annex body, for the queue's people and sums; the bytes themselves stay as they are."""
    try:
        sent = json.loads(body) if body else {}
    except ValueError:
        sent = {}
    items = sent if isinstance(sent, list) else [sent]
    first = items[0] if items and isinstance(items[0], dict) else {}
    intent: dict[str, Any] = {"kind": kind}
    if kind in ("redeem_code", "undo_code", "redeem_codes"):
        spends = [_spend(item) for item in items if isinstance(item, dict)]
        if kind == "redeem_codes":
            intent["spends"] = spends
        elif spends:
            intent["spend"] = spends[0]
    elif kind == "order":
        intent["order"] = {"id": first.get("id"), "member_id": first.get("userId"), "total": first.get("orderTotal")}
    else:
        intent.update({"member_id": first.get("id"), "order_id": first.get("orderId")})
        for name in ("credit", "debit"):
            if name in first:
                intent["points"] = first[name]
    return intent


def _spend(item: dict) -> dict[str, Any]:
    spend = CodeSpend(str(item.get("incentiveCode", "")), str(item.get("userId", "")),
                      str(item.get("referenceId", "")), order_id=item.get("orderId"),
                      undo_of=item.get("originalReferenceId"))
    plain = w._plain(spend)
    plain["amount"] = None if item.get("codeValue") is None else str(item["codeValue"])
    return plain
