"""The cashier screen against a real till and the sandbox over loopback, driven by clicks and keys."""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from kiosk.checkout import till as tills
from kiosk.checkout.session import State
from kiosk.connect import Connection
from kiosk.loyalty.models import CodeSpend
from kiosk.outbox import events as ev
from kiosk.scanner.payload import CodeRef, MemberRef, ProductRef
from kiosk.scanner.events import Scanned
from tests.checkout_env import settings_for
from tests.helpers import client_for
from tests.ui_env import qloop, run  # noqa: F401 (the fixture)
from ui.common.bridge import HubBridge
from ui.cashier.window import CashierWindow
from kiosk.app.terminal import Terminal
from ui.common.tasks import Tasks

COFFEE = "2004242000017"  # COF-001 House Blend Coffee Beans 250 g, 7.99


async def start_terminal(sandbox, settings, hub) -> Terminal:
    """As the app starts it: delivery on its own thread with a client of its own."""
    connection = Connection.made_by(functools.partial(client_for, sandbox, attempt_timeout=2.0))
    till = tills.build(settings, connection.client, site_id=sandbox.store.site.site_id, hub=hub, demo=True,
                       delivery_client=connection.new_client)
    terminal = Terminal(settings, hub, connection, till)
    terminal.notices = await till.start()
    return terminal


@pytest.fixture
def early_window(qtbot, qloop, sandbox, tmp_path):  # noqa: F811
    """The window as `kiosk` first shows it, before its till exists; `attach()` then
    starts a till on the sandbox and attaches it, as ui/app.py does (with the test's
    settings, or `attach(settings)`'s)."""
    import qasync

    # Our own thread pool for asyncio.to_thread, joined after the test: the session's
    # loop is never closed, so its default pool's threads would outlive the QApplication.
    executor = qasync.QThreadExecutor(2)
    qloop.set_default_executor(executor)
    settings = settings_for(tmp_path)
    tasks = Tasks()
    window = CashierWindow(None, tasks)
    window.show()
    started = []

    def attach(own_settings=None):
        terminal = run(qtbot, qloop, start_terminal(sandbox, own_settings or settings, window.hub))
        bridge = HubBridge(window.hub)
        started.append((terminal, bridge))
        window.attach(terminal, bridge)
        return terminal

    yield window, attach
    window.close()
    run(qtbot, qloop, tasks.cancel_all())
    for terminal, bridge in started:
        bridge.close()
        run(qtbot, qloop, terminal.stop())
    executor.shutdown(wait=True)
    qloop.set_default_executor(None)
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []


@pytest.fixture
def screen(early_window):
    window, attach = early_window
    assert window.stack.currentWidget() is window.sign_in  # the form comes first, the till after
    attach()
    return window


def sign_in(qtbot, window, operator="C01", pin="1111"):
    qtbot.keyClicks(window.sign_in.operator, operator)
    qtbot.keyClicks(window.sign_in.pin, pin)
    qtbot.mouseClick(window.sign_in.go, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.work, timeout=5000)


def wedge_scan(widget, text: str) -> None:
    """A hand scanner: the keys arrive in one fast burst, then Enter."""
    for char in text:
        QCoreApplication.postEvent(widget, QKeyEvent(QEvent.KeyPress, Qt.Key(ord(char.upper())), Qt.NoModifier,
                                                     char))
    QCoreApplication.postEvent(widget, QKeyEvent(QEvent.KeyPress, Qt.Key_Return, Qt.NoModifier, "\r"))


def scan(window, ref) -> None:
    window.hub.publish(Scanned(ref, None, "camera"))


def lines(window):
    return window.sale.session.cart.lines


def add_coffee(qtbot, window, count=1):
    before = sum(line.quantity for line in lines(window))
    for _ in range(count):
        scan(window, ProductRef(COFFEE))
        qtbot.wait(20)
    qtbot.waitUntil(lambda: sum(line.quantity for line in lines(window)) == before + count, timeout=5000)


def test_a_wrong_pin_is_a_sentence_and_the_right_one_signs_in(qtbot, screen):
    window = screen
    qtbot.keyClicks(window.sign_in.operator, "C01")
    qtbot.keyClicks(window.sign_in.pin, "9999")
    qtbot.mouseClick(window.sign_in.go, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.sign_in.go.isEnabled() and window.sign_in.message.text() != "Checking…",
                    timeout=5000)
    assert window.stack.currentWidget() is window.sign_in and window.sign_in.message.text()
    window.sign_in.operator.clear()
    sign_in(qtbot, window)
    assert "C01" in window.who.text()


