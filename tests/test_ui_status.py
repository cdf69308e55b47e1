"""Status, offline and sign-in on the cashier screen: the real window, the real till and the
sandbox over loopback, driven by key presses and clicks."""

from __future__ import annotations

import json
import statistics
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests import annex_ops
from kiosk.checkout.operators import DEMO_OPERATORS
from kiosk.connect import Connection
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


def _luminance(colour) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a, b) -> float:
    """WCAG's contrast ratio of two colours: 1 (the same) to 21 (black on white)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def geometries(window) -> dict:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit

    found = window.work.findChildren(QAbstractButton) + window.work.findChildren(QLineEdit)
    return {(type(w).__name__, w.accessibleName(), n): place(window, w) for n, w in enumerate(found) if w.isVisible()}


def place(window, widget) -> tuple:
    """Where `widget` is in the window, and its size."""
    return widget.mapTo(window, widget.rect().topLeft()).toTuple() + widget.size().toTuple()


def test_offline_is_plain_at_a_glance_moves_nothing_and_names_the_open_allowance(qtbot, screen, sandbox):
    from PySide6.QtGui import QColor, QPalette

    window = screen
    sign_in(qtbot, window)
    before = geometries(window)
    sandbox.stop()
    banner = window.offline
    qtbot.waitUntil(lambda: banner.isVisible() and banner.text().startswith("OFFLINE"), timeout=10000)
    assert "can't be used" in banner.text()
    assert geometries(window) == before  # nothing under the cashier's finger moved
    # A colour nobody misses against the grey screen, and text that reads on it.
    image = banner.grab().toImage()
    ground = QColor(image.pixel(3, banner.height() // 2))
    assert contrast(ground, window.palette().color(QPalette.Window)) >= 3.0, ground.name()
    assert contrast(ground, banner.palette().color(QPalette.WindowText)) >= 4.5
    assert window.status.connection.text() == "Offline"

    active(qtbot, window)
    qtbot.keyClick(window.cart.entry, Qt.Key_F12)  # the offline allowance, opened by a manager
    qtbot.waitUntil(lambda: bool(window.tools.dialogs), timeout=3000)
    dialog = window.tools.dialogs[-1]
    dialog.sales.setValue(3)
    dialog.amount.selectAll()
    qtbot.keyClicks(dialog.amount, "45.00")
    qtbot.mouseClick(dialog.grant_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.approval_dialog is not None, timeout=3000)
    qtbot.keyClicks(window.approval_dialog.manager, "M01")
    qtbot.keyClicks(window.approval_dialog.pin, "2580")
    qtbot.keyClicks(window.approval_dialog.reason, "network down")
    qtbot.keyClick(window.approval_dialog.reason, Qt.Key_Return)
    qtbot.waitUntil(lambda: "allowance open" in banner.text(), timeout=8000)
    assert "3 sales and 45.00 left" in banner.text() and "until" in banner.text()
    qtbot.mouseClick(dialog.close_allowance_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "can't be used" in banner.text(), timeout=8000)
    assert geometries(window) == before


@pytest.fixture
def demo_window(early_window, monkeypatch):
    """The window on the demo, as `kiosk` runs with no backend set: the sandbox is the embedded one."""
    import tests.test_ui_cashier as base

    plain = base.start_terminal

    async def embedded(sandbox, settings, hub):
        terminal = await plain(sandbox, settings, hub)
        terminal.connection = Connection(terminal.connection.client, sandbox)
        return terminal

    monkeypatch.setattr(base, "start_terminal", embedded)
    return early_window


def form_geometry(window) -> list:
    view = window.sign_in
    return [place(window, w) for w in (view.operator, view.pin, view.go)]


def try_sign_in(qtbot, window, operator: str, pin: str) -> tuple[str, float]:
    view = window.sign_in
    view.operator.clear()
    qtbot.keyClicks(view.operator, operator)
    qtbot.keyClicks(view.pin, pin)
    started = time.perf_counter()
    qtbot.keyClick(view.pin, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.go.isEnabled() and view.message.text() != "Checking…", timeout=5000)
    return view.message.text(), time.perf_counter() - started


def shown_text(window) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in window.findChildren(QLabel) if label.isVisible())


def test_sign_in_tells_no_stranger_which_ids_exist_names_nobody_and_never_jumps(qtbot, demo_window):
    window, attach = demo_window
    qtbot.waitUntil(lambda: window.sign_in.operator.hasFocus() or window.isActiveWindow(), timeout=2000)
    first = form_geometry(window)
    attach()  # the demo banner and the demo's ids appear while the cashier may be typing
    assert window.demo.isVisible() and form_geometry(window) == first
    # The demo's own operators, as they are defined, not as a test remembers them.
    for operator_id, _name, role, pin in DEMO_OPERATORS:
        assert f"{role} {operator_id}, PIN {pin}" in window.sign_in.demo_ids.text()
    assert window.sign_in.demo_ids.isVisible()

    known, unknown = [], []
    for _ in range(3):  # in turn, so a busy machine slows both alike
        known.append(try_sign_in(qtbot, window, "C01", "9999"))
        unknown.append(try_sign_in(qtbot, window, "C77", "9999"))
        assert form_geometry(window) == first  # an error line takes room kept for it
    assert [text for text, _ in unknown] == [text for text, _ in known]
    assert "4 tries left" in known[0][0] and "2 tries left" in known[2][0]
    for name in ("Casey", "Morgan"):
        assert name not in shown_text(window)
    # The same ~50 ms of PIN hashing either way: the delay tells nothing either.
    known_s, unknown_s = statistics.median(t for _, t in known), statistics.median(t for _, t in unknown)
    print(f"refused in {known_s * 1000:.0f} ms (known id), {unknown_s * 1000:.0f} ms (unknown id)")
    assert 0.5 <= unknown_s / known_s <= 2.0

    # Unknown ids lock out too, and nobody was made for them.
    for _ in range(2):
        text, _ = try_sign_in(qtbot, window, "C77", "9999")
    assert "locked for 60 seconds" in text
    assert try_sign_in(qtbot, window, "C77", "1111")[0].startswith("That operator ID is locked")
    assert [o.id for o in window.terminal.till.operators.list()] == ["C01", "M01"]
    window.sign_in.operator.clear()
    sign_in(qtbot, window)
    assert "Casey" in window.who.text()  # named once signed in


def test_the_camera_window_says_why_there_is_no_picture(qtbot, screen, tmp_path, monkeypatch):
    from kiosk.scanner import sources

    window = screen
    sign_in(qtbot, window)
    preview = window.tools.preview
    window.terminal.settings.scanner.camera = "7"  # no such camera on this machine
    active(qtbot, window)
    qtbot.keyClick(window.cart.entry, Qt.Key_F5)
    assert preview.isVisible()
    qtbot.waitUntil(lambda: "No camera found" in preview.message, timeout=10000)
    assert "camera 7" in preview.message and "starting" not in preview.message.lower()
    assert preview.accessibleDescription() == preview.message
    qtbot.mouseClick(window.tools.buttons["Camera"], Qt.LeftButton)
    qtbot.waitUntil(lambda: not preview.isVisible() and window.terminal.camera is None, timeout=5000)

    # A camera that is there but will not open: taken by another program. (No test machine has
    # a camera to take, so its device node stands in a folder of our own.)
    monkeypatch.setattr(sources, "DEVICE_DIR", tmp_path)
    (tmp_path / "video0").write_bytes(b"")
    window.terminal.settings.scanner.camera = "0"
    qtbot.mouseClick(window.tools.buttons["Camera"], Qt.LeftButton)
    assert preview.message == "Camera starting…"  # a fresh start, not the last camera's reason
    qtbot.waitUntil(lambda: "in use by another program" in preview.message, timeout=10000)
    qtbot.mouseClick(window.tools.buttons["Camera"], Qt.LeftButton)
    qtbot.waitUntil(lambda: window.terminal.camera is None, timeout=5000)


def test_a_failed_start_up_says_nothing_is_starting(qtbot, early_window):
    window, _attach = early_window
    assert "starting" in window.status.connection.text().lower() + window.status.scanner.text().lower()
    window.show_fatal("The backend address is not set.")
    said = " ".join([window.fatal.text(), window.status.connection.text(), window.status.scanner.text(),
                     window.sign_in.message.text()])
    assert "starting" not in said.lower() and "Not connected" in said


def dialog_text(dialog) -> str:
    from PySide6.QtWidgets import QLabel, QListWidget, QTableWidget

    said = [label.text() for label in dialog.findChildren(QLabel)]
    for table in dialog.findChildren(QTableWidget):
        said += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        said += [table.item(r, c).text() for r in range(table.rowCount()) for c in range(table.columnCount())
                 if table.item(r, c)]
    for listing in dialog.findChildren(QListWidget):
        said += [listing.item(r).text() for r in range(listing.count())]
    return "\n".join(said)


def open_queue(qtbot, window):
    from ui.cashier.queue_dialog import QueueDialog

    active(qtbot, window)
    qtbot.keyClick(window.cart.entry, Qt.Key_F11)
    qtbot.waitUntil(lambda: any(isinstance(d, QueueDialog) for d in window.tools.dialogs), timeout=3000)
    dialog = next(d for d in window.tools.dialogs if isinstance(d, QueueDialog))
    qtbot.waitUntil(lambda: dialog.view is not None, timeout=5000)
    return dialog


@pytest.fixture
def refused_window(early_window, monkeypatch):
    """The window on a till whose API secret the backend no longer accepts."""
    import tests.test_ui_cashier as base

    plain = base.client_for
    refused = "not-the-secret-this-backend-holds-now"
    monkeypatch.setattr(base, "client_for", lambda sandbox, **kw: plain(sandbox, secret=refused, **kw))
    window, attach = early_window
    attach()
    return window


def test_the_queue_lists_what_waits_in_plain_words_and_says_sending_paused(qtbot, refused_window):
    window = refused_window
    sign_in(qtbot, window)
    cash_sale(qtbot, window)  # paid at the till; its order can't go out
    [sale], = window.terminal.till.db.read("SELECT id FROM sales")
    qtbot.waitUntil(lambda: window.terminal.till.outbox.paused() is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.status.queue.text().endswith("; sending paused"), timeout=5000)
    assert window.status.queue.text().startswith("1 waiting")
    dialog = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: "Sending paused" in dialog.status.text(), timeout=5000)
    assert dialog.status.text().startswith("1 waiting to be sent")
    row = [dialog.waiting.item(0, c).text() for c in range(dialog.waiting.columnCount())]
    assert row[1:3] == ["Sale", sale] and row[5] == "sending paused"
    assert "Nothing is stuck." in dialog_text(dialog)
    assert "dead" not in dialog_text(dialog).lower() and "dead" not in dialog.windowTitle().lower()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not window.tools.dialogs, timeout=3000)


def test_the_queue_shows_what_is_held_back_behind_what_could_not_be_sent(qtbot, screen):
    from kiosk.outbox import ops

    window = screen
    sign_in(qtbot, window)
    till = window.terminal.till
    # Points for a member the backend doesn't know, on an order: a refusal that holds the order's
    # later writes back. The member's id must not show.
    stuck, later = till.outbox.enqueue([
        annex_ops.award_points("M999999", 5, ops.new_key("T01"), "goodwill", order_id="T01-HELD-1"),
        annex_ops.debit_points("M100003", 5, ops.new_key("T01"), "goodwill", order_id="T01-HELD-1")])
    till.engine.wake()
    qtbot.waitUntil(lambda: till.outbox.get(stuck)["state"] == "dead", timeout=15000)
    dialog = open_queue(qtbot, window)
    qtbot.waitUntil(lambda: bool(dialog.view.waiting), timeout=5000)
    held = [dialog.waiting.item(0, c).text() for c in range(dialog.waiting.columnCount())]
    assert held[0] == str(later) and held[1] == "Points taken back" and held[5].startswith("held back")
    text = dialog_text(dialog)
    assert "1 could not be sent" in dialog.status.text() and "1 held back" in dialog.status.text()
    assert "Points added" in text and "Send again" in [b.text() for b in dialog.retry_buttons.values()]
    assert "M999999" not in text and "M100003" not in text and "dead" not in text.lower()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not window.tools.dialogs, timeout=3000)
