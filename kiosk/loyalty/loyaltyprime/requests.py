"""Loyalty Prime request builders: (method, path with query, body), and a write's exact bytes.

Numbers go out as JSON strings ("10", "19.99"), as public Prime clients send them:
that form is known to be accepted. `filter` is a JSON array of {property, value}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from kiosk.loyalty import ids

POINTS_TYPE = "BONUS"


@dataclass(frozen=True)
class PrimeRequest:
    method: str
    path: str  # relative to the base URL, query included: "deposits/M1/redeem?type=BONUS"
    body: Any = None

    def encoded(self) -> bytes | None:
        return None if self.body is None else encode(self.body)


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def money(value: Decimal) -> str:
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        raise ValueError(f"money must be whole cents, got {value}")
    return f"{cents:f}"


def seg(kind: str, value: str) -> str:
    return ids.segment(kind, value)


def query(path: str, **params: str) -> str:
    return path + "?" + urlencode(params, quote_via=quote)


def filtered(path: str, **props: str) -> str:
    terms = [{"property": name, "value": value} for name, value in props.items()]
    return query(path, filter=json.dumps(terms, separators=(",", ":")))


def search(prop: str, value: str) -> PrimeRequest:
    return PrimeRequest("GET", filtered("memberships", **{prop: value}))


def details(key: str) -> PrimeRequest:
    return PrimeRequest("GET", f"memberships/{seg('member', key)}/details")


def redeemable(key: str) -> PrimeRequest:
    return PrimeRequest("GET", query(f"deposits/{seg('member', key)}/redeemable", type=POINTS_TYPE))


def statement(key: str, receipt_id: str) -> PrimeRequest:
    path = f"deposits/{seg('member', key)}/statement"
    terms = json.dumps([{"property": "receiptId", "value": receipt_id}], separators=(",", ":"))
    return PrimeRequest("GET", path + "?" + urlencode({"type": POINTS_TYPE, "filter": terms}, quote_via=quote))


def member_vouchers(key: str) -> PrimeRequest:
    return PrimeRequest("GET", filtered("voucher", issuedTo=key))


def voucher_info(token: str) -> PrimeRequest:
    return PrimeRequest("GET", f"voucher/{seg('code', token)}/info")


def tx_details(tx_id: str) -> PrimeRequest:
    return PrimeRequest("GET", f"tx/{seg('order', tx_id)}/details")


def tx(body: dict) -> PrimeRequest:
    return PrimeRequest("POST", "tx", body)


def tx_reversal(body: dict) -> PrimeRequest:
    return PrimeRequest("POST", "tx/reversal", body)


def redeem(key: str, body: dict) -> PrimeRequest:
    return PrimeRequest("POST", query(f"deposits/{seg('member', key)}/redeem", type=POINTS_TYPE), body)


def redeem_reversal(body: dict) -> PrimeRequest:
    return PrimeRequest("POST", "deposits/redeem/reversal", body)


def adjust(key: str, body: dict) -> PrimeRequest:
    return PrimeRequest("POST", query(f"deposits/{seg('member', key)}/adjust", type=POINTS_TYPE), body)


def convert(token: str, client: str, body: dict) -> PrimeRequest:
    return PrimeRequest("POST", query(f"voucher/{seg('code', token)}/convert", client=ids.check("member", client)),
                        body)


def revoke(token: str, client: str, body: dict) -> PrimeRequest:
    return PrimeRequest("POST", query(f"voucher/{seg('code', token)}/revoke", client=ids.check("member", client)),
                        body)


def enrol(body: dict) -> PrimeRequest:
    return PrimeRequest("POST", "memberships", body)


def pack(request: PrimeRequest) -> bytes:
    return f"{request.method} {request.path}\n".encode() + (request.encoded() or b"")


def unpack(wire: bytes) -> tuple[str, str, bytes]:
    head, _, body = wire.partition(b"\n")
    method, _, path = head.decode().partition(" ")
    return method, path, body


def body_of(wire: bytes) -> dict:
    body = unpack(wire)[2]
    value = json.loads(body) if body else {}
    return value if isinstance(value, dict) else {}
