"""How long the kiosk has gone untouched. Any touch, click or key anywhere in the app starts
the count again (an application-wide event filter: no widget can swallow one first); after
idle_s, `idle` is emitted, and the window asks "Still there?".

While the visit has a write in flight (`busy()`: a reward being made, an enrolment being
sent) the count waits, so a shopper is never reset away from an answer on its way; but for
at most `busy_limit_s` (the checkout's authorize time limit): a write stuck longer than Pay
would wait must not keep a shopper's details on the screen for good.
"""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

ACTIVITY = frozenset({QEvent.MouseButtonPress, QEvent.TouchBegin, QEvent.KeyPress, QEvent.Wheel})
BUSY_POLL_MS = 250


class IdleWatch(QObject):
    idle = Signal()

    def __init__(self, idle_s: float, busy: Callable[[], bool], busy_limit_s: float,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.idle_s, self.busy, self.busy_limit_s = idle_s, busy, busy_limit_s
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._expired)
        self._busy_since: float | None = None
        self.armed = False
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self.armed and event.type() in ACTIVITY:
            self._restart()
        return False

    def arm(self) -> None:
        """Count from now (a visit began, or the shopper said they are still there)."""
        self.armed = True
        self._restart()

    def disarm(self) -> None:
        self.armed = False
        self._timer.stop()
        self._busy_since = None

    def _restart(self) -> None:
        self._busy_since = None
        self._timer.start(round(self.idle_s * 1000))

    def _expired(self) -> None:
        if not self.armed:
            return
        if self.busy():
            now = time.monotonic()
            if self._busy_since is None:
                self._busy_since = now
            if now - self._busy_since < self.busy_limit_s:
                self._timer.start(BUSY_POLL_MS)
                return
        self.disarm()
        self.idle.emit()

    def close(self) -> None:
        self.disarm()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
