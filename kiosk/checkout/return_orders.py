"""What a return works on: an order's lines and tenders as found, the plan of a return, its outcome.

Built from the backend's order (any terminal's sale) or from this terminal's own
record of a sale (offline, or not yet synced); kiosk/checkout/returns.py finds,
plans and makes returns with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from kiosk import i18n
from kiosk.checkout import money, refunds
from kiosk.checkout.pay import external_paid
from kiosk.checkout.receipt import RECEIPT_PREFIX
from kiosk.loyalty.models import OrderResult, RewardSpent


@dataclass(frozen=True)
class ReturnableLine:
    line_id: str
    name: str
    sku: str | None
    quantity: int
    returned: int
    paid_cents: int  # what the shopper paid for the whole line (after discounts, with tax)
    # The points the line earned (None: not known here) and those already taken back.
    points: int | None = None
    points_returned: int = 0

    @property
    def left(self) -> int:
        return self.quantity - self.returned

    def points_for(self, n: int) -> int:
        """The points `n` more units take back: their share, rounded down, and the line's
        last units whatever it has left (the rule the backend's own line pricing uses)."""
        if self.points is None:
            raise ValueError("the line's points are not known")
        if n >= self.left:
            return max(self.points - self.points_returned, 0)
        return min(self.points * n // self.quantity, max(self.points - self.points_returned, 0))


@dataclass(frozen=True)
class ReturnableOrder:
    order_id: str
    member_id: str
    fully_returned: bool
    lines: tuple[ReturnableLine, ...]
    tenders: tuple[refunds.Tender, ...]  # as recorded with the sale, any order
    source: str  # backend | local
    rewards: tuple[RewardSpent, ...] = ()
    # The returns made here that the counts above include: one made since (a double
    # tap, a second window) is checked again when the return is recorded.
    seen: frozenset[str] = frozenset()

    @property
    def paid_cents(self) -> int:
        return sum(line.paid_cents for line in self.lines)

    @property
    def returned_cents(self) -> int:
        return refunds.returned_before((line.paid_cents, line.quantity, line.returned) for line in self.lines)


@dataclass(frozen=True)
class ReturnPlan:
    """What a return will do, shown before the manager approves and then carried out."""

    order: ReturnableOrder
    whole: bool  # the backend's whole-order return (nothing of the order came back before)
    picked: tuple[tuple[ReturnableLine, int], ...]
    lines: tuple[tuple[str, int, int], ...]  # (line id, quantity, refund cents)
    backs: tuple[refunds.Back, ...]
    line_points: dict[str, int] | None  # priced here; None: the backend prices them
    completes: bool  # the last of the order comes back
    rewards_back: tuple[RewardSpent, ...]  # reversed with this return
    rewards_kept: int  # points spent on the order's rewards that are not given back
    cash_policy: bool = False  # returns.refund_to = "cash"

    @property
    def total_cents(self) -> int:
        return sum(cents for _, _, cents in self.lines)

    @property
    def cards_cents(self) -> int:
        return sum(b.cents for b in self.backs if b.tender.kind == refunds.CODE)

    @property
    def points_cents(self) -> int:
        return sum(b.cents for b in self.backs if b.tender.kind == refunds.POINTS)

    @property
    def refund_cents(self) -> int:
        """What the store's own tenders pay back (card terminal, other, cash)."""
        return self.total_cents - self.cards_cents - self.points_cents

    def summary(self) -> list[str]:
        """The lines a manager reads before approving, and the cashier after."""
        names = {line.line_id: line.name for line, _ in self.picked}
        # Translators: a line of a return: quantity, item name, the refund for them.
        out = [i18n._("{0} x {1}: {2}").format(n, names[line_id], money.to_money(cents))
               for line_id, n, cents in self.lines]
        out.append(i18n._("Refund {0}:").format(money.to_money(self.total_cents)))
        out += [f"  {b.instruction}" for b in self.backs]
        if self.cash_policy and any(t.kind != refunds.CASH for t in self.order.tenders):
            out.append(i18n._("The store refunds in cash: cards and other tenders get nothing back."))
        if self.line_points is not None:
            out.append(i18n._("Points taken back: {0}").format(sum(self.line_points.values())))
        if self.rewards_back:
            out.append(i18n._("Points given back for rewards: {0}").format(sum(r.points for r in self.rewards_back)))
        if self.rewards_kept:
            out.append(i18n._("Points spent on rewards are not given back ({0}).").format(self.rewards_kept))
        return out


@dataclass(frozen=True)
class ReturnDone:
    return_id: str
    order_id: str
    whole: bool
    refund_cents: int  # due back to the shopper through the store's own tenders (not cards, not points)
    cards_cents: int  # given back onto gift and store cards
    points_removed: int | None  # None: pending until the return reaches the backend
    lines: tuple[tuple[str, int, int], ...]  # (line id, quantity, refund cents)
    message: str
    backs: tuple[refunds.Back, ...] = ()
    points_given_back: int = 0  # for the order's rewards
    rewards_kept: int = 0
    ok: bool = True  # False: the backend refused the return, and nothing is given back
    member_id: str | None = None  # None: a guest's order
    approver_id: str = ""


def order_id_from_scan(text: str, prefix: str = RECEIPT_PREFIX) -> str:
    text = text.strip()
    return text[len(prefix):] if text.upper().startswith(prefix.upper()) else text


def _paid_per_line(order: OrderResult, inclusive: bool) -> list[int]:
    """What each line cost the shopper. The lines' own discount and tax (which Kiosk
    sends) when the backend gives them back; otherwise the order's discount and tax
    spread the way the sale spread them, so a refund never exceeds what was paid."""
    grosses = [money.to_cents(line.unit_price) * line.quantity for line in order.lines]
    if all(line.discount is not None for line in order.lines):
        discounts = [money.to_cents(line.discount or 0) for line in order.lines]
    else:
        discounts = money.spread(min(money.to_cents(order.discount or 0), sum(grosses)), grosses)
    nets = [max(g - d, 0) for g, d in zip(grosses, discounts)]
    if inclusive:
        return nets
    if all(line.tax is not None for line in order.lines):
        taxes = [money.to_cents(line.tax or 0) for line in order.lines]
    else:
        # Without the order's tax, the refund leaves the tax out: short, never over.
        tax = money.to_cents(order.tax or 0)
        taxes = [tax * n // sum(nets) for n in nets] if sum(nets) else [0] * len(nets)
    return [n + t for n, t in zip(nets, taxes)]


def from_backend(order: OrderResult, inclusive: bool) -> ReturnableOrder:
    lines = tuple(ReturnableLine(line.id, line.name, line.sku, line.quantity, line.returned, paid)
                  for line, paid in zip(order.lines, _paid_per_line(order, inclusive)))
    tenders = tuple(refunds.Tender(refunds.CODE, money.to_cents(p.amount), p.code, p.reference_id, p.user_id)
                    if p.kind == "code" else
                    refunds.Tender(refunds.POINTS, money.to_cents(p.amount), "", p.reference_id, p.user_id,
                                   points=p.points or 0) if p.kind == "points" else
                    refunds.Tender(p.kind, money.to_cents(p.amount))
                    for p in order.payments)
    whole = order.status in ("return", "returned")
    return ReturnableOrder(order.order_id, order.member_id, whole, lines, tenders, "backend", order.rewards)


def from_sale(snapshot: dict, member_id: str, cards: list[refunds.Tender],
              rewards: tuple[RewardSpent, ...] = ()) -> ReturnableOrder:
    priced = snapshot["priced"]["lines"]
    lines = tuple(ReturnableLine(line["line_id"], line["name"], line["sku"], line["quantity"], 0, p["total"])
                  for line, p in zip(snapshot["cart"]["lines"], priced))
    external = [SimpleNamespace(**t) for t in snapshot.get("external", [])]
    tenders = tuple(cards) + tuple(refunds.Tender(kind, cents)
                                   for kind, cents in external_paid(external, snapshot.get("change", 0)))
    return ReturnableOrder(snapshot["sale_id"], member_id, False, lines, tenders, "local", rewards)
