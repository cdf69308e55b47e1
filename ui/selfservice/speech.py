"""The kiosk's non-visual mode (EN 301 549 5.1.3): it reads the screen aloud and the keypad
moves between its controls.

Turned on by holding the keypad's `*` for HOLD_S (a tap still types a star where it did) or by
the "Read aloud" button beside the notice strip. While on, it says each screen's title, the
control that takes the focus (its accessible name and description), and each outcome the
window shows (a notice, a question); arrows move the focus (wrapping), Enter presses the
focused button, Back (Backspace or Escape) does what the screen's Back button does, and the
idle time is doubled. The visit's end turns it off and brings back the default volume.
The engine is the core's (kiosk/speech.py); it speaks in the visit's language.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget

from kiosk import i18n, speech
from ui.selfservice.keys import _Keys, send_key
from ui.selfservice.overlay import big_button

HOLD_S = 2.0
NEXT = frozenset({Qt.Key_Down, Qt.Key_Right})
PREVIOUS = frozenset({Qt.Key_Up, Qt.Key_Left})
ENTER = frozenset({Qt.Key_Return, Qt.Key_Enter})
BACK = frozenset({Qt.Key_Backspace, Qt.Key_Escape})
IDLE_FACTOR = 2  # someone listening needs longer than someone reading


class SpeechMode(QObject):
    engine_failed = Signal()  # from the speech worker's thread: queued to this one

    def __init__(self, window, engine: speech.Speech | None = None):
        super().__init__(window)
        self.window = window
        self.use(engine or speech.Speech())
        self.engine_failed.connect(self._unavailable)
        self.on = False
        self.hold_s = HOLD_S
        self._hold = QTimer(self, singleShot=True)
        self._hold.timeout.connect(self.toggle)
        self._modifiers = Qt.NoModifier  # the `*` press's, for a tap's replay
        self._replaying = False
        self._parts: list[str] = []
        self._flush = QTimer(self, singleShot=True, interval=0)  # one utterance per pass of the loop
        self._flush.timeout.connect(self._speak)
        self.button = big_button(window, "", "")
        self.button.setCheckable(True)
        self.button.setFixedHeight(round(window.body_px * 2.8))
        self.button.setStyleSheet(self.button.styleSheet()
                                  + f"QPushButton {{ font-size: {round(window.body_px * 0.7)}px; padding: 4px 12px; }}")
        self.button.clicked.connect(lambda checked: self.turn_on() if checked else self.turn_off())
        self.words()

    def use(self, engine: speech.Speech) -> None:
        self.engine = engine
        engine.failed = self.engine_failed.emit

    def words(self) -> None:
        self.button.setText(self.tr("Read aloud"))
        self.button.setAccessibleName(self.tr("Read aloud"))
        self.button.setAccessibleDescription(
            self.tr("The kiosk reads the screen aloud. You can also hold the star key for two seconds."))

    def listen(self) -> None:
        """Keys, focus, screens and questions from now on (after the lockdown's filter, so
        Escape reaches Back first: Qt asks the filter installed last first)."""
        QApplication.instance().installEventFilter(self)
        QApplication.instance().focusChanged.connect(self._focused)
        self.window.stack.currentChanged.connect(self._screen_shown)
        self.window.question.installEventFilter(self)

    # -- on and off ----------------------------------------------------------------------------

    def toggle(self) -> None:
        self.turn_off() if self.on else self.turn_on()

    def turn_on(self) -> None:
        if not self.engine.available():
            self._unavailable()
            return
        self.on = True
        self.button.setChecked(True)
        self._idle_time()
        self.announce(self.tr("Speech is on. Use the arrow keys to move, Enter to choose and Back to go back."))
        self._screen_shown()

    def turn_off(self) -> None:
        if self.on:
            self._parts = []
            self._say(self.tr("Speech is off."))
        self.on = False
        self.button.setChecked(False)
        self._idle_time()

    def end_visit(self) -> None:
        """The next shopper starts with the mode off, at the default volume, in silence."""
        self.on = False
        self._parts = []
        self._flush.stop()
        self._hold.stop()
        self.button.setChecked(False)
        self.engine.volume, self.engine.rate = speech.DEFAULT_VOLUME, speech.DEFAULT_RATE
        self.engine.stop()
        self._idle_time()

    def close(self) -> None:
        QApplication.instance().removeEventFilter(self)
        self.engine.close()

    def _idle_time(self) -> None:
        idle, settings = self.window.idle, self.window.settings
        if idle is not None and settings is not None:
            idle.idle_s = settings.selfservice.idle_s * (IDLE_FACTOR if self.on else 1)
            if idle.armed:
                idle.arm()

    def _unavailable(self) -> None:
        self.on = False
        self.button.setChecked(False)
        self._idle_time()
        self.window.say(self.tr(speech.UNAVAILABLE))

    # -- what is said --------------------------------------------------------------------------

    def announce(self, text: str) -> None:
        if self.on and text.strip():
            self._parts.append(text)
            self._flush.start()

    def _speak(self) -> None:
        text, self._parts = " ".join(self._parts), []
        if self.on:
            self._say(text)

    def _say(self, text: str) -> None:
        try:
            self.engine.say(text, i18n.language())
        except speech.SpeechUnavailable:
            self._unavailable()

    def _screen_shown(self, _index: int = 0) -> None:
        title = _title(self.window.stack.currentWidget())
        if title is not None:
            self.announce(title.text())
        focus = QApplication.focusWidget()
        if focus is not None and focus is not self.window and focus.isVisible():
            self.announce(self._described(focus))

    def _focused(self, _old, new) -> None:
        if new is not None and new is not self.window:
            self.announce(self._described(new))

    @staticmethod
    def _described(widget: QWidget) -> str:
        # A field's text is the shopper's own (a PIN, a phone number): never read out.
        text = getattr(widget, "text", None)
        name = widget.accessibleName() or (text() if callable(text) and not isinstance(widget, QLineEdit) else "")
        return " ".join(part for part in (name, widget.accessibleDescription()) if part)

    # -- keys ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Show and watched is self.window.question:
            self.announce(self.window.question.title.text())
            self.announce(self.window.question.text.text())
            return False
        if kind not in (QEvent.KeyPress, QEvent.KeyRelease) or self._replaying:
            return False
        key = event.key()
        if key == Qt.Key_Asterisk:
            return self._star(event)
        if not self.on or not (key in NEXT or key in PREVIOUS or key in ENTER or key in BACK):
            return False
        focus = QApplication.focusWidget()
        if key in ENTER and not isinstance(focus, QAbstractButton):
            return False  # a field's own Enter (its returnPressed)
        if key == Qt.Key_Backspace and isinstance(focus, QLineEdit) and focus.text():
            return False  # deleting a typed digit
        # A held arrow goes on moving; a held Enter or Back acts once.
        if kind == QEvent.KeyPress and (not event.isAutoRepeat() or key in NEXT or key in PREVIOUS):
            self._act(key, focus)
        return True

    def _star(self, event) -> bool:
        if event.isAutoRepeat():
            return True  # X repeats a held key as press and release pairs
        if event.type() == QEvent.KeyPress:
            self._modifiers = event.modifiers()
            self._hold.start(round(self.hold_s * 1000))
            return True
        if self._hold.isActive():  # a tap: the star goes where it would have gone
            self._hold.stop()
            focus = QApplication.focusWidget()
            if focus is not None:
                self._replaying = True
                try:
                    send_key(focus, Qt.Key_Asterisk, "*", self._modifiers)
                finally:
                    self._replaying = False
        return True

    def _act(self, key: int, focus: QWidget | None) -> None:
        if key in ENTER:
            focus.click()
        elif key in BACK:
            self._back()
        else:
            self._move(focus, 1 if key in NEXT else -1)

    def _controls(self) -> list[QWidget]:
        w = self.window
        if w.question.showing:
            area = [w.question.box]
        elif w.pin.showing:
            area = [w.pin.box]
        else:
            area = [w.stack.currentWidget(), w.language, self.button, w.contrast]
        found: list[QWidget] = []
        for part in area:
            for widget in [part, *part.findChildren(QWidget)]:
                if isinstance(widget, (QAbstractButton, QLineEdit)) and widget.isVisible() and widget.isEnabled() \
                        and not any(isinstance(a, _Keys) for a in _ancestors(widget, part)):
                    found.append(widget)
        # Reading order (top to bottom, then along the line in the language's direction).
        side = -1 if w.isRightToLeft() else 1
        return sorted(found, key=lambda c: ((at := c.mapTo(w, QPoint(0, 0))).y(), side * at.x()))

    def _move(self, focus: QWidget | None, step: int) -> None:
        controls = self._controls()
        if not controls:
            return
        at = controls.index(focus) if focus in controls else (-1 if step > 0 else 0)
        controls[(at + step) % len(controls)].setFocus(Qt.TabFocusReason)

    def _back(self) -> None:
        w = self.window
        if w.question.showing or w.pin.showing:
            return  # a question is answered by its own buttons; the staff's PIN pad has Cancel
        screen = w.stack.currentWidget()
        for name in ("back", "cancel", "done"):
            button = getattr(screen, name, None)
            if isinstance(button, QAbstractButton) and button.isVisible() and button.isEnabled():
                button.click()
                return
        if screen is not w.attract:
            w.show_screen("attract")


def _title(screen: QWidget | None) -> QLabel | None:
    """The screen's heading: its `title` (the attract screen's `scan`), else the first words
    at its top (the member screen's greeting, the join form's page title)."""
    named = getattr(screen, "title", None) or getattr(screen, "scan", None)
    if isinstance(named, QLabel) and named.isVisible():
        return named
    shown = [label for label in (screen.findChildren(QLabel) if screen is not None else ())
             if label.isVisible() and label.text().strip()]
    return min(shown, key=lambda label: label.mapTo(screen, QPoint(0, 0)).y(), default=None)


def _ancestors(widget: QWidget, top: QWidget):
    while widget is not None and widget is not top:
        yield widget
        widget = widget.parentWidget()
