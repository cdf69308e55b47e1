"""How long the GUI thread was unable to run: the event-loop lag a cashier feels.

A precise timer asks to fire every `interval_ms`; whenever it fires late, the
lateness is time in which no click, key or repaint could be handled. The maximum
is what the 16 ms target (one frame at 60 Hz) is checked against.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class LagMonitor(QObject):
    def __init__(self, interval_ms: int = 5, parent: QObject | None = None):
        super().__init__(parent)
        self.interval_s = interval_ms / 1000
        self._timer = QTimer(self, interval=interval_ms, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self.stalls: list[float] = []  # seconds late, one per tick

    def start(self) -> "LagMonitor":
        self._last = time.perf_counter()
        self.stalls.clear()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.stalls.append(max(0.0, now - self._last - self.interval_s))
        self._last = now

    @property
    def worst_ms(self) -> float:
        return max(self.stalls, default=0.0) * 1000
