"""Find me by email (selfservice.lookup_by_contact): for a member who has no card with them.

Two steps: the email on the on-screen keyboard, then the 6-digit code we mailed there on the
keypad (hidden as it is typed, with a Show toggle: others may be looking). The second step
says the same whatever the address ("If c•••@e•••.com belongs to a member, we've sent…"), as
the core answers the same (kiosk/app/email_lookup.py). The right code shows the member, as a
scan does. While wrong codes have locked one-time codes on this kiosk the screen says until
when, and the code field waits; "Staff: unlock" under the sentence (ui/selfservice/unlock.py)
lets a manager open it again.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QStackedWidget, QVBoxLayout, QWidget

from kiosk.selfservice import codes, lockout
from ui.common import theme
from ui.selfservice import kit
from ui.selfservice.keys import Keyboard, Keypad
from ui.selfservice.unlock import StaffUnlock

ADDRESS, CODE = 0, 1


def _row(*buttons) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(theme.KIOSK_GAP_PX)
    for i, b in enumerate(buttons):
        if i == len(buttons) - 1:
            row.addStretch(1)
        row.addWidget(b)
    return row


class EmailScreen(QWidget):
    go = Signal(str)

    def __init__(self, shopper, enrolment=None, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shopper = shopper
        self.minutes = settings.selfservice.code_minutes if settings is not None else 10
        self.setAccessibleName(self.tr("Find me by email"))
        self.steps = QStackedWidget(self)
        self.steps.addWidget(self._address_step())
        self.steps.addWidget(self._code_step())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.steps)
        shopper.code_sent.connect(self._sent)
        shopper.locked.connect(self._locked)
        shopper.lifted.connect(self._lifted)
        self.clear()

    # Step 1: the address
    def _address_step(self) -> QWidget:
        page = QWidget(self)
        title = kit.text(page, self.tr("Title"), theme.KIOSK_TITLE_PX, bold=True)
        title.setText(self.tr("Find me by email"))
        hint = kit.text(page, self.tr("How"))
        hint.setText(self.tr("Type the email you joined with. We'll send a 6-digit code to it: "
                             "type the code here to see your points and rewards."))
        self.email = kit.field(page, self.tr("Your email, e.g. name@example.com"), self.tr("Your email"))
        self.email.returnPressed.connect(self.send)
        self.keyboard = Keyboard(page)
        self.keyboard.attach(self.email)
        self.back = kit.target(page, self.tr("Back"), self.tr("Back"), lambda: self.go.emit("attract"))
        self.send_button = kit.target(page, self.tr("Send me a code"), self.tr("Send me a code"), self.send)
        self.back.setAccessibleDescription(self.tr("Goes back to the start"))
        self.send_button.setAccessibleDescription(self.tr("Sends a 6-digit code to the email typed"))
        layout = QVBoxLayout(page)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        for w in (title, hint, self.email):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.keyboard)
        layout.addLayout(_row(self.back, self.send_button))
        return page

    def send(self) -> None:
        if not self.email.text().strip():
            return
        self.shopper.by_email.ask(self.email.text())

    def _sent(self, masked: str) -> None:
        self.masked = masked
        self.sent_to.setText(self.tr("If {0} belongs to a member, we've sent a code to it. "
                                     "It works for {1} minutes.").format(masked, f"{self.minutes:g}"))
        kit.forget(self.code)
        self.steps.setCurrentIndex(CODE)
        self.keypad.attach(self.code)

    # Step 2: the code
    def _code_step(self) -> QWidget:
        page = QWidget(self)
        title = kit.text(page, self.tr("Title"), theme.KIOSK_TITLE_PX, bold=True)
        title.setText(self.tr("Type the code from the email"))
        self.sent_to = kit.text(page, self.tr("Where the code went"))
        self.code = kit.field(page, self.tr("6 digits"), self.tr("The code from the email"))
        self.code.setEchoMode(QLineEdit.EchoMode.Password)
        self.code.setMaxLength(codes.CODE_DIGITS)
        self.code.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,6}"), self.code))
        self.code.returnPressed.connect(self.enter)
        self.show_code = kit.target(page, self.tr("Show"), self.tr("Show the code as typed"), self._toggle_shown)
        self.show_code.setCheckable(True)
        self.locked = kit.text(page, self.tr("Locked"))
        self.locked.setStyleSheet(f"font-size: {kit.body_px()}px;")
        self.locked.setProperty("tone", "error")
        self.unlock = StaffUnlock(self.shopper, lockout.ONE_TIME_CODE, page)
        self.keypad = Keypad(page)
        self.keypad.setMaximumWidth(theme.KIOSK_TARGET_PX * 3 * 2 + theme.KIOSK_GAP_PX * 2)
        self.other = kit.target(page, self.tr("Use another email"), self.tr("Use another email"), self._other)
        self.again = kit.target(page, self.tr("Send a new code"), self.tr("Send a new code"), self.send)
        self.finish = kit.target(page, self.tr("Finish"), self.tr("Finish"), lambda: self.go.emit("thanks"))
        self.show_code.setAccessibleDescription(self.tr("Shows or hides the digits typed"))
        self.other.setAccessibleDescription(self.tr("Goes back to type another email"))
        self.again.setAccessibleDescription(self.tr("Sends another code to the same email"))
        self.finish.setAccessibleDescription(self.tr("Ends your visit"))
        entry = QHBoxLayout()
        entry.setSpacing(theme.KIOSK_GAP_PX)
        entry.addWidget(self.code, 1)
        entry.addWidget(self.show_code)
        lock = QHBoxLayout()
        lock.setSpacing(theme.KIOSK_GAP_PX)
        lock.addWidget(self.locked, 1)
        lock.addWidget(self.unlock, 0, Qt.AlignTop)
        left = QVBoxLayout()
        left.setSpacing(theme.KIOSK_GAP_PX)
        left.addLayout(entry)
        left.addLayout(lock)
        left.addStretch(1)
        # The keypad beside the field, not under it: the step fits 1366x768, lock sentence and all.
        middle = QHBoxLayout()
        middle.setSpacing(theme.KIOSK_GAP_PX * 3)
        middle.addLayout(left, 3)
        middle.addWidget(self.keypad, 2, Qt.AlignTop)
        layout = QVBoxLayout(page)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        for w in (title, self.sent_to):
            layout.addWidget(w)
        layout.addLayout(middle)
        layout.addStretch(1)
        layout.addLayout(_row(self.other, self.again, self.finish))
        return page

    def enter(self) -> None:
        code = self.code.text().strip()
        if not code or not self.code.isEnabled():
            return
        kit.forget(self.code)  # the code is the member's key: it leaves the screen once sent
        self.shopper.by_email.enter(code)

    def _toggle_shown(self) -> None:
        shown = self.show_code.isChecked()
        self.code.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_code.setText(self.tr("Hide") if shown else self.tr("Show"))

    def _other(self) -> None:
        self.steps.setCurrentIndex(ADDRESS)
        self.keyboard.attach(self.email)

    def _locked(self, entry: str, until: datetime) -> None:
        if entry != lockout.ONE_TIME_CODE:
            return
        self.lock = (entry, until)
        self.locked.setText(lockout.locked_sentence(entry, until))
        kit.forget(self.code)
        for w in (self.code, self.keypad, self.again, self.send_button):
            w.setEnabled(False)
        if self.steps.currentIndex() == ADDRESS:  # asked for a code while locked: the sentence is on step 2
            self.sent_to.setText("")
            self.steps.setCurrentIndex(CODE)

    def _lifted(self, entry: str) -> None:
        if entry != lockout.ONE_TIME_CODE:
            return
        self.lock = None
        self.locked.setText("")
        for w in (self.code, self.keypad, self.again, self.send_button):
            w.setEnabled(True)
        self.code.setFocus()

    def shown(self) -> None:
        field = self.email if self.steps.currentIndex() == ADDRESS else self.code
        field.setFocus()

    def take_over(self, old: "EmailScreen") -> None:
        """Go on where `old` (the same screen in the language before) was, typing included."""
        self.email.setText(old.email.text())
        if old.masked is not None and old.steps.currentIndex() == CODE:
            self._sent(old.masked)
            self.code.setText(old.code.text())
        if old.lock is not None:
            self._locked(*old.lock)
            self.unlock.setVisible(not old.unlock.isHidden())  # the old screen is a hidden page: isVisible() is False

    def clear(self) -> None:
        self.lock = self.masked = None
        for edit in (self.email, self.code):
            kit.forget(edit)
        self.sent_to.setText("")
        self.locked.setText("")
        for w in (self.code, self.keypad, self.again, self.send_button):
            w.setEnabled(True)
        self.unlock.clear()
        self.show_code.setChecked(False)
        self._toggle_shown()
        self.keyboard.reset()
        self.steps.setCurrentIndex(ADDRESS)
        self.keyboard.attach(self.email)
