"""Sentences for the person at the screen: a notice strip, and an offline banner.

Neither is modal: nothing here takes the focus or waits for a click. Both keep their
place when empty (the window reserves it), so a sentence coming or going never moves
a button under the cashier's finger.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from kiosk import formats
from ui.common import theme

SHOW_MS = 6000
ACTION_MS = 10_000  # an Undo stays this long: time to notice the mistake, not so long it is stale
STRIP_PX = 52  # two lines of text, or one and a 44 px button


def keep_place(widget: QWidget) -> QWidget:
    """Hidden, the widget still takes its room in the layout."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)
    return widget


class NoticeBar(QFrame):
    """One sentence at a time in a strip of fixed height; the newest replaces the one
    showing, and it clears after a few seconds. A sentence may carry one action (Undo),
    offered for ACTION_MS."""

    def __init__(self, parent: QWidget | None = None, show_ms: int = SHOW_MS):
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setAccessibleName(self.tr("Notice"))
        self.setFixedHeight(STRIP_PX)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Notice text"))
        self.label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.action_button = keep_place(QPushButton(self))
        self.action_button.setFocusPolicy(Qt.NoFocus)  # never steals the focus from the scan field
        self.action_button.setMinimumHeight(44)
        self.action_button.clicked.connect(self._act)
        self.close_button = keep_place(QPushButton(self.tr("Dismiss"), self))
        self.close_button.setAccessibleName(self.tr("Dismiss notice"))
        self.close_button.setFocusPolicy(Qt.NoFocus)
        self.close_button.setMinimumHeight(44)
        self.close_button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self._show_ms = show_ms
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.clear)
        self._action: Callable[[], None] | None = None
        self.history: list[str] = []  # what was shown, newest last (tests and a later "recent notices" view)
        self.clear()

    def show_notice(self, sentence: str, action: tuple[str, Callable[[], None]] | None = None) -> None:
        sentence = (sentence or "").strip()
        if not sentence:
            return
        self.history = [*self.history[-49:], sentence]
        self.label.setText(sentence)
        self.label.setToolTip(sentence)  # a sentence too long for two lines is read whole here
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setAccessibleName(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.close_button.show()
        self.setStyleSheet("#noticeBar { border-width: 1px; border-style: solid; border-radius: 4px; }")
        self.setProperty("tone", "notice")  # its colours: resources/design/tones.qss
        theme.repolish(self)
        self._timer.start(ACTION_MS if action else self._show_ms)

    def clear(self) -> None:
        self._timer.stop()
        self._action = None
        self.label.clear()
        self.label.setToolTip("")
        self.action_button.hide()
        self.close_button.hide()
        self.setStyleSheet("#noticeBar { background: transparent; border: none; }")
        self.setProperty("tone", "")
        theme.repolish(self)

    def _act(self) -> None:
        action = self._action
        self.clear()
        if action is not None:
            action()

    @property
    def showing(self) -> bool:
        return bool(self.label.text())

    @property
    def text(self) -> str:
        return self.label.text()


class OfflineBanner(QLabel):
    """Offline or slow, in words and a strong colour (never colour alone), and what an open
    offline allowance still covers. Its height is fixed and kept while hidden, so showing it
    never moves the screen under the cashier's finger.

    The allowance is read from the database in a worker thread (`watch`), again every few
    seconds while offline: sales use it up and it runs out by the clock."""

    HEIGHT = STRIP_PX
    ALLOWANCE_READ_MS = 2000
    # The colours are the tones "offline" and "slow" (resources/design/tones.qss).
    TONES = {"offline": "offline", "degraded": "slow"}
    STYLE = f"#offlineBanner {{ font-size: {theme.BODY_PX}px; font-weight: bold; padding: 4px 10px; border-radius: 4px; }}"

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
        # Short enough for two lines of the strip at 200 %; the whole of it is the tooltip.
        if self.state == "offline":
            self.setText(self._offline_text())
            self.setToolTip(self.tr("Sales are sent when the connection is back."))
        elif self.state == "degraded":
            self.setText(self.tr("SLOW CONNECTION: things may take a moment longer."))
            self.setToolTip(self.tr("The loyalty service is slow or failing."))
        else:
            self.hide()
            return
        self.setStyleSheet(self.STYLE)
        self.setProperty("tone", self.TONES[self.state])
        theme.repolish(self)
        self.show()

    def _offline_text(self) -> str:
        # One whole sentence for each case: a language words it as one.
        a = self.allowance
        if a is None:
            return self.tr("OFFLINE: selling goes on. Rewards, cards and coupons can't be used now.")
        return (self.tr("OFFLINE: selling goes on. Offline allowance open until %1: "
                        "%2 sales and %3 left for cards and coupons.")
                .replace("%1", formats.clock(a.expires_at))
                .replace("%2", formats.points(a.sales_left)).replace("%3", formats.money(a.cents_left)))
