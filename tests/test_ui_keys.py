"""The cashier screen by keys alone: Tab, the F-keys from every window, Esc, and the
focus coming back to the product field. Keys go to whatever has the focus: the tests
send them to the window that has it and never pick the widget."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from tests.keyboard import Keyboard
from tests.test_ui_cashier import COFFEE, early_window, lines, screen, sign_in  # noqa: F401 (the fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)


def _focus():
    return QApplication.focusWidget()


def _keyboard_window():
    return QWidget.window(_focus()) if _focus() is not None else QApplication.activeWindow()


def _press(key, text: str = "", modifiers=Qt.NoModifier) -> None:
    """One key, to the window that has the keyboard (as the platform delivers it); its
    release to the one that has it then (Esc may have closed the first)."""
    Keyboard(_keyboard_window()).send([(True, key, modifiers, text)])
    if _keyboard_window() is not None:  # none has it for a moment while one comes forward
        Keyboard(_keyboard_window()).send([(False, key, modifiers, text)])


def _type(text: str, end: str | None = "enter") -> None:
    Keyboard(QWidget.window(_focus())).type(text, end=end)


def tab_stops_to_first_reward(qtbot, window) -> int:
    window.cart.entry.setFocus()
    first = window.member.reward_buttons[0]
    for stops in range(1, 60):
        _press(Qt.Key_Tab, "\t")
        if _focus() is first:
            return stops
    raise AssertionError("Tab never reached the first reward")


def test_tab_leaves_the_cart_and_the_rewards_are_close_with_keys_of_their_own(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    _type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    _type(COFFEE)  # 15.98: more than the 10.00 reward, so applying it asks nothing
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 2, timeout=5000)
    _type("M100003")
    qtbot.waitUntil(lambda: bool(window.member.reward_buttons), timeout=5000)
    window.cart.entry.setFocus()
    _press(Qt.Key_Tab, "\t")
    assert _focus() is window.cart.table
    _press(Qt.Key_Tab, "\t")
    assert _focus() is not window.cart.table  # Tab leaves the table
    stops = tab_stops_to_first_reward(qtbot, window)
    print("tab stops from the product field to the first reward:", stops)
    assert stops <= 10
    assert "Alt+1" in window.member.reward_buttons[0].text()
    _press(Qt.Key_1, "1", Qt.AltModifier)
    qtbot.waitUntil(lambda: len(window.sale.session.rewards) == 1, timeout=3000)
    assert window.sale.session.rewards[0].credit_required == 250
    for b in window.tools.buttons.values():
        assert "\nF" in b.text()  # each tool says its key


def test_a_sale_and_a_sign_out_by_keys_alone(qtbot, screen):  # noqa: F811
    window = screen
    qtbot.waitUntil(lambda: _focus() is window.sign_in.operator, timeout=3000)
    Keyboard(window).type("C01", end="tab", gap_s=0.15)
    Keyboard(window).type("1111", end="enter", gap_s=0.15)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.work, timeout=5000)
    assert _focus() is window.cart.entry
    _type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    _press(Qt.Key_F8)  # cash for what is due
    qtbot.waitUntil(lambda: window.sale.session.due == 0, timeout=3000)
    _press(Qt.Key_F9)
    qtbot.waitUntil(lambda: bool(window.receipts) and _focus() is not None
                    and QWidget.window(_focus()) is window.receipts[0], timeout=15000)
    _press(Qt.Key_Escape, "\x1b")  # the receipt goes, the keys come back to the product field
    qtbot.waitUntil(lambda: not window.receipts and _focus() is window.cart.entry, timeout=3000)
    _press(Qt.Key_Q, "\x11", Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.sign_in, timeout=3000)
    assert _focus() is window.sign_in.operator


def test_f_keys_from_the_receipt_and_esc_closes_each_window(qtbot, screen):  # noqa: F811
    from ui.cashier.member_search import MemberSearchDialog
    from ui.cashier.returns_dialog import ReturnsDialog

    window = screen
    sign_in(qtbot, window)
    _type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    _press(Qt.Key_F8)
    _press(Qt.Key_F9)
    qtbot.waitUntil(lambda: bool(window.receipts) and QWidget.window(_focus()) is window.receipts[0],
                    timeout=15000)
    _press(Qt.Key_F6)  # Find member, from the receipt's window
    qtbot.waitUntil(lambda: any(isinstance(d, MemberSearchDialog) for d in window.tools.dialogs), timeout=3000)
    search = next(d for d in window.tools.dialogs if isinstance(d, MemberSearchDialog))
    qtbot.waitUntil(lambda: QWidget.window(_focus()) is search, timeout=3000)
    _press(Qt.Key_Escape, "\x1b")
    qtbot.waitUntil(lambda: search not in window.tools.dialogs, timeout=3000)
    window.receipts[0].close()
    qtbot.waitUntil(lambda: _focus() is window.cart.entry, timeout=3000)
    _press(Qt.Key_F10)
    qtbot.waitUntil(lambda: any(isinstance(d, ReturnsDialog) for d in window.tools.dialogs), timeout=3000)
    returns = next(d for d in window.tools.dialogs if isinstance(d, ReturnsDialog))
    qtbot.waitUntil(lambda: _focus() is returns.scan, timeout=3000)
    _press(Qt.Key_Escape, "\x1b")
    qtbot.waitUntil(lambda: not window.tools.dialogs and _focus() is window.cart.entry, timeout=3000)


def test_the_camera_window_passes_f_keys_on_and_closes_with_esc(qtbot, screen, tmp_path):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    window.terminal.settings.scanner.camera = str(tmp_path / "no-such-camera.avi")
    _press(Qt.Key_F5)
    preview = window.tools.preview
    qtbot.waitUntil(lambda: preview.isVisible() and QApplication.activeWindow() is preview, timeout=3000)
    _press(Qt.Key_F2)  # from the camera's window: the member field of the selling screen
    qtbot.waitUntil(lambda: _focus() is window.member.search, timeout=3000)
    preview.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview, timeout=3000)
    _press(Qt.Key_Escape, "\x1b")
    qtbot.waitUntil(lambda: not preview.isVisible() and window.terminal.camera is None, timeout=5000)
    assert _focus() is window.cart.entry


def test_f7_enrol_by_keys_alone_the_focus_starts_in_the_form_and_tab_walks_it_to_its_buttons(qtbot, screen):  # noqa: F811
    from ui.cashier.enrol_dialog import EnrolDialog

    window = screen
    sign_in(qtbot, window)
    _press(Qt.Key_F7)
    qtbot.waitUntil(lambda: any(isinstance(d, EnrolDialog) for d in window.tools.dialogs), timeout=3000)
    enrol = next(d for d in window.tools.dialogs if isinstance(d, EnrolDialog))
    qtbot.waitUntil(lambda: QWidget.window(_focus()) is enrol, timeout=3000)
    seen = [_focus()]
    for _ in range(12):
        _press(Qt.Key_Tab, "\t")
        assert _focus().hasFocus() and _focus().isVisible() and _focus().width() > 0 and _focus().height() > 0
        seen.append(_focus())
    for field in (enrol.email, enrol.phone, enrol.first_name, enrol.last_name, enrol.consent, enrol.enrol_button,
                  enrol.cancel_button):
        assert field in seen, field.accessibleName()
    assert all(QWidget.window(w) is enrol for w in seen)  # Tab stays in the dialog
    _press(Qt.Key_Escape, "\x1b")
    qtbot.waitUntil(lambda: not window.tools.dialogs and _focus() is window.cart.entry, timeout=3000)


@pytest.mark.parametrize("key", [Qt.Key_F6, Qt.Key_F10, Qt.Key_F11, Qt.Key_F12])
def test_tab_reaches_every_control_of_each_f_key_dialog_and_stays_in_it(qtbot, screen, key):  # noqa: F811
    from PySide6.QtWidgets import QAbstractButton

    window = screen
    sign_in(qtbot, window)
    _press(key)
    qtbot.waitUntil(lambda: bool(window.tools.dialogs), timeout=3000)
    dialog = window.tools.dialogs[-1]
    qtbot.waitUntil(lambda: QWidget.window(_focus()) is dialog, timeout=3000)
    seen = {_focus()}
    for _ in range(25):
        _press(Qt.Key_Tab, "\t")
        assert _focus().isVisible() and _focus().width() > 0 and _focus().height() > 0
        seen.add(_focus())
    assert all(QWidget.window(w) is dialog for w in seen)  # Tab stays in the dialog
    usable = [b for b in dialog.findChildren(QAbstractButton) if b.isVisible() and b.isEnabled()]
    assert [b.text() for b in usable if b not in seen] == []
    _press(Qt.Key_Escape, "\x1b")
    qtbot.waitUntil(lambda: not window.tools.dialogs and _focus() is window.cart.entry, timeout=3000)
