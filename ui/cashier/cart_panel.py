"""The cart: a field for a barcode, sku or name (results as you type), the lines, the totals."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from kiosk.checkout.money import to_money
from ui.widgets.controls import BUTTON_HEIGHT, button

class CartPanel(QWidget):
    override_requested = Signal(str, str)  # line id, the new price as typed

    def __init__(self, sale, parent: QWidget | None = None):
        super().__init__(parent)
        self.sale = sale
        self.entry = QLineEdit(self)
        self.entry.setPlaceholderText(self.tr("Scan or type a barcode, sku or name"))
        self.entry.setAccessibleName(self.tr("Product"))
        self.entry.setMinimumHeight(BUTTON_HEIGHT)
        self.entry.returnPressed.connect(self._entered)
        self.entry.textEdited.connect(lambda _t: self._debounce.start())
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(lambda: self.sale.search(self.entry.text()))
        self.results = QListWidget(self)
        self.results.setAccessibleName(self.tr("Products found"))
        self.results.setMaximumHeight(160)
        self.results.itemActivated.connect(self._picked)
        self.results.hide()
        self.entry.installEventFilter(self)

        self.table = QTableWidget(0, 4, self)
        self.table.setAccessibleName(self.tr("Cart lines"))
        self.table.setHorizontalHeaderLabels([self.tr("Product"), self.tr("Qty"), self.tr("Price"),
                                              self.tr("Amount")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(BUTTON_HEIGHT)

        self.plus = button(self, self.tr("+1"), self.tr("One more"), lambda: self._step(1))
        self.minus = button(self, self.tr("−1"), self.tr("One less"), lambda: self._step(-1))
        self.remove = button(self, self.tr("Remove"), self.tr("Remove line"), self._remove)
        self.price = QLineEdit(self)
        self.price.setPlaceholderText(self.tr("New price"))
        self.price.setAccessibleName(self.tr("New price"))
        self.price.setMinimumHeight(BUTTON_HEIGHT)
        self.override = button(self, self.tr("Change price"), self.tr("Change price"), self._override)
        actions = QHBoxLayout()
        for w in (self.plus, self.minus, self.remove, self.price, self.override):
            actions.addWidget(w)

        self.subtotal, self.discounts, self.tax, self.total = (QLabel(self) for _ in range(4))
        totals = QFormLayout()
        for label, name in ((self.subtotal, self.tr("Subtotal")), (self.discounts, self.tr("Discounts")),
                            (self.tax, self.tr("Tax")), (self.total, self.tr("Total"))):
            label.setAccessibleName(name)
            label.setAlignment(Qt.AlignRight)
            totals.addRow(name, label)
        self.total.setStyleSheet("font-size: 20px; font-weight: bold;")

        layout = QVBoxLayout(self)
        layout.addWidget(self.entry)
        layout.addWidget(self.results)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(totals)
        sale.search_results.connect(self._show_results)
        self.refresh()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        """+ and - in the empty product field change the selected line's quantity."""
        if watched is self.entry and event.type() == QEvent.KeyPress and not self.entry.text() \
                and event.text() in ("+", "-"):
            self._step(1 if event.text() == "+" else -1)
            return True
        return super().eventFilter(watched, event)

    # -- reading the sale ------------------------------------------------------------------

    def refresh(self) -> None:
        session = self.sale.session
        selected = self.selected_line()
        self.table.setRowCount(len(session.cart.lines))
        for row, line in enumerate(session.cart.lines):
            name = line.name if line.list_cents is None else self.tr("{0} (price changed)").format(line.name)
            cells = (name, str(line.quantity), str(to_money(line.unit_cents)), str(to_money(line.gross)))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, line.line_id)
                if col:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, col, item)
            if line.line_id == selected:
                self.table.selectRow(row)
        if self.table.rowCount() and self.selected_line() is None:
            self.table.selectRow(self.table.rowCount() - 1)
        priced = session.priced()
        self.subtotal.setText(str(to_money(priced.merchandise)))
        self.discounts.setText(f"-{to_money(priced.discount)}" if priced.discount else "0.00")
        self.tax.setText(str(to_money(priced.tax)))
        self.total.setText(str(to_money(priced.total)))
        editable = self.sale.cart_open
        for w in (self.plus, self.minus, self.remove, self.override, self.price):
            w.setEnabled(editable and bool(session.cart.lines))

    def selected_line(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.UserRole) if items else None

    # -- actions ---------------------------------------------------------------------------

    def _entered(self) -> None:
        if self.results.isVisible() and self.results.currentItem() is not None and not self.entry.text().strip():
            self._picked(self.results.currentItem())
            return
        text = self.entry.text()
        self.entry.clear()
        self.results.hide()
        self.sale.add_text(text)

    def _show_results(self, products: list) -> None:
        self.results.clear()
        for product in products:
            item = QListWidgetItem(f"{product.name}  ·  {product.price}  ·  {product.sku}")
            item.setData(Qt.UserRole, product)
            self.results.addItem(item)
        if products:
            self.results.setCurrentRow(0)
        self.results.setVisible(bool(products))

    def _picked(self, item: QListWidgetItem) -> None:
        self.sale.add_product(item.data(Qt.UserRole))
        self.entry.clear()
        self.results.hide()
        self.entry.setFocus()

    def pick_first_result(self) -> None:
        if self.results.isVisible() and self.results.count():
            self._picked(self.results.currentItem() or self.results.item(0))

    def _step(self, step: int) -> None:
        line = self.selected_line()
        if line is not None:
            self.sale.change_quantity(line, step)

    def more(self) -> None:
        self._step(1)

    def less(self) -> None:
        self._step(-1)

    def _remove(self) -> None:
        line = self.selected_line()
        if line is not None:
            self.sale.remove_line(line)

    def _override(self) -> None:
        line = self.selected_line()
        if line is not None:
            self.override_requested.emit(line, self.price.text())
