"""The status line: connection, the queue of unsent work, the last sync, the scanner."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ui.common import theme

STATE_NAMES = {"online": "Online", "degraded": "Slow connection", "offline": "Offline"}
# The same colours as the offline banner, so the two read as one message.
STATE_STYLES = {
    "offline": f"background: {theme.OFFLINE_BG}; color: {theme.OFFLINE_FG}; font-weight: bold; padding: 0 6px;",
    "degraded": f"background: {theme.SLOW_BG}; color: {theme.SLOW_FG}; font-weight: bold; padding: 0 6px;",
}


class StatusLine(QStatusBar):
    def __init__(self, parent: QWidget | None = None, clock=time.time):
        super().__init__(parent)
        self.setAccessibleName(self.tr("Status"))
        self._clock = clock
        self.connection = self._label(self.tr("Connection"), self.tr("Starting…"))
        self.queue = self._label(self.tr("Queue"), self.tr("Nothing waiting"))
        self.synced = self._label(self.tr("Last sync"), self.tr("Not synced yet"))
        self.scanner = self._label(self.tr("Scanner"), self.tr("Scanner starting…"))
        self.last_sync: float | None = None

    def _label(self, name: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setAccessibleName(name)
        self.addPermanentWidget(label)
        return label

    def set_connectivity(self, state: str, detail: str = "") -> None:
        self.connection.setText(self.tr(STATE_NAMES.get(state, state)))
        self.connection.setStyleSheet(STATE_STYLES.get(state, ""))
        self.connection.setToolTip(detail)
        if state == "online":
            self._synced_now()

    def start_failed(self) -> None:
        """The till did not start: nothing is starting any more, and nothing is connected."""
        self.connection.setText(self.tr("Not connected"))
        self.scanner.setText(self.tr("Scanner off"))

    def set_queue(self, event) -> None:
        if event.depth == 0:
            self.queue.setText(self.tr("Nothing waiting"))
            self._synced_now()
        else:
            from kiosk.outbox.events import age_text  # its dataclasses load after the first frame

            age = "" if event.oldest_age_s is None else self.tr(", oldest {0}").format(age_text(event.oldest_age_s))
            self.queue.setText(self.tr("{0} waiting{1}").format(event.depth, age))
        if event.dead:
            self.queue.setText(self.queue.text() + self.tr("; {0} need attention").format(event.dead))
        if event.paused:
            self.queue.setText(self.queue.text() + self.tr("; sending paused"))
        self.queue.setToolTip(event.paused or "")

    def hand_scanner_ready(self) -> None:
        self.scanner.setText(self.tr("Hand scanner ready"))

    def set_scanner(self, status) -> None:
        text = f"{status.source}: {status.state}"
        self.scanner.setText(text if not status.detail else f"{text} ({status.detail})")

    def _synced_now(self) -> None:
        self.last_sync = self._clock()
        self.synced.setText(self.tr("Synced {0}").format(time.strftime("%H:%M:%S", time.localtime(self.last_sync))))
