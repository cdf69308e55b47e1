"""The camera's view on demand, with the code it found outlined.

Frames arrive on the camera thread. FrameRelay turns each into a QImage there (a
copy: the decoder reuses its buffer) and hands it over by a queued signal; the
widget only paints on the GUI thread, at most `max_fps` frames a second, so a fast
camera can't flood the event loop. The QImage is made there at the preview's size
and in the format the screen paints (32-bit), so that a paint is a plain copy: drawn
from a 720p BGR frame, each paint scaled and converted the whole frame on the GUI
thread (1.6 ms median, 8 ms at worst, against 0.1 ms).
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.scanner import sources
from ui.common import theme


def fitted(frame: np.ndarray, fit: tuple[int, int] | None) -> tuple[np.ndarray, float]:
    """The frame no larger than `fit` (width, height), as BGRA, and the scale it was given."""
    import cv2  # here, on the camera thread: the window's first frame does not wait for OpenCV

    height, width = frame.shape[:2]
    scale = 1.0
    if fit is not None and fit[0] > 0 and fit[1] > 0:
        scale = min(1.0, fit[0] / width, fit[1] / height)
    if scale < 1.0:
        frame = cv2.resize(frame, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
    code = cv2.COLOR_GRAY2BGRA if frame.ndim == 2 else cv2.COLOR_BGR2BGRA
    return cv2.cvtColor(frame, code), scale


def to_paintable(frame: np.ndarray) -> QImage:
    """A BGRA frame as a QImage in the screen's own format (its bytes are B, G, R, A)."""
    height, width = frame.shape[:2]
    return QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_RGB32).copy()


class FrameRelay(QObject):
    frame = Signal(QImage, list)  # the picture, and each found code's corner points

    def __init__(self, max_fps: float = 15.0, parent: QObject | None = None):
        super().__init__(parent)
        self._gap = 1.0 / max_fps
        self._last = 0.0
        self.fit: tuple[int, int] | None = None  # the preview's size in device pixels

    def set_fit(self, width: int, height: int) -> None:
        self.fit = (width, height)  # read on the camera thread: one tuple, swapped whole

    def offer(self, frame: np.ndarray, symbols: list) -> None:
        """Called on the camera thread for every decoded frame."""
        now = time.monotonic()
        if now - self._last < self._gap and not symbols:
            return
        self._last = now
        small, scale = fitted(frame, self.fit)
        outlines = [[(x * scale, y * scale) for x, y in s.position] for s in symbols if s.position]
        self.frame.emit(to_paintable(small), outlines)


class CameraPreview(QWidget):
    """The picture, or a sentence saying why there is none (from the camera's ScannerStatus).
    `resized(width, height)` in device pixels: connect it to FrameRelay.set_fit."""

    resized = Signal(int, int)

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

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        ratio = self.devicePixelRatioF()
        self.resized.emit(round(self.width() * ratio), round(self.height() * ratio))

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
        painter.fillRect(self.rect(), QColor(theme.colour("preview_bg")))
        if self._image is None:
            painter.setPen(QColor(theme.colour("preview_text")))
            painter.drawText(self.rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        scaled = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = (self.width() - scaled.width()) / 2
        top = (self.height() - scaled.height()) / 2
        factor = scaled.width() / max(self._image.width(), 1)
        painter.drawImage(self.rect().adjusted(int(left), int(top), -int(left), -int(top)), self._image)
        painter.setPen(QPen(QColor(theme.colour("preview_found")), 3))
        for points in self._outlines:
            painter.drawPolygon(QPolygonF([QPointF(left + x * factor, top + y * factor) for x, y in points]))
