"""Sentences for the person at the screen: a notice bar that hides by itself, and an offline banner.

Neither is modal: nothing here takes the focus or waits for a click.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from kiosk.checkout import money

SHOW_MS = 6000


class NoticeBar(QFrame):
    """One sentence at a time; the newest replaces the one showing. Hides after a few seconds."""

    def __init__(self, parent: QWidget | None = None, show_ms: int = SHOW_MS):
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setAccessibleName(self.tr("Notice"))
        self.setStyleSheet("#noticeBar { background: #fff4d6; border: 1px solid #e0c060; border-radius: 4px; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Notice text"))
        self.close_button = QPushButton(self.tr("Dismiss"), self)
        self.close_button.setAccessibleName(self.tr("Dismiss notice"))
        self.close_button.setFocusPolicy(Qt.NoFocus)  # never steals the focus from the scan field
        self.close_button.setMinimumHeight(44)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self._timer = QTimer(self, singleShot=True, interval=show_ms)
        self._timer.timeout.connect(self.hide)
        self.history: list[str] = []  # what was shown, newest last (tests and a later "recent notices" view)
        self.hide()

    def show_notice(self, sentence: str) -> None:
        sentence = (sentence or "").strip()
        if not sentence:
            return
        self.history = [*self.history[-49:], sentence]
        self.label.setText(sentence)
        self.show()
        self._timer.start()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class OfflineBanner(QLabel):
    """Offline or slow, in words and a strong colour (never colour alone), and what an open
    offline allowance still covers. Its height is fixed and kept while hidden, so showing it
    never moves the screen under the cashier's finger.

    The allowance is read from the database in a worker thread (`watch`), again every few
    seconds while offline: sales use it up and it runs out by the clock."""

    HEIGHT = 60
    ALLOWANCE_READ_MS = 2000
    # White on a dark red, black on amber: both well above WCAG's 4.5:1 for text, and neither
    # anything like the grey of the screen around them.
    STYLES = {
        "offline": "#offlineBanner { background: #b3261e; color: #ffffff; font-size: 16px; font-weight: bold;"
                   " padding: 4px 10px; border-radius: 4px; }",
        "degraded": "#offlineBanner { background: #f9a825; color: #000000; font-size: 16px; font-weight: bold;"
                    " padding: 4px 10px; border-radius: 4px; }",
    }

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setAccessibleName(self.tr("Connection"))
        self.setWordWrap(True)
        self.setFixedHeight(self.HEIGHT)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.state = "online"
        self.allowance = None  # kiosk.checkout.offline.Allowance, while one is open
        self._tasks = self._allowances = None
        self._reread = QTimer(self, interval=self.ALLOWANCE_READ_MS)
        self._reread.timeout.connect(self._read_allowance)
        self.hide()

    def watch(self, tasks, allowances) -> None:
        """Say what `allowances` (kiosk.checkout.offline.Allowances) has open, while offline."""
        self._tasks, self._allowances = tasks, allowances
        if self.state == "offline":
            self._read_allowance()

    def set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        if state == "offline":
            self._read_allowance()
        self._say()
        if state == "offline" and self.isVisible():
            self._reread.start()
        else:
            self._reread.stop()

    # Read again only while the banner is on a screen: a closed window asks nothing more.
    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self.state == "offline":
            self._reread.start()

    def hideEvent(self, event) -> None:  # noqa: N802
        self._reread.stop()
        super().hideEvent(event)

    def _read_allowance(self) -> None:
        if self._allowances is None or self._tasks.running("offline banner"):
            return
        # A failed read (a full disk) is said elsewhere; the banner keeps its last word.
        self._tasks.run("offline banner", asyncio.to_thread(self._allowances.active), self._allowance_read,
                        lambda _exc: True)

    def _allowance_read(self, allowance) -> None:
        self.allowance = allowance
        self._say()

    def _say(self) -> None:
        if self.state == "offline":
            self.setText(self.tr("OFFLINE: selling goes on; sales are sent when the connection is back. ")
                         + self._allowance_text())
        elif self.state == "degraded":
            self.setText(self.tr("SLOW CONNECTION: the loyalty service is slow or failing; "
                                 "things may take a moment longer."))
        else:
            self.hide()
            return
        self.setStyleSheet(self.STYLES[self.state])
        self.show()

    def _allowance_text(self) -> str:
        a = self.allowance
        if a is None:
            return self.tr("Rewards, gift cards and coupons can't be used now.")
        return (self.tr("Offline allowance open until %1: %2 sales and %3 left for gift cards and coupons; "
                        "no rewards.")
                .replace("%1", datetime.fromtimestamp(a.expires_at).strftime("%H:%M"))
                .replace("%2", str(a.sales_left)).replace("%3", str(money.to_money(a.cents_left))))
