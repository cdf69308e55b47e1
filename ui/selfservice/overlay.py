"""The kiosk's dialogs, drawn inside its one window: a question with big buttons (with a
countdown when it answers itself), and the manager's id and PIN with a keypad of its own.

Never a second top-level window: under a kiosk compositor (cage) or with no window manager,
a second window gets no keyboard and may open behind the first. An overlay dims the whole
window, takes every tap meant for what is under it, and keeps its parent's size.
"""

from __future__ import annotations

import asyncio
import math
from typing import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QApplication, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from kiosk.checkout.errors import OperatorError
from ui.common import theme
from ui.common.controls import keep_covering, takes_typing

STAFF_KEYS = "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # operator ids are letters and digits (M01)
EXIT = "exit"  # ManagerPin's purpose when staff close the kiosk (the others: a lock-out entry to lift)


def big_button(parent: QWidget, text: str, name: str, primary: bool = False) -> QPushButton:
    """A touch target of theme.KIOSK_TARGET_PX at least. A touch never takes the keyboard's focus
    (a field keeps its cursor), but Tab reaches it: a shopper with a keyboard alone can press it."""
    b = QPushButton(text, parent)
    b.setAccessibleName(name)
    b.setMinimumSize(theme.KIOSK_TARGET_PX, theme.KIOSK_TARGET_PX)
    b.setFocusPolicy(Qt.TabFocus)
    if primary:
        b.setProperty("role", "primary")  # the colours and shape: resources/design/theme.qss
    return b


