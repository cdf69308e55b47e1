"""The cart: lines, quantities, price overrides. Prices in integer cents.

A cart is plain data so that a sale can be saved at Pay (and restored after a
crash) exactly as the cashier left it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from kiosk.checkout.errors import CartError
from kiosk.checkout.money import to_cents
from kiosk.i18n import _

MAX_QUANTITY = 999  # per line; checkout.max_quantity sets it per store
MAX_LINE_CENTS = 10_000_000  # 100,000.00: beyond that a slip of the finger is likelier than a sale


class ProductLike(Protocol):
    sku: str
    name: str
    price: Decimal
    tax_class: str


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str
    name: str
    unit_cents: int
    quantity: int
    tax_class: str
    # Set when a manager changed the price: what it was, why, and who approved.
    list_cents: int | None = None
    override_reason: str | None = None
    override_approver: str | None = None

    @property
    def gross(self) -> int:
        return self.unit_cents * self.quantity


class Cart:
    def __init__(self, lines: list[Line] | None = None, next_id: int = 1, max_quantity: int = MAX_QUANTITY):
        self.lines: list[Line] = list(lines or [])
        self._next = next_id
        self.max_quantity = max_quantity
        # Set by the checkout session once payment starts: tenders were worked out
        # for this total, so a change now could pay gift-card value out as change.
        self.locked = False

    def _editable(self) -> None:
        if self.locked:
            raise CartError(_("Payment has started: go back to the cart to change it."))

    # -- changing ------------------------------------------------------------

    def add(self, product: ProductLike, quantity: int = 1) -> Line:
        """Scanning the same product again adds to its line (unless that line's price was changed)."""
        self._editable()
        self._check_quantity(quantity)
        for n, line in enumerate(self.lines):
            if line.sku == product.sku and line.list_cents is None:
                return self._replace(n, replace(line, quantity=self._check_quantity(line.quantity + quantity)))
        return self._append(product.sku, product.name, to_cents(product.price), quantity, product.tax_class)

    def set_quantity(self, line_id: str, quantity: int) -> Line | None:
        """Quantity 0 removes the line."""
        self._editable()
        n = self._index(line_id)
        if quantity == 0:
            self.lines.pop(n)
            return None
        return self._replace(n, replace(self.lines[n], quantity=self._check_quantity(quantity)))

    def remove(self, line_id: str) -> Line:
        self._editable()
        return self.lines.pop(self._index(line_id))

    def put_back(self, line: Line, index: int) -> Line:
        """A line just taken off (removed, or its last unit), back where it was: an undo.
        Its id is its own again, so the order never sees two lines with one id."""
        self._editable()
        if any(other.line_id == line.line_id for other in self.lines):
            raise CartError(_("That line is already in the cart."))
        self.lines.insert(min(max(index, 0), len(self.lines)), line)
        return line

    def override_price(self, line_id: str, price: Decimal, reason: str, approver_id: str) -> Line:
        self._editable()
        reason = reason.strip()
        if not reason:
            raise CartError(_("Say why the price is changed (the reason is kept with the sale)."))
        cents = to_cents(price)
        if cents < 0:
            raise CartError(_("A price can't be below zero."))
        n = self._index(line_id)
        line = self.lines[n]
        if cents * line.quantity > MAX_LINE_CENTS:
            raise CartError(_("That price is too high for one line."))
        return self._replace(n, replace(line, unit_cents=cents, override_reason=reason,
                                        override_approver=approver_id,
                                        list_cents=line.list_cents if line.list_cents is not None
                                        else line.unit_cents))

    def clear(self) -> None:
        self._editable()
        self.lines.clear()

    # -- reading ---------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.lines

    def line(self, line_id: str) -> Line:
        return self.lines[self._index(line_id)]

    def to_json(self) -> dict[str, Any]:
        return {"next": self._next, "lines": [asdict(line) for line in self.lines]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Cart":
        return cls([Line(**line) for line in data["lines"]], data["next"])

    # -- inside ------------------------------------------------------------------

    def _append(self, sku: str, name: str, cents: int, quantity: int, tax_class: str) -> Line:
        if cents < 0:
            raise CartError(_("{0} has a negative price in the catalogue; it can't be sold.").format(name))
        if cents * quantity > MAX_LINE_CENTS:
            raise CartError(_("That amount is too high for one line."))
        # Line ids go to the backend: returns name lines by id, so they never change or repeat.
        line = Line(str(self._next), sku, name, cents, quantity, tax_class)
        self._next += 1
        self.lines.append(line)
        return line

    def _replace(self, n: int, line: Line) -> Line:
        if line.gross > MAX_LINE_CENTS:
            raise CartError(_("That is too much for one line."))
        self.lines[n] = line
        return line

    def _check_quantity(self, quantity: int) -> int:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= self.max_quantity:
            raise CartError(_("A quantity is a whole number from 1 to {0}.").format(self.max_quantity))
        return quantity

    def _index(self, line_id: str) -> int:
        for n, line in enumerate(self.lines):
            if line.line_id == line_id:
                return n
        raise CartError(_("That line is no longer in the cart."))