def test_a_wedge_burst_is_a_scan_and_slow_typing_is_typing(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    entry = window.cart.entry
    wedge_scan(entry, COFFEE)
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    assert lines(window)[0].sku == "COF-001" and entry.text() == ""
    assert window.cart.total.text() != "0.00"
    # A person typing: no Enter after the burst, so the keys go to the field after a pause.
    qtbot.keyClicks(entry, "house")
    qtbot.waitUntil(lambda: entry.text() == "house", timeout=2000)
    qtbot.waitUntil(lambda: window.cart.results.count() > 0, timeout=5000)
    window.cart.pick_first_result()
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 2, timeout=2000)
    # + and - change the selected line's quantity.
    qtbot.keyClick(entry, "+")
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 3, timeout=2000)
    qtbot.keyClick(entry, "-")
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 2, timeout=2000)
    assert entry.text() == ""
    window.cart.remove.click()
    assert lines(window) == []


def test_member_reward_gift_card_and_cash_then_the_receipt(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 2)
    scan(window, MemberRef("id", "M100003"))
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.member.name.text() not in ("", "—") and window.member.points.text() not in ("", "—")
    reward = next(b for b in window.member.reward_buttons if b.isEnabled() and "10.00" in b.text())
    qtbot.mouseClick(reward, Qt.LeftButton)
    assert len(window.sale.session.rewards) == 1
    assert window.cart.discounts.text() == "-10.00"

    window.tender.code.setText("GC-1000-0003")  # a gift card typed in: a tender, not a coupon
    qtbot.mouseClick(window.tender.apply, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.tender.tenders.count() == 1, timeout=8000)  # shown, not only added
    assert len(window.sale.session.cards) == 1
    assert "4.20" in window.tender.tenders.item(0).text() and "0.00" in window.tender.tenders.item(0).text()
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)  # no amount typed: cash for what is due
    session = window.sale.session
    assert session.due == 0 and session.state == State.TENDERING

    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    assert not window.tender.pay.isEnabled()  # a second tap can't pay twice
    assert "wait" in window.tender.outcome.text()
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    assert session.state == State.COMMITTED
    assert window.tender.outcome.text().startswith("Paid.")
    text = window.receipts[0].text_view.toPlainText()
    assert "TOTAL" in text and "Reward: " in text and "****0003" in text and "Cash" in text
    assert window.receipts[0].isVisible() and not window.receipts[0].isModal()
    assert window.sale.session is not session and lines(window) == []  # a new sale


def test_a_refused_card_at_pay_shows_the_sentence(qtbot, qloop, screen, sandbox):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 3)
    scan(window, CodeRef("GC-1000-0002"))  # cart open: tried as a coupon, taken as a card
    qtbot.waitUntil(lambda: len(window.sale.session.cards) == 1, timeout=8000)
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)

    async def spend_elsewhere():
        async with client_for(sandbox) as other:
            await other.redeem_code(CodeSpend("GC-1000-0002", "guest", "OTHER-TILL-1", Decimal("15.00")))

    run(qtbot, qloop, spend_elsewhere())
    qtbot.keyClick(window.tender.pay, Qt.Key_F9)
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.tender.pay.isEnabled() and window.tender.outcome.text()
                    and "wait" not in window.tender.outcome.text(), timeout=15000)
    assert "GC-1000-0002" in window.tender.outcome.text()
    assert "GC-1000-0002" in window.notices.text
    assert window.sale.session.state == State.TENDERING and window.sale.session.cards == []
    assert window.receipts == []


