"""One checkout, as an explicit state machine, from the first scan to the receipt.

    OPEN -> MEMBER (optional) -> SELECTED (rewards, coupons) -> TENDERING
         -> AUTHORIZING -> COMMITTED
    AUTHORIZING -> TENDERING when a redemption fails; any state before
    AUTHORIZING -> VOIDED.

The session is synchronous and knows no backend: kiosk.checkout.service does the
asking (member lookup, code validation) and the paying, and feeds the answers in
here. Nothing is spent on the backend until Pay, so until then every change is
only in memory.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any, Mapping

from kiosk import formats
from kiosk.checkout import money, points_tender
from kiosk.checkout.cart import Cart
from kiosk.checkout.errors import CheckoutError
from kiosk.i18n import N_, _
from kiosk.loyalty.models import CodeInfo, MemberView, Reward


class State(str, enum.Enum):
    OPEN = "open"
    MEMBER = "member"
    SELECTED = "selected"
    TENDERING = "tendering"
    AUTHORIZING = "authorizing"
    COMMITTED = "committed"
    VOIDED = "voided"


CART_STATES = (State.OPEN, State.MEMBER, State.SELECTED)
MOVES: dict[State, tuple[State, ...]] = {
    State.OPEN: (State.MEMBER, State.SELECTED, State.TENDERING, State.VOIDED),
    State.MEMBER: (State.OPEN, State.SELECTED, State.TENDERING, State.VOIDED),
    State.SELECTED: (State.OPEN, State.MEMBER, State.TENDERING, State.VOIDED),
    State.TENDERING: (State.OPEN, State.MEMBER, State.SELECTED, State.AUTHORIZING, State.VOIDED),
    State.AUTHORIZING: (State.TENDERING, State.COMMITTED),
    State.COMMITTED: (),
    State.VOIDED: (),
}
EXTERNAL_TENDERS = ("cash", "card", "other")


@dataclass(frozen=True)
class RewardChoice:
    reward_id: str
    name: str
    cents: int
    credit_required: int
    # The reward pass from the self-service kiosk it came from: recorded as used when the sale
    # commits, in the same transaction (kiosk/checkout/sales.py), so it pays for one sale only.
    pass_id: str | None = None


@dataclass(frozen=True)
class CouponChoice:
    code: str
    label: str
    percent: Decimal | None = None
    cents: int = 0


@dataclass(frozen=True)
class CardTender:
    code: str
    kind: str  # giftcard | storecard
    balance: int  # before this sale
    amount: int  # what this sale takes from it
    # False for a card taken offline under an allowance: its balance is known only when it syncs.
    checked: bool = True

    @property
    def left(self) -> int:
        return self.balance - self.amount


@dataclass(frozen=True)
class ExternalTender:
    kind: str  # cash | card | other
    amount: int


@dataclass(frozen=True)
class PointsPaid:
    """The member's points as a tender: how many, and the cents they pay (points_tender.py)."""

    points: int
    amount: int


