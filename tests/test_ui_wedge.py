"""A USB hand scanner in the running cashier window, its keys as the X server delivers
them (tests/keyboard.py): Shift around every capital, AltGr for `@`, the scanner's
suffix and prefix, free-text fields, a window with nothing focused."""

from __future__ import annotations

import string

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from kiosk import config
from kiosk.checkout.session import State
from kiosk.scanner.wedge import WedgeDetector
from tests.checkout_env import settings_for
from tests.keyboard import Keyboard, StillClock
from tests.test_ui_cashier import COFFEE, early_window, lines, sign_in  # noqa: F401 (the fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)
from ui.common.wedge_filter import WedgeFilter

CARD = "GC-1000-0002"  # 20.00 on the demo gift card


@pytest.fixture
def opened(qtbot, early_window, tmp_path):  # noqa: F811
    """The cashier signed in, with the test's scanner settings when it gives any."""
    window, attach = early_window

    def open_window(**scanner):
        own = None
        if scanner:
            own = settings_for(tmp_path)
            own.scanner = config.ScannerSettings(**{"camera": "", **scanner})
        attach(own)
        sign_in(qtbot, window)
        return window

    return open_window


def _focused():
    return QApplication.focusWidget()


def test_a_gift_card_a_member_and_a_product_scan_with_shift_around_each_capital(qtbot, opened):
    window = opened()
    keys = Keyboard(window)
    keys.type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    assert window.cart.entry.text() == "" and _focused() is window.cart.entry
    keys.type("M100003")
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.sale.session.member.member_id == "M100003"
    keys.type(CARD)  # G and C each come with Shift pressed and released around them
    qtbot.waitUntil(lambda: len(window.sale.session.cards) == 1, timeout=8000)
    assert window.sale.session.cards[0].code == CARD
    assert window.cart.entry.text() == "" and "not a code" not in window.notices.text
    assert window.sale.session.cart.lines[0].quantity == 1  # no '-' reached the "one less" key


def test_a_card_scanned_while_a_button_has_the_focus_keeps_its_dashes(qtbot, opened):
    """With a button focused, '-' is the "one less" shortcut: inside a burst it is the code's."""
    window = opened()
    keys = Keyboard(window)
    keys.type(COFFEE)
    keys.type(COFFEE)
    qtbot.waitUntil(lambda: bool(lines(window)) and lines(window)[0].quantity == 2, timeout=5000)
    window.sign_out_button.setFocus()
    keys.type("-", end=None)  # a person pressing '-' alone gets "one less"
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 1, timeout=2000)
    keys.type(CARD)
    qtbot.waitUntil(lambda: len(window.sale.session.cards) == 1, timeout=8000)
    assert lines(window)[0].quantity == 1 and window.sale.session.cards[0].code == CARD


def test_an_email_with_altgr_at_finds_the_member(qtbot, opened):
    window = opened()
    Keyboard(window).type("ana.lima@example.com", layout="de")
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.sale.session.member.member_id == "M100001"


def test_the_receipt_barcode_in_the_returns_dialog_looks_that_sale_up(qtbot, opened):
    from ui.cashier.returns_dialog import ReturnsDialog

    window = opened()
    keys = Keyboard(window)
    keys.type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    barcode = window.receipts[0].receipt.barcode  # R:T01-01J...: a capital in nearly every key
    window.receipts[0].close()
    window.tools.returns()
    dialog = next(d for d in window.tools.dialogs if isinstance(d, ReturnsDialog))
    qtbot.waitUntil(lambda: _focused() is dialog.scan, timeout=3000)
    Keyboard(dialog).type(barcode)
    qtbot.waitUntil(lambda: dialog.order is not None, timeout=8000)
    assert dialog.order.order_id == barcode[2:]
    assert len([d for d in window.tools.dialogs if isinstance(d, ReturnsDialog)]) == 1  # no second dialog


