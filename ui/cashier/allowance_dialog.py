"""The offline allowance: what is open on this terminal, and a manager opening or closing one.

Shows the active allowance (sales left, money left, when it ends). Opening one
takes how many sales (1-100), how much money in all and for how many hours (at
most 24), then `approve("offline_allowance", terminal_id)` and
`Allowances.grant(...)` in a worker thread; a new allowance replaces the open one.
"Close allowance" ends it at once (less risk needs no approval).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from kiosk import formats
from kiosk.checkout import money
from kiosk.checkout.offline import Allowance
from ui.cashier.dialog_kit import Approve, CashierDialog, big, message_label, touch_button
from ui.common.tasks import Tasks
from ui.common.controls import BUTTON_HEIGHT, takes_typing

MAX_SALES, MAX_HOURS = 100, 24


class AllowanceDialog(CashierDialog):
    granted = Signal(object)  # Allowance
    closed_allowance = Signal()

    def __init__(self, till: Any, tasks: Tasks, approve: Approve, operator_id: str,
                 parent: QWidget | None = None):
        super().__init__(tasks, parent)
        self.till = till
        self.approve = approve
        self.operator_id = operator_id
        self.allowance: Allowance | None = None
        self.setWindowTitle(self.tr("Offline allowance"))
        self.setAccessibleName(self.tr("Offline allowance"))

        self.current = big(message_label(self.tr("Active allowance")), 16)
        self.sales = QSpinBox()
        self.sales.setRange(1, MAX_SALES)
        self.sales.setValue(10)
        self.sales.setAccessibleName(self.tr("Most sales"))
        self.amount = QLineEdit("200.00")
        self.amount.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{1,6}([.,]\d{0,2})?"), self))
        self.amount.setAccessibleName(self.tr("Most money in all"))
        self.hours = QSpinBox()
        self.hours.setRange(1, MAX_HOURS)
        self.hours.setValue(4)
        self.hours.setSuffix(self.tr(" h"))
        self.hours.setAccessibleName(self.tr("Hours"))
        for control in (self.sales, self.amount, self.hours):
            control.setMinimumHeight(BUTTON_HEIGHT)
        takes_typing(self.amount)
        self.error.setAccessibleName(self.tr("Allowance problem"))
        self.notice = message_label(self.tr("What happened"))
        self.grant_button = touch_button(self.tr("Open allowance"))
        self.close_allowance_button = touch_button(self.tr("Close allowance"))
        self.close_button = touch_button(self.tr("Close"))
        self.sales.setAccessibleDescription(self.tr("How many sales the till may make offline"))
        self.amount.setAccessibleDescription(self.tr("The most money all offline sales may come to"))
        self.hours.setAccessibleDescription(self.tr("How many hours the allowance lasts"))
        self.grant_button.setAccessibleDescription(self.tr("Opens the offline allowance; a manager approves it"))
        self.close_allowance_button.setAccessibleDescription(self.tr("Ends the offline allowance now"))
        self.close_button.setAccessibleDescription(self.tr("Closes this window"))
        self.grant_button.clicked.connect(self.confirm)
        self.close_allowance_button.clicked.connect(self.close_allowance)
        self.close_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Most sales (1-100)"), self.sales)
        form.addRow(self.tr("Most money in all"), self.amount)
        form.addRow(self.tr("For (at most 24 h)"), self.hours)
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_allowance_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.grant_button)
        layout = QVBoxLayout(self)
        explain = message_label(self.tr("What an allowance is"))
        explain.setText(self.tr("While the terminal is offline, an allowance lets it take gift cards and coupons "
                                "on trust, up to these limits. A manager approves it."))
        layout.addWidget(self.current)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)
        self.refresh()

    @property
    def terminal_id(self) -> str:
        return self.till.allowances.terminal_id

    def refresh(self) -> None:
        self.run("read", asyncio.to_thread(self.till.allowances.active), self._show)

    def _show(self, allowance: Allowance | None) -> None:
        self.allowance = allowance
        if allowance is None:
            self.current.setText(self.tr("No offline allowance is open."))
        else:
            ends = formats.when(datetime.fromtimestamp(allowance.expires_at).astimezone())
            self.current.setText(self.tr("Open: %1 sales and %2 left, until %3.")
                                 .replace("%1", str(allowance.sales_left))
                                 .replace("%2", formats.money(allowance.cents_left))
                                 .replace("%3", ends))
        self._enable()

    def _enable(self) -> None:
        working = self.busy("grant") or self.busy("close")
        self.grant_button.setEnabled(not working)
        self.close_allowance_button.setEnabled(not working and self.allowance is not None)

    def amount_value(self) -> Decimal | None:
        text = self.amount.text().strip().replace(",", ".")
        try:
            cents = money.to_cents(text)
        except Exception:
            return None
        return money.to_money(cents) if cents > 0 else None

    def confirm(self) -> None:
        """Enter: open the allowance."""
        if self.busy("grant"):
            return
        amount = self.amount_value()
        if amount is None:
            self.show_error(self.tr("Give the allowance an amount above zero, in at most cents (200.00)."))
            return
        self.notice.clear()
        self.run("grant", self._approved_grant(self.sales.value(), amount, self.hours.value()), self._granted,
                 lambda _: self._enable())
        self._enable()

    async def _approved_grant(self, sales: int, amount: Decimal, hours: int) -> Allowance | None:
        approval = await self.approve("offline_allowance", self.terminal_id, details=[
            self.tr("Terminal %1").replace("%1", self.terminal_id),
            self.tr("At most %1 sales, %2 in all, for %3 hours").replace("%1", str(sales))
            .replace("%2", str(amount)).replace("%3", str(hours))])
        if approval is None:
            return None
        return await asyncio.to_thread(self.till.allowances.grant, approval, max_sales=sales, max_amount=amount,
                                       hours=hours, operator_id=self.operator_id)

    def _granted(self, allowance: Allowance | None) -> None:
        if allowance is None:
            self._enable()
            self.show_error(self.tr("Not approved; no allowance was opened."))
            return
        self.notice.setText(self.tr("Allowance opened."))
        self._show(allowance)
        self.granted.emit(allowance)

    def close_allowance(self) -> None:
        if self.busy("close"):
            return
        self.run("close", asyncio.to_thread(self.till.allowances.close), self._closed, lambda _: self._enable())
        self._enable()

    def _closed(self, _: Any) -> None:
        self.notice.setText(self.tr("Allowance closed."))
        self._show(None)
        self.closed_allowance.emit()
