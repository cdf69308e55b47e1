"""Hand scanners that type: an application-wide event filter feeding WedgeDetector.

Keys are held back while they come in a fast burst; a burst that ends in the
scanner's suffix (Enter unless `scanner.wedge_suffix` says otherwise) is a scan, sent
to `scanned` with the widget the keys were going to, wherever the focus was. Anything
slower is a person typing: the held keys are replayed, in order, to the widget they
were meant for.

A burst is judged on the characters it types, as the X server and Windows deliver
them: a scanner presses Shift around every capital, AltGr (or Ctrl+Alt on Windows)
for `@` on many layouts, and its prefix may come with Ctrl or Alt. Those modifier
presses and releases pass straight through and neither break nor end a burst. The
gaps are measured between the keys' own timestamps, so a GUI thread that is busy for
a moment does not cut a burst in two.

Fields where a person types free text (PINs, names, searches, amounts, reasons) opt
out with the property `wedge` = False (`controls.takes_typing`): their keys are
never held, however fast they come.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from kiosk.scanner.wedge import WedgeDetector

FLUSH_MS = 60
LATE_MS = 20  # a flush this late means the GUI thread was held up
ENTER_KEYS = (Qt.Key_Return, Qt.Key_Enter)
# Keys that type nothing themselves: they change what the next key types.
MODIFIER_KEYS = frozenset({
    Qt.Key_Shift, Qt.Key_Control, Qt.Key_Alt, Qt.Key_AltGr, Qt.Key_Meta, Qt.Key_Super_L, Qt.Key_Super_R,
    Qt.Key_Hyper_L, Qt.Key_Hyper_R, Qt.Key_Mode_switch, Qt.Key_CapsLock, Qt.Key_NumLock,
})
_TYPING = Qt.ShiftModifier | Qt.KeypadModifier | Qt.GroupSwitchModifier  # GroupSwitch: AltGr on X11
_WINDOWS_ALTGR = Qt.ControlModifier | Qt.AltModifier


class WedgeFilter(QObject):
    scanned = Signal(str, object)  # the code, and the widget its keys were sent to

    def __init__(self, parent: QObject | None = None, detector: WedgeDetector | None = None, clock=None):
        super().__init__(parent)
        self.detector = detector or WedgeDetector()
        self.clock = clock  # a test's own clock; None: when each key was pressed (see _time)
        self._offset = 0.0
        # What is held: the widget, the key press, and its release once that came too (a
        # button clicks on the release of Space: it must not reach it before the press).
        self._held: list[list] = []
        self._replaying = False
        self.enabled = True
        self._timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._timer.timeout.connect(self._timed_flush)
        self._armed_at = 0.0
        self._deferred = False  # this hold's flush waited a round already

    def install(self) -> None:
        QCoreApplication.instance().installEventFilter(self)

    def remove(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._flush(everything=True)

    def use(self, detector: WedgeDetector) -> None:
        """The detector built from the settings; what is held goes to its widget first."""
        self._flush(everything=True)
        self.detector = detector

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.KeyRelease and not self._replaying:
            return self._hold_release(event)
        if self._replaying or not self.enabled or kind not in (QEvent.KeyPress, QEvent.ShortcutOverride):
            return False
        if not watched.isWidgetType() or event.key() in MODIFIER_KEYS:
            return False
        if watched.property("wedge") is False and watched.isVisible():
            return False  # a field a person types into; a hidden one is nobody's typing
        char = self._char(event)
        if kind == QEvent.ShortcutOverride:
            # Inside a burst a character belongs to the scan, not to a shortcut: with the
            # focus on a button, the '-' of GC-1000-0002 would be the "one less" key. So
            # does the first key of the scanner's prefix (Ctrl+B, STX, is also "Back to cart").
            if char is not None and (self.detector.holding or char == self.detector.prefix[:1]):
                event.accept()
                return True
            return False
        if char is None:
            self._flush(everything=True)  # keep the order: what was held goes first
            return False
        self._held.append([watched, QKeyEvent(event.type(), event.key(), event.modifiers(), event.text(),
                                              event.isAutoRepeat(), event.count()), None])
        scan = self._apply(self.detector.feed(char, self._time(event)))
        self._deferred = False
        if self.detector.holding:
            self._arm()
        if scan is not None:
            self.scanned.emit(scan, watched)
        return True

    def _char(self, event: QKeyEvent) -> str | None:
        """The character this key press adds to a burst, or None when it is no part of one."""
        key, text, mods = event.key(), event.text(), event.modifiers()
        extra = mods & ~_TYPING
        if key in ENTER_KEYS:
            char = "\r"
        elif key == Qt.Key_Tab:
            char = "\t"
        elif text == "\n":  # a line feed (Ctrl+J, or X's Linefeed key): a suffix only under `any`
            return "\n" if self.detector.suffix == "any" else None
        elif len(text) == 1 and text in self.detector.prefix:
            return text  # a prefix may be a control character sent with Ctrl
        elif len(text) == 1 and text.isprintable() and (not extra or extra == _WINDOWS_ALTGR):
            return text
        else:
            return None
        return char if not extra and self.detector.ends_scan(char) else None

    def _hold_release(self, event: QKeyEvent) -> bool:
        """The release of a key whose press is held waits behind it."""
        for held in self._held:
            if held[2] is None and held[1].key() == event.key() and not event.isAutoRepeat():
                held[2] = QKeyEvent(event.type(), event.key(), event.modifiers(), event.text(), False, event.count())
                return True
        return False

    def _time(self, event: QKeyEvent | None = None) -> float:
        """Seconds, on the timeline of the keys' own timestamps: when the X server (or
        Windows) saw each key, so a GUI thread busy for a moment does not stretch the gaps
        inside a scanner's burst and cut it in two. Without an event: that timeline's now."""
        if self.clock is not None:
            return self.clock()
        now = time.monotonic()
        if event is not None and event.timestamp():
            pressed = event.timestamp() / 1000
            self._offset = now - pressed
            return pressed
        return now - self._offset

    def _arm(self) -> None:
        self._armed_at = time.monotonic()
        self._timer.start()

    def _timed_flush(self) -> None:
        # Late by more than a frame: the thread was busy (a screen built, a collection), and
        # the scanner's next keys may be waiting in the queue. On X11 they are handled after
        # this timer, so flushing now cut the burst in two ("M1" typed, "00003" a code of its
        # own); one more round lets them in first. Once: a thread late every time still
        # lets a person's typing through.
        if not self._deferred and time.monotonic() - self._armed_at > (FLUSH_MS + LATE_MS) / 1000:
            self._deferred = True
            self._arm()
            return
        self._flush()

    def _flush(self, everything: bool = False) -> None:
        now = self._time() + (3600.0 if everything else 0.0)
        self._apply(self.detector.flush(now))
        if self.detector.holding:
            self._arm()

    def _apply(self, output) -> str | None:
        released, self._held = self._held[:len(output.release)], self._held[len(output.release):]
        if output.scan is not None:
            self._held = []  # the burst and its suffix: nothing of a scan reaches a widget
        self._replaying = True
        try:
            for receiver, press, release in released:
                try:
                    # A key that opened an editor inside its widget (a table's cell) sends
                    # the keys after it there, as they would have gone without holding.
                    focus = QApplication.focusWidget()
                    if focus is not None and receiver.isWidgetType() and receiver.isAncestorOf(focus):
                        receiver = focus
                    QCoreApplication.sendEvent(receiver, press)
                    if release is not None:
                        QCoreApplication.sendEvent(receiver, release)
                except RuntimeError:  # the widget went away meanwhile
                    pass
        finally:
            self._replaying = False
        return output.scan
