"""Paying: what is due, codes (coupons to the cart, cards as tenders), cash/card/other, and Pay."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QListView, QListWidget, QVBoxLayout, QWidget)

from kiosk import formats
from kiosk.checkout.receipt import TENDER_NAMES
from kiosk.checkout.session import State
from ui.common.controls import BUTTON_HEIGHT, FixedLines, button, describe, takes_typing
from ui.common.notices import keep_place
from ui.common import theme


class TenderPanel(QWidget):
    def __init__(self, sale, parent: QWidget | None = None):
        super().__init__(parent)
        self.sale = sale
        self.due = QLabel(self)
        self.due.setAccessibleName(self.tr("Amount due"))
        self.due.setStyleSheet(f"font-size: {theme.TOTAL_PX}px; font-weight: bold;")
        self.code = QLineEdit(self)
        self.code.setPlaceholderText(self.tr("Coupon, gift card or store card code"))
        self.code.setAccessibleName(self.tr("Code"))
        self.code.setMinimumHeight(BUTTON_HEIGHT)
        self.code.returnPressed.connect(self._code)
        self.apply = button(self, self.tr("Apply code"), self.tr("Apply code"), self._code)
        self.apply.setAccessibleDescription(self.tr("Applies the coupon, gift card or store card code typed"))
        codes = QHBoxLayout()
        codes.addWidget(self.code, 1)
        codes.addWidget(self.apply)

        self.tenders = QListWidget(self)
        describe(self.tenders, self.tr("Tenders"), self.tr("What has been paid so far, one line a tender"))
        self.tenders.setMaximumHeight(140)
        self.remove = button(self, self.tr("Take tender off"), self.tr("Take tender off"), self._take_off)
        self.remove.setAccessibleDescription(self.tr("Takes the picked tender off the sale"))
        self.back = button(self, self.tr("Back to cart"), self.tr("Back to cart"), lambda: self.sale.back_to_cart())

        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText(self.tr("Amount (empty: what is due)"))
        self.amount.setAccessibleName(self.tr("Tender amount"))
        self.amount.setMinimumHeight(BUTTON_HEIGHT)
        takes_typing(self.amount)
        self.cash = button(self, self.tr("Cash"), self.tr("Pay cash"), lambda: self._external("cash"))
        self.card = button(self, self.tr("Card terminal"), self.tr("Pay by card on the store terminal"),
                           lambda: self._external("card"))
        self.other = button(self, self.tr("Other"), self.tr("Other tender"), lambda: self._external("other"))
        self.points = button(self, self.tr("Points"), self.tr("Pay with the member's points"), self._points)
        self.card.setAccessibleDescription(self.tr("The amount, or what is due, paid on the card terminal"))
        self.other.setAccessibleDescription(self.tr("The amount, or what is due, paid another way"))
        grid = QGridLayout()
        grid.addWidget(self.amount, 0, 0, 1, 4)
        grid.addWidget(self.cash, 1, 0)
        grid.addWidget(self.card, 1, 1)
        grid.addWidget(self.other, 1, 2)
        grid.addWidget(self.points, 1, 3)

        self.pay = button(self, self.tr("Pay"), self.tr("Pay"), lambda: self.sale.pay())
        self.pay.setMinimumHeight(56)
        self.pay.setStyleSheet("font-size: 22px; font-weight: bold;")
        # Two lines are kept for what Pay says: a sentence coming never moves Pay.
        self.outcome = keep_place(FixedLines(2, self))
        self.outcome.setAccessibleName(self.tr("Payment outcome"))

        self.tenders.setMinimumHeight(BUTTON_HEIGHT)
        # A tender's line wraps rather than scrolling sideways: what is left on a card is read whole.
        self.tenders.setWordWrap(True)
        self.tenders.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.tenders.setResizeMode(QListView.Adjust)
        self.due_label = QLabel(self.tr("Due"), self)
        top = QHBoxLayout()
        top.addWidget(self.due_label)
        top.addStretch(1)
        top.addWidget(self.due)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(codes)
        layout.addWidget(self.tenders, 1)
        row = QHBoxLayout()
        row.addWidget(self.remove)
        row.addWidget(self.back)
        layout.addLayout(row)
        layout.addLayout(grid)
        layout.addStretch(1)  # what is left goes here: Pay stays at the bottom, the rest at the top
        layout.addWidget(self.outcome)
        layout.addWidget(self.pay)
        self.busy = False
        self.refresh()

    def focus_code(self) -> None:
        self.code.setFocus()
        self.code.selectAll()

    def set_paying(self, on: bool) -> None:
        self.busy = on
        waiting = self.tr("Paying… please wait: the cards and rewards are being confirmed.")
        if on:
            self.outcome.setText(waiting)
        elif self.outcome.text() == waiting:
            self.outcome.clear()  # Pay ended without an outcome of its own (it failed): no stale "wait"
        self.refresh()

    def show_outcome(self, result) -> None:
        self.outcome.setText(result.message)
        if result.ok:
            # Shown large until the next sale starts: the cashier counts the change out from it.
            self.last_change, self._paid = self.sale.session.change, self.sale.session

    last_change: int | None = None  # cents, of the sale just paid
    _paid = None  # that sale's session

    def sale_ended(self) -> None:
        """A sale voided, or the next one started: what was said about the last one goes."""
        self.last_change = self._paid = None
        self.outcome.clear()
        self.outcome.setToolTip("")
        self.refresh()

    def refresh(self) -> None:
        session = self.sale.session
        if self.last_change is not None and session is not self._paid and session.cart.lines:
            self.sale_ended()
            return
        if self.last_change is not None:
            self.due_label.setText(self.tr("Change"))
            self.due.setText(formats.money(self.last_change))
            self.due.setProperty("tone", "done")
            theme.repolish(self.due)
        else:
            self.due_label.setText(self.tr("Due"))
            self.due.setText(formats.money(session.due))
            self.due.setProperty("tone", "")
            theme.repolish(self.due)
        self.tenders.clear()
        for card in session.cards:
            kind = self.tr("Store card") if card.kind == "storecard" else self.tr("Gift card")
            left = formats.money(card.left) if card.checked else self.tr("confirmed later")
            self.tenders.addItem(self.tr("{0} {1}: {2} (left on card: {3})").format(kind, card.code,
                                                                                   formats.money(card.amount), left))
        for tender in session.external:
            self.tenders.addItem(self.tr("{0}: {1}").format(self.tr(TENDER_NAMES.get(tender.kind, tender.kind)),
                                                             formats.money(tender.amount)))
        if session.points_paid is not None:
            self.tenders.addItem(self.tr("Points: {0} ({1} points)").format(
                formats.money(session.points_paid.amount), formats.points(session.points_paid.points)))
        if session.change:
            self.tenders.addItem(self.tr("Change: {0}").format(formats.money(session.change)))
        tendering = session.state == State.TENDERING
        has_lines = bool(session.cart.lines)
        for w in (self.cash, self.card, self.other, self.amount, self.code, self.apply):
            w.setEnabled(not self.busy and has_lines)
        balance = session.member.points if session.member is not None else None
        self.points.setVisible(session.points_tender)  # only where the backend takes points as a tender
        self.points.setEnabled(not self.busy and has_lines and session.points_paid is None and balance is not None
                               and bool(balance.currency_ratio) and balance.available > 0)
        self.remove.setEnabled(not self.busy and tendering
                               and bool(session.cards or session.external or session.points_paid))
        self.back.setEnabled(not self.busy and tendering)
        self.pay.setEnabled(not self.busy and has_lines and session.state != State.AUTHORIZING)
        self.pay.setText(self.tr("Paying…") if self.busy else self.tr("Pay"))

    def _code(self) -> None:
        text = self.code.text().strip()
        if text:
            self.sale.enter_code(text)
            self.code.clear()

    def _external(self, kind: str) -> None:
        self.sale.add_external(kind, self.amount.text())
        self.amount.clear()

    def _points(self) -> None:
        self.sale.add_points(self.amount.text())
        self.amount.clear()

    def _take_off(self) -> None:
        session = self.sale.session
        row = max(self.tenders.currentRow(), 0)
        if row < len(session.cards):
            self.sale.remove_card(session.cards[row].code)
        elif row - len(session.cards) < len(session.external):
            self.sale.remove_external(row - len(session.cards))
        elif session.points_paid is not None:
            self.sale.remove_points()
