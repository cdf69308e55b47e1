"""Points as a tender: the money rules, in one place for every backend (kiosk/checkout/README.md).

Money is Decimal, never float. The backend says what one point is worth (its
conversion rate); the terminal never pays out more than the points cover, never more
than is due, and never a fraction of a cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PointsTender:
    points: int
    amount: Decimal


def value_of(points: int, rate: Decimal) -> Decimal:
    """What `points` pay, in whole cents rounded down."""
    return (Decimal(points) * rate).quantize(CENT, ROUND_DOWN)


def tender(available: int, rate: Decimal, due: Decimal, wanted: int | None = None) -> PointsTender:
    """The points to take and the amount they pay: at most the amount due, at most the
    member's points (or `wanted`, the cashier's choice), the amount in whole cents rounded
    down, and no point taken that pays nothing."""
    if rate <= 0 or due <= 0 or available <= 0:
        return PointsTender(0, Decimal("0.00"))
    cap = min(available, wanted if wanted is not None else available)
    # The fewest points that pay the whole amount due; fewer if the member has fewer.
    needed = int((due / rate).to_integral_value(ROUND_DOWN))
    if value_of(needed, rate) < due:
        needed += 1
    points = min(cap, needed)
    amount = min(value_of(points, rate), due)
    # Points beyond those whose value is already counted pay nothing: keep them.
    while points > 0 and value_of(points - 1, rate) >= amount:
        points -= 1
    return PointsTender(points, amount) if amount > 0 else PointsTender(0, Decimal("0.00"))


def given_back(used: PointsTender, sale_total: Decimal, returned_now: Decimal,
               returned_before: Decimal = Decimal("0.00"),
               back_before: PointsTender = PointsTender(0, Decimal("0.00"))) -> PointsTender:
    """The points (and their money) a return gives back: the returned lines' share of the
    sale, rounded down. Computed on everything returned so far, less what was given back
    before, so rounding never drifts; the return that brings the last of the sale back
    gives back every point still out, so a sale returned in steps returns exactly what was taken."""
    if sale_total <= 0 or used.points <= 0 or returned_now <= 0:
        return PointsTender(0, Decimal("0.00"))
    returned = returned_before + returned_now
    if returned >= sale_total:
        return PointsTender(used.points - back_before.points, used.amount - back_before.amount)
    share = returned / sale_total
    points = int((Decimal(used.points) * share).to_integral_value(ROUND_DOWN)) - back_before.points
    amount = (used.amount * share).quantize(CENT, ROUND_DOWN) - back_before.amount
    return PointsTender(max(points, 0), max(amount, Decimal("0.00")))
