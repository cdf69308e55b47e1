"""Writes to a loyalty backend, as intents in the terminal's own terms.

An intent says what the terminal wants done (accrue this order, take these points
back for these returned lines, spend 5.00 of this card) with the idempotency key it
was born with. The vendor's adapter turns it into exact bytes once, when it is
queued; the outbox keeps both, and knows nothing of paths, field names or codes.

`family` is what a site may declare its provider deduplicates (backend.deduplicates):
an order by its id, a points movement by its key, a code redemption by its reference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from kiosk.loyalty.models import CodeSpend, NewMember, Order

ORDERS, POINTS, CODES = "orders", "points", "codes"
FAMILIES = (ORDERS, POINTS, CODES)
# An enrolment: never declared deduplicated (a site can't), always checked by reading the
# member under its enrolment key, which every adapter that enrols can do.
MEMBERS = "members"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Write:
    kind: ClassVar[str]
    family: ClassVar[str]

    @property
    def key(self) -> str:
        raise NotImplementedError

    @property
    def member(self) -> str | None:
        return None

    def to_json(self) -> dict[str, Any]:
        """The intent as stored beside its bytes: for the queue's people and its sums, never re-encoded."""
        return {"kind": self.kind, "key": self.key, **_plain(self)}


@dataclass(frozen=True)
class AccrueOrder(Write):
    kind: ClassVar[str] = "order"
    family: ClassVar[str] = ORDERS
    order: Order

    @property
    def key(self) -> str:
        return self.order.id

    @property
    def member(self) -> str | None:
        return self.order.member_id


@dataclass(frozen=True)
class ReturnOrder(Write):
    """Everything on an order comes back."""

    kind: ClassVar[str] = "full_return"
    family: ClassVar[str] = ORDERS
    order_id: str
    member_id: str | None = None

    @property
    def key(self) -> str:
        # The order id is the backend's key for a full return; ours only has to be unique here.
        return f"{self.order_id}-RETURN"

    @property
    def member(self) -> str | None:
        return self.member_id


@dataclass(frozen=True)
class ReturnedLine:
    line_id: str
    quantity: int
    # The points this terminal computed for these units (None: the backend prices them).
    points: int | None = None


@dataclass(frozen=True)
class ReturnLines(Write):
    kind: ClassVar[str] = "return_lines"
    family: ClassVar[str] = POINTS
    member_id: str
    order_id: str
    lines: tuple[ReturnedLine, ...]
    return_key: str

    @property
    def key(self) -> str:
        return self.return_key

    @property
    def member(self) -> str | None:
        return self.member_id

    @property
    def points(self) -> int | None:
        if any(line.points is None for line in self.lines):
            return None
        return sum(line.points or 0 for line in self.lines)


@dataclass(frozen=True)
class AwardPoints(Write):
    kind: ClassVar[str] = "award_points"
    family: ClassVar[str] = POINTS
    member_id: str
    points: int
    points_key: str
    reason: str
    order_id: str | None = None

    @property
    def key(self) -> str:
        return self.points_key

    @property
    def member(self) -> str | None:
        return self.member_id


@dataclass(frozen=True)
class DebitPoints(AwardPoints):
    kind: ClassVar[str] = "debit_points"


@dataclass(frozen=True)
class RedeemReward(Write):
    kind: ClassVar[str] = "redeem_reward"
    family: ClassVar[str] = POINTS
    member_id: str
    reward_id: str
    points_key: str
    order_id: str | None = None

    @property
    def key(self) -> str:
        return self.points_key

    @property
    def member(self) -> str | None:
        return self.member_id


@dataclass(frozen=True)
class ReverseReward(Write):
    kind: ClassVar[str] = "reverse_reward"
    family: ClassVar[str] = POINTS
    member_id: str
    reward_code: str
    points_key: str

    @property
    def key(self) -> str:
        return self.points_key

    @property
    def member(self) -> str | None:
        return self.member_id


@dataclass(frozen=True)
class SpendCode(Write):
    kind: ClassVar[str] = "redeem_code"
    family: ClassVar[str] = CODES
    spend: CodeSpend

    def __post_init__(self) -> None:
        if self.spend.undo_of:
            raise ValueError("an undo is an UndoCode")

    @property
    def key(self) -> str:
        return self.spend.reference_id

    @property
    def member(self) -> str | None:
        return self.spend.user_id


@dataclass(frozen=True)
class UndoCode(SpendCode):
    kind: ClassVar[str] = "undo_code"

    def __post_init__(self) -> None:
        if not self.spend.undo_of:
            raise ValueError("an undo names the redemption it reverses (undo_of)")


