"""The receipt as text, monospace, in a window that does not block the till."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget


class ReceiptDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None, receipt=None):
        super().__init__(parent)
        self.receipt = receipt  # the PayResult's receipt data, for printing later
        self.setWindowTitle(self.tr("Receipt"))
        self.setModal(False)
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.view.setPlainText(text)
        self.view.setAccessibleName(self.tr("Receipt text"))
        self.view.setMinimumSize(420, 480)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        self.buttons.rejected.connect(self.reject)
        close = self.buttons.button(QDialogButtonBox.Close)
        close.setAccessibleName(self.tr("Close receipt"))
        close.setMinimumHeight(44)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(self.buttons)

    @property
    def text(self) -> str:
        return self.view.toPlainText()
