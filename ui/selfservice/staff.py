"""The staff's way out: a press held HOLD_S in the top-left corner (an invisible area of
theme.KIOSK_TARGET_PX), with a ring that fills while it is held so staff know it is working. A
shopper's tap there does nothing: held to the end, it only opens the manager's PIN."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ui.common import theme

HOLD_S = 5.0
REDRAW_MS = 50


class CornerHold(QWidget):
    held = Signal()  # the press lasted HOLD_S

    def __init__(self, parent: QWidget, hold_s: float = HOLD_S):
        super().__init__(parent)
        self.setObjectName("staffCorner")
        self.setAccessibleName(self.tr("Staff corner"))
        self.setFixedSize(theme.KIOSK_TARGET_PX, theme.KIOSK_TARGET_PX)
        self.setAttribute(Qt.WA_AcceptTouchEvents)
        self.hold_s = hold_s
        self._since: float | None = None
        self._redraw = QTimer(self, interval=REDRAW_MS)
        self._redraw.timeout.connect(self._step)

    @property
    def progress(self) -> float:
        """How much of the hold is done, 0 to 1 (0 when nothing is held)."""
        if self._since is None:
            return 0.0
        return min(1.0, (time.monotonic() - self._since) / self.hold_s)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name); a touch arrives as a mouse press too
        self._since = time.monotonic()
        self._redraw.start()
        self.update()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._stop()
        event.accept()

    def _stop(self) -> None:
        self._since = None
        self._redraw.stop()
        self.update()

    def _step(self) -> None:
        if self.progress >= 1.0:
            self._stop()
            self.held.emit()
            return
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        progress = self.progress
        if progress <= 0:
            return  # invisible until held
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        pen = QPen(QColor(theme.colour("kiosk_ring")), 6)
        pen.setCapStyle(Qt.RoundCap)
        painter.setPen(pen)
        ring = QRectF(8, 8, self.width() - 16, self.height() - 16)
        painter.drawArc(ring, 90 * 16, -round(360 * 16 * progress))
        painter.end()
