"""Status, offline and sign-in on the cashier screen: the real window, the real till and the
sandbox over loopback, driven by key presses and clicks."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.test_ui_cashier import COFFEE, early_window, lines, screen, sign_in, wedge_scan  # noqa: F401

__all__ = ["early_window", "screen"]  # fixtures, used by name


def active(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def cash_sale(qtbot, window) -> None:
    """Scan a coffee with the hand scanner, F8 for cash, F9 to pay, and wait for the receipt."""
    active(qtbot, window)
    before = len(window.receipts)
    wedge_scan(window.cart.entry, COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    qtbot.keyClick(window.cart.entry, Qt.Key_F8)
    qtbot.keyClick(window.cart.entry, Qt.Key_F9)
    qtbot.waitUntil(lambda: len(window.receipts) > before, timeout=15000)
    window.receipts[-1].close()


def sale_entries(window) -> list[dict]:
    return [json.loads(r["detail"]) for r in window.terminal.till.db.read(
        "SELECT detail FROM audit_log WHERE action='sale' ORDER BY id")]


def test_the_audit_log_says_which_cash_sales_were_taken_offline(qtbot, screen, sandbox):
    window = screen
    sign_in(qtbot, window)
    cash_sale(qtbot, window)
    sandbox.stop()  # the network goes: nothing answers on the backend's port
    qtbot.waitUntil(lambda: window.status.connection.text() == "Offline", timeout=10000)
    cash_sale(qtbot, window)
    assert [entry["offline"] for entry in sale_entries(window)] == [False, True]
