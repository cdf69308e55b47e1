"""Annex Cloud's replies read into the terminal's models.

Field names are Annex Cloud's (the documents' examples; the sandbox's additions
where the terminal reads them back: `returnedQuantity`, `pointsRemaining`,
`payments`). Values go through the tolerant, bounded readers of kiosk.loyalty.parse.
"""

from __future__ import annotations

from typing import Any

from kiosk.loyalty import parse as p
from kiosk.loyalty.models import (
    ZERO, CodeInfo, CodeRedemption, Member, OrderLine, OrderResult, Payment, PointsBalance, PointsMovement,
    ReturnResult, Reward, RewardRedemption, RewardSpent,
)


def points_balance(data: Any) -> PointsBalance:
    d = p.mapping(data, "points")
    return PointsBalance(
        member_id=p.text(d, "id") or "",
        available=p.integer(d, "availablePoints") or 0,
        lifetime=p.integer(d, "lifetimePoints") or 0,
        used=p.integer(d, "usedPoints") or 0,
        on_hold=p.integer(d, "holdPoints") or 0,
        tier=p.text(d, "currentTier"),
        next_tier=p.text(d, "nextTier"),
        points_to_next_tier=p.integer(d, "pointsToNextTier"),
        spend_to_next_tier=p.money(d, "spendToNextTier"),
        currency_ratio=p.decimal(d, "creditsToCurrencyRatio"),
        currency_value=p.money(d, "creditsToCurrencyValue"),
        points_to_expire=p.integer(d, "pointsToExpire"),
        expire_date=p.timestamp(d, "pointsToExpireDate"),
    )


def member(data: Any) -> Member:
    d = p.mapping(data, "user")
    return Member(
        id=p.text(d, "id") or "",
        email=p.text(d, "email"),
        first_name=p.text(d, "firstName"),
        last_name=p.text(d, "lastName"),
        phone=p.text(d, "phone"),
        zip_code=p.text(d, "zipCode"),
        status=p.text(d, "status"),
        opted_in=p.yes_no(d, "optInStatus"),
        birth_date=p.day(d, "birthDate"),
        created=p.timestamp(d, "createDate"),
        total_spend=p.money(d, "totalSpendCurrency"),
    )


def reward(data: Any) -> Reward:
    d = p.mapping(data, "reward")
    discount = p.money(d, "deductAmount")
    return Reward(
        reward_id=p.text(d, "rewardId") or "",
        name=p.text(d, "displayText") or p.text(d, "rewardName") or "",
        credit_required=p.integer(d, "creditRequired") or 0,
        discount=discount if discount else None,
        eligible=bool(p.yes_no(d, "eligible")),
        description=p.text(d, "rewardDescription"),
        limit=p.integer(d, "rewardLimit"),
        redeemed_count=p.integer(d, "redeemCount"),
        remaining_count=p.integer(d, "remainingCount"),
        expiration=p.text(d, "rewardExpirationPeriod"),
    )


def points_movement(data: Any) -> PointsMovement:
    d = p.mapping(data, "points movement")
    moved = p.integer(d, "pointsAwarded")
    if moved is None:
        moved = p.integer(d, "pointsDeducted")
    return PointsMovement(
        member_id=p.text(d, "id") or "",
        points=moved or 0,
        not_moved=p.integer(d, "pointsNotDeducted") or 0,
        available_after=p.integer(d, "updatedAvailablePoints"),
        lifetime_after=p.integer(d, "updatedLifetimePoints"),
        tier=p.text(d, "updatedUserTier"),
    )


def reward_redemption(data: Any) -> RewardRedemption:
    d = p.mapping(data, "reward redemption")
    return RewardRedemption(
        member_id=p.text(d, "id") or "",
        reward_id=p.text(d, "rewardId") or "",
        reward_code=p.text(d, "rewardCode") or "",
        points_deducted=p.integer(d, "pointsDeducted") or 0,
        available_after=p.integer(d, "updatedAvailablePoints"),
        expires=p.timestamp(d, "rewardCodeExpDate"),
        key=p.text(d, "customId"),
    )


# Code statuses after which a code can't be redeemed (the documents' codeStatus values).
_SPENT_STATUSES = ("fully used", "used", "expired", "inactive", "redeemed")


