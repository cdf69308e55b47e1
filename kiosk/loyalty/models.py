"""The terminal's view of loyalty data: typed, immutable, money in Decimal.

`from_api` constructors read the backend's loose JSON through kiosk.loyalty.parse;
nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from kiosk.loyalty import parse as p

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Member:
    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    zip_code: str | None = None
    status: str | None = None
    opted_in: bool | None = None
    birth_date: date | None = None
    created: datetime | None = None
    total_spend: Decimal | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.id

    @property
    def active(self) -> bool:
        return (self.status or "ACTIVE").upper() == "ACTIVE"

    @classmethod
    def from_api(cls, data: Any) -> "Member":
        d = p.mapping(data, "user")
        return cls(
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


@dataclass(frozen=True)
class PointsBalance:
    member_id: str
    available: int = 0
    lifetime: int = 0
    used: int = 0
    on_hold: int = 0
    tier: str | None = None
    next_tier: str | None = None
    points_to_next_tier: int | None = None
    spend_to_next_tier: Decimal | None = None
    currency_ratio: Decimal | None = None
    currency_value: Decimal | None = None
    points_to_expire: int | None = None
    expire_date: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> "PointsBalance":
        d = p.mapping(data, "points")
        return cls(
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

    def tier_progress(self, floors: Mapping[str, int]) -> tuple[int, int] | None:
        """(points earned since the current tier began, points from its start to the next tier),
        from the tiers' starting points; None at the top tier or for a tier `floors` does not name."""
        floor = floors.get(self.tier or "")
        if floor is None or not self.points_to_next_tier:
            return None
        span = max(self.lifetime + self.points_to_next_tier - floor, 1)
        return min(max(self.lifetime - floor, 0), span), span


