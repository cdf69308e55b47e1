"""The receipt on screen, as the printer prints it, with Print, Save PDF and Close.

Non-modal: the cashier can carry on while it is open. Print goes to the ESC/POS
printer on a worker thread (asyncio.to_thread) through the window's Tasks, so the
screen never waits on a printer; a printer problem is shown in the dialog as the
sentence PrinterError carries. Save PDF writes the receipt into the receipts
folder (printer.pdf_dir) on the GUI thread: it takes milliseconds (ui/receipts/pdf.py).
Keys: Ctrl+P prints, Ctrl+S saves the PDF, Esc closes.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QPixmap, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QTextEdit, QVBoxLayout, QWidget

from kiosk.checkout import printing
from kiosk.checkout.printing import PrinterError, styled_lines
from kiosk.checkout.receipt import Receipt
from kiosk.config import PrinterSettings
from ui.receipts import pdf
from ui.receipts.pdf import barcode_image, monospace_font
from ui.common.tasks import Tasks

log = logging.getLogger(__name__)


class ReceiptPreview(QDialog):
    printed = Signal()
    saved = Signal(Path)

    def __init__(self, receipt: Receipt, printer: PrinterSettings, tasks: Tasks, parent: QWidget | None = None):
        super().__init__(parent)
        self.receipt, self.printer, self.tasks = receipt, printer, tasks
        self.setModal(False)
        self.setWindowTitle(self.tr("Receipt {sale}").format(sale=receipt.sale_id))
        self.setAccessibleName(self.tr("Receipt preview"))

        self.text_view = QTextEdit(self)
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.text_view.setAccessibleName(self.tr("Receipt text"))
        font = monospace_font()
        self.text_view.setFont(font)
        self._fill_text(font)
        self.text_view.setMinimumWidth(round(self.text_view.fontMetrics().horizontalAdvance("0" * (printer.width + 4))))

        self.text_view.setMinimumHeight(self.text_view.fontMetrics().lineSpacing() * 24)

        # As wide as the paper roll on screen: the full-size bars would make the window 800 px wide.
        image = barcode_image(receipt.barcode)
        self.barcode_view = QLabel(self)
        self.barcode_view.setPixmap(QPixmap.fromImage(image.scaled(
            self.text_view.minimumWidth(), min(image.height(), 80), Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation)))
        self.barcode_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.barcode_view.setAccessibleName(self.tr("Return barcode"))
        self.barcode_view.setAccessibleDescription(receipt.barcode)
        self.barcode_text = QLabel(receipt.barcode, self)
        self.barcode_text.setFont(font)
        self.barcode_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.barcode_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.barcode_text.setAccessibleName(self.tr("Return barcode text"))

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Receipt status"))

        buttons = QDialogButtonBox(self)
        self.print_button = QPushButton(self.tr("&Print"), self)
        self.print_button.setAccessibleName(self.tr("Print receipt"))
        self.pdf_button = QPushButton(self.tr("&Save PDF"), self)
        self.pdf_button.setAccessibleName(self.tr("Save receipt as PDF"))
        self.close_button = QPushButton(self.tr("&Close"), self)
        self.close_button.setAccessibleName(self.tr("Close receipt"))
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.pdf_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.print_button.clicked.connect(self.print_receipt)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.close_button.clicked.connect(self.reject)
        for button in (self.print_button, self.pdf_button, self.close_button):
            button.setAutoDefault(False)

        if printer.kind == "none":
            self.print_button.setEnabled(False)
            self.print_button.setToolTip(self.tr("No receipt printer is set up for this till (printer settings); "
                                                 "save a PDF instead."))
        else:
            self.print_button.setToolTip(self.tr("Print on the receipt printer (Ctrl+P)"))
        self.pdf_button.setToolTip(self.tr("Save the receipt as a PDF (Ctrl+S)"))
        self.close_button.setToolTip(self.tr("Close (Esc)"))

        # Shortcuts on the dialog, so they work wherever the focus is inside it. Esc is
        # QDialog's own reject(); it stays that way.
        # Connected with .connect(): the `activated=` keyword leaves a Connection object
        # behind for every dialog, never freed (two per sale, measured over a shift).
        for keys, slot in ((QKeySequence.StandardKey.Print, self.print_receipt),
                           (QKeySequence.StandardKey.Save, self.save_pdf)):
            QShortcut(QKeySequence(keys), self).activated.connect(slot)

        layout = QVBoxLayout(self)
        layout.addWidget(self.text_view, 1)
        layout.addWidget(self.barcode_view)
        layout.addWidget(self.barcode_text)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def _fill_text(self, font: QFont) -> None:
        cursor = QTextCursor(self.text_view.document())
        plain, bold = QTextCharFormat(), QTextCharFormat()
        plain.setFont(font)
        bold.setFont(font)
        bold.setFontWeight(QFont.Weight.Bold)
        for number, (line, emphasis) in enumerate(styled_lines(self.receipt, self.printer.width)):
            if number:
                cursor.insertBlock()
            cursor.insertText(line, bold if emphasis else plain)
        self.text_view.moveCursor(QTextCursor.MoveOperation.Start)

    # -- actions

    def print_receipt(self) -> None:
        if not self.print_button.isEnabled():
            return  # no printer, or a print under way: Ctrl+P does nothing either
        self.print_button.setEnabled(False)
        self.status.setText(self.tr("Printing…"))
        self.tasks.run(f"print receipt {self.receipt.sale_id}",
                       asyncio.to_thread(printing.print_receipt, self.receipt, self.printer),
                       on_ok=self._printed, on_error=self._print_failed)

    def _printed(self, _result: object) -> None:
        self.print_button.setEnabled(True)
        self.status.setText(self.tr("Printed."))
        self.printed.emit()

    def _print_failed(self, exc: BaseException) -> bool:
        self.print_button.setEnabled(True)
        if isinstance(exc, PrinterError):
            self.status.setText(str(exc))
            return True
        self.status.clear()
        return False  # a bug: Tasks logs it and shows its notice

    def save_pdf(self) -> Path | None:
        folder = printing.receipts_dir(self.printer)
        try:
            path = pdf.save_pdf(self.receipt, folder / printing.pdf_name(self.receipt), self.printer.width)
        except OSError as exc:
            log.warning("saving the receipt PDF in %s failed: %r", folder, exc)
            self.status.setText(self.tr("The PDF could not be saved in {folder} ({reason}); ask IT to check "
                                        "the receipts folder.").format(folder=folder,
                                                                       reason=exc.strerror or exc))
            return None
        self.status.setText(self.tr("Saved as {path}").format(path=path))
        self.saved.emit(path)
        return path
