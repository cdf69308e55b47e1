"""Enrol a shopper: an email and/or a phone, a name, and consent asked for explicitly.

The consent box starts unchecked and is what `NewMember.opted_in` records: the
shopper says yes, the cashier ticks it. Checked here first (an email or a phone,
each well-formed), then `checkout.enrol`, whose refusals ("already a member",
offline) are shown as its sentence. `enrolled` carries the new member's MemberView.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.loyalty.models import MemberView, NewMember
from ui.cashier.dialog_kit import CashierDialog, message_label, touch_button
from ui.tasks import Tasks
from ui.widgets.controls import BUTTON_HEIGHT, takes_typing

EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
PHONE_DIGITS = (7, 15)


def phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return bool(re.fullmatch(r"\+?[\d\s().-]+", text)) and PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]


def line_edit(accessible: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setMinimumHeight(BUTTON_HEIGHT)
    return takes_typing(edit)


class EnrolDialog(CashierDialog):
    enrolled = Signal(object)  # MemberView

    def __init__(self, checkout: Any, tasks: Tasks, parent: QWidget | None = None):
        super().__init__(tasks, parent)
        self.checkout = checkout
        self.member: MemberView | None = None
        self.setWindowTitle(self.tr("Enrol a member"))
        self.setAccessibleName(self.tr("Enrol a member"))
        self.email = line_edit(self.tr("Email"), self.tr("name@example.com"))
        self.phone = line_edit(self.tr("Phone"), self.tr("555-010-0000"))
        self.first_name = line_edit(self.tr("First name"))
        self.last_name = line_edit(self.tr("Last name"))
        self.consent = QCheckBox(self.tr("The customer agrees to receive offers by email and text"))
        self.consent.setAccessibleName(self.tr("Marketing consent"))
        self.consent.setChecked(False)
        self.consent.setMinimumHeight(BUTTON_HEIGHT)
        self.error.setAccessibleName(self.tr("Enrolment problem"))
        self.result = message_label(self.tr("Enrolment result"))
        self.enrol_button = touch_button(self.tr("Enrol"))
        self.cancel_button = touch_button(self.tr("Cancel"))
        self.enrol_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Email"), self.email)
        form.addRow(self.tr("Phone"), self.phone)
        form.addRow(self.tr("First name"), self.first_name)
        form.addRow(self.tr("Last name"), self.last_name)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.enrol_button)
        layout = QVBoxLayout(self)
        hint = message_label(self.tr("What is needed"))
        hint.setText(self.tr("An email address or a phone number is needed; both are fine."))
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.consent)
        layout.addWidget(self.error)
        layout.addWidget(self.result)
        layout.addLayout(buttons)
        self.email.setFocus()

    def problems(self) -> list[str]:
        """What is wrong with the form, as sentences; empty when it can be sent."""
        email, phone = self.email.text().strip(), self.phone.text().strip()
        found = []
        if not (email or phone):
            found.append(self.tr("Enter an email address or a phone number."))
        if email and not EMAIL.fullmatch(email):
            found.append(self.tr("That email address doesn't look right (name@example.com)."))
        if phone and not phone_ok(phone):
            found.append(self.tr("A phone number has 7 to 15 digits."))
        return found

    def new_member(self) -> NewMember:
        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return NewMember(email=text(self.email), phone=text(self.phone), first_name=text(self.first_name),
                         last_name=text(self.last_name), opted_in=self.consent.isChecked())

    def confirm(self) -> None:
        if self.busy("enrol"):
            return
        wrong = self.problems()
        if wrong:
            self.show_error(" ".join(wrong))
            return
        self.enrol_button.setEnabled(False)
        self.run("enrol", self.checkout.enrol(self.new_member()), self._enrolled,
                 lambda _: self.enrol_button.setEnabled(True))

    def _enrolled(self, view: MemberView) -> None:
        self.member = view
        name = view.member.display_name if view.member else view.member_id
        self.result.setText(self.tr("Enrolled: %1 (%2).").replace("%1", name).replace("%2", view.member_id))
        self.enrolled.emit(view)
        self.accept()
