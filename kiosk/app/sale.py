"""The cashier's sale under way, as a screen drives it: every backend or database call is work.

No widgets here: the cart, member and tender views listen to `changed` and read `session`.
A sentence for the person comes out of `work.failed`; the views never see an exception.
A question to the cashier (replace the member? spend a reward worth more than the goods?)
goes to `people` (kiosk/app/people.py), which the screen supplies.

A reward pass from the self-service kiosk (kiosk/selfservice/passes.py) scanned here puts its
reward on the sale as a tap on the reward would, after checking its signature, its expiry,
that no sale paid with it before, and that the reward is still the member's and usable. Its
points are spent at Pay like any reward's; the pass is recorded as used when the sale commits.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Awaitable, Callable

from kiosk import formats, i18n
from kiosk.app.people import Nobody, People
from kiosk.app.signals import Signal
from kiosk.app.till_passes import TillPasses
from kiosk.app.work import Work
from kiosk.checkout import money
from kiosk.checkout import receipt as receipts
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.session import CART_STATES, Session, State
from kiosk.scanner import payload
from kiosk.scanner.events import Scanned

def amount_of(text: str) -> Decimal:
    """What the cashier typed, with a decimal comma allowed; money.to_cents says what is wrong with it."""
    return money.to_money(money.to_cents(text.strip().replace(",", ".")))


def _who(view) -> str:
    return f"{view.member.display_name} ({view.member_id})" if view.member else view.member_id


class Sale:
    def __init__(self, terminal, work: Work, operator_id: str, people: People | None = None):
        self.changed = Signal()  # the cart, member, rewards, coupons or tenders changed
        self.search_results = Signal()  # (products,): catalogue products for the typed text
        self.paying = Signal()  # (bool,)
        self.paid = Signal()  # (PayResult, its Receipt or None when it failed)
        self.receipt_scanned = Signal()  # (order id,): the returns screen opens with it
        self.notice = Signal()  # (sentence, undo): for the notice strip; undo True: it offers Undo
        self.voided = Signal()
        self.terminal = terminal
        self.till = terminal.till
        self.checkout = terminal.till.checkout
        self.work = work
        self.people = people or Nobody()
        self.operator_id = operator_id
        self.till_passes = TillPasses(self)
        self.session: Session = self.checkout.new_sale(operator_id)

    # -- helpers -------------------------------------------------------------------------

    _scans = 0

    def _say(self, sentence: str) -> None:
        self.work.say(sentence)

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
            return False  # Work tells the cashier (kiosk/app/work.py: sentence)

        return self.work.run(name, work, done, failed)

    @property
    def cart_open(self) -> bool:
        return self.session.state in CART_STATES

    # -- products ---------------------------------------------------------------------------

    def add_text(self, text: str) -> None:
        """What was typed or scanned in the product field: a barcode, a sku, or a name to search."""
        text = text.strip()
        if not text:
            return
        def show(answer):
            product, matches = answer
            if product is not None:
                self.add_product(product)
            elif len(matches) == 1:
                self.add_product(matches[0])
            elif matches:
                self.search_results.emit(matches)
            else:
                self._say(i18n._("No product has the code or name “{0}”.").format(text))

        self._task(self._scan_task(), asyncio.to_thread(self.till.catalogue.find, text), show)

    def search(self, text: str) -> None:
        if len(text.strip()) < 2:
            self.search_results.emit([])
            return
        self.work.run("search", asyncio.to_thread(self.till.catalogue.search, text, 20),
                       self.search_results.emit)

    def add_barcode(self, gtin: str) -> None:
        def show(product):
            if product is None:
                self._say(i18n._("Barcode {0} is not in the catalogue. Type the product's name instead.").format(gtin))
            else:
                self.add_product(product)

        self._task(self._scan_task(), asyncio.to_thread(self.till.catalogue.by_barcode, gtin), show)

    def _scan_task(self, kind: str = "product") -> str:
        # Each scan its own task: two products (or two gift cards) scanned in one burst
        # are both taken, where a shared name would let the second cancel the first.
        self._scans += 1
        return f"{kind}-{self._scans}"

    # The line a cashier last added or changed: the one + and - act on, shown selected.
    last_line: str | None = None
    # "24*" typed before a scan: how many the next product is.
    next_quantity = 1
    # The line last taken off (removed, or its last unit), and where it was: Ctrl+Z puts it back.
    _taken: tuple[Any, int] | None = None

    def quantity_of(self, text: str) -> int | None:
        """A typed quantity: a whole number from 1 to the store's most; else a sentence, and None."""
        most = self.session.cart.max_quantity
        text = text.strip()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= most:
            return int(text)
        self._say(i18n._("A quantity is a whole number from 1 to {0}: “{1}” was not taken.").format(most, text))
        return None

    def set_next_quantity(self, text: str) -> None:
        """What was typed before `*`: how many the next product is."""
        quantity = self.quantity_of(text)
        if quantity is not None:
            self.next_quantity = quantity
            self.changed.emit()

    def add_product(self, product) -> None:
        quantity, self.next_quantity = self.next_quantity, 1
        line = self._now(lambda: self._touch(self.session.cart.add(product, quantity)))
        if line is None:
            self.changed.emit()  # the quantity that was waiting is gone too

    def _touch(self, line):
        self.last_line = line.line_id
        self._taken = None  # an undo is for the last thing done
        return line

    def set_quantity(self, line_id: str, quantity: int) -> None:
        cart = self.session.cart
        if quantity <= 0:
            self.remove_line(line_id)
            return
        self._now(lambda: self._touch(cart.set_quantity(line_id, quantity)))

    def change_quantity(self, line_id: str, step: int) -> None:
        try:
            line = self.session.cart.line(line_id)
        except CheckoutError as exc:
            self._say(str(exc))
            return
        self.set_quantity(line_id, line.quantity + step)

    def remove_line(self, line_id: str) -> None:
        cart = self.session.cart

        def take():
            ids = [line.line_id for line in cart.lines]
            index = ids.index(line_id) if line_id in ids else 0
            return cart.remove(line_id), index  # a line already gone: the cart says so

        taken = self._now(take)
        if taken is not None:
            self._taken = taken
            self.notice.emit(i18n._("Removed {0}.").format(taken[0].name), True)

    def undo(self) -> None:
        """Put back the line last taken off, with its quantity and price."""
        if self._taken is None:
            return
        line, index = self._taken
        if self._now(lambda: self.session.cart.put_back(line, index)) is not None:
            self._taken = None
            self.last_line = line.line_id
            self.notice.emit(i18n._("{0} is back on the sale.").format(line.name), False)

    def override_price(self, line_id: str, price: Decimal, approval) -> None:
        self._task("override", self.checkout.override_price(self.session, line_id, price, approval.reason,
                                                            approval))

    # -- the member -------------------------------------------------------------------------

    def find_member(self, ref: str) -> None:
        def attach(view):
            if view is None:
                return  # another member is on the sale, and the cashier kept them
            if self.cart_open:
                self.session.attach_member(view)

        self._task("member", self._replacing(self.checkout.find_member(ref)), attach)

    async def _replacing(self, lookup: Awaitable[Any]) -> Any:
        """The member found, or None when the sale has another member and the cashier keeps them."""
        view = await lookup
        on_sale = self.session.member
        if on_sale is None or on_sale.member_id == view.member_id or not self.cart_open:
            return view
        self.session.check_member(view)  # their rewards come off first
        question = i18n._("{0} is the member on this sale. Replace them with {1}? The points of this sale go to "
                          "the member on it when it is paid.").format(_who(on_sale), _who(view))
        yes, no = i18n._("Replace with {0}").format(_who(view)), i18n._("Keep {0}").format(_who(on_sale))
        return view if await self._agreed(question, yes, no) else None

    def remove_member(self) -> None:
        self._now(self.session.detach_member)

    def select_reward(self, reward, pass_id: str | None = None) -> None:
        """`pass_id`: the reward pass it came from (kiosk/app/till_passes.py)."""
        takes = self._now(lambda: self.session.reward_takes(reward))
        if takes is None:
            return
        if takes >= money.to_cents(reward.discount):
            self._now(lambda: self.session.select_reward(reward, pass_id))
            return
        session = self.session
        points = formats.points(reward.credit_required)
        question = i18n._("“{0}” is worth {1} but takes only {2} off this sale: all {3} points are spent anyway. "
                          "Apply it?").format(reward.name, reward.discount, money.to_money(takes), points)

        def answered(yes: bool) -> None:
            if yes and session is self.session:
                self._now(lambda: self.session.select_reward(reward, pass_id))

        self.work.run("ask_reward", self._agreed(question, i18n._("Apply, spend {0} points").format(points),
                                                  i18n._("Don't apply")), answered)

    async def _agreed(self, question: str, yes: str, no: str) -> bool:
        """The cashier's yes, asked by the screen that drives this sale."""
        return await self.people.confirm(question, yes, no)

    def remove_reward(self, reward_id: str) -> None:
        self._now(lambda: self.session.remove_reward(reward_id))

    # -- reward passes from the self-service kiosk ----------------------------------------

    def use_pass(self, text: str) -> None:
        """A scanned reward pass: its reward goes on the sale (its member too, when the sale has
        none), or the cashier is told why not (kiosk/app/till_passes.py)."""
        self.till_passes.scanned(text)

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

    def add_points(self, amount_text: str) -> None:
        """The member's points pay what is due, or the amount typed, at the backend's rate."""
        def add():
            if self.session.state != State.TENDERING:
                self.session.start_tendering()
            up_to = money.to_cents(amount_of(amount_text)) if amount_text.strip() else None
            return self.session.add_points(up_to=up_to)

        self._now(add)

    def remove_points(self) -> None:
        self._now(self.session.remove_points)

    def remove_external(self, index: int) -> None:
        self._now(lambda: self.session.remove_external(index))

    def back_to_cart(self) -> None:
        self._now(self.session.back_to_cart)

    # -- the end ----------------------------------------------------------------------------

    def pay(self, asked: bool = False) -> None:
        if self.work.running("pay"):
            return  # a double tap: the first Pay is under way (Checkout.pay would return its result anyway)
        short = [] if asked else self._now(self.session.rewards_short)
        if short:
            self._ask_then_pay(short)
            return
        session = self.session
        self.paying.emit(True)

        def outcome(result):
            self.paying.emit(False)
            receipt = None
            if result.ok and result.receipt is not None:
                receipt = receipts.build(result.receipt, store_id=self.terminal.settings.store.store_id,
                                         store=self.terminal.settings.store,
                                         terminal_id=self.terminal.settings.store.terminal_id,
                                         tax_inclusive=self.checkout.inclusive_tax,
                                         at=datetime.now(timezone.utc).astimezone(),
                                         training=self.terminal.settings.environment == "training")
            self.paid.emit(result, receipt)
            if result.ok and session is self.session:
                self.new_sale()

        def failed(exc: BaseException) -> bool:
            self.paying.emit(False)
            return False

        self._task("pay", self.checkout.pay(session), outcome, failed)

    def _ask_then_pay(self, short) -> None:
        """Rewards worth more than the goods left (the cart may have shrunk since): asked again."""
        session = self.session
        points = sum(r.credit_required for r, _ in short)
        what = i18n.pgettext("between the items of a list", "; ").join(i18n._("“{0}” ({1}) takes {2}").format(r.name, money.to_money(r.cents),
                                                                  money.to_money(took)) for r, took in short)
        # Translators: {0} is one "“reward” (its value) takes amount" per reward, joined by "; ".
        question = i18n.ngettext("{0} off this sale, and all {1} points are spent. Pay with it anyway?",
                                 "{0} off this sale, and all {1} points are spent. Pay with them anyway?",
                                 len(short)).format(what, formats.points(points))

        def answered(yes: bool) -> None:
            if yes and session is self.session:
                self.pay(asked=True)

        self.work.run("ask_pay", self._agreed(question, i18n._("Pay, spend the points"), i18n._("Don't pay yet")),
                      answered)

    def void(self, approval=None) -> None:
        def done(_):
            self.voided.emit()
            self.new_sale()

        self._task("void", self.checkout.void(self.session, approval), done)

    def new_sale(self) -> None:
        self.session = self.checkout.new_sale(self.operator_id)
        self.last_line, self.next_quantity, self._taken = None, 1, None
        self.changed.emit()

    def close(self) -> None:
        """The screen is gone: nothing is told any more (work still finishing finds no listener)."""
        for signal in (self.changed, self.search_results, self.paying, self.paid, self.receipt_scanned,
                       self.notice, self.voided):
            signal.disconnect()

    # -- scans --------------------------------------------------------------------------------

    def scanned(self, event: Scanned) -> None:
        """A scan from any source (kiosk/app/scans.py routes them here while the sale has the screen)."""
        ref = event.ref
        if isinstance(ref, payload.MemberRef):
            self.find_member(ref.value)
        elif isinstance(ref, payload.ProductRef):
            self.add_barcode(ref.gtin)
        elif isinstance(ref, payload.CodeRef):
            self.enter_code(ref.code)
        elif isinstance(ref, payload.ReceiptRef):
            self.receipt_scanned.emit(ref.order_id)
        elif isinstance(ref, payload.RewardPassRef):
            self.use_pass(ref.text)
        elif isinstance(ref, payload.Rejection):
            self._say(ref.message)
