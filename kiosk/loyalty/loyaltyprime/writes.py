"""Loyalty Prime's side of the write contract: intents to exact bytes, replies to results.

Accrual is `POST /tx` with `txId` = the order id; a full return `POST /tx/reversal`;
a partial return, an award or a debit a signed `POST /deposits/{key}/adjust` with the
points the terminal computed and the intent's key as `receiptId`; points as a tender
`POST /deposits/{key}/redeem` (receiptId `<order id>-POINTS`) and its reversal; a
voucher is spent by `convert` and given back by `revoke`, each with its reference as
`receiptId`. Prime has no rewards bought with points, no gift cards and no batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from kiosk.loyalty import errors, ids, parse
from kiosk.loyalty import writes as w
from kiosk.loyalty.loyaltyprime import requests as rq
from kiosk.loyalty.models import NewMember, Order, OrderLine


@dataclass(frozen=True)
class Terms:
    """What every Prime write names besides the intent: from the settings (backend.*)."""

    partner_id: str
    debitor_id: str
    channel_key: str
    product_key: Callable[[OrderLine], str]
    guest_user_id: str = "guest"


LOCAL = "LOCAL"  # a write with nothing to send: answered by the adapter itself, never over the network


def _local(data: dict) -> rq.PrimeRequest:
    """Prime has no guest account and no zero-point movement: a guest's sale, its returns,
    and a return of lines that earned nothing are recorded here as done, with nothing sent."""
    return rq.PrimeRequest(LOCAL, "nothing-to-send", {"local": True, **data})


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _items(order: Order, terms: Terms) -> list[dict]:
    items = []
    for line in order.lines:
        net = line.unit_price * line.quantity - (line.discount or Decimal(0))
        # A discounted line goes as one item of what was paid for it, so points follow
        # the money; an undiscounted one keeps its unit price and quantity.
        price, quantity = (line.unit_price, line.quantity) if not line.discount else (max(net, Decimal(0)), 1)
        items.append({"lineId": line.id, "productKey": terms.product_key(line), "channelKey": terms.channel_key,
                      "price": rq.money(price), "quantity": str(quantity)})
    return items


def tx_body(order: Order, terms: Terms, *, booked: bool) -> dict:
    body: dict[str, Any] = {"date": (order.ordered_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                                     if order.ordered_at else _now()),
                            "clientId": order.member_id, "partnerId": terms.partner_id, "items": _items(order, terms)}
    if booked:
        body = {"txId": order.id, **body}
    return body


def _adjust(member: str, key: str, points: int, terms: Terms, description: str, tx_id: str | None) -> rq.PrimeRequest:
    body: dict[str, Any] = {"receiptId": key, "date": _now(), "amount": str(points), "debitorId": terms.debitor_id,
                            "description": description}
    if tx_id:
        body["txId"] = tx_id
    return rq.adjust(member, body)


def membership_body(new: NewMember, alternate_ids: tuple[str, ...] = ()) -> dict:
    person = {"FirstName": new.first_name or "", "LastName": new.last_name or ""}
    if new.email:
        person["Email"] = new.email
    if new.phone:
        person["Mobile"] = new.phone
    body: dict[str, Any] = {
        "type": "PERSON", "contractStatus": "ACTIVE", "name": " ".join(p for p in (new.first_name, new.last_name) if p),
        "owner": {"properties": person, "userId": new.email or new.phone or ""},
        # Marketing consent is the membership property Prime clients set for it.
        "properties": {"AdvertisingConsent": bool(new.opted_in)}}
    if alternate_ids:
        body["alternateIds"] = list(alternate_ids)
    return body


def request_of(write: w.Write, terms: Terms) -> rq.PrimeRequest:
    member = write.member
    if member == terms.guest_user_id and isinstance(write, (w.AccrueOrder, w.ReturnOrder, w.ReturnLines)):
        return _local({"txId": write.order.id if isinstance(write, w.AccrueOrder) else write.order_id,
                       "clientId": member, "points": 0, "items": [], "pointsReversed": 0})
    if isinstance(write, w.ReturnLines) and write.points == 0:
        return _local({"receiptId": write.key, "points": 0})
    if isinstance(write, w.AccrueOrder):
        return rq.tx(tx_body(write.order, terms, booked=True))
    if isinstance(write, w.ReturnOrder):
        if not write.member_id:
            raise ValueError("a Loyalty Prime reversal names the member (clientId)")
        return rq.tx_reversal({"txId": write.order_id, "clientId": write.member_id, "date": _now(),
                               "debitorId": terms.debitor_id, "description": "full return"})
    if isinstance(write, w.ReturnLines):
        if write.points is None:
            raise ValueError("Loyalty Prime does not price returned lines: the terminal computes their points")
        return _adjust(write.member_id, write.key, -write.points, terms, "items returned", write.order_id)
    if isinstance(write, w.AwardPoints):  # and DebitPoints
        sign = 1 if write.kind == "award_points" else -1
        return _adjust(write.member_id, write.key, sign * write.points, terms, write.reason, write.order_id)
    if isinstance(write, w.RedeemPoints):
        return rq.redeem(write.member_id, {"receiptId": write.key, "date": _now(), "debitorId": terms.debitor_id,
                                           "amount": str(write.points),
                                           "description": f"points tender {rq.money(write.amount)}"})
    if isinstance(write, w.ReversePointsRedemption):
        receipt = w.RedeemPoints(write.member_id, write.order_id, 1, Decimal(0)).key
        if write.full:
            return rq.redeem_reversal({"txId": f"{receipt}_{terms.debitor_id}", "date": _now(),
                                       "pointsType": rq.POINTS_TYPE, "description": "points tender given back"})
        return _adjust(write.member_id, write.key, write.points, terms,
                       f"points tender returned {rq.money(write.amount)}", None)
    if isinstance(write, w.UndoCode):
        return rq.revoke(write.spend.code, write.spend.user_id,
                         {"receiptId": write.spend.reference_id, "conversionReceiptId": write.spend.undo_of})
    if isinstance(write, w.SpendCode):
        return rq.convert(write.spend.code, write.spend.user_id, {"receiptId": write.spend.reference_id})
    if isinstance(write, w.EnrolMember):
        # The enrolment key as an alternate id: Prime refuses a second membership with it, and
        # the membership search finds the one it made (the key stays Prime's own choice).
        return rq.enrol(membership_body(write.new, (ids.check("key", write.key),)))
    raise TypeError(f"Loyalty Prime has no request for {type(write).__name__}")


def encode(write: w.Write, terms: Terms) -> bytes:
    return rq.pack(request_of(write, terms))


def local_reply(body: bytes) -> dict:
    data = json.loads(body)
    data.pop("local", None)
    return {"success": True, "data": data}


def data_of(reply: Any) -> Any:
    return reply.get("data") if isinstance(reply, dict) else None


def result(kind: str, reply: Any) -> w.WriteResult:
    data = data_of(reply)
    if not isinstance(data, dict):
        return w.WriteResult()
    try:
        available = parse.integer(data, "balance")
        if kind == "order":
            lines = {}
            for item in parse.items(data, "items"):
                points = parse.integer(item, "points")
                if points is not None and parse.text(item, "lineId"):
                    lines[parse.text(item, "lineId") or ""] = points
            return w.WriteResult(points=parse.integer(data, "points") or 0, available_after=available,
                                 line_points=lines or None)
        if kind in ("redeem_code", "undo_code"):
            return w.WriteResult()
        if kind == "enrol":
            return w.WriteResult(member_id=parse.text(data, "key"))
        if kind == "full_return":
            return w.WriteResult(points=parse.integer(data, "pointsReversed"), available_after=available)
        moved = _signed(data.get("points"))
        return w.WriteResult(points=None if moved is None else abs(moved), available_after=available)
    except errors.UnusableReply:
        return w.WriteResult()


def _signed(value: Any) -> int | None:
    """An adjustment's points are signed (a debit is negative); bounded like every number read."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value).strip()
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        return None
    return int(text)