@pytest.mark.parametrize("suffix, end", [("enter", "enter"), ("tab", "tab"), ("any", "enter"), ("any", "lf"),
                                         ("any", "linefeed"), ("any", "tab")])
def test_each_suffix_ends_a_scan(qtbot, opened, suffix, end):
    window = opened(wedge_suffix=suffix)
    keys = Keyboard(window)
    keys.type(COFFEE, end=end)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    keys.type(CARD, end=end)
    qtbot.waitUntil(lambda: len(window.sale.session.cards) == 1, timeout=8000)
    assert window.cart.entry.text() == "" and _focused() is window.cart.entry  # a Tab suffix moved nothing


def test_with_a_tab_suffix_enter_is_a_person_pressing_enter(qtbot, opened):
    window = opened(wedge_suffix="tab")
    spy = []
    window.wedge.scanned.connect(lambda code, _w: spy.append(code))
    Keyboard(window).type(COFFEE, end="enter")
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)  # the field's own Enter took it
    assert spy == []


@pytest.mark.parametrize("prefix, sent", [("]C1", "]C1"), ("\x02", "\x02")])
def test_a_scanner_prefix_is_stripped(qtbot, opened, prefix, sent):
    window = opened(wedge_prefix=prefix)
    spy = []
    window.wedge.scanned.connect(lambda code, _w: spy.append(code))
    keys = Keyboard(window)
    keys.type(sent + COFFEE)  # "\x02" is STX, which the scanner sends as Ctrl+B
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    keys.type(COFFEE)  # a scan without the prefix is still a scan
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 2, timeout=5000)
    keys.type(sent + CARD)
    qtbot.waitUntil(lambda: len(window.sale.session.cards) == 1, timeout=8000)
    assert spy == [COFFEE, COFFEE, CARD] and window.sale.session.state == State.TENDERING


def test_a_person_typing_fast_into_find_member_keeps_every_character(qtbot, opened):
    window = opened()
    clock = StillClock()
    window.wedge.clock = clock
    spy = []
    window.wedge.scanned.connect(lambda code, _w: spy.append(code))
    window.member.search.setFocus()
    Keyboard(window, clock.advance).type("chloe.martin@example.com", end=None, gap_s=0.040)
    assert window.member.search.text() == "chloe.martin@example.com"  # each key arrived as it was pressed
    Keyboard(window, clock.advance).type("", end="enter", gap_s=0.040)
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.sale.session.member.member_id == "M100003" and spy == []


def test_a_scan_with_nothing_focused_after_a_dialog_closed_is_taken(qtbot, opened):
    window = opened()
    window.tools.find_member()
    dialog = window.tools.dialogs[-1]
    qtbot.waitUntil(lambda: _focused() is not None and _focused().window() is dialog, timeout=3000)
    Keyboard(dialog).send([(True, Qt.Key_Escape, Qt.NoModifier, "\x1b")])  # the dialog goes: no release for it
    qtbot.waitUntil(lambda: not window.tools.dialogs, timeout=3000)
    focused = _focused()
    if focused is not None:
        focused.clearFocus()
    assert _focused() is None
    Keyboard(window).type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)


def _settings_file(tmp_path, scanner_toml: str):
    data = settings_for(tmp_path).model_dump(mode="json", exclude={"scanner"})
    path = tmp_path / "settings.toml"
    path.write_text(tomli_w.dumps(data) + "\n[scanner]\ncamera = \"\"\n" + scanner_toml, "utf-8")
    return config.load_settings(path)


