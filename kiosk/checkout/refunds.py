"""Where a return's money goes: back to the tenders that paid, gift and store cards first.

A sale's tenders take a refund in this order: gift and store cards (in the order they
paid), the store's card terminal, other tenders, cash. What each tender has got back
is a function of how much of the sale has come back in all, filled tender by tender
(the first cents returned go onto the cards). The returned amount so far follows from
the order's returned quantities alone (the refund rule rounds cumulatively), so any
terminal computes the same split, and "Return everything" after a partial return gives
each tender what it has not yet got back. Nothing can exceed what a tender paid.

A card given back in part: its live redemption is undone and what is left redeemed
again, under a reference derived from the original one and the cents given back so
far, so that the next return, at any terminal, can name it to undo it in turn.

The member's points as a tender are given back in proportion instead (the rule of
kiosk/checkout/points_tender.py): on everything returned so far, the points' share
rounded down, the last return taking the rest, and their money is what those points
paid; the other tenders share what remains, as above.

`returns.refund_to = "cash"` (a store's policy) pays every refund in cash: the cards
and the points keep what they paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from kiosk import formats
from kiosk.checkout import money
from kiosk.checkout.receipt import mask
from kiosk.i18n import N_, _

CODE, TERMINAL, OTHER, CASH, POINTS = "code", "card", "other", "cash", "points"
# A part of an order's total that no recorded tender covers (an order from before
# tenders were recorded with it): given back the way the shopper paid.
UNRECORDED = "unrecorded"
_ORDER = {POINTS: -1, CODE: 0, TERMINAL: 1, OTHER: 2, UNRECORDED: 3, CASH: 4}
REFUND_TO = ("original", "cash")


@dataclass(frozen=True)
class Tender:
    kind: str  # code (a gift or store card), card (the store's card terminal), other, cash, unrecorded
    paid_cents: int
    code: str = ""  # a card's code, and the redemption that paid (its reference and member)
    reference_id: str = ""
    user_id: str = ""
    points: int = 0  # a points tender: the points taken


@dataclass(frozen=True)
class Back:
    """What one tender gets back from one return."""

    tender: Tender
    cents: int
    before: int  # what it had got back before this return
    points: int = 0  # a points tender: the points given back now

    @property
    def label(self) -> str:
        return label(self.tender)

    @property
    def instruction(self) -> str:
        amount = money.to_money(self.cents)
        kind = self.tender.kind
        if kind == CODE:
            # The card's words here, not label(): the label is stored, this is read on screen.
            return _("{0} goes back onto card {1}").format(amount, mask(self.tender.code))
        if kind == POINTS:
            return _("{0} points ({1}) go back to the member").format(formats.points(self.points), amount)
        if kind == TERMINAL:
            return _("Refund {0} on the card terminal").format(amount)
        if kind == CASH:
            return _("Give back {0} in cash").format(amount)
        if kind == OTHER:
            return _("Give back {0} through the other tender the sale was paid with").format(amount)
        return _("Give back {0} the way the shopper paid").format(amount)


def label(t: Tender) -> str:
    """In English: stored with the return (its snapshot) and printed on its receipt."""
    if t.kind == CODE:
        return f"card {mask(t.code)}"
    # N_: kept in English; the return receipt prints them in the store's language.
    return {TERMINAL: N_("Card terminal"), CASH: N_("Cash"), OTHER: N_("Other tender"),
            POINTS: N_("Points")}.get(t.kind, N_("As paid"))


def ordered(tenders: Iterable[Tender], total_cents: int, policy: str = "original") -> tuple[Tender, ...]:
    """The tenders in the order they take a refund, topped up to `total_cents` (what the
    lines were paid) by an unrecorded remainder, or only cash under the cash policy."""
    if policy not in REFUND_TO:
        raise ValueError(f"returns.refund_to is {policy!r}, not one of {', '.join(REFUND_TO)}")
    if policy == "cash":
        return (Tender(CASH, total_cents),)
    kept = sorted((t for t in tenders if t.paid_cents > 0), key=lambda t: _ORDER.get(t.kind, 3))
    short = total_cents - sum(t.paid_cents for t in kept)
    if short > 0:
        kept.append(Tender(UNRECORDED, short))
    return tuple(kept)


def filled(tenders: Sequence[Tender], cents: int) -> list[int]:
    """`cents` given back in all, tender by tender in order; never more than one paid."""
    out = []
    for t in tenders:
        take = max(min(t.paid_cents, cents), 0)
        out.append(take)
        cents -= take
    return out


def split(tenders: Sequence[Tender], before: int, now: int, total: int | None = None) -> tuple[Back, ...]:
    """What each tender gets from a return of `now` cents after `before` came back already,
    of a sale of `total` (by default what the tenders paid)."""
    total = sum(t.paid_cents for t in tenders) if total is None else total
    backs, rest_before, rest_after = [], before, before + now
    for t in (t for t in tenders if t.kind == POINTS):
        was, will = points_back(t, before, total), points_back(t, before + now, total)
        if will[1] > was[1] or will[0] > was[0]:
            backs.append(Back(t, will[1] - was[1], was[1], points=will[0] - was[0]))
        rest_before -= was[1]
        rest_after -= will[1]
    others = [t for t in tenders if t.kind != POINTS]
    was, will = filled(others, rest_before), filled(others, rest_after)
    return tuple(backs) + tuple(Back(t, b - a, a) for t, a, b in zip(others, was, will) if b > a)


def points_back(t: Tender, returned: int, total: int) -> tuple[int, int]:
    """(points, cents) of a points tender given back once `returned` of `total` came back:
    the points' share rounded down (all of them at the end), and the money those points paid."""
    if total <= 0 or returned >= total:
        return t.points, t.paid_cents
    points = t.points * returned // total
    return points, (t.paid_cents * points // t.points) if t.points else 0


def respend_key(reference_id: str, given_back_cents: int) -> str:
    """The reference of a card's remainder, redeemed again after `given_back_cents` went back."""
    return f"{reference_id[:80]}-R{given_back_cents}"


def live(t: Tender, given_back_cents: int) -> tuple[str, int]:
    """The redemption standing on a card after `given_back_cents` went back: (reference, cents)."""
    if given_back_cents == 0:
        return t.reference_id, t.paid_cents
    return respend_key(t.reference_id, given_back_cents), t.paid_cents - given_back_cents


def returned_before(lines: Iterable[tuple[int, int, int]]) -> int:
    """What came back already, from each line's (paid, bought, returned): the refund rule's
    cumulative rounding makes this exactly the sum of the earlier refunds."""
    return sum(money.refund_share(paid, bought, 0, returned) for paid, bought, returned in lines if returned)
