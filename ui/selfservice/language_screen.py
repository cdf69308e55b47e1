"""The shopper's choice of language: one big button per language the kiosk ships, each
named in itself (a shopper looks for their own, not for its English name), and Back.

The choice lasts for the visit: the window goes back to the store's language when the
visit ends (kiosk/i18n.py for the languages, ui/common/i18n.py for the switch).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from kiosk import i18n
from ui.common import theme
from ui.selfservice.overlay import big_button


class LanguageScreen(QWidget):
    go = Signal(str)
    chosen = Signal(str)  # a language code of kiosk.i18n.LANGUAGES

    def __init__(self, body_px: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel(self)
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setWordWrap(True)
        self.title.setStyleSheet(f"font-size: {round(body_px * 1.6)}px; font-weight: bold;")
        self.buttons: dict[str, object] = {}
        grid = QGridLayout()
        grid.setSpacing(theme.KIOSK_GAP_PX * 3)
        for index, code in enumerate(i18n.shipped()):
            button = big_button(self, i18n.LANGUAGES[code], i18n.LANGUAGES[code])
            button.setStyleSheet(button.styleSheet() + f"QPushButton {{ font-size: {body_px}px; min-width: 280px; }}")
            # The name is in its own script and direction, whatever the screen's direction is now.
            button.setLayoutDirection(Qt.RightToLeft if i18n.right_to_left(code) else Qt.LeftToRight)
            button.clicked.connect(lambda _checked=False, c=code: self.chosen.emit(c))
            grid.addWidget(button, index // 2, index % 2)
            self.buttons[code] = button
        self.back = big_button(self, "", "")
        self.back.setStyleSheet(self.back.styleSheet() + f"QPushButton {{ font-size: {body_px}px; }}")
        self.back.clicked.connect(lambda: self.go.emit("attract"))
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.KIOSK_GAP_PX * 3)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addWidget(self.back, 0, Qt.AlignHCenter)
        layout.addStretch(1)
        self._words()

    def _words(self) -> None:
        self.setAccessibleName(self.tr("Language"))
        self.title.setText(self.tr("Choose your language"))
        self.title.setAccessibleName(self.tr("Language"))
        self.back.setText(self.tr("Back"))
        self.back.setAccessibleName(self.tr("Back"))
        self.back.setAccessibleDescription(self.tr("Goes back without changing the language"))
        for code, button in self.buttons.items():  # named in itself, described in the screen's language
            button.setAccessibleDescription(self.tr("Shows the screens in {0}").format(i18n.LANGUAGES[code]))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.LanguageChange:
            self._words()
        super().changeEvent(event)
