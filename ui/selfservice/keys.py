"""The kiosk's on-screen keyboard and keypad: nothing on the kiosk needs a physical keyboard.

Each key sends a real key press and release (QKeyEvent) to the field it is attached to, as
a physical keyboard would: the field's own editing, validators, undo and `returnPressed`
all work as they do for typed keys, and a USB numeric keypad typing into the same field is
no different. The keys never take the focus, so the field keeps its cursor.

Accented letters (Chloé, François, Zoë) come from an "àé" key that turns the letter and digit
keys into accented letters, in place, for one letter (as Shift is for one capital), and back.
A layer key rather than a long press on the plain letter (the phone's way): a shopper with no
training and nobody to ask sees the key, where a long press is there only for those who
already know it, and a tap asks for no timing, which a long press does of an unsteady hand.
The keys stay where they are, so nothing moves under a finger.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui.common import theme
from ui.common.controls import describe
from ui.selfservice import kit

LETTER_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
SYMBOLS = "@.-_+"  # what emails, phone numbers and card codes need beyond letters and digits
# The accent layer, one letter for each key of LETTER_ROWS in the same order (the digits row too:
# a name needs no digit), grouped by their plain letter in the alphabet's order, then the
# letters of central Europe's names.
ACCENT_ROWS = ("àáâäãåæçèé", "êëìíîïñòóô", "öõøœùúûüý", "ÿßčšžłń")
KEYPAD_ROWS = ("123", "456", "789")  # the telephone layout (ADA 707.6.2), 1 at the top left


def send_key(field: QWidget, key: int, text: str = "", modifiers=Qt.NoModifier) -> None:
    """One press and release of `key` typing `text` into `field`."""
    for kind in (QEvent.KeyPress, QEvent.KeyRelease):
        QApplication.sendEvent(field, QKeyEvent(kind, key, modifiers, text))


def key_for(char: str) -> int:
    # Qt's key code for a printable character is its capital's code point (Key_A, Key_Eacute);
    # a letter with no one-letter capital (ß: "SS") keeps its own (Key_ssharp).
    upper = char.upper()
    return int(Qt.Key(ord(upper if len(upper) == 1 else char)))


def capital(char: str) -> str:
    """The capital a shifted key types: the letter itself when its capital is not one letter."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


class NamedKey(QPushButton):
    """A key with a word on it ("Space", "⌫ Delete", "OK"): the word while it fits, else its
    symbol. At 200 % the keyboard's keys are a finger wide, narrower than a longer language's
    word; a symbol reads in every language."""

    def __init__(self, text: str, symbol: str, parent: QWidget | None = None):
        super().__init__(text, parent)
        self.word, self.symbol = text, symbol
        self.setToolTip(text)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        fits = self.fontMetrics().horizontalAdvance(self.word) + 12 <= event.size().width()  # the style's padding
        self.setText(self.word if fits else self.symbol)
        super().resizeEvent(event)

    def minimumSizeHint(self):  # noqa: N802 (Qt's name): the symbol's width, not the word's
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), theme.KIOSK_KEY_PX))
        return hint


def key_button(parent: QWidget, text: str, name: str, slot, symbol: str = "", description: str = "") -> QPushButton:
    b = NamedKey(text, symbol, parent) if symbol else QPushButton(text, parent)
    describe(b, name, description or name)
    b.setFocusPolicy(Qt.NoFocus)  # the field keeps the focus and its cursor
    b.setMinimumSize(theme.KIOSK_KEY_PX, theme.KIOSK_KEY_PX)
    b.setStyleSheet(kit.body_style())
    b.setProperty("role", "key")  # no big button's padding: the keyboard must fit 1366x768 (theme.qss)
    b.clicked.connect(slot)
    return b


class _Keys(QWidget):
    entered = Signal()  # OK was pressed (the field also got an Enter)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.field: QLineEdit | None = None

    def attach(self, field: QLineEdit | None) -> None:
        """Type into `field` from now on (None: into nothing)."""
        self.field = field
        if field is not None:
            field.setFocus()

    def _send(self, key: int, text: str = "") -> None:
        if self.field is not None:
            send_key(self.field, key, text)

    def _types(self, char: str) -> str:
        """A character key's description: what it puts in the field."""
        return self.tr("Types %1").replace("%1", char)

    def backspace(self) -> None:
        self._send(Qt.Key_Backspace)

    def ok(self) -> None:
        self._send(Qt.Key_Return, "\r")
        self.entered.emit()


