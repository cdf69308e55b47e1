"""Hand scanners that type: an application-wide event filter feeding WedgeDetector.

Keys are held back while they come in a fast burst; a burst that ends in Enter is
a scan (sent to `scanned`), wherever the focus was. Anything slower is a person
typing: the held keys are replayed, in order, to the widget they were meant for.
Fields that take secrets (PINs) opt out with the property `wedge` = False.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtCore import Qt

from kiosk.scanner.wedge import WedgeDetector

FLUSH_MS = 60
ENTER_KEYS = (Qt.Key_Return, Qt.Key_Enter)


class WedgeFilter(QObject):
    scanned = Signal(str)

    def __init__(self, parent: QObject | None = None, detector: WedgeDetector | None = None,
                 clock=time.monotonic):
        super().__init__(parent)
        self.detector = detector or WedgeDetector()
        self._clock = clock
        self._held: list[tuple[QObject, QKeyEvent]] = []
        self._replaying = False
        self.enabled = True
        self._timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._timer.timeout.connect(self._flush)

    def install(self) -> None:
        QCoreApplication.instance().installEventFilter(self)

    def remove(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._flush(everything=True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self._replaying or not self.enabled or event.type() != QEvent.KeyPress:
            return False
        if not watched.isWidgetType() or watched.property("wedge") is False:
            return False
        key = event.key()
        text = event.text()
        mods = event.modifiers() & ~(Qt.ShiftModifier | Qt.KeypadModifier)
        if key in ENTER_KEYS and not mods:
            char = "\n"
        elif len(text) == 1 and text.isprintable() and not mods:
            char = text
        else:
            self._flush(everything=True)  # keep the order: what was held goes first
            return False
        self._held.append((watched, QKeyEvent(event.type(), key, event.modifiers(), text,
                                              event.isAutoRepeat(), event.count())))
        self._apply(self.detector.feed(char, self._clock()))
        if self.detector.holding:
            self._timer.start()
        return True

    def _flush(self, everything: bool = False) -> None:
        now = self._clock() + (3600.0 if everything else 0.0)
        self._apply(self.detector.flush(now))
        if self.detector.holding:
            self._timer.start()

    def _apply(self, output) -> None:
        released, self._held = self._held[:len(output.release)], self._held[len(output.release):]
        if output.scan is not None:
            self._held = self._held[len(output.scan) + 1:]
        self._replaying = True
        try:
            for receiver, event in released:
                try:
                    QCoreApplication.sendEvent(receiver, event)
                except RuntimeError:  # the widget went away meanwhile
                    pass
        finally:
            self._replaying = False
        if output.scan is not None:
            self.scanned.emit(output.scan)
