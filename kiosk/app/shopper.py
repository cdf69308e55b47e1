"""A shopper's visit at the self-service kiosk, without a screen.

The kiosk screen makes one Shopper per visit and lets it take the scans (kiosk/app/scans.py):
a member's card or app QR shows that member (`shown`), a gift or store card shows its balance
(`card_checked`), anything else gets a sentence a shopper can act on. `end()` drops the visit
whole: the member's view, the card, and any look-up still under way (so a reply arriving after
the shopper left never shows), then `ended` tells the screen to clear itself.

The kiosk writes and audits as operator `KIOSK-<terminal id>`. On a shared screen only the
first name is ever shown (`greeting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kiosk.app.signals import Signal
from kiosk.app.work import Work
from kiosk.checkout.receipt import mask
from kiosk.loyalty.models import MemberView
from kiosk.scanner import payload
from kiosk.scanner.events import Scanned

LOOKUP = "shopper-member"
CARD = "shopper-card"


def kiosk_operator(terminal_id: str) -> str:
    return f"KIOSK-{terminal_id}"


@dataclass(frozen=True)
class CardBalance:
    shown_code: str  # masked: the rest of the code never reaches a shared screen
    balance: Decimal | None
    usable: bool


class Shopper:
    def __init__(self, terminal, work: Work):
        self.terminal = terminal
        self.checkout = terminal.till.checkout
        self.work = work
        self.operator_id = kiosk_operator(terminal.settings.store.terminal_id)
        self.member: MemberView | None = None
        self.card: CardBalance | None = None
        self.shown = Signal()  # (MemberView,)
        self.card_checked = Signal()  # (CardBalance,)
        self.ended = Signal()

    @property
    def greeting(self) -> str:
        """"Welcome back, Ana": the first name only, nothing else of the member."""
        first = self.member.member.first_name if self.member and self.member.member else None
        return f"Welcome back, {first}" if first else "Welcome back"

    def scanned(self, event: Scanned) -> None:
        ref = event.ref
        if isinstance(ref, payload.MemberRef):
            self.look_up(ref.value)
        elif isinstance(ref, payload.CodeRef):
            self.check_card(ref.code)
        elif isinstance(ref, payload.Rejection):
            self.work.say(ref.message)
        else:  # a product or a receipt: the till's business
            self.work.say("This kiosk reads loyalty cards, the member app's code and gift cards. "
                          "Products and receipts are scanned at the till.")

    def look_up(self, ref: str) -> None:
        self.work.run(LOOKUP, self.checkout.find_member(ref), self._show)

    def _show(self, view: MemberView) -> None:
        self.member = view
        self.shown.emit(view)

    def check_card(self, code: str) -> None:
        self.work.run(CARD, self.checkout.check_card(code), self._card)

    def _card(self, info) -> None:
        self.card = CardBalance(mask(info.code), info.balance, info.usable)
        self.card_checked.emit(self.card)

    def end(self) -> None:
        """The visit is over (the shopper left, or the idle time ran out): nothing of it stays."""
        self.work.cancel(LOOKUP)
        self.work.cancel(CARD)
        self.member = self.card = None
        self.ended.emit()
