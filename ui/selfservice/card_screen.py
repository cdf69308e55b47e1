"""A gift or store card's balance: the code typed on the on-screen keyboard, or the card
scanned (Shopper.scanned sends a card's code to Shopper.check_card either way).

The code leaves the field as soon as it is sent, and the answer shows only its last four
characters. When wrong codes have locked card checks on this kiosk, the screen says until
when, and the field waits; under the sentence, "Staff: unlock" (ui/selfservice/unlock.py) lets
a manager open it again, and then the field takes a code again.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.checkout.money import CENT
from kiosk.selfservice import lockout
from ui.common import theme
from ui.selfservice import kit
from ui.selfservice.keys import Keyboard
from ui.selfservice.unlock import StaffUnlock


def shown_code(masked: str) -> str:
    """"••••0001" from the core's masked code: the end alone, never its length."""
    return "•••• " + masked[-4:]


class CardScreen(QWidget):
    go = Signal(str)

    def __init__(self, shopper, enrolment=None, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shopper = shopper
        self.setAccessibleName(self.tr("Check a gift card"))
        self.title = kit.text(self, self.tr("Title"), theme.KIOSK_TITLE_PX, bold=True)
        self.title.setText(self.tr("Check a gift card"))
        self.hint = kit.text(self, self.tr("How"))
        self.hint.setText(self.tr("Scan the card, or type its code and press OK."))
        self.code = kit.field(self, self.tr("Card code, e.g. GC-1000-0001"), self.tr("Card code"))
        self.code.returnPressed.connect(self.check)
        self.check_button = kit.target(self, self.tr("Check balance"), self.tr("Check balance"), self.check)
        self.card = kit.text(self, self.tr("Card"))
        self.balance = kit.text(self, self.tr("Balance"), theme.KIOSK_FIGURE_PX, bold=True)
        self.balance.setStyleSheet(f"font-size: {theme.KIOSK_FIGURE_PX}px; font-weight: bold; "
                                   f"color: {theme.ACCENT};")
        self.locked = kit.text(self, self.tr("Locked"))
        self.locked.setStyleSheet(f"font-size: {kit.body_px()}px; color: {theme.ERROR};")
        self.unlock = StaffUnlock(shopper, lockout.GIFT_CARD, self)
        self.keyboard = Keyboard(self)
        self.keyboard.attach(self.code)
        self.back = kit.target(self, self.tr("Back"), self.tr("Back"), self._back)
        self.finish = kit.target(self, self.tr("Finish"), self.tr("Finish"), lambda: self.go.emit("thanks"))
        entry = QHBoxLayout()
        entry.setSpacing(theme.KIOSK_GAP_PX)
        entry.addWidget(self.code, 1)
        entry.addWidget(self.check_button)
        buttons = QHBoxLayout()
        buttons.setSpacing(theme.KIOSK_GAP_PX)
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.finish)
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        for w in (self.title, self.hint):
            layout.addWidget(w)
        layout.addLayout(entry)
        for w in (self.card, self.balance, self.locked):
            layout.addWidget(w)
        layout.addWidget(self.unlock, 0, Qt.AlignLeft)
        layout.addStretch(1)
        layout.addWidget(self.keyboard)
        layout.addLayout(buttons)
        shopper.card_checked.connect(self._checked)
        shopper.locked.connect(self._locked)
        shopper.lifted.connect(self._lifted)
        self.clear()

    def check(self) -> None:
        code = self.code.text().strip()
        if not code or not self.code.isEnabled():
            return
        kit.forget(self.code)  # the code is money: it leaves the screen once sent
        self.card.setText("")  # a refusal's sentence comes on the window's notice strip
        self.balance.setText("")
        self.shopper.check_card(code)

    def _checked(self, card) -> None:
        self.card.setText(self.tr("Card {0}").format(shown_code(card.shown_code)))
        if card.balance is None:
            self.balance.setText("")
        else:
            self.balance.setText(self.tr("Balance: {0}").format(card.balance.quantize(CENT)))
        if not card.usable:
            self.card.setText(self.card.text() + " " + self.tr("(this card can't be used now; ask at the till)"))
        self.go.emit("card")

    def _locked(self, entry: str, until: datetime) -> None:
        if entry != lockout.GIFT_CARD:
            return
        self.card.setText("")
        self.balance.setText("")
        self.locked.setText(lockout.locked_sentence(entry, until))
        kit.forget(self.code)
        self.code.setEnabled(False)
        self.check_button.setEnabled(False)

    def _lifted(self, entry: str) -> None:
        if entry != lockout.GIFT_CARD:
            return
        self.locked.setText("")
        self.code.setEnabled(True)
        self.check_button.setEnabled(True)
        self.code.setFocus()

    def _back(self) -> None:
        self.go.emit("member" if self.shopper.member is not None else "attract")

    def shown(self) -> None:
        self.code.setFocus()

    def clear(self) -> None:
        kit.forget(self.code)
        for label in (self.card, self.balance, self.locked):
            label.setText("")
        self.code.setEnabled(True)
        self.check_button.setEnabled(True)
        self.unlock.clear()
        self.keyboard.reset()