def code_info(data: Any) -> CodeInfo:
    d = p.mapping(data, "code")
    discount = (p.text(d, "discountType") or "").lower()
    balance = p.money(d, "balanceCodeValue")
    status = p.text(d, "codeStatus") or ""
    # The validation reply is not in the documents: where it lacks the extended keys
    # (incentiveType, redemptionType, valid), read the documented code fields instead.
    # A code with a balance is redeemed in part, as gift and store cards are (which of
    # the two can't be told: "giftcard"); one without is a coupon; a code is usable
    # unless its status says it is spent.
    partial_type = (p.text(d, "redemptionType") or "").lower()
    partial = partial_type == "partial" if partial_type else balance is not None
    valid = p.yes_no(d, "valid")
    reason = p.text(d, "message")
    if valid is None:
        valid = status.lower() not in _SPENT_STATUSES
    if valid and not partial and not discount:
        # A coupon whose discount type is not said: 10 could be 10 % or 10.00 off. Never guess with money.
        valid, reason = False, ("the loyalty service does not say whether this coupon takes a percentage "
                                "or an amount off, so it can't be applied here")
    return CodeInfo(
        code=p.text(d, "incentiveCode") or "",
        kind=(p.text(d, "incentiveType") or ("giftcard" if partial else "coupon")).lower(),
        partial=partial,
        discount_type="percent" if discount.startswith("percent") else "fixed",
        value=p.money(d, "codeValue") or ZERO,
        balance=balance,
        status=status,
        valid_until=p.timestamp(d, "codeValidity"),
        assigned_to=p.text(d, "userId"),
        redemption_limit=p.integer(d, "redemptionLimit"),
        redeemed=p.integer(d, "redeemed"),
        usable=valid,
        reason=reason,
    )


def code_redemption(data: Any) -> CodeRedemption:
    d = p.mapping(data, "code redemption")
    return CodeRedemption(
        code=p.text(d, "incentiveCode") or "",
        user_id=p.text(d, "userId") or "",
        reference_id=p.text(d, "referenceId") or "",
        amount=p.money(d, "codeValue") or ZERO,
        balance_after=p.money(d, "balanceCodeValue"),
        status=p.text(d, "codeStatus") or "",
        redeemed=p.integer(d, "redeemed"),
        order_id=p.text(d, "orderId"),
    )


def order_line(data: Any) -> OrderLine:
    d = p.mapping(data, "order line")
    return OrderLine(
        id=p.text(d, "id") or "",
        name=p.text(d, "productName") or "",
        unit_price=p.money(d, "unitPrice") or ZERO,
        quantity=p.integer(d, "quantity") or 0,
        points=p.integer(d, "points"),
        sku=p.text(d, "secondaryKey"),
        discount=p.money(d, "discountAmount"),
        tax=p.money(d, "taxAmount"),
        returned=p.integer(d, "returnedQuantity") or 0,
    )


EXTERNAL_TENDERS = ("cash", "card", "other", "points")


def payment(data: Any) -> Payment:
    d = p.mapping(data, "payment")
    kind = (p.text(d, "type") or "incentive").lower()
    amount = p.money(d, "amount") or ZERO
    if kind == "points":
        return Payment("", p.text(d, "referenceId") or "", amount, "", kind="points",
                       points=max(p.integer(d, "points") or 0, 0))
    if kind != "incentive":
        return Payment("", "", amount, "", kind=kind if kind in EXTERNAL_TENDERS else "other")
    return Payment(code=p.text(d, "incentiveCode") or "", reference_id=p.text(d, "referenceId") or "",
                   amount=amount, user_id=p.text(d, "userId") or "")


def reward_spent(data: Any) -> RewardSpent:
    d = p.mapping(data, "reward")
    return RewardSpent(p.text(d, "rewardCode") or "", max(p.integer(d, "points") or 0, 0))


def order_result(data: Any) -> OrderResult:
    d = p.mapping(data, "order")
    return OrderResult(
        discount=p.money(d, "discountAmount"),
        tax=p.money(d, "taxAmount"),
        coupons=tuple(str(c) for c in (d.get("coupon") or []) if c not in (None, "")),
        payments=tuple(payment(x) for x in p.items(d, "payments")),
        rewards=tuple(r for r in (reward_spent(x) for x in p.items(d, "rewards")) if r.code),
        store_id=p.text(d, "storeId"),
        terminal_id=p.text(d, "terminalId"),
        points_remaining=p.integer(d, "pointsRemaining"),
        order_id=p.text(d, "id") or p.text(d, "orderId") or "",
        member_id=p.text(d, "userId") or "",
        total=p.money(d, "orderTotal"),
        points_awarded=p.integer(d, "pointsAwarded") or 0,
        points_removed=p.integer(d, "pointsRemoved") or 0,
        status=(p.text(d, "status") or "placed").lower(),
        available_after=p.integer(d, "updatedAvailablePoints"),
        tier=p.text(d, "currentTier"),
        next_tier=p.text(d, "nextTier"),
        lines=tuple(order_line(x) for x in p.items(d, "orderDetail")),
    )


def return_result(data: Any) -> ReturnResult:
    d = p.mapping(data, "return")
    removed = p.integer(d, "pointsRemoved")
    if removed is None:
        removed = p.integer(d, "pointsDeducted")
    return ReturnResult(
        order_id=p.text(d, "orderId") or "",
        points_removed=removed or 0,
        available_after=p.integer(d, "updatedAvailablePoints"),
        tier=p.text(d, "currentTier") or p.text(d, "updatedUserTier"),
    )
