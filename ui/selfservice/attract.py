"""The attract screen (what the kiosk shows between shoppers) and the thank-you screen.

The attract screen invites a scan ("Scan your card": the camera or the hand scanner, both
routed to the visit's Shopper), offers Join, Check a gift card, Find me by email (when the store turns it on), and a language button
only when more than one language is installed (kiosk.i18n.shipped). Its content drifts a few pixels a minute
along a small square, so nothing stands still on the panel for hours (burn-in on OLED and
image retention on LCD panels left on all day).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk import i18n
from ui.common import theme
from ui.common.controls import describe
from ui.selfservice.overlay import big_button

DRIFT_SIDE_PX = 16  # the square the content wanders round
DRIFT_STEP_MS = 15_000  # one pixel each time: 4 px a minute, too slow for a shopper to notice


def drift_offset(step: int, side: int = DRIFT_SIDE_PX) -> tuple[int, int]:
    """Where the content stands after `step` moves of one pixel round a square of `side`."""
    at = step % (4 * side)
    if at < side:
        return at, 0
    if at < 2 * side:
        return side, at - side
    if at < 3 * side:
        return 3 * side - at, side
    return 0, 4 * side - at


def _label(parent: QWidget, text: str, name: str, px: int, bold: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignCenter)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setStyleSheet(f"font-size: {px}px;{' font-weight: bold;' if bold else ''}")
    return label


class AttractScreen(QWidget):
    go = Signal(str)  # "enrol", "card", "email", "language"

    def __init__(self, body_px: int, store_name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.store_name = store_name
        self.content = QWidget(self)
        self.welcome = _label(self.content, "", "", round(body_px * 1.6))
        self.scan = _label(self.content, "", "", round(body_px * 2.6), bold=True)
        self.how = _label(self.content, "", "", body_px)
        self.join = big_button(self.content, "", "", primary=True)
        self.gift = big_button(self.content, "", "")
        self.email = big_button(self.content, "", "")
        self.language = big_button(self.content, "", "")
        self._words()
        for b in (self.join, self.gift, self.email, self.language):
            b.setStyleSheet(b.styleSheet() + f"QPushButton {{ font-size: {body_px}px; min-width: 280px; }}")
        self.join.clicked.connect(lambda: self.go.emit("enrol"))
        self.gift.clicked.connect(lambda: self.go.emit("card"))
        self.email.clicked.connect(lambda: self.go.emit("email"))
        self.email.hide()  # until the store turns it on (offer_email)
        self.language.clicked.connect(lambda: self.go.emit("language"))
        self.language.setVisible(len(i18n.shipped()) > 1)
        # One line for what the shopper should know now ("This part of the kiosk is not installed").
        self.notice = _label(self.content, "", "", body_px)
        self.notice.setAccessibleName(self.tr("Notice"))
        self.notice.setMinimumHeight(round(body_px * 2.8))
        self.row = row = QHBoxLayout()
        row.setSpacing(theme.KIOSK_GAP_PX * 4)
        row.addStretch(1)
        row.addWidget(self.join)
        row.addWidget(self.gift)
        row.addWidget(self.email)
        row.addWidget(self.language)
        row.addStretch(1)
        inner = QVBoxLayout(self.content)
        inner.setSpacing(theme.KIOSK_GAP_PX * 3)
        inner.addStretch(2)
        inner.addWidget(self.welcome)
        inner.addWidget(self.scan)
        inner.addWidget(self.how)
        inner.addStretch(1)
        inner.addLayout(row)
        inner.addWidget(self.notice)
        inner.addStretch(2)
        self.drift = QVBoxLayout(self)
        self.drift.addWidget(self.content)
        self.step = 0
        self._move_to(0)
        self._drift = QTimer(self, interval=DRIFT_STEP_MS)
        self._drift.timeout.connect(lambda: self._move_to(self.step + 1))
        self._drift.start()

    def _words(self) -> None:
        """Every word of the screen, in the language now installed (again on a LanguageChange)."""
        self.setAccessibleName(self.tr("Welcome"))
        self.welcome.setText(self.tr("Welcome to {0}").format(self.store_name) if self.store_name
                             else self.tr("Welcome"))
        self.welcome.setAccessibleName(self.tr("Welcome"))
        self.scan.setText(self.tr("Scan your card"))
        self.scan.setAccessibleName(self.tr("Scan your card"))
        self.how.setText(self.tr("Hold your loyalty card or the member app's code up to the camera, "
                                 "or under the scanner."))
        self.how.setAccessibleName(self.tr("How to scan"))
        for button, text, name, description in (
                (self.join, self.tr("Join"), self.tr("Join"), self.tr("Become a member: a few details, then your card")),
                (self.gift, self.tr("Check a gift card"), self.tr("Check a gift card"),
                 self.tr("See what is left on a gift card")),
                (self.email, self.tr("No card? Find me by email"), self.tr("Find me by email"),
                 self.tr("Without your card: a code sent to your e-mail finds your account")),
                # In every language at once: whoever reads this one may not read the current one.
                (self.language, " · ".join(i18n.LANGUAGE_WORD[c] for c in i18n.shipped()),
                 self.tr("Language"), self.tr("Choose the language of the screens"))):
            button.setText(text)
            describe(button, name, description)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.LanguageChange:
            self._words()
            self.notice.setAccessibleName(self.tr("Notice"))
            self.fit_width(self._width)
        super().changeEvent(event)

    def _move_to(self, step: int) -> None:
        self.step = step
        dx, dy = drift_offset(step)
        self.drift.setContentsMargins(dx, dy, DRIFT_SIDE_PX - dx, DRIFT_SIDE_PX - dy)

    def offer_email(self, on: bool) -> None:
        self.email.setVisible(on)
        self.fit_width(self._width)

    _width = 0

    def fit_width(self, width: int) -> None:
        """The buttons side by side when they fit in `width` (the room the window gives the
        screens), else one above the other: at 200 % three of them are wider than the screen."""
        self._width = width
        if width <= 0:
            return
        shown = [b for b in (self.join, self.gift, self.email, self.language) if not b.isHidden()]
        needed = (sum(b.sizeHint().width() for b in shown) + self.row.spacing() * (len(shown) - 1)
                  + DRIFT_SIDE_PX + 2 * theme.KIOSK_GAP_PX)
        self.row.setDirection(QBoxLayout.TopToBottom if needed > width else QBoxLayout.LeftToRight)

    def say(self, text: str) -> None:
        self.notice.setText(text)

    def shown(self) -> None:
        self.notice.setText("")


class ThanksScreen(QWidget):
    """"Thank you": the visit is done; the window goes back to the attract screen after thanks_s."""

    def __init__(self, body_px: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.done = big_button(self, "", "", primary=True)
        self.done.setStyleSheet(self.done.styleSheet() + f"QPushButton {{ font-size: {body_px}px; min-width: 280px; }}")
        self.title = _label(self, "", "", round(body_px * 2.6), bold=True)
        self.goodbye = _label(self, "", "", body_px)
        self._words()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.goodbye)
        layout.addSpacing(theme.KIOSK_GAP_PX * 4)
        layout.addWidget(self.done, 0, Qt.AlignHCenter)
        layout.addStretch(1)

    def _words(self) -> None:
        self.setAccessibleName(self.tr("Thank you"))
        self.done.setText(self.tr("Done"))
        describe(self.done, self.tr("Done"), self.tr("Ends your visit"))
        self.title.setText(self.tr("Thank you!"))
        self.title.setAccessibleName(self.tr("Thank you"))
        self.goodbye.setText(self.tr("See you next time."))
        self.goodbye.setAccessibleName(self.tr("Goodbye"))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.LanguageChange:
            self._words()
        super().changeEvent(event)
