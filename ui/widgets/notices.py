"""Sentences for the person at the screen: a notice bar that hides by itself, and a calm offline banner.

Neither is modal: nothing here takes the focus or waits for a click.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

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
