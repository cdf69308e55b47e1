"""A receipt as PDF, and its Code 128 barcode as a picture, drawn with Qt.

The page is a receipt roll: 80 mm wide, as long as the receipt. The text is the
printer's own layout (Receipt.text at its column count) in a monospace font sized
so a line fills the printable width, so the PDF reads like the printed slip. The
bars come from python-barcode's Code 128 encoder (`build()` gives the modules as
"1"/"0"), drawn here as rectangles: vector bars in the PDF, whole pixels on screen.

Threads: `save_pdf` runs on the GUI thread. It takes a few milliseconds (measured
in tests/test_receipts.py), so there is nothing to gain from a worker thread and
no question about fonts off the GUI thread.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import zxingcpp
from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QFontMetricsF, QImage, QPageLayout, QPageSize, QPainter,
                           QPdfWriter)

from kiosk import private
from kiosk.checkout.printing import styled_lines
from kiosk.checkout.receipt import Receipt

PAGE_WIDTH_MM = 80.0
MARGIN_MM = 4.0
BARCODE_HEIGHT_MM = 12.0
MAX_MODULE_MM = 0.33  # a laser-printed or on-screen code needs no wider bars
QUIET_MODULES = 10
RESOLUTION_DPI = 600


def code128_modules(data: str) -> str:
    """The bars of `data` in Code 128, quiet zones excluded: "1" dark, "0" light, one module each."""
    # zxing-cpp encodes (it writes the demo cards and reads every scan too); its one-pixel
    # image row is the module sequence.
    row = np.asarray(zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.Code128)
                     .to_image(scale=1, add_quiet_zones=False))[0]
    return "".join("1" if pixel < 128 else "0" for pixel in row)


def monospace_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setFixedPitch(True)
    return font


def paint_bars(painter: QPainter, modules: str, rect: QRectF) -> None:
    """Draw `modules` across `rect` (which includes the quiet zones), black on white."""
    painter.fillRect(rect, QColor("white"))
    step = rect.width() / (len(modules) + 2 * QUIET_MODULES)
    x0 = rect.left() + QUIET_MODULES * step
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            painter.fillRect(QRectF(x0 + start * step, rect.top(), (index - start) * step, rect.height()),
                             QColor("black"))
            start = None


def barcode_image(data: str, module_px: int = 2, height_px: int = 70) -> QImage:
    """The barcode of `data` at whole pixels per module (what the preview shows, and scanners read)."""
    modules = code128_modules(data)
    image = QImage((len(modules) + 2 * QUIET_MODULES) * module_px, height_px, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        paint_bars(painter, modules, QRectF(0, 0, image.width(), image.height()))
    finally:
        painter.end()
    return image


def _page(path: Path, title: str, page_name: str, width_mm: float, height_mm: float) -> tuple[QPdfWriter, QPainter]:
    """A one-page PDF writer of exactly that size, and a painter begun on it (end it when done)."""
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(title)
    writer.setCreator("Kiosk")
    writer.setPageLayout(QPageLayout(QPageSize(QSizeF(width_mm, height_mm), QPageSize.Unit.Millimeter,
                                               page_name, QPageSize.SizeMatchPolicy.ExactMatch),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    return writer, painter


def save_pdf(receipt: Receipt, path: Path | str, width: int = 42) -> Path:
    """Write `receipt` as a one-page PDF at `path` (folders made as needed); returns the path."""
    path = private.create_file(Path(path))  # Qt's writer keeps the mode of the file it replaces
    lines = receipt.text(width).splitlines()
    modules = code128_modules(receipt.barcode)

    # The font and its line height in millimetres, measured on a writer of the same resolution.
    probe = QImage(8, 8, QImage.Format.Format_RGB32)
    probe.setDotsPerMeterX(round(RESOLUTION_DPI / 0.0254))
    probe.setDotsPerMeterY(round(RESOLUTION_DPI / 0.0254))
    px_per_mm = RESOLUTION_DPI / 25.4
    printable = (PAGE_WIDTH_MM - 2 * MARGIN_MM) * px_per_mm
    font = monospace_font()
    font.setPointSizeF(10)
    advance = QFontMetricsF(font, probe).horizontalAdvance("0" * width)
    font.setPointSizeF(10 * printable / advance * 0.99)
    bold = QFont(font)
    bold.setBold(True)
    metrics = QFontMetricsF(font, probe)
    line_px = metrics.lineSpacing()
    module_mm = min(MAX_MODULE_MM, (PAGE_WIDTH_MM - 2 * MARGIN_MM) / (len(modules) + 2 * QUIET_MODULES))
    bars_mm = module_mm * (len(modules) + 2 * QUIET_MODULES)
    height_mm = (2 * MARGIN_MM + (len(lines) + 2.5) * line_px / px_per_mm + BARCODE_HEIGHT_MM)

    writer, painter = _page(path, f"Receipt {receipt.sale_id}", "Receipt", PAGE_WIDTH_MM, height_mm)
    try:
        painter.setPen(QColor("black"))
        left = MARGIN_MM * px_per_mm
        y = MARGIN_MM * px_per_mm
        for line, emphasis in styled_lines(receipt, width):
            painter.setFont(bold if emphasis else font)
            painter.drawText(QPointF(left, y + metrics.ascent()), line)
            y += line_px
        y += line_px / 2
        bars = QRectF((PAGE_WIDTH_MM - bars_mm) / 2 * px_per_mm, y, bars_mm * px_per_mm,
                      BARCODE_HEIGHT_MM * px_per_mm)
        paint_bars(painter, modules, bars)
        y = bars.bottom() + line_px * 0.25
        painter.setFont(font)
        painter.drawText(QRectF(left, y, printable, line_px), Qt.AlignmentFlag.AlignHCenter, receipt.barcode)
    finally:
        painter.end()
    return path


CARD_MM = (85.6, 53.98)  # ID-1, the size of a bank card: it fits a wallet


def save_member_card(member_id: str, name: str, heading: str, path: Path | str) -> Path:
    """A member card as a one-page PDF of card size: `heading` (the store), the name, the id,
    and the id as the Code 128 barcode the till scans. The file holds member data, so only
    this user may read it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # private before any byte lands
    os.chmod(path, 0o600)
    modules = code128_modules(member_id)
    px_per_mm = RESOLUTION_DPI / 25.4
    writer, painter = _page(path, "Member card", "Member card", *CARD_MM)
    try:
        page = QRectF(0, 0, writer.width(), writer.height())
        inner = page.adjusted(*(v * MARGIN_MM * px_per_mm for v in (1, 1, -1, -1)))
        painter.setPen(QColor("black"))
        font = monospace_font()
        font.setPointSizeF(9)
        bold = QFont(font)
        bold.setBold(True)
        bold.setPointSizeF(11)
        y = inner.top()
        for text, face in ((heading or "Member card", bold), (name, font), (f"Member {member_id}", font)):
            painter.setFont(face)
            line = QFontMetricsF(face, writer).lineSpacing()
            painter.drawText(QRectF(inner.left(), y, inner.width(), line), Qt.AlignmentFlag.AlignLeft, text)
            y += line
        module = min(MAX_MODULE_MM * px_per_mm, inner.width() / (len(modules) + 2 * QUIET_MODULES))
        bars_width = module * (len(modules) + 2 * QUIET_MODULES)
        bars = QRectF(page.center().x() - bars_width / 2, y + 1.5 * px_per_mm, bars_width,
                      BARCODE_HEIGHT_MM * px_per_mm)
        paint_bars(painter, modules, bars)
        painter.setFont(font)
        painter.drawText(QRectF(inner.left(), bars.bottom(), inner.width(), inner.bottom() - bars.bottom()),
                         Qt.AlignmentFlag.AlignHCenter, member_id)
    finally:
        painter.end()
    return path
