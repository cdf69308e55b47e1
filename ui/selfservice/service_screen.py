"""`kiosk --service-screen`: "out of order", full screen, nothing else. No settings, no backend,
no database: it is what a kiosk's unit shows when the kiosk keeps failing to start, so it must
depend on nothing that could be the cause. It ends with the session (SIGTERM, the display
gone), exit status 0; its keys and a window manager's close do nothing."""

from __future__ import annotations

import signal

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.app.exits import EXIT_OK
from ui.selfservice import kit
from ui.selfservice.lockdown import LockdownKeys


class ServiceScreen(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window | Qt.FramelessWindowHint)
        self.setObjectName("serviceScreen")
        self.setAccessibleName(self.tr("Out of order"))
        self.setProperty("screen", "kiosk")  # its colours: resources/design/theme.qss
        px = kit.body_px()
        title = QLabel(self.tr("Out of order"), self)
        title.setStyleSheet(f"font-size: {px * 3}px; font-weight: bold;")
        text = QLabel(self.tr("Sorry, this kiosk is out of order. Please ask a member of staff for help."), self)
        text.setWordWrap(True)
        text.setStyleSheet(f"font-size: {round(px * 1.4)}px;")
        for label in (title, text):
            label.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addStretch(1)
        self.keys = LockdownKeys(self)
        self.leaving = False

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.leaving:
            event.accept()
        else:
            event.ignore()


def run(app) -> int:
    screen = ServiceScreen()
    ending = []
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: ending.append(True))
    # Python sees a signal only when it gets control: the timer gives it some, and ends the loop.
    ticker = QTimer(interval=250)
    # exit(), not quit(): Qt 6 turns quit() into closing the windows, which this one refuses.
    ticker.timeout.connect(lambda: ending and app.exit(0))
    ticker.start()
    screen.setGeometry(screen.screen().geometry())
    screen.showFullScreen()
    screen.activateWindow()
    app.exec()  # also returns when the display goes away
    ticker.stop()
    screen.leaving = True
    screen.keys.remove()
    screen.close()
    return EXIT_OK
