"""Operator id and PIN before selling. The PIN check (scrypt) runs in a thread.

The form is up before the till is: typing works from the first frame, and a
sign-in pressed while the till is still starting is checked once it is up.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ui.common.controls import button, describe, pin_refused, secret_field


class SignInView(QWidget):
    signed_in = Signal(object)  # kiosk.checkout.operators.Operator

    def __init__(self, tasks, parent: QWidget | None = None):
        super().__init__(parent)
        self.till, self.tasks = None, tasks
        self._till_ready = asyncio.Event()
        self._starting = self.tr("The till is starting; you can type your id and PIN already.")
        # A compact form in the middle: on a 1366 px screen, full-width fields read as a banner.
        panel = QWidget(self)
        panel.setFixedWidth(460)
        title = QLabel(self.tr("Sign in to sell"), panel)
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.operator = secret_field(panel, self.tr("Operator id"), self.tr("Operator id"))
        self.pin = secret_field(panel, self.tr("PIN"), self.tr("PIN"), secret=True)
        self.message = QLabel(panel)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Sign-in message"))
        self.go = button(panel, self.tr("Sign in"), self.tr("Sign in"), self._sign_in)
        # The demo's ids, on a demo terminal only (show_demo_ids).
        self.demo_ids = QLabel(panel)
        self.demo_ids.setWordWrap(True)
        self.demo_ids.setAccessibleName(self.tr("Demo sign-ins"))
        # Room for the longest sentence kept whether or not one shows: the form never jumps.
        for label, lines in ((self.message, 3), (self.demo_ids, 2)):
            label.setAlignment(Qt.AlignLeft | Qt.AlignTop)
            label.setFixedHeight(label.fontMetrics().lineSpacing() * lines + 4)
        form = QFormLayout()
        form.addRow(self.tr("Operator"), self.operator)
        form.addRow(self.tr("PIN"), self.pin)
        inner = QVBoxLayout(panel)
        inner.addWidget(title, 0, Qt.AlignHCenter)
        inner.addLayout(form)
        inner.addWidget(self.message)
        inner.addWidget(self.go)
        inner.addWidget(self.demo_ids)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(panel, 0, Qt.AlignHCenter)
        layout.addStretch(2)
        describe(self.operator, self.tr("Operator id"), self.tr("Your operator id; Enter goes on to the PIN"))
        describe(self.pin, self.tr("PIN"), self.tr("Your PIN; Enter signs in"))
        describe(self.go, self.tr("Sign in"), self.tr("Checks your id and PIN, then opens the till"))
        self.operator.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self._sign_in)

    def set_till(self, till) -> None:
        self.till = till
        self._till_ready.set()
        if self.message.text() == self._starting:
            self.message.clear()

    def show_demo_ids(self) -> None:
        """On the demo (the embedded sandbox): who to sign in as, from the demo operators themselves."""
        from kiosk.checkout.operators import DEMO_OPERATORS

        roles = {"cashier": self.tr("cashier"), "manager": self.tr("manager")}
        self.demo_ids.setText(self.tr("Demo: %1").replace("%1", "; ".join(
            self.tr("%1 %2, PIN %3").replace("%1", roles.get(role, role)).replace("%2", operator_id).replace("%3", pin)
            for operator_id, _name, role, pin in DEMO_OPERATORS)))

    def reset(self) -> None:
        self.operator.clear()
        self.pin.clear()
        self.message.setText(self._starting if self.till is None else "")
        self.go.setEnabled(True)
        self.operator.setFocus()

    def fail(self) -> None:
        """The till will not come: a sign-in waiting for it is dropped, the form closed."""
        self.tasks.cancel("sign_in")
        self.message.clear()
        for widget in (self.operator, self.pin, self.go):
            widget.setEnabled(False)

    def _sign_in(self) -> None:
        # A double press while the PIN is checked is one sign-in. While the till is
        # still starting nothing has been checked yet: the new details replace the old.
        if self.tasks.running("sign_in") and self.till is not None:
            return
        operator, pin = self.operator.text().strip(), self.pin.text()
        if not operator or not pin:
            self.message.setText(self.tr("Enter your operator id and PIN."))
            return
        self.go.setEnabled(False)
        self.message.setText(self.tr("Checking…"))
        self.tasks.run("sign_in", self._check(operator, pin), self._done, self._refused)

    async def _check(self, operator: str, pin: str):
        await self._till_ready.wait()
        return await asyncio.to_thread(self.till.operators.sign_in, operator, pin)

    def _done(self, who) -> None:
        self.pin.clear()
        self.message.clear()
        self.go.setEnabled(True)
        self.signed_in.emit(who)

    def _refused(self, exc: BaseException) -> bool:
        return pin_refused(exc, self.pin, self.go, self.message, self.tr("Signing in did not work; try again."))