class Keyboard(_Keys):
    """Letters, digits, @ . - _ +, space, a one-shot Shift (the next letter a capital, as on a
    phone), Backspace and OK; with `accents`, the "àé" key of the accent layer (ACCENT_ROWS)."""

    def __init__(self, parent: QWidget | None = None, accents: bool = False):
        super().__init__(parent)
        self.setAccessibleName(self.tr("Keyboard"))
        self.shifted = False
        self.accented = False
        self.keys: dict[str, QPushButton] = {}  # by the plain character each key types
        self.accent_keys: dict[str, QPushButton] = {}  # the same keys, by their accented letter
        self._accent_of = {plain: accent for plains, accents_row in zip(LETTER_ROWS, ACCENT_ROWS)
                           for plain, accent in zip(plains, accents_row)}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        for row in LETTER_ROWS:
            layout.addLayout(self._row(row))
        bottom = QHBoxLayout()
        bottom.setSpacing(theme.KIOSK_GAP_PX)
        self.shift = key_button(self, self.tr("Shift"), self.tr("Shift"), self.toggle_shift, "⇧",
                                self.tr("The next letter a capital"))
        self.shift.setCheckable(True)
        bottom.addWidget(self.shift)
        self.accent = None
        if accents:
            self.accent = key_button(self, "àé", self.tr("Accented letters"), self.toggle_accents,
                                     description=self.tr("The letter keys type accented letters, or plain ones again"))
            self.accent.setCheckable(True)
            bottom.addWidget(self.accent)
            self.accent_keys = {self._accent_of[plain]: b for plain, b in self.keys.items()}
        for char in SYMBOLS:
            b = key_button(self, char, char, lambda _=False, c=char: self.type_char(c),
                           description=self._types(char))
            self.keys[char] = b
            bottom.addWidget(b)
        self.space = key_button(self, self.tr("Space"), self.tr("Space"), lambda: self.type_char(" "), "␣",
                                self.tr("Types a space"))
        bottom.addWidget(self.space, 2)
        self.back = key_button(self, self.tr("⌫ Delete"), self.tr("Delete"), self.backspace, "⌫",
                               self.tr("Delete the last character"))
        self.ok_key = key_button(self, self.tr("OK"), self.tr("OK"), self.ok, "✓",
                                 self.tr("Done typing: go on"))
        bottom.addWidget(self.back, 1)
        bottom.addWidget(self.ok_key, 1)
        layout.addLayout(bottom)

    def _row(self, chars: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(theme.KIOSK_GAP_PX)
        row.addStretch(1)
        for char in chars:
            b = key_button(self, char, char, lambda _=False, c=char: self._pressed(c),
                           description=self._types(char))
            self.keys[char] = b
            row.addWidget(b)
        row.addStretch(1)
        return row

    def reset(self) -> None:
        self.accented = False
        self._set_shift(False)

    def toggle_shift(self) -> None:
        self._set_shift(not self.shifted)

    def toggle_accents(self) -> None:
        """Letters and digits become accented letters, or back."""
        self.accented = not self.accented
        self._relabel()

    def _set_shift(self, on: bool) -> None:
        self.shifted = on
        self._relabel()

    def _relabel(self) -> None:
        self.shift.setChecked(self.shifted)
        if self.accent is not None:
            self.accent.setChecked(self.accented)
            self.accent.setText("abc" if self.accented else "àé")
        for plain, b in self.keys.items():
            char = self._accent_of.get(plain, plain) if self.accented else plain
            shown = capital(char) if self.shifted and char.isalpha() else char
            b.setText(shown)
            describe(b, shown, self._types(shown))

    def _pressed(self, plain: str) -> None:
        if self.accented and plain in self._accent_of:
            self.accented = False  # one accented letter, then the plain letters again
            self.type_char(self._accent_of[plain])
            self._relabel()
            return
        self.type_char(plain)

    def type_char(self, char: str) -> None:
        if char.isalpha() and self.shifted:
            self._send(key_for(char), capital(char))
            self._set_shift(False)
            return
        self._send(key_for(char), char)

    def _send(self, key: int, text: str = "") -> None:
        if self.field is None:
            return
        shifted = text.isalpha() and text.isupper()
        send_key(self.field, key, text, Qt.ShiftModifier if shifted else Qt.NoModifier)


class Keypad(_Keys):
    """0-9 in the telephone layout, Clear, Back and OK: for numbers (a phone, a one-time code)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName(self.tr("Keypad"))
        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(theme.KIOSK_GAP_PX)
        for r, row in enumerate(KEYPAD_ROWS):
            for c, char in enumerate(row):
                self.keys[char] = key_button(self, char, char, lambda _=False, d=char: self.digit(d),
                                             description=self._types(char))
                grid.addWidget(self.keys[char], r, c)
        self.clear_key = key_button(self, self.tr("Clear"), self.tr("Clear"), self.clear_field, "⌧",
                                    self.tr("Clear the field"))
        self.keys["0"] = key_button(self, "0", "0", lambda: self.digit("0"), description=self._types("0"))
        self.back = key_button(self, self.tr("⌫ Delete"), self.tr("Delete"), self.backspace, "⌫",
                               self.tr("Delete the last digit"))
        grid.addWidget(self.clear_key, 3, 0)
        grid.addWidget(self.keys["0"], 3, 1)
        grid.addWidget(self.back, 3, 2)
        self.ok_key = key_button(self, self.tr("OK"), self.tr("OK"), self.ok, "✓",
                                 self.tr("Done typing: go on"))
        grid.addWidget(self.ok_key, 4, 0, 1, 3)

    def digit(self, char: str) -> None:
        self._send(key_for(char), char)

    def clear_field(self) -> None:
        """Everything in the field goes, as Ctrl+A and Backspace would take it."""
        if self.field is not None:
            send_key(self.field, Qt.Key_A, "", Qt.ControlModifier)
            self._send(Qt.Key_Backspace)
