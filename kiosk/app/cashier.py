"""The cashier's shift on one terminal, without a screen: who is signed in, the sale under
way, the scans routed to it, and the actions that need a manager (void, price change).

The screen makes one Cashier, supplies `people` (the approval prompt, the yes-or-no
question) and `held` (a sentence while a question is open on it), and attaches the
terminal once it is up. It then reads `sale`, `operator` and `terminal` from here and
listens to the sale's signals. Everything runs on the screen's loop.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from kiosk.app.people import Nobody, People
from kiosk.app.signals import Signal
from kiosk.app.work import Work
from kiosk.checkout.errors import CheckoutError
from kiosk.events import EventHub
from kiosk.i18n import _

# The window makes a Cashier before its first frame: what only a terminal needs (scan
# routing, payload formats, approvals' money) is imported when the terminal is attached
# or a manager is asked, so none of it delays the sign-in form (measured: 15-20 ms).
if TYPE_CHECKING:
    from kiosk.app.scans import ScanRouter
    from kiosk.scanner.events import Scanned


class Cashier:
    def __init__(self, work: Work, hub: EventHub | None = None, people: People | None = None):
        self.work = work
        self.hub = hub or EventHub()
        self.people: People = people or Nobody()
        self.terminal = None
        self.sale = None  # kiosk.app.sale.Sale, from the first sign-in on
        self.operator = None
        self.scans: ScanRouter | None = None
        self.sale_started = Signal()  # (sale,): the first sign-in made the sale the screens show
        self._held: Callable[[], str | None] = lambda: None
        self._release: Callable[[], None] | None = None

    def attach(self, terminal) -> None:
        """The terminal is up: scans are routed from now on (to the sale, once someone signs in)."""
        from kiosk.app.scans import ScanRouter
        from kiosk.scanner.payload import PayloadFormats

        self.terminal = terminal
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # attached from plain code on the loop's thread (a test): that thread's loop
            loop = asyncio.get_event_loop()
        self.scans = ScanRouter(self.hub, loop,
                                formats=PayloadFormats.from_settings(terminal.settings.scanner), say=self.work.say)
        self.scans.held = self._held

    def hold_scans_while(self, held: Callable[[], str | None]) -> None:
        """`held()` is a sentence while the screen can't take a scan (a question is open), else None."""
        self._held = held
        if self.scans is not None:
            self.scans.held = held

    # -- signing in and out ------------------------------------------------------------------

    def signed_in(self, operator) -> None:
        """`operator` signed in (their PIN checked): the sale is theirs, a new one after a sign-out."""
        from kiosk.app.sale import Sale  # the checkout loads after the first frame (ui/app.py)

        self.operator = operator
        if self.sale is None:
            self.sale = Sale(self.terminal, self.work, operator.id, self.people)
            self._release = self.scans.take(self._scanned) if self.scans is not None else None
            self.sale_started.emit(self.sale)
        else:
            self.sale.operator_id = operator.id
            self.sale.new_sale()

    def sign_out(self) -> str | None:
        """Sign the cashier out; a sentence instead when the sale must be finished first."""
        if self.sale is not None and self.sale.session.cart.lines:
            return _("Finish or void the sale before signing out.")
        if self.operator is not None:
            self.work.run("sign_out", asyncio.to_thread(self.terminal.till.operators.sign_out, self.operator.id))
        self.operator = None
        return None

    def attach_member(self, view) -> None:
        """A member found or enrolled outside the sale's own scan goes on the open sale; a
        CheckoutError says why the sale refuses them."""
        sale = self.sale
        if sale is not None and sale.cart_open:
            sale.session.attach_member(view)
            sale.changed.emit()

    def _scanned(self, event: Scanned) -> None:
        if self.operator is not None:
            self.sale.scanned(event)

    # -- what needs a manager ------------------------------------------------------------------

    def void(self) -> None:
        """Void the sale: an empty one at once, one with lines once a manager approves."""
        if self.sale is None:
            return
        from kiosk.checkout.approvals import void_details

        session = self.sale.session
        if session.cart.empty:
            self.sale.void()
            return

        async def approve_then_void():
            approval = await self.ask_approval("void", session.sale_id, void_details(session))
            if approval is not None and session is self.sale.session:
                self.sale.void(approval)

        self.work.run("ask_void", approve_then_void())

    def override_price(self, line_id: str, price_text: str, on_done: Callable[[], None] = lambda: None) -> None:
        """A line's new price, as typed, once a manager approves; `on_done` when it was changed."""
        from kiosk.app.sale import amount_of
        from kiosk.checkout.approvals import override_details

        try:
            price = amount_of(price_text) if price_text.strip() else None
        except CheckoutError as exc:  # MoneyError: what is wrong with the typed price
            self.work.say(str(exc))
            return
        if price is None:
            self.work.say(_("Type the new price first, then press Change price."))
            return
        session = self.sale.session

        async def approve_then_change():
            approval = await self.ask_approval("price_override", session.sale_id,
                                               override_details(session, line_id, Decimal(price)))
            if approval is not None and session is self.sale.session:
                on_done()
                self.sale.override_price(line_id, Decimal(price), approval)

        self.work.run("ask_override", approve_then_change())

    async def ask_approval(self, action: str, subject: str, details=()):
        return await self.people.ask_approval(action, subject, details)

    def close(self) -> None:
        """The screen closed: scans stop and the sale tells nobody any more."""
        if self.sale is not None:
            self.sale.close()
        if self._release is not None:
            self._release()
        if self.scans is not None:
            self.scans.close()
