"""The sale under way, as the screen drives it: every backend or database call is a task.

No widgets here: the cart, member and tender views (and, later, the self-service
kiosk) listen to `changed` and read `session`. A sentence for the person comes
out of `tasks.failed`; the views never see an exception.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Awaitable, Callable

from PySide6.QtCore import QObject, Signal

from kiosk.checkout import money
from kiosk.checkout import receipt as receipts
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.session import CART_STATES, Session, State
from kiosk.scanner import payload
from kiosk.scanner.events import Scanned

def amount_of(text: str) -> Decimal:
    """What the cashier typed, with a decimal comma allowed; money.to_cents says what is wrong with it."""
    return money.to_money(money.to_cents(text.strip().replace(",", ".")))


class Sale(QObject):
    changed = Signal()  # the cart, member, rewards, coupons or tenders changed
    search_results = Signal(list)  # catalogue products for the typed text
    paying = Signal(bool)
    paid = Signal(object, object)  # PayResult, its Receipt (None when it failed)
    receipt_scanned = Signal(str)  # an order id: the returns dialog opens with it
    voided = Signal()

    def __init__(self, terminal, tasks, operator_id: str, parent: QObject | None = None):
        super().__init__(parent)
        self.terminal = terminal
        self.till = terminal.till
        self.checkout = terminal.till.checkout
        self.tasks = tasks
        self.operator_id = operator_id
        self.formats = payload.PayloadFormats.from_settings(terminal.settings.scanner)
        self.session: Session = self.checkout.new_sale(operator_id)

    # -- helpers -------------------------------------------------------------------------

    _scans = 0

    def _say(self, sentence: str) -> None:
        self.tasks.failed.emit(sentence)

    def _now(self, fn: Callable[[], Any]) -> Any:
        """A synchronous change to the session: a refusal becomes a notice."""
        try:
            result = fn()
        except CheckoutError as exc:
            self._say(str(exc))
            return None
        self.changed.emit()
        return result

    def _task(self, name: str, work: Awaitable[Any], on_ok: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], bool] | None = None) -> asyncio.Task:
        def done(value: Any) -> None:
            if on_ok is not None:
                on_ok(value)
            self.changed.emit()

        def failed(exc: BaseException) -> bool:
            if on_error is not None and on_error(exc):
                return True
            self.changed.emit()
            return False  # Tasks tells the cashier (ui/tasks.py: sentence)

        return self.tasks.run(name, work, done, failed)

    @property
    def cart_open(self) -> bool:
        return self.session.state in CART_STATES

    # -- products ---------------------------------------------------------------------------

    def add_text(self, text: str) -> None:
        """What was typed or scanned in the product field: a barcode, a sku, or a name to search."""
        text = text.strip()
        if not text:
            return
        catalogue = self.till.catalogue

        def find():
            if text.isdigit() and len(text) >= 8:
                try:
                    found = catalogue.by_barcode(text)
                except ValueError:
                    found = None
                if found is not None:
                    return found, []
            found = catalogue.by_sku(text) or catalogue.by_sku(text.upper())
            return found, ([] if found else catalogue.search(text, 20))

        def show(answer):
            product, matches = answer
            if product is not None:
                self.add_product(product)
            elif len(matches) == 1:
                self.add_product(matches[0])
            elif matches:
                self.search_results.emit(matches)
            else:
                self._say(f"No product has the code or name “{text}”.")

        self._task(self._scan_task(), asyncio.to_thread(find), show)

    def search(self, text: str) -> None:
        if len(text.strip()) < 2:
            self.search_results.emit([])
            return
        self.tasks.run("search", asyncio.to_thread(self.till.catalogue.search, text, 20),
                       self.search_results.emit)

    def add_barcode(self, gtin: str) -> None:
        def show(product):
            if product is None:
                self._say(f"Barcode {gtin} is not in the catalogue. Type the product's name instead.")
            else:
                self.add_product(product)

        self._task(self._scan_task(), asyncio.to_thread(self.till.catalogue.by_barcode, gtin), show)

    def _scan_task(self, kind: str = "product") -> str:
        # Each scan its own task: two products (or two gift cards) scanned in one burst
        # are both taken, where a shared name would let the second cancel the first.
        self._scans += 1
        return f"{kind}-{self._scans}"

    def add_product(self, product) -> None:
        self._now(lambda: self.session.cart.add(product))

    def set_quantity(self, line_id: str, quantity: int) -> None:
        self._now(lambda: self.session.cart.set_quantity(line_id, max(quantity, 0)))

    def change_quantity(self, line_id: str, step: int) -> None:
        try:
            line = self.session.cart.line(line_id)
        except CheckoutError as exc:
            self._say(str(exc))
            return
        self.set_quantity(line_id, line.quantity + step)

    def remove_line(self, line_id: str) -> None:
        self._now(lambda: self.session.cart.remove(line_id))

    def override_price(self, line_id: str, price: Decimal, approval) -> None:
        self._task("override", self.checkout.override_price(self.session, line_id, price, approval.reason,
                                                            approval))

    # -- the member -------------------------------------------------------------------------

    def find_member(self, ref: str) -> None:
        def attach(view):
            if self.cart_open:
                self.session.attach_member(view)

        self._task("member", self.checkout.find_member(ref), attach)

    def remove_member(self) -> None:
        self._now(self.session.detach_member)

    def select_reward(self, reward) -> None:
        self._now(lambda: self.session.select_reward(reward))

    def remove_reward(self, reward_id: str) -> None:
        self._now(lambda: self.session.remove_reward(reward_id))

    # -- codes and tenders ------------------------------------------------------------------

    def enter_code(self, code: str) -> None:
        """A coupon while the cart is open; a gift or store card otherwise (or when it is one)."""
        code = code.strip().upper()
        if not code:
            return
        # One validation says what the code is: a coupon goes on the cart, a card pays.
        self._task(self._scan_task("code"), self.checkout.apply_code(self.session, code))

    def remove_coupon(self, code: str) -> None:
        self._now(lambda: self.session.remove_coupon(code))

    def remove_card(self, code: str) -> None:
        self._now(lambda: self.session.remove_card(code))

    def add_external(self, kind: str, amount_text: str) -> None:
        def add():
            if self.session.state != State.TENDERING:
                self.session.start_tendering()
            amount = amount_of(amount_text) if amount_text.strip() else Decimal(self.session.due) / 100
            return self.session.add_external(kind, amount)

        self._now(add)

    def remove_external(self, index: int) -> None:
        self._now(lambda: self.session.remove_external(index))

    def back_to_cart(self) -> None:
        self._now(self.session.back_to_cart)

    # -- the end ----------------------------------------------------------------------------

    def pay(self) -> None:
        if self.tasks.running("pay"):
            return  # a double tap: the first Pay is under way (Checkout.pay would return its result anyway)
        session = self.session
        self.paying.emit(True)

        def outcome(result):
            self.paying.emit(False)
            receipt = None
            if result.ok and result.receipt is not None:
                receipt = receipts.build(result.receipt, store_id=self.terminal.settings.store.store_id,
                                         terminal_id=self.terminal.settings.store.terminal_id,
                                         tax_inclusive=self.checkout.inclusive_tax,
                                         at=datetime.now(timezone.utc).astimezone())
            self.paid.emit(result, receipt)
            if result.ok and session is self.session:
                self.new_sale()

        def failed(exc: BaseException) -> bool:
            self.paying.emit(False)
            return False

        self._task("pay", self.checkout.pay(session), outcome, failed)

    def void(self, approval=None) -> None:
        def done(_):
            self.voided.emit()
            self.new_sale()

        self._task("void", self.checkout.void(self.session, approval), done)

    def new_sale(self) -> None:
        self.session = self.checkout.new_sale(self.operator_id)
        self.changed.emit()

    # -- scans --------------------------------------------------------------------------------

    def scanned_text(self, text: str, origin: str = "wedge") -> None:
        self.scanned(Scanned(payload.parse(text, None, self.formats), None, origin))

    def scanned(self, event: Scanned) -> None:
        ref = event.ref
        if isinstance(ref, payload.MemberRef):
            self.find_member(ref.value)
        elif isinstance(ref, payload.ProductRef):
            self.add_barcode(ref.gtin)
        elif isinstance(ref, payload.CodeRef):
            self.enter_code(ref.code)
        elif isinstance(ref, payload.ReceiptRef):
            self.receipt_scanned.emit(ref.order_id)
        elif isinstance(ref, payload.Rejection):
            self._say(ref.message)