@pytest.mark.parametrize("gap_setting, is_scan", [(10, False), (50, True)])
def test_the_gap_setting_from_the_settings_file_reaches_the_window(qtbot, early_window, tmp_path,  # noqa: F811
                                                                  gap_setting, is_scan):
    window, attach = early_window
    attach(_settings_file(tmp_path, f"wedge_max_gap_ms = {gap_setting}\n"))
    sign_in(qtbot, window)
    scans, typed, enters = [], [], []
    window.wedge.scanned.connect(lambda code, _w: scans.append(code))
    window.cart.entry.textEdited.connect(typed.append)
    window.cart.entry.returnPressed.connect(lambda: enters.append(True))
    keys = Keyboard(window)
    for char in COFFEE:  # a 20 ms burst, in real time
        keys.type(char, end=None)
        qtbot.wait(20)
    keys.type("", end="enter")
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    if is_scan:
        assert scans == [COFFEE] and enters == [] and typed == []
    else:  # typing: the field got each key, then its Enter
        assert scans == [] and enters == [True] and typed[-1] == COFFEE


CODE_CHARS = string.ascii_uppercase + string.digits + "-:@"


class _Field(QWidget):
    def __init__(self, detector: WedgeDetector, clock):
        super().__init__()
        self.field = QLineEdit(self)
        QVBoxLayout(self).addWidget(self.field)
        self.filter = WedgeFilter(self, detector, clock)
        self.scans: list[str] = []
        self.filter.scanned.connect(lambda code, _w: self.scans.append(code))


@pytest.fixture
def field(qtbot):
    clock = StillClock()
    widget = _Field(WedgeDetector(max_gap_s=0.050, min_length=4), clock)
    qtbot.addWidget(widget)
    widget.show()
    widget.field.setFocus()
    qtbot.waitUntil(lambda: _focused() is widget.field)
    widget.filter.install()
    yield widget, clock
    widget.filter.remove()


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.text(CODE_CHARS, min_size=4, max_size=40),
       gaps=st.lists(st.floats(0.0, 0.050), min_size=41, max_size=41),
       layout=st.sampled_from(["us", "de", "de-windows"]))
def test_any_code_at_any_gap_up_to_the_threshold_is_one_scan(field, code, gaps, layout):
    widget, clock = field
    widget.scans.clear()
    widget.field.clear()
    clock.advance(10)  # a pause since the last example
    Keyboard(widget, clock.advance).type(code, gap_s=gaps, layout=layout)
    assert widget.scans == [code] and widget.field.text() == ""


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(string.ascii_letters + string.digits + "-@.", min_size=1, max_size=20),
       gaps=st.lists(st.floats(0.051, 0.400), min_size=21, max_size=21))
def test_keys_slower_than_the_threshold_are_typing(qtbot, field, text, gaps):
    widget, clock = field
    widget.scans.clear()
    widget.field.clear()
    clock.advance(10)
    Keyboard(widget, clock.advance).type(text, end=None, gap_s=gaps)
    clock.advance(1)
    qtbot.waitUntil(lambda: widget.field.text() == text, timeout=2000)  # the last key after the flush timer
    assert widget.scans == []


def test_a_gui_thread_busy_in_the_middle_of_a_burst_does_not_cut_it_in_two(qtbot):
    """The gaps are measured between the keys' own timestamps (when the X server saw them),
    not between the moments a busy GUI thread got round to them."""
    import time

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtGui import QKeyEvent

    from tests.keyboard import char_events

    widget = _Field(WedgeDetector(max_gap_s=0.050, min_length=4), None)
    qtbot.addWidget(widget)
    widget.show()
    widget.field.setFocus()
    widget.filter.install()
    try:
        pressed_ms = 5_000_000
        for n, char in enumerate("GC-1000-0002\r"):
            events = char_events(char) if char != "\r" else [(True, Qt.Key_Return, Qt.NoModifier, "\r")]
            for press, key, modifiers, text in events:
                event = QKeyEvent(QEvent.KeyPress if press else QEvent.KeyRelease, int(key), modifiers, text)
                event.setTimestamp(pressed_ms + 20 * n)
                QCoreApplication.sendEvent(widget.field, event)
            if n == 4:
                time.sleep(0.150)  # the GUI thread does something else for 150 ms
        assert widget.scans == ["GC-1000-0002"] and widget.field.text() == ""
    finally:
        widget.filter.remove()

