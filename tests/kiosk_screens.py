"""A shopper's screen as the kiosk window's contract has it (`Screen(shopper, enrolment,
settings, parent)`, `go = Signal(str)`, `clear()`, `shown()`), for the window's own tests: the
window is tested on its side of the contract, whoever builds the real screens. It keeps what a
real member screen keeps (the member's view, a field the shopper types into)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from ui.common.controls import takes_typing


class MemberScreen(QWidget):
    go = Signal(str)
    built: list["MemberScreen"] = []

    def __init__(self, shopper, enrolment, settings, parent=None):
        super().__init__(parent)
        self.shopper, self.view = shopper, None
        self.greeting = QLabel(self)
        self.field = takes_typing(QLineEdit(self))  # what a shopper types, as the real screens' fields
        self.shown_count = 0
        layout = QVBoxLayout(self)
        layout.addWidget(self.greeting)
        layout.addWidget(self.field)
        MemberScreen.built.append(self)

    def shown(self) -> None:
        self.shown_count += 1
        self.view = self.shopper.member
        self.greeting.setText(self.shopper.greeting)

    def clear(self) -> None:
        self.view = None
        self.greeting.setText("")
