"""A manager's id and PIN for something a cashier may not do alone (void, price change, ...).

The prompt shows what is approved (the amount, the items, the old and new price) and
who asks; the manager types why, every time: nothing is filled in for them.

Opened with `open()`, never `exec()`: the check (scrypt) runs in a thread through the
window's tasks, and the answer comes out of `approved` (an Approval) or `rejected`.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFormLayout, QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ui.common.controls import button, pin_refused, secret_field

ACTION_NAMES = {"void": "Void the sale", "price_override": "Change a price", "return": "Make a return",
                "offline_allowance": "Open an offline allowance", "retry_dead_letter": "Send again",
                "resolve_held_write": "Settle a write whose answer was lost"}


class ManagerApproval(QDialog):
    approved = Signal(object)  # kiosk.checkout.operators.Approval

    def __init__(self, till, tasks, action: str, *, requested_by: str, subject: str = "",
                 details: Sequence[str] = (), asked_by: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.till, self.tasks = till, tasks
        self.action, self.requested_by, self.subject = action, requested_by, subject
        self.approval = None
        self.setWindowTitle(self.tr("Manager approval"))
        self.setModal(True)
        what = QLabel(self.tr("{0}: a manager approves with their id and PIN.")
                      .format(self.tr(ACTION_NAMES.get(action, action))), self)
        what.setWordWrap(True)
        # What the manager approves, line by line, and who asks for it.
        shown = [*details, self.tr("Asked by %1").replace("%1", asked_by or requested_by)]
        self.details = QLabel("\n".join(shown), self)
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setAccessibleName(self.tr("What is approved"))
        # An order id has no space to wrap at: the prompt is as wide as its longest line (within reason).
        widest = max(self.details.fontMetrics().horizontalAdvance(line) for line in shown)
        self.details.setMinimumWidth(min(widest + 8, 640))
        # A long return (many lines) scrolls inside the prompt, which stays on the screen at 200 %.
        self.details_area = QScrollArea(self)
        self.details_area.setWidget(self.details)
        self.details_area.setWidgetResizable(True)
        self.details_area.setFrameShape(QFrame.Shape.NoFrame)
        self.details_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry().height() * 2 // 5 if screen is not None else 300
        needed = self.details.sizeHint().height() + 4
        self.details_area.setMinimumHeight(min(needed, room))
        self.details_area.setMaximumHeight(min(needed, room))
        self.details_area.setMinimumWidth(self.details.minimumWidth() + 24)
        self.manager = secret_field(self, self.tr("Manager id"), self.tr("Manager id"))
        self.pin = secret_field(self, self.tr("PIN"), self.tr("Manager PIN"), secret=True)
        self.reason = secret_field(self, self.tr("Why, in a few words"), self.tr("Reason"))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Approval message"))
        form = QFormLayout()
        form.addRow(self.tr("Manager"), self.manager)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.tr("Reason"), self.reason)
        self.ok = button(self, self.tr("Approve"), self.tr("Approve"), self._check)
        self.ok.setDefault(True)
        self.cancel = button(self, self.tr("Cancel"), self.tr("Cancel approval"), self.reject)
        self.ok.setAccessibleDescription(self.tr("Checks the manager's id and PIN, then approves"))
        self.cancel.setAccessibleDescription(self.tr("Closes this without approving"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(self.details_area)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        for field in (self.manager, self.pin, self.reason):
            field.returnPressed.connect(self._check)
        self.manager.setFocus(Qt.OtherFocusReason)

    def _check(self) -> None:
        if self.tasks.running("approval"):
            return
        manager, pin, reason = self.manager.text().strip(), self.pin.text(), self.reason.text().strip()
        if not manager or not pin:
            self.message.setText(self.tr("Enter the manager's id and PIN."))
            return
        if not reason:
            self.message.setText(self.tr("Type why, in a few words: the reason is kept with the approval."))
            self.reason.setFocus(Qt.OtherFocusReason)
            return
        self.ok.setEnabled(False)
        self.message.setText(self.tr("Checking…"))
        work = asyncio.to_thread(self.till.operators.authorize, self.action, manager, pin,
                                 requested_by=self.requested_by, subject=self.subject, reason=reason)
        self.tasks.run("approval", work, self._done, self._refused)

    def _done(self, approval) -> None:
        self.approval = approval
        self.pin.clear()
        self.approved.emit(approval)
        self.accept()

    def _refused(self, exc: BaseException) -> bool:
        otherwise = self.tr("The approval could not be checked; try again.")
        return pin_refused(exc, self.pin, self.ok, self.message, otherwise)
