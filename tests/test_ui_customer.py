"""What the customer sees on the cashier screen, driven by keys, clicks and scans against the sandbox."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.checkout.session import State
from kiosk.scanner.payload import CodeRef
from tests.test_ui_cashier import add_coffee, early_window, lines, scan, screen, sign_in  # noqa: F401 (fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)


def test_a_refused_gift_card_leaves_the_sale_as_it_was(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    scan(window, CodeRef("GC-1000-0099"))  # an inactive gift card
    qtbot.waitUntil(lambda: "GC-1000-0099" in window.notices.text, timeout=8000)
    assert window.sale.session.state == State.OPEN and window.sale.cart_open
    assert not window.tender.back.isEnabled()
    add_coffee(qtbot, window)  # the cart still takes the next scan
    assert lines(window)[0].quantity == 2
    qtbot.mouseClick(window.cart.remove, Qt.LeftButton)
    qtbot.waitUntil(lambda: lines(window) == [], timeout=2000)
