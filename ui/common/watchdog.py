"""systemd's watchdog for the window: a timer on the GUI thread says WATCHDOG=1 every half
WatchdogSec, so a GUI thread that hangs stops the pings and systemd restarts the app.
READY=1 goes once the event loop has run (Type=notify units wait for it); STOPPING=1 at
the end."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from kiosk.ops.sdnotify import Notifier


class Watchdog(QObject):
    def __init__(self, parent: QObject | None = None, notifier: Notifier | None = None):
        super().__init__(parent)
        self.notifier = notifier or Notifier()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._ping)
        if self.notifier.watchdog_seconds:
            self._timer.setInterval(max(50, int(self.notifier.watchdog_seconds * 1000 / 2)))

    def start(self) -> None:
        if not self.notifier.active:
            return
        QTimer.singleShot(0, self._ready)  # the first pass of the event loop: the GUI is running
        if self.notifier.watchdog_seconds:
            self._timer.start()

    def _ready(self) -> None:
        self.notifier.send("READY=1")

    def _ping(self) -> None:
        self.notifier.send("WATCHDOG=1")

    def stop(self) -> None:
        self._timer.stop()
        self.notifier.send("STOPPING=1")
        self.notifier.close()
