"""Find a member by phone or email (`checkout.search_member`) and put them on the sale.

`attach(view)` puts the member found on the sale; when the sale refuses (it holds
another member's reward), the dialog says why and stays open. `found` carries the
MemberView once it is on the sale.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.loyalty.models import MemberView
from ui.cashier.dialog_kit import CashierDialog, message_label, touch_button
from ui.cashier.enrol_dialog import EMAIL, line_edit, phone_ok
from ui.common.tasks import Tasks, user_message


class MemberSearchDialog(CashierDialog):
    found = Signal(object)  # MemberView

    def __init__(self, checkout: Any, tasks: Tasks, parent: QWidget | None = None,
                 attach: Callable[[MemberView], None] = lambda view: None):
        super().__init__(tasks, parent)
        self.checkout = checkout
        self._attach = attach
        self.member: MemberView | None = None
        self.setWindowTitle(self.tr("Find a member"))
        self.setAccessibleName(self.tr("Find a member"))
        self.query = line_edit(self.tr("Phone or email"), self.tr("Phone number or email address"))
        self.error.setAccessibleName(self.tr("Search problem"))
        self.result = message_label(self.tr("Member found"))
        self.search_button = touch_button(self.tr("Search"))
        self.cancel_button = touch_button(self.tr("Cancel"))
        self.search_button.setAccessibleDescription(self.tr("Looks up members by what is typed above"))
        self.cancel_button.setAccessibleDescription(self.tr("Closes this window without picking a member"))
        self.search_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.search_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("The member's phone number or email address:")))
        layout.addWidget(self.query)
        layout.addWidget(self.error)
        layout.addWidget(self.result)
        layout.addLayout(buttons)
        self.query.setFocus()

    def confirm(self) -> None:
        text = self.query.text().strip()
        if "@" in text:
            if not EMAIL.fullmatch(text):
                self.show_error(self.tr("That email address doesn't look right (name@example.com)."))
                return
            kwargs = {"email": text}
        elif text and phone_ok(text):
            kwargs = {"phone": text}
        else:
            self.show_error(self.tr("Enter a phone number (7 to 15 digits) or an email address."))
            return
        self.result.clear()
        self.search_button.setEnabled(False)
        self.run("search", self.checkout.search_member(**kwargs), self._found,
                 lambda _: self.search_button.setEnabled(True))

    def _found(self, view: MemberView) -> None:
        self.search_button.setEnabled(True)
        try:
            self._attach(view)
        except Exception as exc:
            refusal = user_message(exc)
            if refusal is None:
                raise  # a bug: Tasks logs it and says so
            self.show_error(refusal)
            return
        self.member = view
        name = view.member.display_name if view.member else view.member_id
        self.result.setText(self.tr("Found %1 (%2).").replace("%1", name).replace("%2", view.member_id))
        self.found.emit(view)
        self.accept()
