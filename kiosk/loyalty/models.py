"""The terminal's view of loyalty data: typed, immutable, money in Decimal.

Vendor-neutral: each adapter (kiosk.loyalty.annex, ...) reads its own replies into these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

from kiosk import formats
from kiosk.i18n import _, ngettext

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
            return _("member inactive")
        if reward.discount is None:
            return _("no value at the till")
        if reward.remaining_count is not None and reward.remaining_count <= 0:
            return _("limit reached")
        if self.points is None:
            return _("points not available")
        short = reward.credit_required - (self.points.available - spent)
        if short > 0:
            return ngettext("needs {0} more point", "needs {0} more points", short).format(formats.points(short))
        return None if reward.eligible else _("not available to this member now")


@dataclass(frozen=True)
class PointsMovement:
    """The reply to an award, a debit or a bulk item."""

    member_id: str
    points: int
    not_moved: int = 0
    available_after: int | None = None
    lifetime_after: int | None = None
    tier: str | None = None


@dataclass(frozen=True)
class RewardRedemption:
    member_id: str
    reward_id: str
    reward_code: str
    points_deducted: int
    available_after: int | None
    expires: datetime | None
    key: str | None


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


@dataclass(frozen=True)
class Payment:
    """A tender that paid for an order. A gift or store card (kind "code", with the
    redemption that paid) gets its value back by undo; the others (cash, card for the
    store's card terminal, other) are recorded so a return at any terminal knows where
    the money goes back."""

    code: str
    reference_id: str
    amount: Decimal
    user_id: str
    kind: str = "code"  # code | cash | card | other | points
    points: int | None = None  # a points tender: the points taken


@dataclass(frozen=True)
class RewardSpent:
    """A reward redeemed for an order: its code and the points it cost, given back on a full return."""

    code: str
    points: int


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
    rewards: tuple[RewardSpent, ...] = ()


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
    rewards: tuple[RewardSpent, ...] = ()


@dataclass(frozen=True)
class ReturnResult:
    order_id: str
    points_removed: int
    available_after: int | None
    tier: str | None


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
