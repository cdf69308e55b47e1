"""The outbox for the person at the till: how much waits, what is dead-lettered, what needs a person.

Dead letters are listed the way `kiosk queue list` lists them: operation id, kind,
attempts, when, and the reason, never a body or a path (they carry member ids);
the reason has the row's member id and anything that looks like contact data
taken out. "Retry" needs `approve("retry_dead_letter", op_id)`, then the operation
is queued again (`Outbox.retry`, in a thread), the approval is recorded in the
audit log and delivery is woken. Below, read-only with a sentence each: the
redemptions of failed sales a person must look at (`Sales.problems`), and what the
backend refused of the gift cards taken under an offline allowance (`Allowances.report`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListWidget, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from kiosk.checkout import money
from kiosk.checkout.offline import Refusal
from kiosk.checkout.receipt import mask
from kiosk.checkout.sales import Redemption
from kiosk.outbox.events import age_text
from ui.cashier.dialog_kit import Approve, CashierDialog, message_label, scrub, touch_button
from ui.tasks import Tasks
from ui.widgets.controls import BUTTON_HEIGHT

REFRESH_MS = 3000


@dataclass(frozen=True)
class DeadLetter:
    op_id: int
    kind: str
    attempts: int
    created: str
    reason: str


@dataclass(frozen=True)
class QueueView:
    depth: int
    oldest: str
    dead: int
    blocked: int
    paused: str | None
    letters: tuple[DeadLetter, ...]
    problems: tuple[Redemption, ...]
    refusals: tuple[Refusal, ...]


def read_view(till: Any) -> QueueView:
    """Everything the dialog shows, read in one go (in a worker thread)."""
    status = till.outbox.status()
    letters = tuple(DeadLetter(r["id"], r["kind"], r["attempts"],
                               datetime.fromtimestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M"),
                               scrub(r["last_error"], r["member_id"])) for r in till.outbox.rows("dead", 200))
    return QueueView(status.depth, age_text(status.oldest_age_s), status.dead, status.blocked, status.paused,
                     letters, tuple(till.sales.problems()), tuple(till.allowances.report()))


class QueueDialog(CashierDialog):
    retried = Signal(int)  # the operation id sent again

    def __init__(self, till: Any, tasks: Tasks, approve: Approve, parent: QWidget | None = None):
        super().__init__(tasks, parent)
        self.till = till
        self.approve = approve
        self.view: QueueView | None = None
        self.retry_buttons: dict[int, Any] = {}
        self.setWindowTitle(self.tr("Waiting to send"))
        self.setAccessibleName(self.tr("Waiting to send"))
        self.setMinimumSize(760, 560)

        self.status = message_label(self.tr("Queue status"))
        self.letters = QTableWidget(0, 6)
        self.letters.setAccessibleName(self.tr("Dead letters"))
        self.letters.setHorizontalHeaderLabels([self.tr("ID"), self.tr("Kind"), self.tr("Attempts"),
                                                self.tr("Queued"), self.tr("Reason"), ""])
        self.letters.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.letters.verticalHeader().setVisible(False)
        self.letters.verticalHeader().setDefaultSectionSize(BUTTON_HEIGHT + 4)
        self.letters.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.letters.setWordWrap(True)
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
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(QLabel(self.tr("Dead letters: operations the loyalty service would not take")))
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

    def confirm(self) -> None:
        self.refresh()

    # -- reading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.run("read", asyncio.to_thread(read_view, self.till), self._show)

    def _tick(self) -> None:
        if not self.busy("read") and not self.busy("retry"):
            self.refresh()

    def _show(self, view: QueueView) -> None:
        self.view = view
        parts = [self.tr("Waiting: %1 (oldest %2).").replace("%1", str(view.depth)).replace("%2", view.oldest),
                 self.tr("Dead letters: %1.").replace("%1", str(view.dead))]
        if view.blocked:
            parts.append(self.tr("%1 held back behind them.").replace("%1", str(view.blocked)))
        parts.append(self.tr("Sending is paused: %1").replace("%1", view.paused) if view.paused
                     else self.tr("Sending is running."))
        self.status.setText(" ".join(parts))

        self.letters.setRowCount(0)
        self.retry_buttons = {}
        for row, letter in enumerate(view.letters):
            self.letters.insertRow(row)
            for col, value in enumerate((str(letter.op_id), letter.kind, str(letter.attempts), letter.created,
                                         letter.reason)):
                self.letters.setItem(row, col, QTableWidgetItem(value))
            button = touch_button(self.tr("Retry"), self.tr("Retry operation %1").replace("%1", str(letter.op_id)))
            button.setEnabled(not self.busy("retry"))
            button.clicked.connect(lambda _=False, op_id=letter.op_id: self.retry(op_id))
            self.letters.setCellWidget(row, 5, button)
            self.retry_buttons[letter.op_id] = button
        if not view.letters:
            self.letters.setRowCount(1)
            self.letters.setSpan(0, 0, 1, 6)
            self.letters.setItem(0, 0, QTableWidgetItem(self.tr("No dead letters.")))

        self.problems.clear()
        self.problems.addItems([self.problem_text(r) for r in view.problems] or [self.tr("None.")])
        self.refusals.clear()
        self.refusals.addItems([self.refusal_text(r) for r in view.refusals] or [self.tr("None.")])

    def problem_text(self, r: Redemption) -> str:
        what = {"card": self.tr("gift card"), "coupon": self.tr("coupon"), "reward": self.tr("reward")}.get(
            r.kind, r.kind)
        code = r.ref if r.kind == "reward" else mask(r.ref)
        amount = str(money.to_money(r.amount_cents))
        if r.state == "needs_person":
            text = self.tr("Sale %1: the %2 %3 (%4) took effect and can't be undone automatically; undo it at "
                           "the loyalty service or settle it with the customer.")
        else:
            text = self.tr("Sale %1: the %2 %3 (%4) still has to be undone, but operation %5 is "
                           "dead-lettered; retry it above.").replace("%5", str(r.undo_op or r.op_id))
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
        approval = await self.approve("retry_dead_letter", str(op_id))
        if approval is None:
            return op_id, None
        again = await asyncio.to_thread(self._retry_now, approval, op_id)
        if again:
            self.till.engine.wake()
        return op_id, again

    def _retry_now(self, approval: Any, op_id: int) -> bool:
        self.till.checkout.approvals.use(approval, "retry_dead_letter", str(op_id), approval.requested_by,
                                         "Sending a dead letter again needs a manager's approval.")
        if not self.till.outbox.retry(op_id):
            return False
        if getattr(approval, "audit_id", None) is None:  # not recorded yet by whoever approved
            with self.till.db.tx() as conn:
                self.till.operators.record_approval(conn, approval, {"op": op_id})
        return True

    def _retried(self, outcome: tuple[int, bool | None]) -> None:
        op_id, again = outcome
        if again is None:
            self.show_error(self.tr("Not approved; operation %1 stays dead-lettered.").replace("%1", str(op_id)))
        elif again:
            self.notice.setText(self.tr("Operation %1 is queued again and will be sent now.")
                                .replace("%1", str(op_id)))
            self.retried.emit(op_id)
        else:
            self.show_error(self.tr("Operation %1 is no longer dead-lettered.").replace("%1", str(op_id)))
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