@dataclass
class Session:
    sale_id: str
    operator_id: str
    inclusive_tax: bool
    tax_rates: Mapping[str, Decimal]
    points_after_tax: bool = False
    cart: Cart = field(default_factory=Cart)
    state: State = State.OPEN
    member: MemberView | None = None
    rewards: list[RewardChoice] = field(default_factory=list)
    coupons: list[CouponChoice] = field(default_factory=list)
    cards: list[CardTender] = field(default_factory=list)
    external: list[ExternalTender] = field(default_factory=list)
    points_paid: PointsPaid | None = None
    points_tender: bool = False  # the backend takes points as a tender (contract.POINTS_TENDER)
    result: Any = None  # the PayResult once committed: a second Pay returns it

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in ("state", "cart") and "state" in self.__dict__ and "cart" in self.__dict__:
            self.cart.locked = self.state not in CART_STATES

    # -- moving between states -------------------------------------------------

    def _move(self, to: State) -> None:
        if to not in MOVES[self.state]:
            raise CheckoutError(_why_not(self.state, to))
        self.state = to

    def _settle_cart_state(self) -> None:
        if self.state in CART_STATES:
            self.state = State.SELECTED if (self.rewards or self.coupons) else \
                State.MEMBER if self.member else State.OPEN

    def require_cart_open(self) -> None:
        if self.state not in CART_STATES:
            raise CheckoutError(_cart_closed(self.state))

    # -- member -------------------------------------------------------------------

    def attach_member(self, view: MemberView) -> None:
        self.check_member(view)
        self.member = view
        self._settle_cart_state()

    def check_member(self, view: MemberView) -> None:
        """Raises what attach_member would refuse, changing nothing."""
        self.require_cart_open()
        if self.rewards and self.member and self.member.member_id != view.member_id:
            raise CheckoutError(_("Remove the rewards of the member already on this sale before changing member."))

    def detach_member(self) -> None:
        self.require_cart_open()
        self.member = None
        self.rewards.clear()
        self._settle_cart_state()

    @property
    def member_id(self) -> str | None:
        return self.member.member_id if self.member else None

    # -- rewards and coupons: only while the cart is open ---------------------------

    def select_reward(self, reward: Reward, pass_id: str | None = None) -> RewardChoice:
        choice = replace(self._reward_choice(reward), pass_id=pass_id)
        # Translators: a reward's name, in quotes.
        self._would_take(money.Discount(choice.name, cents=choice.cents), _("“{0}”").format(reward.name))
        self.rewards.append(choice)
        self._settle_cart_state()
        return choice

    def reward_takes(self, reward: Reward) -> int:
        """What `reward` would take off this sale now, in cents, or the refusal select_reward
        would give. Less than its value when the goods left are worth less: its points are
        spent whole all the same, so the cashier is asked first."""
        choice = self._reward_choice(reward)
        return self._would_take(money.Discount(choice.name, cents=choice.cents), _("“{0}”").format(reward.name))

    def rewards_short(self) -> list[tuple[RewardChoice, int]]:
        """The rewards on the sale worth more than they take off it now, with what each takes
        (the cart may have shrunk since they were applied)."""
        taken = self.priced().discounts[: len(self.rewards)]
        return [(r, cents) for r, cents in zip(self.rewards, taken) if cents < r.cents]

    def _reward_choice(self, reward: Reward) -> RewardChoice:
        self.require_cart_open()
        if self.member is None:
            raise CheckoutError(_("Scan or find the member first: rewards belong to a member."))
        if reward.discount is None:
            raise CheckoutError(_("“{0}” has no money value at the till, so it can't be applied "
                                  "to this sale.").format(reward.name))
        if not reward.eligible:
            raise CheckoutError(_("The member is not eligible for “{0}” now.").format(reward.name))
        if any(r.reward_id == reward.reward_id for r in self.rewards):
            raise CheckoutError(_("“{0}” is already on this sale.").format(reward.name))
        available = self.member.points.available if self.member.points else 0
        needed = reward.credit_required + sum(r.credit_required for r in self.rewards)
        if needed > available:
            left = available - (needed - reward.credit_required)
            raise CheckoutError(_("“{0}” needs {1} points; the member has {2} left for rewards.").format(
                reward.name, formats.points(reward.credit_required), formats.points(left)))
        return RewardChoice(reward.reward_id, reward.name, money.to_cents(reward.discount),
                            reward.credit_required)

    def remove_reward(self, reward_id: str) -> None:
        self.require_cart_open()
        self.rewards = [r for r in self.rewards if r.reward_id != reward_id]
        self._settle_cart_state()

    def apply_coupon(self, info: CodeInfo) -> CouponChoice:
        """`info` is the backend's validation of the code, for this member (or guest)."""
        self.require_cart_open()
        if info.kind != "coupon":
            raise CheckoutError(_(_CODE_IS_A[info.kind]).format(info.code) if info.kind in _CODE_IS_A
                                else _("{0} is a {1}: add it at payment.").format(info.code, info.kind))
        if not info.usable:
            raise CheckoutError(_("Coupon {0} can't be used: {1}.").format(info.code,
                                                                         info.reason or _("the backend refused it")))
        if any(c.code.upper() == info.code.upper() for c in self.coupons):
            raise CheckoutError(_("Coupon {0} is already on this sale.").format(info.code))
        if info.discount_type == "percent":
            choice = CouponChoice(info.code, f"{info.value.normalize():f} % off", percent=info.value)
        else:
            choice = CouponChoice(info.code, f"{info.value} off", cents=money.to_cents(info.value))
        self._would_take(money.Discount(choice.label, cents=choice.cents, percent=choice.percent),
                         _("Coupon {0}").format(info.code))
        self.coupons.append(choice)
        self._settle_cart_state()
        return choice

    def remove_coupon(self, code: str) -> None:
        self.require_cart_open()
        self.coupons = [c for c in self.coupons if c.code.upper() != code.upper()]
        self._settle_cart_state()

    # -- money ---------------------------------------------------------------------

    def _would_take(self, discount: money.Discount, name: str) -> int:
        """What `discount` would take, in cents. One that would take nothing would still be
        spent (points, a coupon use): refuse it."""
        lines = self.cart.lines
        rates = money.rates_for([line.tax_class for line in lines], self.tax_rates)
        priced = money.price([line.gross for line in lines], rates, [*self.discounts(), discount],
                             inclusive=self.inclusive_tax)
        if priced.discounts[-1] == 0:
            raise CheckoutError(_("{0} would take nothing off this sale (nothing is left to discount), "
                                  "so it is not used.").format(name))
        return priced.discounts[-1]

    def discounts(self) -> list[money.Discount]:
        return ([money.Discount(f"Reward: {r.name}", cents=r.cents) for r in self.rewards]
                + [money.Discount(f"Coupon {c.code}", cents=c.cents, percent=c.percent) for c in self.coupons])

    def priced(self) -> money.Priced:
        lines = self.cart.lines
        rates = money.rates_for([line.tax_class for line in lines], self.tax_rates)
        return money.price([line.gross for line in lines], rates, self.discounts(),
                           inclusive=self.inclusive_tax, points_after_tax=self.points_after_tax)

    @property
    def paid(self) -> int:
        return (sum(c.amount for c in self.cards) + sum(t.amount for t in self.external)
                + (self.points_paid.amount if self.points_paid else 0))

    @property
    def due(self) -> int:
        return max(0, self.priced().total - self.paid)

    @property
    def change(self) -> int:
        """Cash handed back: only cash can be over-tendered."""
        return max(0, self.paid - self.priced().total)

    # -- tendering -------------------------------------------------------------------

    def start_tendering(self) -> None:
        if self.state == State.TENDERING:
            return
        if self.cart.empty:
            raise CheckoutError(_("The cart is empty: scan a product or enter an amount first."))
        self._move(State.TENDERING)

    def back_to_cart(self) -> None:
        """Tenders were worked out for the old total, so they are taken off."""
        if self.state != State.TENDERING:
            raise CheckoutError(_cart_closed(self.state))
        self.cards.clear()
        self.external.clear()
        self.points_paid = None
        self.state = State.OPEN
        self._settle_cart_state()

    def add_card(self, info: CodeInfo) -> CardTender:
        """A gift or store card pays min(balance, amount due); the rest stays due."""
        self._require_tendering()
        if info.kind not in ("giftcard", "storecard"):
            raise CheckoutError(_("{0} is a coupon: it is applied to the cart, before payment.").format(info.code))
        gift = info.kind == "giftcard"  # else a store card (the check above)
        if not info.usable:
            why = info.reason or _("the backend refused it")
            raise CheckoutError((_("Gift card {0} can't be used: {1}.") if gift
                                 else _("Store card {0} can't be used: {1}.")).format(info.code, why))
        if any(c.code.upper() == info.code.upper() for c in self.cards):
            raise CheckoutError(_("{0} is already paying for this sale.").format(info.code))
        balance = money.to_cents(info.balance if info.balance is not None else info.value)
        if balance <= 0:
            raise CheckoutError((_("Gift card {0} has nothing left on it.") if gift
                                 else _("Store card {0} has nothing left on it.")).format(info.code))
        due = self.due
        if due == 0:
            raise CheckoutError(_("Nothing is left to pay."))
        card = CardTender(info.code, info.kind, balance, money.card_amount(balance, due))
        self.cards.append(card)
        return card

    def remove_card(self, code: str) -> None:
        self._require_tendering()
        self.cards = [c for c in self.cards if c.code.upper() != code.upper()]

    def add_external(self, kind: str, amount: Decimal) -> ExternalTender:
        """Cash, a card on the store's own payment terminal, or other: recorded, never processed here."""
        self._require_tendering()
        if kind not in EXTERNAL_TENDERS:
            raise CheckoutError(_("Unknown tender {0}.").format(repr(kind)))
        cents = money.to_cents(amount)
        if cents <= 0:
            raise CheckoutError(_("Enter an amount above zero."))
        due = self.due
        if due == 0:
            raise CheckoutError(_("Nothing is left to pay."))
        if cents > due and kind != "cash":
            raise CheckoutError(_("Only {0} is due; only cash can be more (change is given).").format(
                money.to_money(due)))
        tender = ExternalTender(kind, cents)
        self.external.append(tender)
        return tender

    def add_points(self, wanted: int | None = None, up_to: int | None = None) -> PointsPaid:
        """The member's points pay what they can of what is due, at the backend's rate
        (whole cents rounded down; the points the sale's rewards need are kept for them)."""
        self._require_tendering()
        if not self.points_tender:
            raise CheckoutError(_("This loyalty service does not take points as a payment."))
        if self.member is None or self.member.points is None:
            raise CheckoutError(_("Scan or find the member first: points belong to a member."))
        if self.points_paid is not None:
            raise CheckoutError(_("The member's points are already paying for this sale."))
        rate = self.member.points.currency_ratio
        if not rate or rate <= 0:
            raise CheckoutError(_("The loyalty service does not say what a point is worth, so points can't pay here."))
        if wanted is not None and (isinstance(wanted, bool) or not isinstance(wanted, int) or wanted <= 0):
            raise CheckoutError(_("Points to use are a whole number above zero."))
        free = self.member.points.available - sum(r.credit_required for r in self.rewards)
        due = self.due if up_to is None else min(self.due, up_to)
        if self.due == 0:
            raise CheckoutError(_("Nothing is left to pay."))
        if due <= 0:
            raise CheckoutError(_("Enter an amount above zero."))
        taken = points_tender.tender(free, rate, money.to_money(due), wanted)
        if taken.points == 0:
            raise CheckoutError(_("The member's points left for paying ({0}) are worth less than a cent.").format(
                format(max(free, 0), ",")))
        self.points_paid = PointsPaid(taken.points, money.to_cents(taken.amount))
        return self.points_paid

    def remove_points(self) -> None:
        self.points_paid = None

    def remove_external(self, index: int) -> None:
        self._require_tendering()
        if not 0 <= index < len(self.external):
            raise CheckoutError(_("That tender is no longer on this sale."))
        del self.external[index]

    def drop_card(self, code: str) -> CardTender | None:
        """Used after a failed authorize: the card is taken off and its share is due again."""
        for card in self.cards:
            if card.code.upper() == code.upper():
                self.cards.remove(card)
                return card
        return None

    def _require_tendering(self) -> None:
        if self.state != State.TENDERING:
            raise CheckoutError(_("Press Pay first: tenders are added at payment.") if self.state in CART_STATES
                                else _cart_closed(self.state))

    # -- the end -----------------------------------------------------------------------

    def begin_authorize(self) -> None:
        if self.state != State.TENDERING:
            raise CheckoutError(_cart_closed(self.state) if self.state != State.OPEN
                                else _("Press Pay first."))
        if self.due:
            raise CheckoutError(_("{0} is still due.").format(money.to_money(self.due)))
        total = self.priced().total
        if self.paid - sum(t.amount for t in self.external if t.kind == "cash") > total:
            # Only cash gives change: cards and other tenders above the total are a mistake.
            raise CheckoutError(_("The cards and non-cash tenders add up to more than the total; take one off."))
        self._move(State.AUTHORIZING)

    def authorize_failed(self) -> None:
        self._move(State.TENDERING)

    def committed(self) -> None:
        self._move(State.COMMITTED)

    def void(self) -> None:
        self._move(State.VOIDED)

    # -- saving ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to rebuild the sale (after a crash) and to print its receipt."""
        priced = self.priced()
        return {
            "sale_id": self.sale_id, "operator_id": self.operator_id, "member_id": self.member_id,
            "cart": self.cart.to_json(),
            "rewards": [asdict(r) for r in self.rewards],
            "coupons": [{**asdict(c), "percent": None if c.percent is None else str(c.percent)}
                        for c in self.coupons],
            "cards": [asdict(c) for c in self.cards],
            "external": [asdict(t) for t in self.external],
            "points_paid": asdict(self.points_paid) if self.points_paid else None,
            "priced": {"lines": [asdict(line) for line in priced.lines], "discounts": list(priced.discounts),
                       "merchandise": priced.merchandise, "discount": priced.discount, "net": priced.net,
                       "tax": priced.tax, "total": priced.total, "points_basis": priced.points_basis},
            "change": self.change,
            # The rate of each tax class on the sale, as it was: the receipt's tax breakdown.
            "tax_rates": {c: str(self.tax_rates[c]) for c in {line.tax_class for line in self.cart.lines}},
        }

    @classmethod
    def restore(cls, snap: dict[str, Any], *, inclusive_tax: bool, tax_rates: Mapping[str, Decimal],
                points_after_tax: bool = False, member: MemberView | None = None) -> "Session":
        """The sale as it was at Pay, back at tendering (its redemptions were given back)."""
        session = cls(snap["sale_id"], snap["operator_id"], inclusive_tax, tax_rates, points_after_tax,
                      Cart.from_json(snap["cart"]), State.TENDERING,
                      member or (MemberView(snap["member_id"], None, None) if snap["member_id"] else None))
        session.rewards = [RewardChoice(**r) for r in snap["rewards"]]
        session.coupons = [CouponChoice(**{**c, "percent": None if c["percent"] is None else Decimal(c["percent"])})
                           for c in snap["coupons"]]
        session.cards = [CardTender(**c) for c in snap["cards"]]
        session.external = [ExternalTender(**t) for t in snap["external"]]
        paid = snap.get("points_paid")
        session.points_paid = PointsPaid(**paid) if paid else None
        return session


# A whole sentence per kind of card: a kind's name glued into one would not translate.
_CODE_IS_A = {"giftcard": N_("{0} is a gift card: add it at payment."),
              "storecard": N_("{0} is a store card: add it at payment.")}


def _cart_closed(state: State) -> str:
    return {
        State.TENDERING: _("Payment has started: go back to the cart to change it."),
        State.AUTHORIZING: _("Payment is being authorized; wait for it to finish."),
        State.COMMITTED: _("This sale is finished; start a new one."),
        State.VOIDED: _("This sale was voided; start a new one."),
    }.get(state, _("The cart can't be changed now."))


def _why_not(now: State, to: State) -> str:
    if to == State.VOIDED:
        if now == State.AUTHORIZING:
            return _("Payment is being authorized; wait for it to finish before voiding.")
        if now == State.COMMITTED:
            return _("This sale is paid; make a return instead of a void.")
    return _cart_closed(now)

