"""Enrol a shopper: an email and/or a phone, a name, and consent asked for explicitly.

The consent box starts unchecked and is what `NewMember.opted_in` records: the
shopper says yes, the cashier ticks it. Checked here first (an email or a phone,
each well-formed), then `checkout.enrol`, whose refusals ("already a member",
offline) are shown as its sentence. `enrolled` carries the new member's MemberView.

Once enrolled, the dialog stays open on the new member's id, large, so the shopper
can note it, with their card to take away: printed on the receipt printer (a worker
thread, as receipts are) or saved as a card-size PDF in the receipts folder. Enter
or Done closes it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.checkout import printing
from kiosk.config import PrinterSettings
from kiosk.loyalty.models import MemberView, NewMember
from ui.cashier.dialog_kit import CashierDialog, big, message_label, touch_button
from ui.common.tasks import Tasks
from ui.common.contact import EMAIL, phone_ok
from ui.common.controls import BUTTON_HEIGHT, takes_typing

log = logging.getLogger(__name__)

def line_edit(accessible: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setMinimumHeight(BUTTON_HEIGHT)
    return takes_typing(edit)


class EnrolDialog(CashierDialog):
    enrolled = Signal(object)  # MemberView

    def __init__(self, checkout: Any, tasks: Tasks, parent: QWidget | None = None, *,
                 printer: PrinterSettings | None = None, store_name: str = ""):
        super().__init__(tasks, parent)
        self.checkout = checkout
        self.printer = printer or PrinterSettings()
        self.store_name = store_name
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
        self.first_name.setAccessibleDescription(self.tr("The new member's first name"))
        self.last_name.setAccessibleDescription(self.tr("The new member's last name"))
        self.consent.setAccessibleDescription(self.tr("Ticked only if the shopper agrees to marketing messages"))
        self.enrol_button.setAccessibleDescription(self.tr("Enrols the shopper with these details"))
        self.cancel_button.setAccessibleDescription(self.tr("Closes this window without enrolling anyone"))
        self.enrol_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.reject)
        self.member_id = big(message_label(self.tr("New member id")), 26)
        self.member_id.hide()
        self.print_card = touch_button(self.tr("Print card (Ctrl+P)"), self.tr("Print member card"))
        self.save_card = touch_button(self.tr("Save card PDF (Ctrl+S)"), self.tr("Save member card as PDF"))
        self.print_card.clicked.connect(self.print_member_card)
        self.save_card.clicked.connect(self.save_member_card)
        for b in (self.print_card, self.save_card):
            b.hide()
        QShortcut(QKeySequence(QKeySequence.StandardKey.Print), self).activated.connect(self.print_member_card)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self).activated.connect(self.save_member_card)

        form = QFormLayout()
        form.addRow(self.tr("Email"), self.email)
        form.addRow(self.tr("Phone"), self.phone)
        form.addRow(self.tr("First name"), self.first_name)
        form.addRow(self.tr("Last name"), self.last_name)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.print_card)
        buttons.addWidget(self.save_card)
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
        layout.addWidget(self.member_id)
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
        if self.member is not None:
            self.accept()  # Enter on the new member's id: done
            return
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
        self.result.setText(self.tr("Enrolled: %1. Their member id:").replace("%1", name))
        self.member_id.setText(view.member_id)
        self.member_id.show()
        for field in (self.email, self.phone, self.first_name, self.last_name, self.consent):
            field.setEnabled(False)
        self.enrol_button.hide()
        self.cancel_button.setText(self.tr("Done"))
        self.cancel_button.setAccessibleName(self.tr("Done"))
        self.save_card.show()
        self.print_card.show()
        self.print_card.setEnabled(self.printer.kind != "none")
        if self.printer.kind == "none":
            self.print_card.setToolTip(self.tr("No receipt printer is set up for this till; save a PDF instead."))
        self.cancel_button.setFocus()
        self.enrolled.emit(view)

    def _card_holder(self) -> tuple[str, str]:
        view = self.member
        return view.member_id, (view.member.display_name if view.member else "")

    def print_member_card(self) -> None:
        if self.member is None or not self.print_card.isEnabled() or self.busy("card"):
            return
        member_id, name = self._card_holder()
        self.print_card.setEnabled(False)
        self.result.setText(self.tr("Printing the card…"))

        def printed(_: Any) -> None:
            self.print_card.setEnabled(True)
            self.result.setText(self.tr("Card printed."))

        def failed(_: str) -> None:
            self.print_card.setEnabled(True)
            self.result.clear()

        self.run("card", asyncio.to_thread(printing.print_member_card, member_id, name, self.store_name,
                                           self.printer), printed, failed)

    def save_member_card(self) -> Path | None:
        if self.member is None:
            return None
        from ui.receipts.pdf import save_member_card

        member_id, name = self._card_holder()
        folder = printing.receipts_dir(self.printer)
        try:
            path = save_member_card(member_id, name, self.store_name, folder / printing.card_pdf_name(member_id))
        except (OSError, ValueError) as exc:
            log.warning("saving a member card PDF in %s failed: %r", folder, type(exc).__name__)
            self.show_error(self.tr("The card could not be saved in {0}; ask IT to check the receipts folder.")
                            .format(folder))
            return None
        self.result.setText(self.tr("Card saved as {0}").format(path))
        return path
