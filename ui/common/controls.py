"""The two controls every screen is built from: a button and a text field a finger can hit."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

from kiosk.checkout.errors import OperatorError

BUTTON_HEIGHT = 44  # px: a fingertip on a touch screen, the minimum most touch guidelines give


def button(parent: QWidget, text: str, name: str, slot=None) -> QPushButton:
    b = QPushButton(text, parent)
    b.setAccessibleName(name)
    b.setMinimumHeight(BUTTON_HEIGHT)
    if slot is not None:
        b.clicked.connect(slot)
    return b


def describe(widget: QWidget, name: str, description: str) -> QWidget:
    """What a screen reader says for `widget`: both already in the screen's language. Called
    where the visible words are set, so a language switch re-words them with the rest."""
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)
    return widget


def show_on_top(window: QWidget) -> None:
    """Shown, raised and given the keyboard: without a window manager nothing else would."""
    window.show()
    window.raise_()
    window.activateWindow()


FRAME_PX, TITLE_PX = 16, 48


def roomy(window: QWidget, width: int, height: int) -> None:
    """At least `width` x `height` where the screen has the room: at 200 % on 1920x1080 a
    screen is 960x540 to the layout, and a dialog taller than that has its buttons off it."""
    room = (window.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    # Less a window manager's frame and title bar, so that the frame fits too.
    window.setMinimumSize(min(width, room.width() - FRAME_PX), min(height, room.height() - TITLE_PX))


def show_key(b: QPushButton, key: str) -> QPushButton:
    """The button says which key does the same, under its name ("Camera", "F5")."""
    b.setText(f"{b.text()}\n{key}")
    b.setToolTip(f"{b.accessibleName()} ({key})")
    b.setAccessibleDescription(key)
    return b


def takes_typing(field: QWidget) -> QWidget:
    """A field for what a person types (names, searches, amounts, reasons, PINs): the hand
    scanner's filter never holds its keys, however fast they come (ui/common/wedge_filter.py)."""
    field.setProperty("wedge", False)
    return field


class FixedLines(QLabel):
    """Word-wrapped text in a fixed number of lines' room (the whole in its tooltip). Its
    height never depends on its width: a wrapping label otherwise makes its whole screen's
    layout height-for-width, and a scroll area then sizes the screen by its preferred
    height, not its minimum (the selling screen scrolled at 200 % after a Pay)."""

    def __init__(self, lines: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 4)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setAlignment(Qt.AlignLeft | Qt.AlignTop)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setToolTip(text)


class ElidedLabel(QLabel):
    """One line that, short of room, ends in "…" and has the whole text as its tooltip:
    a long name never widens its panel, and nothing is lost."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def text(self) -> str:  # what it says, whole; the screen may show it cut short
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.ElideRight, max(self.contentsRect().width(), 1))
        super().setText(shown if self.contentsRect().width() > 1 else self._full)
        self.setToolTip(self._full if self.shown_text() != self._full else "")


def secret_field(parent: QWidget, placeholder: str, name: str, secret: bool = False) -> QLineEdit:
    field = QLineEdit(parent)
    field.setPlaceholderText(placeholder)
    field.setAccessibleName(name)
    field.setMinimumHeight(BUTTON_HEIGHT)
    takes_typing(field)
    if secret:
        field.setEchoMode(QLineEdit.Password)
    return field


def pin_refused(exc: BaseException, pin: QLineEdit, go: QPushButton, message: QLabel, otherwise: str) -> bool:
    """A PIN check that failed: the PIN cleared, the button usable again, the refusal's
    sentence shown. Anything but a refusal shows `otherwise` and returns False (a bug,
    for the task runner to log)."""
    go.setEnabled(True)
    pin.clear()
    if isinstance(exc, OperatorError):
        message.setText(str(exc))
        return True
    message.setText(otherwise)
    return False


class _Cover(QObject):
    def __init__(self, widget: QWidget):
        super().__init__(widget)
        self.widget = widget
        widget.parentWidget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.widget.setGeometry(watched.rect())
        return False


def keep_covering(widget: QWidget) -> QWidget:
    """`widget` (an in-window question or overlay) stays the size of its parent as it resizes."""
    _Cover(widget)
    return widget
