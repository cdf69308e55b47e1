"""Annex Cloud request builders: (method, path, body) for every operation.

Kept apart from the HTTP client so the outbox can build a write once, store its
exact bytes with its key, and send those same bytes on every attempt.
Money goes out as strings with two decimals ("37.50"): exact, and the documents
already mix strings and numbers for amounts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Sequence

from kiosk.loyalty import ids
from kiosk.loyalty.models import CodeSpend, NewMember, Order, OrderLine, Payment, ReturnLine

REWARD_ACTION = 107
MANUAL_ACTION = 100


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # relative to the base URL, e.g. "users/M100001"
    body: Any = None
    # What a GET signs: the id in its path (see kiosk.loyalty.auth).
    identifier: str | None = None
    params: dict[str, str] | None = None

    def encoded(self) -> bytes | None:
        return None if self.body is None else encode(self.body)


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return amount(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def amount(value: Decimal) -> str:
    """Two decimals, exactly. Rounding here would charge a card something other
    than what the till computed, so a finer amount is a bug to surface."""
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        raise ValueError(f"money must be whole cents, got {value}")
    return f"{cents:f}"


def _get(template: str, kind: str, value: str) -> ApiRequest:
    return ApiRequest("GET", ids.path(template, id=(kind, value)), identifier=value)


def get_user(member: str) -> ApiRequest:
    return _get("users/{id}", "member", member)


def get_points(member: str) -> ApiRequest:
    return _get("points/{id}", "member", member)


def get_rewards(member: str) -> ApiRequest:
    return _get("users/{id}/reward", "member", member)


def get_order(order_id: str) -> ApiRequest:
    return _get("orders/{id}", "order", order_id)


def validate_code(code: str, user_id: str | None = None) -> ApiRequest:
    """With a user, a private code assigned to someone else reads as not usable."""
    request = _get("incentive/validatecode/{id}", "code", code)
    if user_id is None:
        return request
    return ApiRequest("GET", request.path, identifier=code, params={"userId": ids.check("member", user_id)})


def points_activity(member: str, key: str) -> ApiRequest:
    """What the backend applied under one customId (see the sandbox README, assumption 23)."""
    request = _get("points/{id}/activity", "member", member)
    return ApiRequest("GET", request.path, identifier=member, params={"customId": ids.check("key", key)})


def code_redemption(reference: str) -> ApiRequest:
    return _get("incentive/redemption/{id}", "key", reference)


def redemption_log(code: str, user_id: str, start: datetime, end: datetime) -> ApiRequest:
    """Seed 001 names the Redemption Log with no shape; the one here is the sandbox's
    (kiosk/sandbox/README.md): counts for a code and member between two UTC times."""
    body = {"incentiveCode": ids.check("code", code), "userId": ids.check("member", user_id),
            "fromDate": start.strftime("%Y-%m-%d %H:%M:%S"), "toDate": end.strftime("%Y-%m-%d %H:%M:%S")}
    return ApiRequest("POST", "incentive/getredemptionlog", body)


def member_codes(member: str) -> ApiRequest:
    return _get("incentive/usercodedetails/{id}", "member", member)


def enrol(new: NewMember, member_id: str | None = None) -> ApiRequest:
    """`member_id`: the new member's id, chosen by the terminal (Annex Cloud's member id is the
    client's own: the documents' examples use the email). The kiosk's enrolments use their
    enrolment key, so a second delivery is refused as a duplicate instead of making a second member."""
    body: dict[str, Any] = {"optInStatus": "YES" if new.opted_in else "NO"}
    if member_id is not None:
        body["id"] = ids.check("member", member_id)
    if new.email:
        body["email"] = new.email
    if new.phone:
        body["phone"] = new.phone
    if new.first_name:
        body["firstName"] = new.first_name
    if new.last_name:
        body["lastName"] = new.last_name
    body.update(new.extra)
    return ApiRequest("POST", "users", body)


def redeem_reward(member: str, reward_id: str, key: str, order_id: str | None = None,
                  store_id: str | None = None) -> ApiRequest:
    ids.check("member", member)
    ids.check("reward", reward_id)
    body = {"id": member, "actionId": REWARD_ACTION, "rewardId": reward_id, "activity": "DEBIT",
            "customId": key, "reason": "reward redeemed at the till", "source": "POS"}
    return ApiRequest("POST", "points", _extra(body, order_id, store_id))


def reverse_reward(member: str, reward_code: str, key: str, store_id: str | None = None) -> ApiRequest:
    ids.check("member", member)
    body = {"id": member, "actionId": REWARD_ACTION, "activity": "CREDIT", "rewardCode": reward_code,
            "customId": key, "reason": "reward redemption reversed", "source": "POS"}
    return ApiRequest("POST", "points", _extra(body, None, store_id))


def adjust_points(member: str, points: int, key: str, *, credit: bool, reason: str,
                  order_id: str | None = None, store_id: str | None = None) -> ApiRequest:
    ids.check("member", member)
    if points <= 0:
        raise ValueError("points must be positive; say credit or debit instead of a sign")
    body = {"id": member, "actionId": MANUAL_ACTION, "activity": "CREDIT" if credit else "DEBIT",
            "credit" if credit else "debit": points, "customId": key, "reason": reason, "source": "POS"}
    return ApiRequest("POST", "points", _extra(body, order_id, store_id))


def return_lines(member: str, order_id: str, lines: Sequence[ReturnLine], key: str,
                 store_id: str | None = None) -> ApiRequest:
    ids.check("member", member)
    ids.check("order", order_id)
    body = {"id": member, "actionId": MANUAL_ACTION, "activity": "DEBIT", "customId": key,
            "reason": "items returned", "source": "POS",
            "returnLines": [{"id": line.line_id, "quantity": line.quantity} for line in lines]}
    return ApiRequest("POST", "points", _extra(body, order_id, store_id))


def _extra(body: dict, order_id: str | None, store_id: str | None) -> dict:
    if order_id:
        body["orderId"] = order_id
    if store_id:
        body["storeId"] = store_id
    return body


def create_order(order: Order) -> ApiRequest:
    ids.check("order", order.id)
    body: dict[str, Any] = {
        "id": order.id, "userId": order.member_id, "orderTotal": order.total,
        "discountAmount": order.discount, "source": "POS",
        "orderDate": order.ordered_at.strftime("%Y-%m-%d %H:%M:%S") if order.ordered_at else "",
        "storeId": order.store_id,
        "orderDetail": [_order_line(line) for line in order.lines],
        "coupon": list(order.coupons),
    }
    if order.email:
        body["email"] = order.email
    # The terminal's own keys; the documents' order carries free extra keys.
    for key, value in (("terminalId", order.terminal_id), ("operatorId", order.operator_id),
                       ("taxAmount", order.tax)):
        if value is not None:
            body[key] = value
    if order.payments:
        body["payments"] = [_payment(pay) for pay in order.payments]
    if order.rewards:
        # A free key, like the payments: a full return at any terminal gives these points back.
        body["rewards"] = [{"rewardCode": r.code, "points": r.points} for r in order.rewards]
    return ApiRequest("POST", "orders", body)


def _payment(pay: Payment) -> dict[str, Any]:
    if pay.kind == "code":
        return {"type": "incentive", "incentiveCode": pay.code, "referenceId": pay.reference_id,
                "amount": pay.amount, "userId": pay.user_id}
    if pay.kind == "points":
        return {"type": "points", "amount": pay.amount, "points": pay.points, "referenceId": pay.reference_id}
    return {"type": pay.kind, "amount": pay.amount}


def _order_line(line: OrderLine) -> dict[str, Any]:
    item: dict[str, Any] = {"id": line.id, "productName": line.name, "unitPrice": line.unit_price,
                            "quantity": line.quantity}
    for key, value in (("secondaryKey", line.sku), ("discountAmount", line.discount), ("taxAmount", line.tax)):
        if value is not None:
            item[key] = value
    return item


def return_order(order_id: str) -> ApiRequest:
    return ApiRequest("PATCH", ids.path("orders/{id}", id=("order", order_id)),
                      {"orderId": order_id, "status": "return"})


def _code_body(spend: CodeSpend) -> dict:
    ids.check("code", spend.code)
    body: dict[str, Any] = {"incentiveCode": spend.code, "userId": spend.user_id,
                            "referenceId": spend.reference_id, "source": "POS"}
    if spend.amount is not None:
        body["codeValue"] = spend.amount
    if spend.order_id:
        body["orderId"] = spend.order_id
    if spend.undo_of:
        body["action"] = "UNDO"
        body["originalReferenceId"] = spend.undo_of
    return body


def update_code(spend: CodeSpend) -> ApiRequest:
    return ApiRequest("PATCH", ids.path("incentive/updatecodedetails/{id}", id=("member", spend.user_id)),
                      _code_body(spend))


def update_codes(site_id: str, spends: Sequence[CodeSpend]) -> ApiRequest:
    return ApiRequest("PATCH", ids.path("incentive/updatebatchcodedetails/{id}", id=("site", site_id)),
                      [_code_body(spend) for spend in spends])