def test_offline_is_a_calm_banner_and_a_status(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    window.hub.publish(ev.ConnectivityChanged("offline", "no route"))
    assert window.offline.isVisible() and "selling goes on" in window.offline.text()
    assert window.status.connection.text() == "Offline"
    window.hub.publish(ev.QueueChanged(3, 125.0, 0, None))
    assert window.status.queue.text() == "3 waiting, oldest 2 min"
    window.hub.publish(ev.ConnectivityChanged("online"))
    assert not window.offline.isVisible()


def test_void_needs_a_manager(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    sale = window.sale.session
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window.cart.entry, Qt.Key_Delete, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.approval_dialog is not None and window.approval_dialog.isVisible(), timeout=3000)
    dialog = window.approval_dialog
    # The manager reads what is voided: the line, the total, who asks; the reason is theirs to type.
    assert "Coffee" in dialog.details.text() and "Total" in dialog.details.text()
    assert "C01" in dialog.details.text() and dialog.reason.text() == ""
    qtbot.keyClicks(dialog.manager, "C01")  # a cashier's PIN never approves
    qtbot.keyClicks(dialog.pin, "1111")
    qtbot.mouseClick(dialog.ok, Qt.LeftButton)
    assert "why" in dialog.message.text() and dialog.pin.text() == "1111"  # no reason: asked for, PIN kept
    qtbot.keyClicks(dialog.reason, "customer left")
    qtbot.mouseClick(dialog.ok, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.ok.isEnabled() and dialog.message.text() != "Checking…", timeout=5000)
    assert dialog.isVisible() and "cashier" in dialog.message.text() and sale.state != State.VOIDED
    dialog.manager.setText("M01")
    qtbot.keyClicks(dialog.pin, "2580")
    qtbot.mouseClick(dialog.ok, Qt.LeftButton)
    qtbot.waitUntil(lambda: sale.state == State.VOIDED and window.sale.session is not sale, timeout=5000)
    assert window.approval_dialog is None
    assert "voided" in window.notices.text


def test_a_price_override_is_approved_by_a_manager(qtbot, qloop, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    window.cart.price.setText("5.00")
    qtbot.mouseClick(window.cart.override, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.approval_dialog is not None, timeout=3000)
    dialog = window.approval_dialog
    assert "Price now" in dialog.details.text() and "New price 5.00" in dialog.details.text()
    qtbot.keyClicks(dialog.manager, "M01")
    qtbot.keyClicks(dialog.pin, "2580")
    qtbot.keyClicks(dialog.reason, "price match")
    qtbot.keyClick(dialog.pin, Qt.Key_Return)
    qtbot.waitUntil(lambda: "price changed" in window.cart.table.item(0, 0).text(), timeout=5000)
    assert lines(window)[0].unit_cents == 500 and lines(window)[0].override_approver == "M01"
    assert window.cart.table.item(0, 2).text() == "5.00"


def test_ask_approval_is_none_when_cancelled(qtbot, qloop, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    import asyncio

    task = asyncio.ensure_future(window.ask_approval("void", "sale-1"), loop=qloop)
    qtbot.waitUntil(lambda: window.approval_dialog is not None, timeout=2000)
    qtbot.keyClick(window.approval_dialog, Qt.Key_Escape)
    qtbot.waitUntil(task.done, timeout=2000)
    assert task.result() is None


def test_a_start_up_failure_is_a_calm_message(qtbot):
    window = CashierWindow(settings=None, tasks=Tasks())
    qtbot.addWidget(window)
    window.show_fatal("The backend address is not set.")
    assert window.stack.currentWidget() is window.fatal
    assert "The backend address is not set." in window.fatal.text() and "Traceback" not in window.fatal.text()
    window.close()


def test_member_found_by_email_from_the_inline_field_with_f2(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window.cart.entry, Qt.Key_F2)
    assert window.member.search.hasFocus()
    window.member.search.setText("ana.lima@example.com")
    qtbot.mouseClick(window.member.find, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.member.name.text() == "Ana Lima" and window.member.points.text() == "180"


def test_demo_mode_start_up_checks_and_notices_are_shown(qtbot):
    from types import SimpleNamespace

    from kiosk.checks import Check
    from kiosk.events import EventHub

    tasks = Tasks()
    window = CashierWindow(settings=None, tasks=tasks)
    qtbot.addWidget(window)
    window.show()
    from kiosk import config

    terminal = SimpleNamespace(settings=config.Settings(), embedded=True, notices=["Sale T01-X was paid after all: its receipt is in history."],
                               checks=[Check("camera", "warning", "No camera was found; use the hand scanner."),
                                       Check("database", "ok", "")],
                               till=SimpleNamespace(checkout=SimpleNamespace(connectivity="offline"), operators=None,
                                                    allowances=None))
    bridge = HubBridge(EventHub())
    window.attach(terminal, bridge)
    assert window.demo.isVisible() and window.demo.text() == "DEMO: sandbox data"
    # Both in one notice (the bar shows one at a time), the ok check not at all.
    assert window.notices.history == ["No camera was found; use the hand scanner.\n"
                                      "Sale T01-X was paid after all: its receipt is in history."]
    assert window.offline.isVisible()
    assert window.stack.currentWidget() is window.sign_in
    window.close()
    bridge.close()


def test_scanning_a_receipt_opens_the_return_of_that_sale(qtbot, screen):
    from kiosk.scanner.payload import ReceiptRef
    from ui.cashier.returns_dialog import ReturnsDialog

    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 2)
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    order_id = window.receipts[0].receipt.sale_id
    window.receipts[0].close()
    scan(window, ReceiptRef(order_id))
    qtbot.waitUntil(lambda: any(isinstance(d, ReturnsDialog) for d in window.tools.dialogs), timeout=5000)
    dialog = next(d for d in window.tools.dialogs if isinstance(d, ReturnsDialog))
    qtbot.waitUntil(lambda: dialog.order is not None, timeout=8000)
    assert dialog.order.order_id == order_id and dialog.order.lines[0].quantity == 2
    qtbot.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not window.tools.dialogs, timeout=3000)


def test_every_tool_opens_without_a_camera_and_says_so(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    window.terminal.settings.scanner.camera = ""  # this till has no camera
    window.tools.toggle_camera()
    assert not window.tools.preview.isVisible()
    qtbot.waitUntil(lambda: "camera" in window.notices.text.lower(), timeout=2000)
    for name in ("Find member", "Enrol", "Queue", "Offline allowance"):
        qtbot.mouseClick(window.tools.buttons[name], Qt.LeftButton)
    assert len(window.tools.dialogs) == 4 and all(d.isVisible() for d in window.tools.dialogs)
    window.tools.close_all()
    qtbot.waitUntil(lambda: not window.tools.dialogs, timeout=3000)


def test_two_products_scanned_in_one_burst_are_both_added(qtbot, screen):
    window = screen
    sign_in(qtbot, window)
    scan(window, ProductRef(COFFEE))
    scan(window, ProductRef("2004242000116"))  # no wait in between: a hand scanner's burst
    qtbot.waitUntil(lambda: len(lines(window)) == 2, timeout=5000)
    assert sorted(line.sku for line in lines(window)) == ["COF-001", "SNK-001"]


def test_a_sign_in_typed_while_the_till_starts_goes_through_once_it_is_up(qtbot, early_window):
    window, attach = early_window
    assert "starting" in window.sign_in.message.text().lower()
    assert window.status.scanner.text() == "Scanner starting…"  # the wedge filter is not listening yet
    qtbot.keyClicks(window.sign_in.operator, "C01")
    qtbot.keyClick(window.sign_in.operator, Qt.Key_Return)
    qtbot.keyClicks(window.sign_in.pin, "1111")
    qtbot.keyClick(window.sign_in.pin, Qt.Key_Return)
    assert window.sign_in.message.text() == "Checking…"
    qtbot.wait(200)
    assert window.stack.currentWidget() is window.sign_in  # no till yet: it waits, it does not fail
    terminal = attach()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.work, timeout=5000)
    assert window.operator.id == "C01" and window.settings is terminal.settings
    assert window.status.scanner.text() == "Hand scanner ready"


def test_a_sign_in_waiting_for_a_till_that_fails_to_start_is_dropped(qtbot, qloop):  # noqa: F811
    tasks = Tasks()
    window = CashierWindow(None, tasks)
    qtbot.addWidget(window)
    window.show()
    qtbot.keyClicks(window.sign_in.operator, "C01")
    qtbot.keyClicks(window.sign_in.pin, "1111")
    qtbot.keyClick(window.sign_in.pin, Qt.Key_Return)
    assert tasks.running("sign_in")
    window.show_fatal("The backend address is not set.")
    qtbot.waitUntil(lambda: not tasks.running("sign_in"), timeout=2000)
    qtbot.wait(200)  # past the spinner's 150 ms: nothing says "Working…" for a sign-in that can't come
    assert window.busy.text() == "" and window.stack.currentWidget() is window.fatal
    assert not window.sign_in.go.isEnabled() and not window.sign_in.pin.isEnabled()
    window.close()


def test_new_details_typed_while_the_till_starts_replace_the_first_ones(qtbot, early_window):
    window, attach = early_window
    window.sign_in.operator.setText("C01")
    window.sign_in.pin.setText("9999")  # a slip: not checked yet, so it costs no attempt
    qtbot.keyClick(window.sign_in.pin, Qt.Key_Return)
    window.sign_in.pin.setText("1111")
    qtbot.keyClick(window.sign_in.pin, Qt.Key_Return)
    terminal = attach()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.work, timeout=5000)
    failed = terminal.till.db.read("SELECT COUNT(*) AS n FROM audit_log WHERE action='sign_in_failed'")
    assert window.operator.id == "C01" and failed[0]["n"] == 0


def test_a_core_bug_during_a_scan_is_logged_and_told_as_one_not_shown_verbatim(qtbot, screen, monkeypatch,
                                                                              caplog):
    from ui.common.tasks import BUG_MESSAGE

    window = screen
    sign_in(qtbot, window)

    def broken(gtin):  # a core bug: a plain ValueError with internal detail in it
        raise ValueError(f"invalid literal for int() with base 10: {gtin!r}")

    monkeypatch.setattr(window.terminal.till.catalogue, "by_barcode", broken)
    scan(window, ProductRef(COFFEE))
    qtbot.waitUntil(lambda: window.notices.text == BUG_MESSAGE, timeout=5000)
    assert any(r.exc_info and isinstance(r.exc_info[1], ValueError) for r in caplog.records)
    assert lines(window) == []
