"""Key events as a USB hand scanner makes the X server deliver them, for widget tests.

Recorded under Xvfb from `xdotool type` (which presses modifiers as a scanner does),
with a US and a German layout, and kept here as the rules that produced them:

- a capital: Shift press (no text, ShiftModifier), the letter's press with its capital
  text and ShiftModifier, Shift's release, then the letter's release with the small
  letter and no modifier;
- `@` on a US layout is Shift+2 (the release says "2"); on a German one it is AltGr+Q:
  Key_AltGr press with GroupSwitchModifier, `@` with GroupSwitchModifier, AltGr's
  release, the release of "q" (on Windows, where AltGr is Ctrl and Alt held, the
  `de-windows` layout here);
- Enter is Key_Return with "\\r"; Tab "\\t"; a line feed is Ctrl+J with "\\n", or the
  Linefeed key (0x0a) that `xdotool type` sends for a newline.

Each event goes through `QTest.simulateEvent` on the window: Qt's own path for a key
from the platform (shortcut map, ShortcutOverride, the focus widget), so a test
presses keys on the window and never picks the widget.
"""

from __future__ import annotations

from typing import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

NO, SHIFT, CTRL = Qt.NoModifier, Qt.ShiftModifier, Qt.ControlModifier
ALTGR = Qt.GroupSwitchModifier

# (key, text when pressed with the modifier, text when released, the modifier)
_SHIFTED_US = {"@": (Qt.Key_At, "2"), ":": (Qt.Key_Colon, ";"), "_": (Qt.Key_Underscore, "-"),
               "+": (Qt.Key_Plus, "="), "#": (Qt.Key_NumberSign, "3"), "?": (Qt.Key_Question, "/"),
               "*": (Qt.Key_Asterisk, "8")}
_PLAIN = {"-": Qt.Key_Minus, ".": Qt.Key_Period, "/": Qt.Key_Slash, " ": Qt.Key_Space, "=": Qt.Key_Equal,
          ";": Qt.Key_Semicolon, "[": Qt.Key_BracketLeft, "]": Qt.Key_BracketRight}

Event = tuple[bool, int, Qt.KeyboardModifier, str]  # press?, key, modifiers, text


def _with(modifier_key, modifier, key, text, released_text) -> list[Event]:
    return [(True, modifier_key, modifier, ""), (True, key, modifier, text),
            (False, modifier_key, NO, ""), (False, key, NO, released_text)]


def char_events(char: str, layout: str = "us") -> list[Event]:
    if char == "@" and layout == "de":
        return _with(Qt.Key_AltGr, ALTGR, Qt.Key_At, "@", "q")
    if char == "@" and layout == "de-windows":  # Windows reports AltGr as Ctrl and Alt held
        both = CTRL | Qt.AltModifier
        return [(True, Qt.Key_Control, CTRL, ""), (True, Qt.Key_Alt, both, ""), (True, Qt.Key_At, both, "@"),
                (False, Qt.Key_At, both, "q"), (False, Qt.Key_Alt, CTRL, ""), (False, Qt.Key_Control, NO, "")]
    if char.isascii() and char.isalpha():
        key = Qt.Key_A + (ord(char.lower()) - ord("a"))
        if char.isupper():
            return _with(Qt.Key_Shift, SHIFT, key, char, char.lower())
        return [(True, key, NO, char), (False, key, NO, char)]
    if char.isdigit():
        key = Qt.Key_0 + int(char)
        return [(True, key, NO, char), (False, key, NO, char)]
    if char in _SHIFTED_US:
        key, released = _SHIFTED_US[char]
        return _with(Qt.Key_Shift, SHIFT, key, char, released)
    if char in _PLAIN:
        return [(True, _PLAIN[char], NO, char), (False, _PLAIN[char], NO, char)]
    if char == "\x02":  # STX, a prefix some scanners send as Ctrl+B
        return _with(Qt.Key_Control, CTRL, Qt.Key_B, "\x02", "b")
    raise ValueError(f"no key for {char!r} in this model")


END_KEYS = {
    "enter": [(True, Qt.Key_Return, NO, "\r"), (False, Qt.Key_Return, NO, "\r")],
    "tab": [(True, Qt.Key_Tab, NO, "\t"), (False, Qt.Key_Tab, NO, "\t")],
    "lf": _with(Qt.Key_Control, CTRL, Qt.Key_J, "\n", "j"),
    "linefeed": [(True, 0x0A, NO, "\n"), (False, 0x0A, NO, "\n")],  # what `xdotool type "\n"` sends
}


class Keyboard:
    """Presses keys on a top-level window. `clock`, when given, is the wedge filter's
    clock: it moves on by each key's gap before the key goes down."""

    def __init__(self, window, clock: Callable[[float], None] | None = None):
        self.window = window
        self.advance = clock

    def send(self, events: Iterable[Event]) -> None:
        handle = self.window.windowHandle()
        for press, key, modifiers, text in events:
            QTest.simulateEvent(handle, press, int(key), modifiers, text, False)

    def type(self, text: str, end: str | None = "enter", gap_s: float | Iterable[float] = 0.004,
             layout: str = "us") -> None:
        gaps = iter(gap_s) if not isinstance(gap_s, (int, float)) else None
        keys = [char_events(c, layout) for c in text] + ([END_KEYS[end]] if end else [])
        for events in keys:
            if self.advance is not None:
                self.advance(next(gaps) if gaps is not None else gap_s)
            self.send(events)


class StillClock:
    """A clock that moves only when told: the wedge filter's time in a test."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
