"""The camera's view on demand, with the code it found outlined.

Frames arrive on the camera thread. FrameRelay turns each into a QImage there (a
copy: the decoder reuses its buffer) and hands it over by a queued signal; the
widget only paints on the GUI thread, at most `max_fps` frames a second, so a fast
camera can't flood the event loop.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.scanner import sources
from ui.common import theme


def to_qimage(frame: np.ndarray) -> QImage:
    """A gray or BGR frame as a QImage that owns its pixels."""
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    if frame.ndim == 2:
        image = QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_BGR888)
    return image.copy()


class FrameRelay(QObject):
    frame = Signal(QImage, list)  # the picture, and each found code's corner points

    def __init__(self, max_fps: float = 15.0, parent: QObject | None = None):
        super().__init__(parent)
        self._gap = 1.0 / max_fps
        self._last = 0.0

    def offer(self, frame: np.ndarray, symbols: list) -> None:
        """Called on the camera thread for every decoded frame."""
        now = time.monotonic()
        if now - self._last < self._gap and not symbols:
            return
        self._last = now
        self.frame.emit(to_qimage(frame), [list(s.position) for s in symbols if s.position])


class CameraPreview(QWidget):
    """The picture, or a sentence saying why there is none (from the camera's ScannerStatus)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName(self.tr("Camera preview"))
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None
        self._outlines: list[list[tuple[int, int]]] = []
        self.frames_shown = 0
        self.message = ""
        self._say(self.tr("Camera starting…"))

    def _say(self, message: str) -> None:
        self.message = message
        self.setAccessibleDescription(message)
        self.update()

    def set_status(self, status) -> None:
        """A kiosk.scanner.events.ScannerStatus; the decoder's and the serial scanner's are not ours."""
        if status.source in ("decoder", "serial") or status.state == sources.STOPPED:
            return  # stopped: the window is closing or hidden, and a new start says "starting"
        if status.state == sources.CONNECTED:
            self._say(self.tr("Camera on; waiting for the first picture…"))
            return
        # Unavailable or reconnecting: a frozen last picture would look like a working camera.
        self._image, self._outlines = None, []
        self._say(status.detail or self.tr("The camera is not sending pictures; trying again."))

    def show_frame(self, image: QImage, outlines: list) -> None:
        self._image = image
        self._outlines = outlines
        self.frames_shown += 1
        self.update()

    def clear(self) -> None:
        self._image = None
        self._outlines = []
        self._say(self.tr("Camera starting…"))

    def paintEvent(self, _event) -> None:
        # Ended here, not when the Python object is collected: anything still holding this
        # frame (a traceback, a profiler) would keep the painter active past the paint event,
        # which Qt reports and can crash on.
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        painter.fillRect(self.rect(), QColor(theme.PREVIEW_BG))
        if self._image is None:
            painter.setPen(QColor(theme.PREVIEW_TEXT))
            painter.drawText(self.rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        scaled = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = (self.width() - scaled.width()) / 2
        top = (self.height() - scaled.height()) / 2
        factor = scaled.width() / max(self._image.width(), 1)
        painter.drawImage(self.rect().adjusted(int(left), int(top), -int(left), -int(top)), self._image)
        painter.setPen(QPen(QColor(theme.PREVIEW_FOUND), 3))
        for points in self._outlines:
            painter.drawPolygon(QPolygonF([QPointF(left + x * factor, top + y * factor) for x, y in points]))
