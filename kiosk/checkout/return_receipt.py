"""The return receipt: what came back, what each tender got back, and the points.

It prints and saves as a PDF through the same paths as a sale's receipt (it has the
`sale_id`, `heading`, `total`, `barcode` and `text()` they use); its barcode is the
original sale's, so the same receipt finds the order again for a later return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from kiosk.checkout.money import to_money
from kiosk.checkout.receipt import RECEIPT_PREFIX, TRAINING_MARK, _fit, _row

if TYPE_CHECKING:
    from kiosk.checkout.returns import ReturnDone
    from kiosk.config import StoreSettings


@dataclass(frozen=True)
class ReturnReceipt:
    sale_id: str  # the return's id: names the PDF
    order_id: str
    store_id: str | None
    terminal_id: str
    operator_id: str
    approver_id: str
    at: datetime
    lines: tuple[tuple[str, int, Decimal], ...]  # name, quantity, refund
    total: Decimal
    tenders: tuple[tuple[str, Decimal], ...]  # label, amount given back
    member_id: str | None
    points_removed: int | None  # None: pending
    points_given_back: int
    rewards_kept: bool
    barcode: str
    store_name: str = ""
    training: bool = False

    total_label = "REFUND TOTAL"  # printed bold, as a sale's TOTAL

    @property
    def heading(self) -> str:
        return self.store_name or self.store_id or ""

    def text(self, width: int = 42) -> str:
        head = [self.heading, *([f"Store {self.store_id}"] if self.store_name and self.store_id else []),
                "RETURN", f"Return {self.sale_id}", f"Of sale {self.order_id}",
                f"{self.at:%Y-%m-%d %H:%M}  till {self.terminal_id}  cashier {self.operator_id}",
                f"Approved by {self.approver_id}"]
        out = [line for text in head for line in _fit(text, width)] + ["-" * width]
        if self.training:
            out = [TRAINING_MARK.center(width), *out, TRAINING_MARK.center(width)]
        for name, quantity, amount in self.lines:
            out.append(name if len(name) <= width else name[: width - 1] + "…")
            out.append(_row(f"  {quantity} returned", str(amount), width))
        out.append("-" * width)
        out.append(_row(self.total_label, str(self.total), width))
        out += [_row(f"  {label}", str(amount), width) for label, amount in self.tenders]
        if self.member_id:
            out.append("-" * width)
            out += _fit(f"Member {self.member_id}", width)
            out.append(_row("Points taken back", "pending" if self.points_removed is None
                            else str(self.points_removed), width))
            if self.points_given_back:
                out.append(_row("Points given back (rewards)", str(self.points_given_back), width))
            if self.rewards_kept:
                out += _fit("Points spent on rewards are not given back.", width)
        out.append("-" * width)
        # The printer draws the sale's barcode under this line.
        out += _fit("The sale's barcode, for a later return:", width)
        if self.training:
            out.append(TRAINING_MARK.center(width))
        return "\n".join(out) + "\n"


def build(done: ReturnDone, names: dict[str, str], *, member_id: str | None, store_id: str | None,
          terminal_id: str, operator_id: str, approver_id: str, at: datetime,
          store: StoreSettings | None = None, training: bool = False) -> ReturnReceipt:
    """`names`: line id -> item name (the order's lines)."""
    lines = tuple((names.get(line_id, line_id), n, to_money(cents)) for line_id, n, cents in done.lines)
    tenders = tuple((_label(b.label) + (f" ({b.points:,})" if b.points else ""), to_money(b.cents)) for b in done.backs)
    return ReturnReceipt(done.return_id, done.order_id, store_id, terminal_id, operator_id, approver_id, at,
                         lines, to_money(sum(cents for _, _, cents in done.lines)), tenders, member_id,
                         done.points_removed, done.points_given_back, bool(done.rewards_kept),
                         RECEIPT_PREFIX + done.order_id, store.name if store else "", training)


def _label(label: str) -> str:
    return label[0].upper() + label[1:] if label else label
