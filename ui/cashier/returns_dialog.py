"""Returns: scan the receipt (or type the order id), pick what comes back, a manager approves.

The order is looked up with `till.returns.find` (the backend first, then this
terminal's history); each line shows what was bought, what came back already and a
"return now" spin box that can't go past what is left, with the refund it gives
(`money.refund_share`, the rule the return itself uses), and under it where the
money goes (`Returns.plan`: each tender's share, the points, whether the points
spent on rewards come back). "Return selected" and "Return everything" ask
`approve("return", order_id, details=plan.summary())`, so the manager reads what
is approved, then `give_back`; the dialog then shows the refund large, tender by
tender, offers the return receipt (print or PDF), and looks the order up again so
a second return starts from the new counts.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLineEdit, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from datetime import datetime, timezone

from kiosk import formats
from kiosk.checkout import money
from kiosk.checkout import return_receipt
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.returns import ReturnableOrder, ReturnDone
from ui.cashier.dialog_kit import Approve, CashierDialog, big, message_label, touch_button
from ui.common.tasks import Tasks
from ui.common.controls import BUTTON_HEIGHT, roomy

COLUMNS = 5  # item, bought, returned already, return now, refund


def _money(cents: int) -> str:
    return formats.money(cents)


class ReturnsDialog(CashierDialog):
    returned = Signal(object)  # ReturnDone

    def __init__(self, till: Any, tasks: Tasks, approve: Approve, operator_id: str,
                 parent: QWidget | None = None, settings: Any = None):
        super().__init__(tasks, parent)
        self.till = till
        self.settings = settings  # kiosk.config.Settings: the store's name and printer, for the receipt
        self.approve = approve
        self.operator_id = operator_id
        self.order: ReturnableOrder | None = None
        self.last: ReturnDone | None = None
        self.spins: list[QSpinBox] = []
        self.setWindowTitle(self.tr("Return items"))
        self.setAccessibleName(self.tr("Return items"))
        roomy(self, 720, 520)

        self.scan = QLineEdit()
        self.scan.setPlaceholderText(self.tr("Scan the receipt or type the order number"))
        self.scan.setAccessibleName(self.tr("Receipt barcode or order number"))
        self.scan.setMinimumHeight(BUTTON_HEIGHT)
        self.look_up = touch_button(self.tr("Look up"))
        self.look_up.clicked.connect(self.find)

        self.heading = message_label(self.tr("Order"))
        self.table = QTableWidget(0, COLUMNS)
        self.table.setAccessibleName(self.tr("Lines of the order"))
        self.table.setHorizontalHeaderLabels([self.tr("Item"), self.tr("Bought"), self.tr("Returned already"),
                                              self.tr("Return now"), self.tr("Refund")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(BUTTON_HEIGHT + 4)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview = message_label(self.tr("Refund for the items picked"))

        self.error.setAccessibleName(self.tr("Return problem"))
        self.refund = big(message_label(self.tr("Refund to give back")))
        self.points = message_label(self.tr("Points removed"))
        self.message = message_label(self.tr("What the return did"))

        self.return_selected = touch_button(self.tr("Return selected"))
        self.return_all = touch_button(self.tr("Return everything"))
        self.receipt_button = touch_button(self.tr("Return receipt"))
        self.receipt_button.setVisible(False)
        self.receipt_button.clicked.connect(self.show_receipt)
        self.receipts: list[QWidget] = []
        self.close_button = touch_button(self.tr("Close"))
        self.look_up.setAccessibleDescription(self.tr("Finds the order of the receipt scanned or typed"))
        self.table.setAccessibleDescription(self.tr("The order's lines; tick the quantities to return"))
        self.return_selected.setAccessibleDescription(self.tr("Returns the lines picked above"))
        self.return_all.setAccessibleDescription(self.tr("Returns every line of the order"))
        self.close_button.setAccessibleDescription(self.tr("Closes the returns window"))
        self.return_selected.clicked.connect(self.give_back_selected)
        self.return_all.clicked.connect(self.give_back_all)
        self.close_button.clicked.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.scan, 1)
        top.addWidget(self.look_up)
        buttons = QHBoxLayout()
        buttons.addWidget(self.return_selected)
        buttons.addWidget(self.return_all)
        buttons.addWidget(self.receipt_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(self.refund)
        layout.addWidget(self.points)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._enable()
        self.scan.setFocus()

    # -- keys -------------------------------------------------------------------------

    def confirm(self) -> None:
        """Enter: look up what is in the scan field, else return what is picked."""
        if self.scan.hasFocus() or self.order is None:
            self.find()
        elif not (self.busy("return") or self.busy("find")):
            self.give_back_selected()  # says so when nothing is picked

    # -- finding ----------------------------------------------------------------------

    def take_scan(self, text: str) -> None:
        """A hand scanner's burst made while this dialog had the keyboard: the receipt."""
        self.scan.setText(text)
        self.find()

    def find(self) -> None:
        scanned = self.scan.text().strip()
        if not scanned:
            self.show_error(self.tr("Scan the receipt's barcode or type the order number."))
            return
        self.refund.clear()
        self.points.clear()
        self.message.clear()
        self._look_up(scanned)

    def _look_up(self, scanned: str) -> None:
        self.run("find", self.till.returns.find(scanned), self._show_order, self._not_found)
        self._enable()

    def _not_found(self, _: str) -> None:
        self._enable()
        self.scan.selectAll()  # the next scan replaces what was there
        self.scan.setFocus()

    def _show_order(self, order: ReturnableOrder) -> None:
        self.order = order
        self.scan.clear()
        self.table.setRowCount(0)
        self.spins = []
        for row, line in enumerate(order.lines):
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(line.name))
            for col, value in ((1, line.quantity), (2, line.returned)):
                item = QTableWidgetItem(str(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
            spin = QSpinBox()
            spin.setRange(0, line.left)
            spin.setMinimumHeight(BUTTON_HEIGHT)
            spin.setAccessibleName(self.tr("Return now: %1").replace("%1", line.name))
            spin.setEnabled(line.left > 0 and not order.fully_returned)
            spin.valueChanged.connect(self._update_preview)
            self.table.setCellWidget(row, 3, spin)
            self.spins.append(spin)
            refund = QTableWidgetItem(_money(0))
            refund.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 4, refund)
        if order.fully_returned or all(line.left == 0 for line in order.lines):
            self.heading.setText(self.tr("Order %1 was returned in full; nothing is left to return.")
                                 .replace("%1", order.order_id))
        else:
            self.heading.setText(self.tr("Order %1: pick how many of each item come back.")
                                 .replace("%1", order.order_id))
        self._update_preview()
        if self.spins:
            self.spins[0].setFocus()

    def quantities(self) -> dict[str, int]:
        """Line id -> how many come back, for the lines picked."""
        if self.order is None:
            return {}
        return {line.line_id: spin.value() for line, spin in zip(self.order.lines, self.spins) if spin.value()}

    def _update_preview(self, *_: Any) -> None:
        total = 0
        if self.order is not None:
            for row, (line, spin) in enumerate(zip(self.order.lines, self.spins)):
                n = spin.value()
                cents = money.refund_share(line.paid_cents, line.quantity, line.returned, n) if n else 0
                total += cents
                self.table.item(row, 4).setText(_money(cents))
        self.preview.setText(self._plan_text(total))
        self._enable()

    def _plan_text(self, total: int) -> str:
        """Where the money of the items picked (or, none picked, of everything left) goes."""
        order = self.order
        if order is None or order.fully_returned or not any(line.left for line in order.lines):
            return ""  # the heading says nothing is left
        picked = self.quantities()
        try:
            plan = self.till.returns.plan(self.order, picked or None)
        except CheckoutError as exc:
            return self.tr("Refund for the items picked: %1").replace("%1", _money(total)) + "\n" + str(exc)
        head = (self.tr("Refund for the items picked: %1").replace("%1", _money(total)) if picked
                else self.tr("Return everything: %1").replace("%1", _money(plan.total_cents)))
        return "\n".join([head, *plan.summary()[len(plan.lines) + 1:]])

    # -- returning ----------------------------------------------------------------------

    def give_back_selected(self) -> None:
        picked = self.quantities()
        if not picked:
            self.show_error(self.tr("Pick at least one item to return."))
            return
        self._give_back(picked)

    def give_back_all(self) -> None:
        self._give_back(None)

    def _give_back(self, quantities: dict[str, int] | None) -> None:
        if self.order is None or self.busy("return"):
            return
        self.run("return", self._approved_return(self.order, quantities), self._done, lambda _: self._enable())
        self._enable()

    async def _approved_return(self, order: ReturnableOrder, quantities: dict[str, int] | None) -> ReturnDone | None:
        plan = self.till.returns.plan(order, quantities)  # refuses what can't be returned, before the manager
        approval = await self.approve("return", order.order_id,
                                      details=[self.tr("Order %1").replace("%1", order.order_id), *plan.summary()])
        if approval is None:
            return None  # the manager did not approve: nothing happened
        return await self.till.returns.give_back(order, quantities, approval, self.operator_id)

    def _done(self, done: ReturnDone | None) -> None:
        self._enable()
        if done is None:
            self.show_error(self.tr("Not approved; nothing was returned."))
            return
        self.last = done
        if not done.ok:
            self.refund.setText(self.tr("Give nothing back"))
            self.points.clear()
            self.message.setText(done.message)
            self._look_up(done.order_id)
            return
        self.last_names = {line.line_id: line.name for line in self.order.lines} if self.order else {}
        self.refund.setText("\n".join(b.instruction for b in done.backs) or self.tr("Nothing to give back"))
        if done.points_removed is None:
            points = [self.tr("Points: taken back when the return reaches the loyalty service.")]
        else:
            points = [self.tr("Points taken back: %1").replace("%1", str(done.points_removed))]
        if done.points_given_back:
            points.append(self.tr("Points given back for rewards: %1").replace("%1", str(done.points_given_back)))
        if done.rewards_kept:
            points.append(self.tr("Points spent on rewards are not given back."))
        self.points.setText(" ".join(points))
        self.message.setText(done.message)
        self.receipt_button.setVisible(True)
        self.returned.emit(done)
        self._look_up(done.order_id)  # the new counts, for a second return

    def receipt(self):
        """The last return's receipt, or None before one was made."""
        done = self.last
        if done is None or not done.ok:
            return None
        settings = self.settings
        store = settings.store if settings is not None else None
        return return_receipt.build(
            done, getattr(self, "last_names", {}), member_id=done.member_id,
            store_id=store.store_id if store else None, terminal_id=self.till.returns.terminal.terminal_id,
            operator_id=self.operator_id, approver_id=done.approver_id, at=datetime.now(timezone.utc).astimezone(),
            store=store, training=settings is not None and settings.environment == "training")

    def show_receipt(self) -> None:
        from ui.receipts.preview import ReceiptPreview
        from ui.common.controls import show_on_top

        receipt = self.receipt()
        if receipt is None:
            return
        if self.settings is not None:
            printer = self.settings.printer
        else:
            from kiosk.config import PrinterSettings

            printer = PrinterSettings()
        dialog = ReceiptPreview(receipt, printer, self.tasks, self)
        self.receipt_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r, d=dialog: d in self.receipts and self.receipts.remove(d))
        self.receipts.append(dialog)
        show_on_top(dialog)

    def _enable(self) -> None:
        working = self.busy("return") or self.busy("find")
        order = self.order
        left = order is not None and not order.fully_returned and any(line.left for line in order.lines)
        self.return_selected.setEnabled(left and not working and bool(self.quantities()))
        self.return_all.setEnabled(left and not working)
        self.look_up.setEnabled(not self.busy("return"))

    def done(self, result: int) -> None:  # noqa: D102 - closing: a lookup under way is dropped
        task = self._running.get("find")
        if task is not None and not task.done():
            task.cancel()
        super().done(result)
