"""Loyalty Prime's replies read into the terminal's models (bounded, tolerant readers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kiosk.i18n import N_, _
from kiosk.loyalty import parse as p
from kiosk.loyalty.errors import UnusableReply
from kiosk.loyalty.models import ZERO, CodeInfo, Member, OrderLine, OrderResult, PointsBalance


# One whole sentence per request, not the request's name glued into one: in other languages
# the words around it change with it. Keyed by `what`, which the detail (for the log) names.
_NOT_USUAL = {
    "membership": N_("The loyalty service's reply to the membership is not in its usual form."),
    "membership search": N_("The loyalty service's reply to the membership search is not in its usual form."),
    "redeemable points": N_("The loyalty service's reply to the redeemable points is not in its usual form."),
    "points": N_("The loyalty service's reply to the points is not in its usual form."),
    "points quote": N_("The loyalty service's reply to the points quote is not in its usual form."),
    "voucher": N_("The loyalty service's reply to the voucher is not in its usual form."),
    "vouchers": N_("The loyalty service's reply to the vouchers is not in its usual form."),
    "transaction": N_("The loyalty service's reply to the transaction is not in its usual form."),
    "statement": N_("The loyalty service's reply to the statement is not in its usual form."),
    "enrolment": N_("The loyalty service's reply to the enrolment is not in its usual form."),
}


def data(reply: Any, what: str) -> Any:
    """The `data` of a successful envelope; anything else is a reply the terminal can't use.
    `what` names the request: one of _NOT_USUAL's keys."""
    if not isinstance(reply, dict) or reply.get("success") is not True or "data" not in reply:
        sentence = _NOT_USUAL.get(what)
        # A request not listed (none is, today) says it in English rather than fail in the error path.
        shown = _(sentence) if sentence else f"The loyalty service's reply to the {what} is not in its usual form."
        raise UnusableReply(shown, detail=f"{what}: no success envelope")
    return reply["data"]


def member(raw: Any) -> Member:
    d = p.mapping(raw, "membership")
    owner = d.get("owner") if isinstance(d.get("owner"), dict) else {}
    person = owner.get("properties") if isinstance(owner.get("properties"), dict) else {}
    props = d.get("properties") if isinstance(d.get("properties"), dict) else {}
    status = (p.text(d, "contractStatus") or "ACTIVE").upper()
    return Member(
        id=p.text(d, "key") or "", email=p.text(person, "Email"), first_name=p.text(person, "FirstName"),
        last_name=p.text(person, "LastName"), phone=p.text(person, "Mobile"), zip_code=p.text(person, "Zip"),
        status="ACTIVE" if status == "ACTIVE" else "INACTIVE", opted_in=p.yes_no(props, "AdvertisingConsent"),
        birth_date=p.day(person, "DateofBirth"),
    )


def points(key: str, raw: Any, tier: str | None) -> PointsBalance:
    d = p.mapping(raw, "redeemable points")
    rate = p.decimal(d, "conversionRate")
    return PointsBalance(member_id=key, available=p.integer(d, "points") or 0, tier=tier,
                         currency_ratio=rate, currency_value=p.money(d, "value"))


def tier(raw: Any) -> str | None:
    return p.text(p.mapping(raw, "membership"), "Tier")


def voucher(raw: Any, user_id: str | None = None) -> CodeInfo:
    d = p.mapping(raw, "voucher")
    of = (p.text(d, "of") or "").upper()
    value = p.decimal(d, "value") or ZERO
    status = (p.text(d, "status") or "").upper()
    issued_to = p.text(d, "issuedTo")
    reason = None
    if status != "ISSUED":
        # The backend's status word as it sent it: a code of Prime's, not ours to translate.
        reason = _("This voucher cannot be used: {0}").format(status.lower() or _("unknown status"))
    elif issued_to and user_id and issued_to != user_id:
        reason = _("This voucher belongs to another member")
    if of == "PERCENT" and not ZERO < value <= Decimal(100):
        raise UnusableReply(detail="voucher: a percent value out of range")
    return CodeInfo(
        code=p.text(d, "token") or "", kind="coupon", partial=False,
        discount_type="percent" if of == "PERCENT" else "fixed", value=value, balance=None,
        status="Active" if status == "ISSUED" else status.title(), valid_until=p.timestamp(d, "validUntil"),
        assigned_to=issued_to, redemption_limit=None, redeemed=None, usable=reason is None, reason=reason,
    )


def order_result(raw: Any) -> OrderResult:
    d = p.mapping(raw, "transaction")
    lines = []
    for item in p.items(d, "items"):
        lines.append(OrderLine(id=p.text(item, "lineId") or "", name=p.text(item, "productKey") or "",
                               unit_price=ZERO, quantity=p.integer(item, "quantity") or 0,
                               points=p.integer(item, "points")))
    awarded = p.integer(d, "points") or 0
    reversed_ = p.integer(d, "pointsReversed") or 0
    status = (p.text(d, "status") or "").upper()
    return OrderResult(order_id=p.text(d, "txId") or "", member_id=p.text(d, "clientId") or "",
                       total=p.money(d, "amount"), points_awarded=awarded, points_removed=reversed_,
                       status={"BOOKED": "placed", "REVERSED": "returned"}.get(status, "partially returned"),
                       lines=tuple(lines), points_remaining=awarded - reversed_)
