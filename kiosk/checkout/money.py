"""The money rules of a sale, in integer cents. Everything a receipt shows comes from here.

1. Discounts (rewards, coupons) come off merchandise before tax. Percent coupons
   are taken of the merchandise first, then fixed discounts in the order they were
   applied; no discount takes more than is left, so a sale never goes below zero.
2. Each discount is spread over the lines in proportion to what each line still
   carries, and the cents are shared by largest remainder, so the lines' shares
   add up to the discount exactly, and the same cart always splits the same way.
3. Tax is computed per line, on the line after its discounts, rounded half up to
   the cent. Exclusive: added on top. Inclusive: the part of the price that is tax.
4. Gift and store cards are tenders, not discounts: they pay the total after tax.
5. The amount sent for points is merchandise after discounts, before tax (or after
   tax, when the store's settings say so).

Cents are ints so that nothing here can ever be a float; Decimal only at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Mapping, Sequence

from kiosk.checkout.errors import MoneyError
from kiosk.i18n import _

CENT = Decimal("0.01")


MAX_CENTS = 10**13  # 100 billion: no till amount comes near; beyond it is a typo or garbage


def to_cents(amount: Decimal | str | int) -> int:
    if isinstance(amount, float):
        raise TypeError("money is never a float")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
        exact = value.is_finite() and value == value.quantize(CENT)
    except (InvalidOperation, ValueError):
        raise MoneyError(_("“{0}” is not an amount of money.").format(amount)) from None
    if not value.is_finite() or abs(value) * 100 > MAX_CENTS:
        raise MoneyError(_("“{0}” is not an amount of money.").format(amount))
    if not exact:
        raise MoneyError(_("{0} has more than two decimals; amounts are in whole cents.").format(amount))
    return int(value * 100)


def to_money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """Share `total` cents over `weights` in proportion, by largest remainder.

    Ties go to the earlier line, so the split is stable. Shares never exceed a
    weight when total <= sum(weights)."""
    whole = sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    if total > whole:
        raise ValueError("cannot spread more than the weights hold")
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Discount:
    """A reward or coupon as money: `percent` (e.g. Decimal('10')) or a fixed `cents`."""

    label: str
    cents: int = 0
    percent: Decimal | None = None


@dataclass(frozen=True)
class PricedLine:
    gross: int  # unit price x quantity
    discount: int
    net: int  # gross - discount
    tax: int
    total: int  # what the shopper pays for the line


@dataclass(frozen=True)
class Priced:
    lines: tuple[PricedLine, ...]
    discounts: tuple[int, ...]  # what each Discount actually took, in order
    merchandise: int
    discount: int
    net: int
    tax: int
    total: int  # what the shopper pays
    points_basis: int  # the amount the order sends for points

    @property
    def order_total(self) -> int:
        """`orderTotal` on the order: the backend subtracts `discountAmount` itself."""
        return self.points_basis + self.discount


def line_tax(net: int, rate_percent: Decimal, inclusive: bool) -> int:
    if net <= 0 or rate_percent == 0:
        return 0
    rate = Decimal(rate_percent)
    tax = Decimal(net) * rate / (100 + rate) if inclusive else Decimal(net) * rate / 100
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price(grosses: Sequence[int], tax_rates: Sequence[Decimal], discounts: Sequence[Discount], *,
          inclusive: bool, points_after_tax: bool = False) -> Priced:
    if len(grosses) != len(tax_rates):
        raise ValueError("one tax rate per line")
    if any(g < 0 for g in grosses):
        raise ValueError("a line cannot be negative")
    remaining = list(grosses)
    ordered = sorted(range(len(discounts)), key=lambda i: discounts[i].percent is None)
    amounts = [0] * len(discounts)
    merchandise = sum(grosses)
    for i in ordered:
        d = discounts[i]
        left = sum(remaining)
        if d.percent is not None:
            want = int((Decimal(merchandise) * d.percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        else:
            want = d.cents
        amount = max(0, min(want, left))
        for n, share in enumerate(spread(amount, remaining)):
            remaining[n] -= share
        amounts[i] = amount
    lines = []
    for gross, net, rate in zip(grosses, remaining, tax_rates):
        tax = line_tax(net, rate, inclusive)
        lines.append(PricedLine(gross, gross - net, net, tax, net if inclusive else net + tax))
    net = sum(remaining)
    tax = sum(line.tax for line in lines)
    total = sum(line.total for line in lines)
    pre_tax = net - tax if inclusive else net
    return Priced(tuple(lines), tuple(amounts), merchandise, merchandise - net, net, tax, total,
                  total if points_after_tax else pre_tax)


def rates_for(tax_classes: Sequence[str], rates: Mapping[str, Decimal]) -> list[Decimal]:
    missing = sorted({c for c in tax_classes if c not in rates})
    if missing:
        # The tax classes by their settings names: what IT looks for in tax.rates.
        raise MoneyError(_("No tax rate is set for tax class {0}: ask IT to add it to the settings (tax.rates).")
                         .format(", ".join(missing)))
    return [Decimal(rates[c]) for c in tax_classes]


def card_amount(balance: int, due: int) -> int:
    """A gift or store card pays what it can: min(balance, amount due), never negative."""
    return max(0, min(balance, due))


def refund_share(paid: int, bought: int, already: int, returning: int) -> int:
    """What `returning` more units of a line give back, of the `paid` for `bought` units.

    Rounded down, and the last units take whatever the line has left, so a line
    returned in steps gives back exactly what was paid for it, never more."""
    if not 0 < returning <= bought - already:
        raise ValueError("cannot return more than was bought")
    if already + returning == bought:
        return paid - paid * already // bought
    return paid * (already + returning) // bought - paid * already // bought