@dataclass(frozen=True)
class Reward:
    reward_id: str
    name: str
    credit_required: int
    # None when the backend gives no discount value ("0.00" in the documents):
    # such a reward cannot be applied at a till.
    discount: Decimal | None
    eligible: bool
    description: str | None = None
    limit: int | None = None
    redeemed_count: int | None = None
    remaining_count: int | None = None
    expiration: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> "Reward":
        d = p.mapping(data, "reward")
        discount = p.money(d, "deductAmount")
        return cls(
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


@dataclass(frozen=True)
class MemberView:
    """Everything the member panel shows, from one concurrent lookup."""

    member_id: str
    member: Member | None
    points: PointsBalance | None
    rewards: tuple[Reward, ...] = ()
    # Parts that could not be read ("points", "rewards"; all three with "member"
    # when the terminal is offline), so the UI can say so instead of showing zeros.
    missing: tuple[str, ...] = ()

    @property
    def usable_rewards(self) -> tuple[Reward, ...]:
        """Eligible, covered by the points, and with a discount value."""
        available = self.points.available if self.points else 0
        return tuple(r for r in self.rewards
                     if r.eligible and r.discount is not None and r.credit_required <= available
                     and (r.remaining_count is None or r.remaining_count > 0))

    def why_not(self, reward: Reward, spent: int = 0) -> str | None:
        """Why `reward` can't be used now, in a few words (its button says it), with `spent`
        points already taken by rewards on the sale; None when it can."""
        if self.member is not None and not self.member.active:
            return "member inactive"
        if reward.discount is None:
            return "no value at the till"
        if reward.remaining_count is not None and reward.remaining_count <= 0:
            return "limit reached"
        if self.points is None:
            return "points not available"
        short = reward.credit_required - (self.points.available - spent)
        if short > 0:
            return f"needs {short:,} more points"
        return None if reward.eligible else "not available to this member now"


@dataclass(frozen=True)
class PointsMovement:
    """The reply to an award, a debit or a bulk item."""

    member_id: str
    points: int
    not_moved: int = 0
    available_after: int | None = None
    lifetime_after: int | None = None
    tier: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> "PointsMovement":
        d = p.mapping(data, "points movement")
        moved = p.integer(d, "pointsAwarded")
        if moved is None:
            moved = p.integer(d, "pointsDeducted")
        return cls(
            member_id=p.text(d, "id") or "",
            points=moved or 0,
            not_moved=p.integer(d, "pointsNotDeducted") or 0,
            available_after=p.integer(d, "updatedAvailablePoints"),
            lifetime_after=p.integer(d, "updatedLifetimePoints"),
            tier=p.text(d, "updatedUserTier"),
        )


@dataclass(frozen=True)
class RewardRedemption:
    member_id: str
    reward_id: str
    reward_code: str
    points_deducted: int
    available_after: int | None
    expires: datetime | None
    key: str | None

    @classmethod
    def from_api(cls, data: Any) -> "RewardRedemption":
        d = p.mapping(data, "reward redemption")
        return cls(
            member_id=p.text(d, "id") or "",
            reward_id=p.text(d, "rewardId") or "",
            reward_code=p.text(d, "rewardCode") or "",
            points_deducted=p.integer(d, "pointsDeducted") or 0,
            available_after=p.integer(d, "updatedAvailablePoints"),
            expires=p.timestamp(d, "rewardCodeExpDate"),
            key=p.text(d, "customId"),
        )


@dataclass(frozen=True)
class CodeInfo:
    """What validating an incentive code tells the till."""

    code: str
    kind: str  # coupon, giftcard, storecard
    partial: bool  # gift and store cards can be spent in parts
    discount_type: str  # percent or fixed
    value: Decimal
    balance: Decimal | None
    status: str
    valid_until: datetime | None
    assigned_to: str | None
    redemption_limit: int | None
    redeemed: int | None
    usable: bool
    reason: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> "CodeInfo":
        d = p.mapping(data, "code")
        discount = (p.text(d, "discountType") or "").lower()
        return cls(
            code=p.text(d, "incentiveCode") or "",
            kind=(p.text(d, "incentiveType") or "coupon").lower(),
            partial=(p.text(d, "redemptionType") or "").lower() == "partial",
            discount_type="percent" if discount.startswith("percent") else "fixed",
            value=p.money(d, "codeValue") or ZERO,
            balance=p.money(d, "balanceCodeValue"),
            status=p.text(d, "codeStatus") or "",
            valid_until=p.timestamp(d, "codeValidity"),
            assigned_to=p.text(d, "userId"),
            redemption_limit=p.integer(d, "redemptionLimit"),
            redeemed=p.integer(d, "redeemed"),
            usable=bool(p.yes_no(d, "valid")),
            reason=p.text(d, "message"),
        )


@dataclass(frozen=True)
class CodeRedemption:
    code: str
    user_id: str
    reference_id: str
    amount: Decimal
    balance_after: Decimal | None
    status: str
    redeemed: int | None
    order_id: str | None

    @classmethod
    def from_api(cls, data: Any) -> "CodeRedemption":
        d = p.mapping(data, "code redemption")
        return cls(
            code=p.text(d, "incentiveCode") or "",
            user_id=p.text(d, "userId") or "",
            reference_id=p.text(d, "referenceId") or "",
            amount=p.money(d, "codeValue") or ZERO,
            balance_after=p.money(d, "balanceCodeValue"),
            status=p.text(d, "codeStatus") or "",
            redeemed=p.integer(d, "redeemed"),
            order_id=p.text(d, "orderId"),
        )


@dataclass(frozen=True)
class CodeSpend:
    """One card or coupon to spend (or undo) in a single or batch request."""

    code: str
    user_id: str
    reference_id: str
    amount: Decimal | None = None
    order_id: str | None = None
    # For an undo: the referenceId of the redemption being reversed.
    undo_of: str | None = None


@dataclass(frozen=True)
class OrderLine:
    id: str
    name: str
    unit_price: Decimal
    quantity: int
    points: int | None = None
    # Extensions the terminal adds (the documents' lines carry free extra keys such
    # as secondaryKey): the sku, and the line's share of the discount and its tax,
    # so that a return at any terminal refunds what was paid.
    sku: str | None = None
    discount: Decimal | None = None
    tax: Decimal | None = None
    returned: int = 0

    @classmethod
    def from_api(cls, data: Any) -> "OrderLine":
        d = p.mapping(data, "order line")
        return cls(
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


@dataclass(frozen=True)
class Payment:
    """A gift or store card that paid for an order: a return gives its value back by undo."""

    code: str
    reference_id: str
    amount: Decimal
    user_id: str

    @classmethod
    def from_api(cls, data: Any) -> "Payment":
        d = p.mapping(data, "payment")
        return cls(code=p.text(d, "incentiveCode") or "", reference_id=p.text(d, "referenceId") or "",
                   amount=p.money(d, "amount") or ZERO, user_id=p.text(d, "userId") or "")


@dataclass(frozen=True)
class Order:
    """An order as the terminal sends it. `id` is chosen by the terminal."""

    id: str
    member_id: str
    total: Decimal
    lines: tuple[OrderLine, ...]
    discount: Decimal = ZERO
    coupons: tuple[str, ...] = ()
    ordered_at: datetime | None = None
    store_id: str | None = None
    email: str | None = None
    terminal_id: str | None = None
    operator_id: str | None = None
    tax: Decimal | None = None
    payments: tuple[Payment, ...] = ()


@dataclass(frozen=True)
class OrderResult:
    order_id: str
    member_id: str
    total: Decimal | None
    points_awarded: int
    points_removed: int = 0
    status: str = "placed"
    available_after: int | None = None
    tier: str | None = None
    next_tier: str | None = None
    lines: tuple[OrderLine, ...] = ()
    discount: Decimal | None = None
    tax: Decimal | None = None
    coupons: tuple[str, ...] = ()
    payments: tuple[Payment, ...] = ()
    store_id: str | None = None
    terminal_id: str | None = None
    points_remaining: int | None = None

    @classmethod
    def from_api(cls, data: Any) -> "OrderResult":
        d = p.mapping(data, "order")
        return cls(
            discount=p.money(d, "discountAmount"),
            tax=p.money(d, "taxAmount"),
            coupons=tuple(str(c) for c in (d.get("coupon") or []) if c not in (None, "")),
            payments=tuple(Payment.from_api(x) for x in p.items(d, "payments")),
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
            lines=tuple(OrderLine.from_api(x) for x in p.items(d, "orderDetail")),
        )


@dataclass(frozen=True)
class ReturnResult:
    order_id: str
    points_removed: int
    available_after: int | None
    tier: str | None

    @classmethod
    def from_api(cls, data: Any) -> "ReturnResult":
        d = p.mapping(data, "return")
        removed = p.integer(d, "pointsRemoved")
        if removed is None:
            removed = p.integer(d, "pointsDeducted")
        return cls(
            order_id=p.text(d, "orderId") or "",
            points_removed=removed or 0,
            available_after=p.integer(d, "updatedAvailablePoints"),
            tier=p.text(d, "currentTier") or p.text(d, "updatedUserTier"),
        )


@dataclass(frozen=True)
class ReturnLine:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class NewMember:
    """Enrolment at the till: an email or a phone, and the consent given."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    opted_in: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)