class Overlay(QFrame):
    """Covers `parent` whole (following its size) and holds `box` in the middle."""

    def __init__(self, parent: QWidget, name: str):
        super().__init__(parent)
        self.setObjectName("kioskOverlay")
        self.setAccessibleName(name)
        # The scrim and the box's colours: resources/design/tones.qss.
        self.setStyleSheet("#overlayBox { border-width: 3px; border-style: solid; border-radius: 12px; }")
        self.box = QFrame(self)
        self.box.setObjectName("overlayBox")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(self.box, 0, Qt.AlignHCenter)
        outer.addStretch(1)
        keep_covering(self)
        self.hide()

    def open(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()

    def close_overlay(self) -> None:
        self.hide()

    @property
    def showing(self) -> bool:
        return self.isVisible()


class Question(Overlay):
    """A question with one big button per answer. `ask(...)`; `answered(key)` says which.
    With `countdown_s`, the seconds left show under the question and at zero it answers
    `when_done` by itself (the idle "Still there?")."""

    answered = Signal(str)

    def __init__(self, parent: QWidget):
        super().__init__(parent, self.tr("Question"))
        self.box.setMinimumWidth(560)
        self.title = QLabel(self.box)
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setWordWrap(True)
        self.title.setAccessibleName(self.tr("Question"))
        self.text = QLabel(self.box)
        self.text.setAlignment(Qt.AlignCenter)
        self.text.setWordWrap(True)
        self.countdown = QLabel(self.box)
        self.countdown.setAlignment(Qt.AlignCenter)
        self.countdown.setAccessibleName(self.tr("Seconds left"))
        self.buttons_row = QHBoxLayout()
        self.buttons_row.setSpacing(theme.KIOSK_GAP_PX * 2)
        inner = QVBoxLayout(self.box)
        inner.setContentsMargins(32, 24, 32, 24)
        inner.setSpacing(theme.KIOSK_GAP_PX * 2)
        inner.addWidget(self.title)
        inner.addWidget(self.text)
        inner.addWidget(self.countdown)
        inner.addLayout(self.buttons_row)
        self.buttons: dict[str, QPushButton] = {}
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._count)
        self._left = 0
        self._when_done = ""
        self.key = ""  # what is being asked (the window's name for it), "" when nothing is

    def set_font_px(self, body_px: int) -> None:
        self.title.setStyleSheet(f"font-size: {round(body_px * 1.5)}px; font-weight: bold;")
        self.text.setStyleSheet(f"font-size: {body_px}px;")
        self.countdown.setStyleSheet(f"font-size: {round(body_px * 2)}px; font-weight: bold;")
        self.countdown.setProperty("tone", "accent")
        self._body_px = body_px

    def ask(self, key: str, title: str, text: str, answers: Sequence[tuple[str, str]], *,
            countdown_s: float = 0, when_done: str = "") -> None:
        """`answers` are (key, label), the first drawn as the main one."""
        self.key = key
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        for b in self.buttons.values():
            b.deleteLater()
        self.buttons = {}
        for n, (answer, label) in enumerate(answers):
            b = big_button(self.box, label, label, primary=n == 0)
            b.setAccessibleDescription(self.tr("Answers the question: {0}").format(title))
            b.setStyleSheet(b.styleSheet() + f"QPushButton {{ font-size: {getattr(self, '_body_px', 24)}px; }}")
            b.clicked.connect(lambda _=False, a=answer: self.answer(a))
            self.buttons_row.addWidget(b)
            self.buttons[answer] = b
        self._tick.stop()
        self._left, self._when_done = math.ceil(countdown_s), when_done
        self.countdown.setVisible(countdown_s > 0)
        if countdown_s > 0:
            self._show_left()
            self._tick.start()
        self.open()

    def _show_left(self) -> None:
        self.countdown.setText(self.tr("{0} s").format(self._left))

    def _count(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self.answer(self._when_done)
        else:
            self._show_left()

    def answer(self, key: str) -> None:
        if not self.isVisible():
            return
        self.close_overlay()
        self.answered.emit(key)

    def close_overlay(self) -> None:
        self._tick.stop()
        self.key = ""
        super().close_overlay()


class ManagerPin(Overlay):
    """A manager's id and PIN, typed on the keypad here (or a USB keyboard or keypad). Checked
    with the till's operators as the cashier's sign-in is (scrypt, counted, locked, audited), in
    a thread; only a manager passes: `passed(operator)`. `cancelled` when staff give up.
    `purpose` says what the PIN is asked for (EXIT, or a lock-out entry to lift): the window
    acts on it when the PIN passes."""

    passed = Signal(object)  # kiosk.checkout.operators.Operator
    cancelled = Signal()

    def __init__(self, parent: QWidget, tasks):
        super().__init__(parent, self.tr("Staff sign-in"))
        self.tasks, self.till = tasks, None
        self.purpose = EXIT
        self.refusal = self.tr("Only a manager can close the kiosk.")
        self.title = title = QLabel(self.tr("Staff only: a manager's id and PIN close the kiosk."), self.box)
        title.setAccessibleName(self.tr("What the PIN is for"))
        title.setWordWrap(True)
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.staff_id = self._field(self.tr("Manager id"), secret=False)
        self.pin = self._field(self.tr("PIN"), secret=True)
        self.message = QLabel(self.box)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Staff sign-in message"))
        self.message.setStyleSheet("font-size: 18px;")
        self.message.setProperty("tone", "error")
        self.message.setMinimumHeight(48)
        keys = QGridLayout()
        keys.setSpacing(theme.KIOSK_GAP_PX)
        for n, char in enumerate(STAFF_KEYS):
            b = big_button(self.box, char, char)
            b.clicked.connect(lambda _=False, c=char: self._type(Qt.Key(ord(c)), c))
            keys.addWidget(b, n // 9, n % 9)
        self.back = big_button(self.box, self.tr("Back"), self.tr("Back"))
        self.back.clicked.connect(lambda: self._type(Qt.Key_Backspace, ""))
        self.cancel = big_button(self.box, self.tr("Cancel"), self.tr("Cancel"))
        self.cancel.clicked.connect(self._cancel)
        self.ok = big_button(self.box, self.tr("OK"), self.tr("OK"), primary=True)
        self.ok.clicked.connect(self.check)
        row = QHBoxLayout()
        row.setSpacing(theme.KIOSK_GAP_PX)
        row.addWidget(self.back)
        row.addStretch(1)
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        inner = QVBoxLayout(self.box)
        inner.setContentsMargins(24, 20, 24, 20)
        inner.setSpacing(theme.KIOSK_GAP_PX)
        inner.addWidget(title)
        inner.addWidget(self.staff_id)
        inner.addWidget(self.pin)
        inner.addWidget(self.message)
        inner.addLayout(keys)
        inner.addLayout(row)
        self.staff_id.returnPressed.connect(lambda: self.pin.setFocus(Qt.OtherFocusReason))
        self.pin.returnPressed.connect(self.check)
        self._words()

    def _words(self) -> None:
        """What a screen reader says of each key (the keys keep their own names: "M", "0", "OK")."""
        for b in self.box.findChildren(QPushButton):
            if len(b.accessibleName()) == 1 and b.accessibleName() in STAFF_KEYS:
                b.setAccessibleDescription(self.tr("Types %1").replace("%1", b.accessibleName()))
        self.back.setAccessibleDescription(self.tr("Delete the last character"))
        self.cancel.setAccessibleDescription(self.tr("Closes this without signing in"))
        self.ok.setAccessibleDescription(self.tr("Checks the manager's id and PIN"))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.LanguageChange:
            self._words()
        super().changeEvent(event)

    def _field(self, name: str, secret: bool) -> QLineEdit:
        field = takes_typing(QLineEdit(self.box))
        field.setPlaceholderText(name)
        field.setAccessibleName(name)
        field.setMinimumHeight(theme.KIOSK_TARGET_PX)
        field.setStyleSheet("font-size: 24px;")
        if secret:
            field.setEchoMode(QLineEdit.Password)
        return field

    def _target(self) -> QLineEdit:
        focus = QApplication.focusWidget()
        return focus if focus in (self.staff_id, self.pin) else self.staff_id

    def _type(self, key: Qt.Key, text: str) -> None:
        # Real key events, as a keyboard's: the field's own editing (and its undo) does the rest.
        target = self._target()
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.NoModifier, text))

    def ask(self, till, purpose: str = EXIT, title: str = "", refusal: str = "") -> None:
        """Open for `purpose`, saying `title` above the fields; `refusal` is what a cashier's
        right PIN is told (the defaults are the staff exit's)."""
        self.till, self.purpose = till, purpose
        self.title.setText(title or self.tr("Staff only: a manager's id and PIN close the kiosk."))
        self.refusal = refusal or self.tr("Only a manager can close the kiosk.")
        self.reset()
        self.open()
        self.staff_id.setFocus(Qt.OtherFocusReason)

    def reset(self) -> None:
        # setText, not clear(): clear() is undoable, setText empties the undo history too.
        for field in (self.staff_id, self.pin):
            field.setText("")
        self.message.setText("")
        self.ok.setEnabled(True)

    def check(self) -> None:
        if self.tasks.running("staff-exit") or self.till is None:
            return
        staff_id, pin = self.staff_id.text().strip().upper(), self.pin.text()
        if not staff_id or not pin:
            self.message.setText(self.tr("Enter a manager's id and PIN."))
            return
        self.ok.setEnabled(False)
        self.message.setText(self.tr("Checking…"))
        work = asyncio.to_thread(self.till.operators.sign_in, staff_id, pin)
        self.tasks.run("staff-exit", work, self._checked, self._refused)

    def _checked(self, operator) -> None:
        if not operator.is_manager:
            self._refused(OperatorError(self.refusal))
            return
        self.reset()
        self.close_overlay()
        self.passed.emit(operator)

    def _refused(self, exc: BaseException) -> bool:
        self.ok.setEnabled(True)
        self.pin.setText("")
        if isinstance(exc, OperatorError):
            self.message.setText(str(exc))
            return True
        self.message.setText(self.tr("The PIN could not be checked; try again."))
        return False

    def _cancel(self) -> None:
        self.tasks.cancel("staff-exit")
        self.reset()
        self.close_overlay()
        self.cancelled.emit()
