"""Selling by keys, as a cashier does: quantities, the selected line, found products,
undo, the change after Pay, and nothing of the last customer left on screen.

Keys go to the window (tests/keyboard.py), so they reach whatever has the focus; the
tests never pick the widget a key lands in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.keyboard import Keyboard
from tests.test_ui_cashier import COFFEE, early_window, lines, screen, sign_in  # noqa: F401 (the fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)

CRISPS = "2004242000116"  # SNK-001 Sea Salt Crisps 150 g, 2.29
CAN = "442420000039"  # COF-003 Cold Brew Coffee Can 250 ml, 3.49 (a UPC-A)


def _quantities(window) -> dict:
    return {line.sku: line.quantity for line in lines(window)}


def _key(window, key, text="", modifiers=Qt.NoModifier) -> None:
    Keyboard(window).send([(True, key, modifiers, text), (False, key, modifiers, text)])


def _typed(qtbot, window, text: str) -> None:
    """A person typing (the hand-scanner filter holds quick keys a moment, then lets them go)."""
    Keyboard(window).type(text, end=None)
    qtbot.wait(120)


def test_plus_and_minus_act_on_the_line_just_scanned(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    keys = Keyboard(window)
    keys.type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    keys.type(CRISPS)
    qtbot.waitUntil(lambda: len(lines(window)) == 2, timeout=5000)
    _typed(qtbot, window, "+")
    qtbot.waitUntil(lambda: _quantities(window) == {"COF-001": 1, "SNK-001": 2}, timeout=3000)
    keys.type(COFFEE)  # scanned again: its line is the one + acts on now
    qtbot.waitUntil(lambda: _quantities(window)["COF-001"] == 2, timeout=3000)
    _typed(qtbot, window, "+")
    qtbot.waitUntil(lambda: _quantities(window) == {"COF-001": 3, "SNK-001": 2}, timeout=3000)
    assert window.cart.selected_line() == lines(window)[0].line_id


def test_twenty_four_cans_are_a_number_a_star_and_one_scan(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    _typed(qtbot, window, "24*")
    assert window.cart.times.isVisible() and window.cart.times.text() == "24 ×"
    Keyboard(window).type(CAN)
    qtbot.waitUntil(lambda: _quantities(window) == {"COF-003": 24}, timeout=5000)
    assert not window.cart.times.isVisible() and window.cart.entry.text() == ""
    # The keypad's * does the same.
    for digit in "3":
        Keyboard(window).send([(True, Qt.Key_3, Qt.KeypadModifier, digit), (False, Qt.Key_3, Qt.KeypadModifier, digit)])
    Keyboard(window).send([(True, Qt.Key_Asterisk, Qt.KeypadModifier, "*"),
                           (False, Qt.Key_Asterisk, Qt.KeypadModifier, "*")])
    qtbot.wait(120)
    Keyboard(window).type(CRISPS)
    qtbot.waitUntil(lambda: _quantities(window).get("SNK-001") == 3, timeout=5000)


def test_a_quantity_that_is_not_one_is_refused_and_nothing_is_added(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    for typed in ("0*", "-2*", "2.5*", "9999*"):
        _typed(qtbot, window, typed)
        assert typed[:-1] in window.notices.text and "1 to 999" in window.notices.text
        assert lines(window) == [] and not window.cart.times.isVisible() and window.cart.entry.text() == ""
    Keyboard(window).type(COFFEE)
    qtbot.waitUntil(lambda: _quantities(window) == {"COF-001": 1}, timeout=5000)


def test_the_qty_cell_takes_a_typed_quantity(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    Keyboard(window).type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    table = window.cart.table
    _key(window, Qt.Key_Tab, "\t")  # from the product field to the lines
    assert QApplication.focusWidget() is table
    Keyboard(window).type("12", end="enter")  # typed on the selected line: its quantity
    qtbot.waitUntil(lambda: _quantities(window) == {"COF-001": 12}, timeout=3000)
    assert QApplication.focusWidget() is window.cart.entry  # back to scanning
    cell = table.visualItemRect(table.item(0, 1)).center()
    QTest.mouseClick(table.viewport(), Qt.LeftButton, Qt.NoModifier, cell)
    QTest.mouseDClick(table.viewport(), Qt.LeftButton, Qt.NoModifier, cell)
    qtbot.waitUntil(lambda: table.isAncestorOf(QApplication.focusWidget()), timeout=2000)
    QApplication.focusWidget().selectAll()
    Keyboard(window).type("5000", end="enter", gap_s=0.2)
    qtbot.waitUntil(lambda: "1 to 999" in window.notices.text, timeout=3000)
    assert _quantities(window) == {"COF-001": 12} and table.item(0, 1).text() == "12"


def test_found_products_are_picked_with_the_arrows_and_never_squeeze_the_cart(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    Keyboard(window).type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    table_height = window.cart.table.height()
    _typed(qtbot, window, "coffee")
    results = window.cart.results
    qtbot.waitUntil(lambda: results.isVisible() and results.count() >= 3, timeout=5000)
    assert window.cart.table.height() == table_height
    assert all(results.visualItemRect(results.item(n)).height() >= 44 for n in range(results.count()))
    _key(window, Qt.Key_Down)
    _key(window, Qt.Key_Down)
    wanted = results.currentItem().data(Qt.UserRole).sku
    _key(window, Qt.Key_Return, "\r")
    qtbot.waitUntil(lambda: wanted in _quantities(window), timeout=3000)
    assert not results.isVisible() and window.cart.entry.text() == ""


def test_a_removed_line_and_the_last_minus_come_back_with_undo(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    keys = Keyboard(window)
    for code in (COFFEE, COFFEE, CRISPS):
        keys.type(code)
        qtbot.wait(50)
    qtbot.waitUntil(lambda: _quantities(window) == {"COF-001": 2, "SNK-001": 1}, timeout=5000)
    first = lines(window)[0]
    window.cart.table.selectRow(0)
    qtbot.mouseClick(window.cart.remove, Qt.LeftButton)
    assert _quantities(window) == {"SNK-001": 1}
    assert "Removed House Blend" in window.notices.text and window.notices.action_button.isVisible()
    window.cart.entry.setFocus()
    _key(window, Qt.Key_Z, "\x1a", Qt.ControlModifier)
    assert [line.line_id for line in lines(window)][0] == first.line_id and lines(window)[0].quantity == 2
    # The last unit taken with -, then Undo in the notice strip.
    keys.type(CRISPS)
    qtbot.waitUntil(lambda: _quantities(window)["SNK-001"] == 2, timeout=3000)
    _typed(qtbot, window, "-")
    _typed(qtbot, window, "-")
    qtbot.waitUntil(lambda: "SNK-001" not in _quantities(window), timeout=3000)
    qtbot.mouseClick(window.notices.action_button, Qt.LeftButton)
    assert _quantities(window) == {"COF-001": 2, "SNK-001": 1}
    assert not window.notices.action_button.isVisible()


def test_the_change_is_shown_large_until_the_next_sale_starts(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    Keyboard(window).type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    qtbot.mouseClick(window.tender.amount, Qt.LeftButton)
    Keyboard(window).type("20.00", end=None, gap_s=0.1)
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
    _key(window, Qt.Key_F9)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    window.receipts[0].close()
    assert window.tender.due_label.text() == "Change" and window.tender.due.text() == "11.85"
    assert window.tender.outcome.text().startswith("Paid.")
    window.cart.entry.setFocus()
    Keyboard(window).type(CRISPS)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    assert window.tender.due_label.text() == "Due" and window.tender.due.text() == "2.34"
    assert window.tender.outcome.text() == ""


def test_a_voided_sale_takes_its_member_and_messages_with_it(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    Keyboard(window).type("M100003")
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.member.name.full_text() == "Chloé Martin" and "Platinum" in window.member.progress.format()
    _key(window, Qt.Key_Delete, "\x7f", Qt.ControlModifier)  # void (an empty cart needs no approval)
    qtbot.waitUntil(lambda: window.sale.session.member is None, timeout=3000)
    assert window.member.name.full_text() == "—" and window.member.points.full_text() == "—"
    assert window.member.progress.format() == "" and window.tender.outcome.text() == ""


def test_space_presses_the_focused_button(qtbot, screen):  # noqa: F811
    """Space goes down and up quicker than the hand-scanner filter lets a key go: the
    release waits behind its press, so the button still clicks."""
    window = screen
    sign_in(qtbot, window)
    Keyboard(window).type(COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    window.tender.cash.setFocus()
    Keyboard(window).type(" ", end=None)
    qtbot.waitUntil(lambda: window.sale.session.due == 0, timeout=3000)
    assert len(window.sale.session.external) == 1
