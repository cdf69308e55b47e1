"""The receipt as data, built from a committed sale; the UI prints it (ESC/POS, PDF).

`text()` lays it out in fixed-width columns: what a thermal printer prints, and
what tests and the command line read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kiosk.checkout.money import to_money

RECEIPT_PREFIX = "R:"  # as the scanner's receipt_prefix setting reads it
TENDER_NAMES = {"cash": "Cash", "card": "Card (store terminal)", "other": "Other"}


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal  # before discounts
    overridden_from: Decimal | None = None


@dataclass(frozen=True)
class Receipt:
    sale_id: str
    store_id: str | None
    terminal_id: str
    operator_id: str
    at: datetime
    lines: tuple[ReceiptLine, ...]
    merchandise: Decimal
    discounts: tuple[tuple[str, Decimal], ...]
    tax: Decimal
    tax_inclusive: bool
    total: Decimal
    tenders: tuple[tuple[str, Decimal], ...]
    change: Decimal
    cards_left: tuple[tuple[str, str], ...]  # code (masked), balance left or "confirmed later"
    member_id: str | None
    points_earned: int | None  # None: pending
    points_balance: int | None
    reward_codes: tuple[str, ...]
    barcode: str  # scanned at a return: "R:" + the order id

    def text(self, width: int = 42) -> str:
        out = [self.store_id or "", f"Sale {self.sale_id}",
               f"{self.at:%Y-%m-%d %H:%M}  till {self.terminal_id}  cashier {self.operator_id}", "-" * width]
        for line in self.lines:
            out.append(line.name if len(line.name) <= width else line.name[: width - 1] + "…")
            detail = f"  {line.quantity} x {line.unit_price}"
            if line.overridden_from is not None:
                detail += f" (was {line.overridden_from})"
            out.append(_row(detail, str(line.amount), width))
        out.append("-" * width)
        out.append(_row("Subtotal", str(self.merchandise), width))
        for label, amount in self.discounts:
            out.append(_row(label, f"-{amount}", width))
        out.append(_row("Tax (included)" if self.tax_inclusive else "Tax", str(self.tax), width))
        out.append(_row("TOTAL", str(self.total), width))
        for label, amount in self.tenders:
            out.append(_row(label, str(amount), width))
        if self.change:
            out.append(_row("Change", str(self.change), width))
        for code, left in self.cards_left:
            out.append(_row(f"  {code} left", left, width))
        if self.member_id:
            out.append("-" * width)
            out.append(f"Member {self.member_id}")
            out.append(_row("Points earned", "pending" if self.points_earned is None else str(self.points_earned),
                            width))
            if self.points_balance is not None:
                out.append(_row("Points balance", str(self.points_balance), width))
            for code in self.reward_codes:
                out.append(_row("Reward code", code, width))
        out.append("-" * width)
        # The printer draws self.barcode as a Code 128 barcode under this line.
        out.append("Keep this receipt for returns.")
        return "\n".join(out) + "\n"


def mask(code: str) -> str:
    """A gift card's code is money: the receipt shows only its end."""
    return "*" * max(len(code) - 4, 0) + code[-4:]


def build(receipt: dict, *, store_id: str | None, terminal_id: str, tax_inclusive: bool,
          at: datetime, barcode_prefix: str = RECEIPT_PREFIX) -> Receipt:
    """`receipt` is the committed sale's snapshot (PayResult.receipt)."""
    priced = receipt["priced"]
    lines = tuple(ReceiptLine(line["name"], line["quantity"], to_money(line["unit_cents"]),
                              to_money(line["unit_cents"] * line["quantity"]),
                              None if line["list_cents"] is None else to_money(line["list_cents"]))
                  for line in receipt["cart"]["lines"])
    labels = [f"Reward: {r['name']}" for r in receipt["rewards"]] + [f"Coupon {c['code']}" for c in receipt["coupons"]]
    discounts = tuple((label, to_money(cents)) for label, cents in zip(labels, priced["discounts"]) if cents)
    tenders = tuple((f"{'Store' if c['kind'] == 'storecard' else 'Gift'} card {mask(c['code'])}",
                     to_money(c["amount"])) for c in receipt["cards"])
    tenders += tuple((TENDER_NAMES.get(t["kind"], t["kind"]), to_money(t["amount"])) for t in receipt["external"])
    cards_left = tuple((mask(c["code"]), str(to_money(c["balance"] - c["amount"])) if c.get("checked", True)
                        else "confirmed later") for c in receipt["cards"])
    return Receipt(receipt["sale_id"], store_id, terminal_id, receipt["operator_id"], at, lines,
                   to_money(priced["merchandise"]), discounts, to_money(priced["tax"]), tax_inclusive,
                   to_money(priced["total"]), tenders, to_money(receipt.get("change", 0)), cards_left,
                   receipt["member_id"], receipt.get("points_awarded"), receipt.get("points_after"),
                   tuple(receipt.get("reward_codes", ())), barcode_prefix + receipt["sale_id"])


def _row(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(room - 1, 0)] + "…"
    return f"{left:<{room}} {right}"
