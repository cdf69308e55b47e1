"""A gift or store card's balance: the code typed on the on-screen keyboard, or the card
scanned (Shopper.scanned sends a card's code to Shopper.check_card either way; a member's
card scanned into the field shows that member, as a scan anywhere else does).

The code leaves the field as soon as it is sent, and the answer shows only its last four
characters. When wrong codes have locked card checks on this kiosk, the screen says until
when, and the field waits; under the sentence, "Staff: unlock" (ui/selfservice/unlock.py) lets
a manager open it again, and then the field takes a code again.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk import formats
from kiosk.selfservice import lockout
from ui.common import theme
from ui.selfservice import kit
from ui.selfservice.keys import Keyboard
from ui.selfservice.unlock import StaffUnlock


FOUND, LOCKED = 0, 1  # the pages of CardScreen.outcome


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
        self.balance.setStyleSheet(f"font-size: {theme.KIOSK_FIGURE_PX}px; font-weight: bold;")
        self.balance.setProperty("tone", "accent")
        self.locked = kit.text(self, self.tr("Locked"))
        self.locked.setStyleSheet(f"font-size: {kit.body_px()}px;")
        self.locked.setProperty("tone", "error")
        self.unlock = StaffUnlock(shopper, lockout.GIFT_CARD, self)
        self.keyboard = Keyboard(self)
        self.keyboard.attach(self.code)
        self.back = kit.target(self, self.tr("Back"), self.tr("Back"), self._back)
        self.finish = kit.target(self, self.tr("Finish"), self.tr("Finish"), lambda: self.go.emit("thanks"))
        # What a screen reader says of each: the screen is built again in a new language.
        self.check_button.setAccessibleDescription(self.tr("Shows what is left on the card whose code is typed"))
        self.back.setAccessibleDescription(self.tr("Goes back to the screen before"))
        self.finish.setAccessibleDescription(self.tr("Ends your visit"))
        # Laid out to fit 1366x768 with the keyboard: Back and Finish beside the title, and
        # the answer and the lock sentence taking turns in one place of fixed size.
        top = QHBoxLayout()
        top.setSpacing(theme.KIOSK_GAP_PX)
        top.addWidget(self.title, 1)
        top.addWidget(self.back)
        top.addWidget(self.finish)
        entry = QHBoxLayout()
        entry.setSpacing(theme.KIOSK_GAP_PX)
        entry.addWidget(self.code, 1)
        entry.addWidget(self.check_button)
        self.outcome = QStackedWidget(self)
        found = QWidget(self.outcome)
        lines = QVBoxLayout(found)
        lines.setContentsMargins(0, 0, 0, 0)
        lines.addWidget(self.card)
        lines.addWidget(self.balance)
        lines.addStretch(1)
        lock = QWidget(self.outcome)
        row = QHBoxLayout(lock)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(theme.KIOSK_GAP_PX)
        row.addWidget(self.locked, 1)
        row.addWidget(self.unlock, 0, Qt.AlignTop)
        self.outcome.addWidget(found)
        self.outcome.addWidget(lock)
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addLayout(entry)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(self.keyboard)
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
        self.shopper.card_entered(code)  # a member card scanned here shows the member

    def _checked(self, card) -> None:
        self._show_card(card)
        self.go.emit("card")

    def _show_card(self, card) -> None:
        self.card.setText(self.tr("Card {0}").format(shown_code(card.shown_code)))
        if card.balance is None:
            self.balance.setText("")
        else:
            self.balance.setText(self.tr("Balance: {0}").format(formats.price(card.balance)))
        if not card.usable:
            self.card.setText(self.card.text() + " " + self.tr("(this card can't be used now; ask at the till)"))
        self.outcome.setCurrentIndex(FOUND)

    def _locked(self, entry: str, until: datetime) -> None:
        if entry != lockout.GIFT_CARD:
            return
        self.lock = (entry, until)
        self.card.setText("")
        self.balance.setText("")
        self.locked.setText(lockout.locked_sentence(entry, until))
        self.outcome.setCurrentIndex(LOCKED)
        kit.forget(self.code)
        self.code.setEnabled(False)
        self.check_button.setEnabled(False)

    def _lifted(self, entry: str) -> None:
        if entry != lockout.GIFT_CARD:
            return
        self.lock = None
        self.locked.setText("")
        self.outcome.setCurrentIndex(FOUND)
        self.code.setEnabled(True)
        self.check_button.setEnabled(True)
        self.code.setFocus()

    def _back(self) -> None:
        self.go.emit("member" if self.shopper.member is not None else "attract")

    def shown(self) -> None:
        self.code.setFocus()

    def take_over(self, old: "CardScreen") -> None:
        """Show what `old` (the same screen in the language before) showed, typing included."""
        self.code.setText(old.code.text())
        if old.lock is not None:
            self._locked(*old.lock)
            self.unlock.setVisible(not old.unlock.isHidden())  # the old screen is a hidden page: isVisible() is False
        elif old.card.text() and self.shopper.card is not None:
            self._show_card(self.shopper.card)

    def clear(self) -> None:
        self.lock = None
        kit.forget(self.code)
        for label in (self.card, self.balance, self.locked):
            label.setText("")
        self.outcome.setCurrentIndex(FOUND)
        self.code.setEnabled(True)
        self.check_button.setEnabled(True)
        self.unlock.clear()
        self.keyboard.reset()