@dataclass(frozen=True)
class SpendCodes(Write):
    """Several cards at once, all or nothing; each keeps its own reference."""

    kind: ClassVar[str] = "redeem_codes"
    family: ClassVar[str] = CODES
    spends: tuple[CodeSpend, ...]
    batch_key: str

    def __post_init__(self) -> None:
        if not self.spends:
            raise ValueError("a batch needs at least one code")

    @property
    def key(self) -> str:
        return self.batch_key

    @property
    def member(self) -> str | None:
        return self.spends[0].user_id


@dataclass(frozen=True)
class RedeemPoints(Write):
    """Points as a tender: `points` taken from the member for `amount` of the sale
    `order_id` (kiosk/checkout/README.md, "Points as a tender", says how both are computed)."""

    kind: ClassVar[str] = "redeem_points"
    family: ClassVar[str] = POINTS
    member_id: str
    order_id: str
    points: int
    amount: Decimal

    def __post_init__(self) -> None:
        if self.points <= 0 or self.amount < 0:
            raise ValueError("a points tender takes a positive number of points for a non-negative amount")

    @property
    def key(self) -> str:
        # One points tender per sale: the sale names it, on every terminal.
        return f"{self.order_id}-POINTS"

    @property
    def member(self) -> str | None:
        return self.member_id


@dataclass(frozen=True)
class ReversePointsRedemption(Write):
    """Points of a points tender given back: all of them (`points_key` None: the sale was
    cancelled or wholly returned) or a returned share, under the return's own key."""

    kind: ClassVar[str] = "reverse_points"
    family: ClassVar[str] = POINTS
    member_id: str
    order_id: str
    points: int
    amount: Decimal
    points_key: str | None = None

    def __post_init__(self) -> None:
        if self.points <= 0 or self.amount < 0:
            raise ValueError("points given back are positive, for a non-negative amount")

    @property
    def full(self) -> bool:
        return self.points_key is None

    @property
    def key(self) -> str:
        return f"{self.order_id}-POINTS-REVERSAL" if self.points_key is None else self.points_key

    @property
    def member(self) -> str | None:
        return self.member_id


@dataclass(frozen=True)
class EnrolMember(Write):
    """A new member, made at the kiosk, under a key of the terminal's (`enrolment_key`): each
    adapter files the member under it, so a delivery tried again finds the member it already
    made instead of making a second one (docs/backend-contract.md, "Enrolment").

    The consent the shopper gave goes with it: `marketing` (their own choice), the exact
    `wording` shown and `given_at` (aware UTC). The stored intent keeps those and the contact
    masked (`shown_contact`); the member's own data is only in the bytes that are sent."""

    kind: ClassVar[str] = "enrol"
    family: ClassVar[str] = MEMBERS
    enrolment_key: str
    new: NewMember
    wording: str
    given_at: datetime
    shown_contact: str = ""

    def __post_init__(self) -> None:
        if not (self.new.email or self.new.phone):
            raise ValueError("an enrolment needs an email or a phone")
        if self.given_at.tzinfo is None:
            raise ValueError("consent is given at an aware time (UTC)")

    @property
    def key(self) -> str:
        return self.enrolment_key

    def to_json(self) -> dict[str, Any]:
        # Not the member's details: a manager reading the queue needs the consent and a hint.
        return {"kind": self.kind, "key": self.key, "contact": self.shown_contact,
                "consent": {"marketing": bool(self.new.opted_in), "wording": self.wording,
                            "given_at": self.given_at.isoformat()}}


KINDS: dict[str, type[Write]] = {cls.kind: cls for cls in (
    AccrueOrder, ReturnOrder, ReturnLines, AwardPoints, DebitPoints, RedeemReward, ReverseReward, SpendCode,
    UndoCode, SpendCodes, RedeemPoints, ReversePointsRedemption, EnrolMember)}


def family_of(kind: str) -> str:
    return KINDS[kind].family


@dataclass(frozen=True)
class WriteResult:
    """What the terminal reads from a write's reply, in its own terms (None: the reply does not say)."""

    points: int | None = None  # awarded by an order, or taken by a return or debit
    available_after: int | None = None
    reward_code: str | None = None
    balance_after: Decimal | None = None
    # An order's points per line (line id -> points), for returns priced by the terminal.
    line_points: dict[str, int] | None = None
    member_id: str | None = None  # the member an enrolment made
