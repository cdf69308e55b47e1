"""The keys that would close, leave or un-full-screen a kiosk window, swallowed application-wide
before any widget sees them: Esc, Alt+F4, Ctrl+Q, Ctrl+W, F11. (A window manager's own close,
Alt+F4 under one, arrives as a close event instead: the windows ignore those themselves.)"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

_ALWAYS = frozenset({Qt.Key_Escape, Qt.Key_F11})
_WITH = {Qt.Key_F4: Qt.AltModifier, Qt.Key_Q: Qt.ControlModifier, Qt.Key_W: Qt.ControlModifier}


def locked(key: int, modifiers) -> bool:
    if key in _ALWAYS:
        return True
    needed = _WITH.get(key)
    return needed is not None and bool(modifiers & needed)


class LockdownKeys(QObject):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.swallowed = 0  # how many were kept from the widgets (tests)
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # ShortcutOverride too: a shortcut (a QShortcut on Esc) would otherwise fire before the key press.
        if event.type() in (QEvent.KeyPress, QEvent.KeyRelease, QEvent.ShortcutOverride) and \
                locked(event.key(), event.modifiers()):
            if event.type() == QEvent.KeyPress:
                self.swallowed += 1
            return True
        return False

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
