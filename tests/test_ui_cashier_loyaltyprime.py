"""The cashier screen once on Loyalty Prime: the embedded-style Prime sandbox over loopback,
a member's sale with a voucher, the points quote in the cart and points as a tender, then
its return."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kiosk.checkout import till as tills
from kiosk.connect import Connection
from kiosk.scanner.payload import MemberRef, ReceiptRef
from tests.checkout_env import settings_for
from tests.helpers import ledger
from tests.prime_helpers import prime_client, prime_server
from tests.test_ui_cashier import add_coffee, scan, sign_in
from tests.ui_env import qloop, run  # noqa: F401 (the fixture)
from ui.common.bridge import HubBridge
from ui.cashier.window import CashierWindow
from kiosk.app.terminal import Terminal
from ui.common.tasks import Tasks


@pytest.fixture
def prime(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    yield server
    server.stop()


@pytest.fixture
def screen(qtbot, qloop, prime, tmp_path):  # noqa: F811
    import qasync

    executor = qasync.QThreadExecutor(2)
    qloop.set_default_executor(executor)
    settings = settings_for(tmp_path)
    settings.backend.vendor = "loyaltyprime"
    tasks = Tasks()
    window = CashierWindow(None, tasks)
    window.show()

    async def start() -> Terminal:
        client = prime_client(prime)
        till = tills.build(settings, client, site_id=prime.store.site.site_id, hub=window.hub, demo=True)
        terminal = Terminal(settings, window.hub, Connection(client, None), till)
        terminal.notices = await till.start()
        return terminal

    terminal = run(qtbot, qloop, start())
    bridge = HubBridge(window.hub)
    window.attach(terminal, bridge)
    yield window
    window.close()
    run(qtbot, qloop, tasks.cancel_all())
    bridge.close()
    run(qtbot, qloop, terminal.stop())
    executor.shutdown(wait=True)
    qloop.set_default_executor(None)
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []


def test_a_members_sale_with_a_voucher_and_the_points_quote_then_its_return(qtbot, qloop, screen, prime):  # noqa: F811
    from ui.cashier.returns_dialog import ReturnsDialog

    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 2)  # 2 x 7.99 of COF-001, a Coffee: COFFEE earns double
    assert not window.cart.earns.isVisible()  # no member yet: nothing to quote
    scan(window, MemberRef("id", "M100002"))
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    assert window.member.points.text() not in ("", "—")
    qtbot.waitUntil(lambda: window.cart.earns.isVisible(), timeout=5000)
    assert window.cart.earns.text() == "This sale earns 31 points"

    window.tender.code.setText("BEN15OFF")  # Ben's own 15 % voucher
    qtbot.mouseClick(window.tender.apply, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.sale.session.coupons) == 1, timeout=8000)
    # The session has it when the code is accepted; the cart shows it when the sale says it changed.
    qtbot.waitUntil(lambda: window.cart.discounts.text() == "-2.40", timeout=2000)
    # The quote follows the cart: 13.58 paid for the coffee, doubled.
    qtbot.waitUntil(lambda: window.cart.earns.text() == "This sale earns 27 points", timeout=5000)

    # 3.00 of it paid with Ben's points, at the programme's 0.01 a point; the rest in cash.
    assert window.tender.points.isVisible()
    window.tender.amount.setText("3.00")
    qtbot.mouseClick(window.tender.points, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.sale.session.points_paid is not None, timeout=5000)
    rows = [window.tender.tenders.item(i).text() for i in range(window.tender.tenders.count())]
    assert "Points: 3.00 (300 points)" in rows and not window.tender.points.isEnabled()
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    assert window.tender.outcome.text().startswith("Paid.")
    order_id = window.receipts[0].receipt.sale_id
    assert [e["code"] for e in ledger(prime, "code_redeem")] == ["BEN15OFF"]
    assert [e["points"] for e in ledger(prime, "redeem")] == [-300]
    qtbot.waitUntil(lambda: len(ledger(prime, "order_create")) == 1, timeout=10000)
    [booked] = ledger(prime, "order_create")
    assert (booked["order_id"], booked["member_id"], booked["points"]) == (order_id, "M100002", 27)
    window.receipts[0].close()

    scan(window, ReceiptRef(order_id))
    qtbot.waitUntil(lambda: any(isinstance(d, ReturnsDialog) for d in window.tools.dialogs), timeout=5000)
    dialog = next(d for d in window.tools.dialogs if isinstance(d, ReturnsDialog))
    qtbot.waitUntil(lambda: dialog.order is not None, timeout=8000)
    assert dialog.order.order_id == order_id
    done = []
    dialog.returned.connect(done.append)
    qtbot.mouseClick(dialog.return_all, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.approval_dialog is not None, timeout=5000)
    approval = window.approval_dialog
    qtbot.keyClicks(approval.manager, "M01")
    qtbot.keyClicks(approval.pin, "2580")
    qtbot.keyClicks(approval.reason, "changed mind")
    qtbot.keyClick(approval.pin, Qt.Key_Return)
    qtbot.waitUntil(lambda: bool(done), timeout=15000)
    assert done[0].whole
    assert "300 points (3.00) go back to the member" in done[0].message
    qtbot.waitUntil(lambda: len(ledger(prime, "order_return")) == 1, timeout=15000)
    [reversed_] = ledger(prime, "order_return")
    assert (reversed_["order_id"], reversed_["points"]) == (order_id, -27)
    view = run(qtbot, qloop, window.sale.till.engine.backend.lookup_member("M100002"))
    # The 27 points the sale earned went back with it, and the 300 it paid with came back.
    qtbot.waitUntil(lambda: window.sale.till.outbox.status().depth == 0, timeout=15000)
    view = run(qtbot, qloop, window.sale.till.engine.backend.lookup_member("M100002"))
    assert view.points.available == 1320
    qtbot.keyClick(dialog, Qt.Key_Escape)
