"""The cart: a field for a barcode, sku or name (results as you type), the lines, the totals."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QStyledItemDelegate, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from kiosk import formats
from kiosk.checkout.points_quote import PointsQuote, order_for_quote
from kiosk.loyalty.backend import POINTS_PREVIEW
from ui.common.controls import BUTTON_HEIGHT, button, takes_typing
from ui.common import theme

QTY_COLUMN = 1
RESULT_ROW_PX = BUTTON_HEIGHT


class _TypedCell(QStyledItemDelegate):
    """The Qty cell's editor takes what a person types, however fast (never held as a scan)."""

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt's name)
        return takes_typing(super().createEditor(parent, option, index))


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
        self.entry.textEdited.connect(self._typed)
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(lambda: self.sale.search(self.entry.text()))
        # "24 ×": how many the next product will be, once typed as 24 then *. Drawn inside
        # the field's left end, so it takes no room of its own.
        self.times = QLabel(self.entry)
        self.times.setAccessibleName(self.tr("Quantity for the next product"))
        self.times.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.times.setProperty("tone", "accent")
        self.times.setAlignment(Qt.AlignCenter)
        self.times.hide()
        # Found products float over the cart under the field: a search never squeezes the
        # lines away, and the arrow keys move through them from the field.
        self.results = QListWidget(self)
        self.results.setAccessibleName(self.tr("Products found"))
        self.results.setFocusPolicy(Qt.NoFocus)
        self.results.itemActivated.connect(self._picked)
        self.results.itemClicked.connect(self._picked)
        self.results.hide()
        self._picking = False  # the cashier moved through the results with the arrow keys
        self.entry.installEventFilter(self)

        self.table = QTableWidget(0, 4, self)
        self.table.setAccessibleName(self.tr("Cart lines"))
        self.table.setAccessibleDescription(self.tr("The sale's products; +1, −1 and Remove change the picked line"))
        self.table.setHorizontalHeaderLabels([self.tr("Product"), self.tr("Qty"), self.tr("Price"),
                                              self.tr("Amount")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        # Only the Qty cell can be typed into: double-click it, or type a number on the selected line.
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.AnyKeyPressed)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, as everywhere else
        self.table.verticalHeader().setDefaultSectionSize(BUTTON_HEIGHT)
        self.table.itemChanged.connect(self._cell_edited)
        self._typed_cell = _TypedCell(self.table)
        self.table.setItemDelegateForColumn(QTY_COLUMN, self._typed_cell)
        self._filling = False
        self._shown_last: str | None = None

        self.plus = button(self, self.tr("+1"), self.tr("One more"), lambda: self._step(1))
        self.minus = button(self, self.tr("−1"), self.tr("One less"), lambda: self._step(-1))
        self.remove = button(self, self.tr("Remove"), self.tr("Remove line"), self._remove)
        self.price = QLineEdit(self)
        self.price.setPlaceholderText(self.tr("New price"))
        self.price.setAccessibleName(self.tr("New price"))
        self.price.setMinimumHeight(BUTTON_HEIGHT)
        takes_typing(self.price)
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
        self.total.setStyleSheet(f"font-size: {theme.TITLE_PX}px; font-weight: bold;")
        # "This sale earns N points": the backend's quote, where it gives one; hidden when
        # it can't answer within a second (kiosk/checkout/points_quote.py).
        self.earns = QLabel(self)
        self.earns.setAccessibleName(self.tr("Points this sale earns"))
        self.earns.setAlignment(Qt.AlignRight)
        self.earns.setProperty("tone", "accent")
        self.earns.hide()
        backend = sale.till.engine.backend
        quote = getattr(backend, "quote_points", None)
        self.quote = PointsQuote(quote, self.show_points) \
            if quote is not None and backend.capabilities.has(POINTS_PREVIEW) else None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.entry)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(totals)
        layout.addWidget(self.earns)
        sale.search_results.connect(self._show_results)
        self.refresh()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        """The product field's keys: + and - (empty field, a line selected) change that
        line; a number then * is how many of the next product; Ctrl+Z in the empty field
        puts back the line last taken off; the arrows move through found products."""
        if watched is not self.entry or event.type() != QEvent.KeyPress:
            return super().eventFilter(watched, event)
        text, empty = event.text(), not self.entry.text()
        if empty and text in ("+", "-") and self.selected_line() is not None:
            self._step(1 if text == "+" else -1)
            return True
        if text == "*" and not empty:
            self.sale.set_next_quantity(self.entry.text().strip())
            self.entry.clear()
            self.results.hide()
            return True
        if empty and event.matches(QKeySequence.StandardKey.Undo):
            self.sale.undo()
            return True
        if event.key() in (Qt.Key_Down, Qt.Key_Up) and self.results.isVisible() and self.results.count():
            row = self.results.currentRow() + (1 if event.key() == Qt.Key_Down else -1)
            self.results.setCurrentRow(max(0, min(row, self.results.count() - 1)))
            self._picking = True
            return True
        if event.key() == Qt.Key_Escape and self.results.isVisible():
            self.results.hide()
            return True
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place_results()

    def _place_results(self) -> None:
        rows = min(self.results.count(), 4)
        top = self.entry.geometry().bottom() + 2
        self.results.setGeometry(self.entry.x(), top, self.entry.width(), rows * RESULT_ROW_PX + 4)
        self.results.raise_()

    # -- reading the sale ------------------------------------------------------------------

    def refresh(self) -> None:
        session = self.sale.session
        selected = self.selected_line()
        if self.sale.last_line != self._shown_last:
            # A line just added or changed becomes the selected one: + and - act on it.
            selected = self._shown_last = self.sale.last_line
        self._filling = True
        self.table.setRowCount(len(session.cart.lines))
        for row, line in enumerate(session.cart.lines):
            name = line.name if line.list_cents is None else self.tr("{0} (price changed)").format(line.name)
            cells = (name, str(line.quantity), formats.money(line.unit_cents), formats.money(line.gross))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, line.line_id)
                if col:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if col != QTY_COLUMN or not self.sale.cart_open:
                    item.setFlags(item.flags() & ~Qt.ItemIsEditable)
                self.table.setItem(row, col, item)
            if line.line_id == selected:
                self.table.setCurrentCell(row, QTY_COLUMN)  # a number typed on the table is its quantity
        if self.table.rowCount() and self.selected_line() is None:
            self.table.setCurrentCell(self.table.rowCount() - 1, QTY_COLUMN)
        self._filling = False
        quantity = self.sale.next_quantity
        self.times.setText(f"{quantity} ×")
        width = self.times.fontMetrics().horizontalAdvance(self.times.text()) + 16 if quantity > 1 else 0
        self.times.setGeometry(2, 2, width, max(self.entry.height() - 4, 1))
        self.times.setVisible(quantity > 1)
        self.entry.setTextMargins(width, 0, 0, 0)
        priced = session.priced()
        self.subtotal.setText(formats.money(priced.merchandise))
        self.discounts.setText("-" + formats.money(priced.discount) if priced.discount else formats.money(0))
        self.tax.setText(formats.money(priced.tax))
        self.total.setText(formats.money(priced.total))
        self._ask_quote()
        editable = self.sale.cart_open
        for w in (self.plus, self.minus, self.remove, self.override, self.price):
            w.setEnabled(editable and bool(session.cart.lines))

    def _ask_quote(self) -> None:
        if self.quote is None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a widget built outside the app): nothing can be asked
        self.quote.update(order_for_quote(self.sale.session) if self.sale.cart_open else None)

    def show_points(self, points: int | None) -> None:
        if points is None or not self.sale.cart_open:
            self.earns.hide()
            return
        self.earns.setText(self.tr("This sale earns {0} points").format(formats.points(points)))
        self.earns.show()

    def selected_line(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.UserRole) if items else None

    # -- actions ---------------------------------------------------------------------------

    def _typed(self, _text: str) -> None:
        self._picking = False
        self._debounce.start()

    def _cell_edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != QTY_COLUMN:
            return
        quantity = self.sale.quantity_of(item.text())
        if quantity is not None:
            self.sale.set_quantity(item.data(Qt.UserRole), quantity)
        else:
            self.refresh()  # the line as it was
        self.entry.setFocus()

    def _entered(self) -> None:
        if self.results.isVisible() and self.results.currentItem() is not None \
                and (self._picking or not self.entry.text().strip()):
            self._picked(self.results.currentItem())
            return
        text = self.entry.text()
        self.entry.clear()
        self.results.hide()
        self.sale.add_text(text)

    def _show_results(self, products: list) -> None:
        self.results.clear()
        self._picking = False
        for product in products:
            item = QListWidgetItem(f"{product.name}  ·  {product.price}  ·  {product.sku}")
            item.setData(Qt.UserRole, product)
            item.setSizeHint(QSize(0, RESULT_ROW_PX))
            self.results.addItem(item)
        if products:
            self.results.setCurrentRow(0)
        self._place_results()
        self.results.setVisible(bool(products) and bool(self.entry.text().strip()))

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
