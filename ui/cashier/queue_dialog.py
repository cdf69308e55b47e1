"""What waits to be sent to the loyalty service, in a cashier's words.

At the top, one sentence: how much waits, how much could not be sent, and whether
sending is paused. Then what waits (pending and held-back writes: what each is, its
sale, when it was queued, how many tries), then what could not be sent (the outbox's
dead letters: number, what, tries, when, and the reason, scrubbed of member data).
"Send again" and the two answers for a held write run the application's transactions
(kiosk/app/queue.py), which ask `approve` for a manager's approval first. Below,
read-only with a sentence each: the redemptions of failed sales a person must look at
(`Sales.problems`), and what the backend refused of the gift cards taken under an
offline allowance (`Allowances.report`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListWidget, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from kiosk import formats
from kiosk.app import queue
from kiosk.app.queue import QueueView, Waiting, scrub
from kiosk.checkout.offline import Refusal
from kiosk.checkout.receipt import mask
from kiosk.checkout.sales import Redemption
from ui.cashier.dialog_kit import Approve, CashierDialog, message_label, touch_button
from ui.common.tasks import Tasks
from ui.common.controls import BUTTON_HEIGHT, roomy

REFRESH_MS = 3000


class QueueDialog(CashierDialog):
    retried = Signal(int)  # the operation id sent again
    resolved = Signal(int)  # a held write a manager settled

    def __init__(self, till: Any, tasks: Tasks, approve: Approve, parent: QWidget | None = None):
        super().__init__(tasks, parent)
        self.till = till
        self.approve = approve
        self.view: QueueView | None = None
        self.retry_buttons: dict[int, Any] = {}
        self.resolve_buttons: dict[tuple[int, bool], Any] = {}
        self.setWindowTitle(self.tr("Waiting to send"))
        self.setAccessibleName(self.tr("Waiting to send"))
        roomy(self, 760, 560)

        self.status = message_label(self.tr("Queue status"))
        self.waiting = self._table(self.tr("Waiting to send"), [self.tr("No."), self.tr("What"), self.tr("Sale"),
                                   self.tr("Queued"), self.tr("Tries"), self.tr("State")], stretch=5)
        self.letters = self._table(self.tr("Could not be sent"), [self.tr("No."), self.tr("What"), self.tr("Tries"),
                                   self.tr("Queued"), self.tr("Why"), ""], stretch=4)
        self.problems = QListWidget()
        self.problems.setAccessibleName(self.tr("Redemptions that need a person"))
        self.problems.setWordWrap(True)
        self.refusals = QListWidget()
        self.refusals.setAccessibleName(self.tr("Offline gift cards refused"))
        self.refusals.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Queue problem"))
        self.notice = message_label(self.tr("What happened"))
        self.refresh_button = touch_button(self.tr("Refresh"))
        self.close_button = touch_button(self.tr("Close"))
        self.waiting.setAccessibleDescription(self.tr("What this till will send when the loyalty service answers"))
        self.letters.setAccessibleDescription(self.tr("What the loyalty service would not take"))
        self.problems.setAccessibleDescription(self.tr("Rewards spent offline that someone has to settle"))
        self.refusals.setAccessibleDescription(self.tr("Gift cards taken offline that the service refused"))
        self.refresh_button.setAccessibleDescription(self.tr("Reads the lists again"))
        self.close_button.setAccessibleDescription(self.tr("Closes the queue window"))
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(QLabel(self.tr("Waiting to send")))
        layout.addWidget(self.waiting, 2)
        layout.addWidget(QLabel(self.tr("Could not be sent: the loyalty service would not take these; "
                                        "a manager can send them again")))
        layout.addWidget(self.letters, 2)
        layout.addWidget(QLabel(self.tr("Failed sales that need a person")))
        layout.addWidget(self.problems, 1)
        layout.addWidget(QLabel(self.tr("Gift cards taken offline and then refused")))
        layout.addWidget(self.refusals, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)

        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.refresh()

    def _table(self, name: str, headers: list[str], stretch: int) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setAccessibleName(name)
        table.setHorizontalHeaderLabels(headers)
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(BUTTON_HEIGHT + 4)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        return table

    def confirm(self) -> None:
        self.refresh()

    def what(self, kind: str) -> str:
        """An operation's kind as the cashier would name it."""
        return {
            "order": self.tr("Sale"), "full_return": self.tr("Return of a whole sale"),
            "return_lines": self.tr("Return"), "award_points": self.tr("Points added"),
            "debit_points": self.tr("Points taken back"), "redeem_reward": self.tr("Reward"),
            "reverse_reward": self.tr("Reward given back"), "redeem_code": self.tr("Gift card or coupon"),
            "undo_code": self.tr("Gift card or coupon given back"), "redeem_codes": self.tr("Gift cards"),
        }.get(kind, kind.replace("_", " "))

    # -- reading ------------------------------------------------------------------------

    def _what(self, op_id: int) -> str:
        """The stuck operation as the manager reads it: its kind and why it is stuck."""
        letter = next((x for x in (self.view.letters if self.view else ()) if x.op_id == op_id), None)
        return f"{self.what(letter.kind)}, {letter.reason}" if letter else str(op_id)

    def refresh(self) -> None:
        self.run("read", asyncio.to_thread(queue.read, self.till), self._show)

    def _tick(self) -> None:
        if not self.busy("read") and not self.busy("retry"):
            self.refresh()

    def _show(self, view: QueueView) -> None:
        self.view = view
        if view.depth:
            parts = [self.tr("%1 waiting to be sent (oldest %2).").replace("%1", str(view.depth))
                     .replace("%2", view.oldest)]
        else:
            parts = [self.tr("Nothing is waiting to be sent.")]
        if view.dead:
            parts.append(self.tr("%1 could not be sent.").replace("%1", str(view.dead)))
        held = sum(1 for x in view.letters if x.held)
        if held:
            parts.append(self.tr("%1 lost its answer and needs a manager to say whether it went through.")
                         .replace("%1", str(held)))
        if view.blocked:
            parts.append(self.tr("%1 held back behind them.").replace("%1", str(view.blocked)))
        parts.append(self.tr("Sending paused: %1").replace("%1", view.paused) if view.paused
                     else self.tr("Sending is running."))
        self.status.setText(" ".join(parts))

        self._fill(self.waiting, [(str(w.op_id), self.what(w.kind), w.sale_id or "", w.created, str(w.attempts),
                                   self._state(w, view.paused)) for w in view.waiting],
                   self.tr("Nothing is waiting."))
        self._fill(self.letters, [(str(x.op_id), self.what(x.kind), str(x.attempts), x.created, x.reason)
                                  for x in view.letters], self.tr("Nothing is stuck."))
        self.retry_buttons = {}
        self.resolve_buttons = {}
        for row, letter in enumerate(view.letters):
            if letter.held:
                self.letters.setCellWidget(row, 5, self._resolve_cell(letter.op_id))
                continue
            button = touch_button(self.tr("Send again"), self.tr("Send %1 again").replace("%1", str(letter.op_id)))
            button.setEnabled(not self.busy("retry"))
            button.clicked.connect(lambda _=False, op_id=letter.op_id: self.retry(op_id))
            self.letters.setCellWidget(row, 5, button)
            self.retry_buttons[letter.op_id] = button

        self.problems.clear()
        self.problems.addItems([self.problem_text(r) for r in view.problems] or [self.tr("None.")])
        self.refusals.clear()
        self.refusals.addItems([self.refusal_text(r) for r in view.refusals] or [self.tr("None.")])

    def _resolve_cell(self, op_id: int) -> QWidget:
        cell = QWidget()
        row = QHBoxLayout(cell)
        row.setContentsMargins(0, 0, 0, 0)
        for applied, text, name in ((True, self.tr("It went through"), self.tr("No. %1 went through")),
                                    (False, self.tr("It did not: send"), self.tr("No. %1 did not go through; send it"))):
            button = touch_button(text, name.replace("%1", str(op_id)))
            button.setEnabled(not self.busy("retry"))
            button.clicked.connect(lambda _=False, op_id=op_id, applied=applied: self.resolve(op_id, applied))
            row.addWidget(button)
            self.resolve_buttons[(op_id, applied)] = button
        return cell

    def resolve(self, op_id: int, applied: bool) -> None:
        if self.busy("retry"):
            return
        for button in [*self.retry_buttons.values(), *self.resolve_buttons.values()]:
            button.setEnabled(False)
        self.notice.clear()
        self.run("retry", self._approved_resolve(op_id, applied), self._resolved, lambda _: self.refresh())

    async def _approved_resolve(self, op_id: int, applied: bool) -> tuple[int, str | None]:
        state = await queue.settle_held(self.till, self.approve, op_id, applied, details=[
            self.tr("No. %1: %2").replace("%1", str(op_id)).replace("%2", self._what(op_id)),
            self.tr("It went through") if applied else self.tr("It did not: send it")])
        return op_id, state

    def _resolved(self, outcome: tuple[int, str | None]) -> None:
        op_id, state = outcome
        if state is None:
            self.show_error(self.tr("Not approved; no. %1 stays held.").replace("%1", str(op_id)))
        elif not state:
            self.show_error(self.tr("No. %1 was settled meanwhile.").replace("%1", str(op_id)))
        else:
            self.notice.setText({"done": self.tr("No. %1 is marked as gone through."),
                                 "pending": self.tr("No. %1 is queued again and will be sent now."),
                                 "cancelled": self.tr("No. %1 is cancelled: its sale was given up.")}[state]
                                .replace("%1", str(op_id)))
            self.resolved.emit(op_id)
        self.refresh()

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[str, ...]], empty: str) -> None:
        table.clearSpans()
        table.setRowCount(0)
        for row, values in enumerate(rows):
            table.insertRow(row)
            for col, value in enumerate(values):
                table.setItem(row, col, QTableWidgetItem(value))
        if not rows:
            table.setRowCount(1)
            table.setSpan(0, 0, 1, table.columnCount())
            table.setItem(0, 0, QTableWidgetItem(empty))

    def _state(self, w: Waiting, paused: str | None) -> str:
        if w.held:
            return self.tr("held back: something before it could not be sent")
        if paused:
            return self.tr("sending paused")
        return self.tr("waiting; tried before") if w.attempts else self.tr("waiting")

    def problem_text(self, r: Redemption) -> str:
        what = {"card": self.tr("gift card"), "coupon": self.tr("coupon"), "reward": self.tr("reward")}.get(
            r.kind, r.kind)
        code = r.ref if r.kind == "reward" else mask(r.ref)
        amount = formats.money(r.amount_cents)
        if r.state == "needs_person":
            text = self.tr("Sale %1: the %2 %3 (%4) took effect and can't be undone automatically; undo it at "
                           "the loyalty service or settle it with the customer.")
        else:
            text = self.tr("Sale %1: the %2 %3 (%4) still has to be undone, but no. %5 could not be "
                           "sent; send it again above.").replace("%5", str(r.undo_op or r.op_id))
        return text.replace("%1", r.sale_id).replace("%2", what).replace("%3", code).replace("%4", amount)

    def refusal_text(self, r: Refusal) -> str:
        return (self.tr("Sale %1: gift card %2 for %3 was refused once it reached the loyalty service (%4); "
                        "that money was not collected.")
                .replace("%1", r.sale_id).replace("%2", mask(r.code)).replace("%3", r.amount)
                .replace("%4", scrub(r.reason)))

    # -- retrying ------------------------------------------------------------------------

    def retry(self, op_id: int) -> None:
        if self.busy("retry"):
            return
        for button in self.retry_buttons.values():
            button.setEnabled(False)
        self.notice.clear()
        self.run("retry", self._approved_retry(op_id), self._retried, lambda _: self.refresh())

    async def _approved_retry(self, op_id: int) -> tuple[int, bool | None]:
        again = await queue.send_again(self.till, self.approve, op_id, details=[
            self.tr("Send no. %1 again: %2").replace("%1", str(op_id)).replace("%2", self._what(op_id))])
        return op_id, again

    def _retried(self, outcome: tuple[int, bool | None]) -> None:
        op_id, again = outcome
        if again is None:
            self.show_error(self.tr("Not approved; no. %1 stays unsent.").replace("%1", str(op_id)))
        elif again:
            self.notice.setText(self.tr("No. %1 is queued again and will be sent now.")
                                .replace("%1", str(op_id)))
            self.retried.emit(op_id)
        else:
            self.show_error(self.tr("No. %1 was already queued again.").replace("%1", str(op_id)))
        self.refresh()

    # -- showing -------------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        self.timer.stop()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        self.timer.stop()
        super().done(result)
