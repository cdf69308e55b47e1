"""Sentences for the person at the screen: a notice strip, and a calm offline banner.

Neither is modal: nothing here takes the focus or waits for a click. Both keep their
place when empty (the window reserves it), so a sentence coming or going never moves
a button under the cashier's finger.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

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
        self.setStyleSheet("#noticeBar { background: #fff4d6; border: 1px solid #e0c060; border-radius: 4px; }")
        self._timer.start(ACTION_MS if action else self._show_ms)

    def clear(self) -> None:
        self._timer.stop()
        self._action = None
        self.label.clear()
        self.label.setToolTip("")
        self.action_button.hide()
        self.close_button.hide()
        self.setStyleSheet("#noticeBar { background: transparent; border: none; }")

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
    """Says calmly what offline means for the sale; hidden while online."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setAccessibleName(self.tr("Connection"))
        self.setWordWrap(True)
        self.setStyleSheet("#offlineBanner { background: #e8eef7; color: #203040; padding: 8px; border-radius: 4px; }")
        self.hide()

    def set_state(self, state: str, detail: str = "") -> None:
        if state == "offline":
            self.setText(self.tr("Offline: selling goes on, and sales are sent when the connection is back. "
                                 "Rewards, coupons and gift cards wait until then."))
            self.show()
        elif state == "degraded":
            self.setText(self.tr("The connection is slow: things may take a moment longer."))
            self.show()
        else:
            self.hide()
