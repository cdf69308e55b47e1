"""The cashier's dialogs against a real till on the sandbox: returns, enrolment, member
search, the queue with a real dead letter, and the offline allowance. Driven with clicks
and keys; the till runs on the qasync loop of the test (tests/ui_env.py)."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSpinBox

from tests import annex_ops
from kiosk.checkout import money
from kiosk.outbox import ops
from kiosk.sandbox import loyalty as sandbox_loyalty
from tests import checkout_env
from tests.helpers import set_faults
from tests.test_checkout_flows import points
from tests.test_checkout_returns import _sell
from tests.ui_env import run
from ui.cashier.allowance_dialog import AllowanceDialog
from ui.cashier.enrol_dialog import EnrolDialog
from ui.cashier.member_search import MemberSearchDialog
from ui.cashier.queue_dialog import QueueDialog
from ui.cashier.returns_dialog import ReturnsDialog
from ui.common.tasks import Tasks
from ui.common.controls import BUTTON_HEIGHT

WAIT_MS = 20000


@pytest.fixture(autouse=True)
def own_threads(qloop):
    """The worker threads of asyncio.to_thread, ended with the test: the session's loop is
    never closed, so its default executor's threads would outlive the process's last test."""
    from qasync import QThreadExecutor

    executor = QThreadExecutor()
    qloop.set_default_executor(executor)
    yield
    executor.shutdown(wait=True)
    qloop.set_default_executor(None)


@contextlib.contextmanager
def a_till(qtbot, qloop, sandbox, tmp_path, terminal_id: str = "T01") -> Iterator:
    context = checkout_env.running_till(sandbox, tmp_path, terminal_id)
    till = run(qtbot, qloop, context.__aenter__())
    try:
        yield till
    finally:
        run(qtbot, qloop, context.__aexit__(None, None, None))


def approver(till, asked: list, shown: list | None = None):
    async def approve(action: str, subject: str, details=()):
        asked.append((action, subject))
        if shown is not None:
            shown.append(list(details))
        return checkout_env.approve(till, action, subject)
    return approve


def opened(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()  # non-modal: open() would make it window-modal
    qtbot.waitExposed(dialog)
    assert dialog.isVisible() and not dialog.isModal()
    return dialog


def close(qtbot, dialog) -> None:
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc closes
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets() if w.isVisible()], timeout=2000)


def touch_and_named(dialog) -> None:
    for button in dialog.findChildren(QPushButton):
        assert button.minimumHeight() >= BUTTON_HEIGHT and button.accessibleName(), button.text()
    for spin in dialog.findChildren(QSpinBox):
        assert spin.accessibleName()


def texts(widget) -> str:
    return " ".join(label.text() for label in widget.findChildren(QLabel))


def test_partial_return_then_the_rest_with_the_refund_and_points_shown(qtbot, qloop, sandbox, tmp_path):
    before = points(sandbox, "M100004")
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        sale, result = run(qtbot, qloop, _sell(till, "M100004", "APP-001", "APP-001", "APP-001", "HOM-001"))
        assert result.points == 69
        asked, done = [], []
        dialog = opened(qtbot, ReturnsDialog(till, Tasks(), approver(till, asked), "C01"))
        dialog.returned.connect(done.append)
        touch_and_named(dialog)

        qtbot.keyClicks(dialog.scan, "R:" + sale.sale_id)  # as a scanner types the receipt's barcode
        qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.order is not None, timeout=WAIT_MS)
        order = dialog.order
        row = next(i for i, line in enumerate(order.lines) if line.sku == "APP-001")
        shirts = order.lines[row]
        spin = dialog.spins[row]
        assert not dialog.return_selected.isEnabled()  # nothing picked yet

        # Over-return: the spin box stops at what is left.
        assert spin.maximum() == 3
        spin.setValue(5)
        assert spin.value() == 3
        spin.selectAll()
        qtbot.keyClicks(spin.lineEdit(), "9")
        assert spin.value() == 3

        spin.setValue(1)
        share = money.refund_share(shirts.paid_cents, 3, 0, 1)
        assert dialog.table.item(row, 4).text() == str(money.to_money(share))
        assert str(money.to_money(share)) in dialog.preview.text()
        qtbot.mouseClick(dialog.return_selected, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(done) == 1, timeout=WAIT_MS)
        first = done[0]
        assert asked == [("return", sale.sale_id)]
        assert not first.whole and first.points_removed == 20 and first.refund_cents == share
        assert dialog.refund.text() == f"Give back {money.to_money(share)} in cash"  # it was paid in cash
        assert "20" in dialog.points.text() and dialog.message.text() == first.message
        assert points(sandbox, "M100004") == before + 69 - 20

        # Looked up again: the counts include the return just made.
        qtbot.waitUntil(lambda: dialog.order is not order and dialog.order.lines[row].returned == 1,
                        timeout=WAIT_MS)
        assert dialog.spins[row].maximum() == 2
        qtbot.mouseClick(dialog.return_all, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(done) == 2, timeout=WAIT_MS)
        rest = done[1]
        assert first.refund_cents + rest.refund_cents == sum(line.paid_cents for line in order.lines)
        assert dialog.refund.text() == f"Give back {money.to_money(rest.refund_cents)} in cash"
        qtbot.waitUntil(lambda: all(line.left == 0 for line in dialog.order.lines), timeout=WAIT_MS)
        assert points(sandbox, "M100004") == before
        assert not dialog.return_all.isEnabled() and not dialog.return_selected.isEnabled()
        assert all(s.maximum() == 0 for s in dialog.spins)
        close(qtbot, dialog)


def test_a_full_return_and_errors_shown_as_sentences(qtbot, qloop, sandbox, tmp_path):
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        sale, result = run(qtbot, qloop, _sell(till, "M100005", "SNK-001", "SNK-001"))
        asked, done = [], []
        dialog = opened(qtbot, ReturnsDialog(till, Tasks(), approver(till, asked), "C01"))
        dialog.returned.connect(done.append)

        qtbot.keyClicks(dialog.scan, "NOPE-123")
        qtbot.keyClick(dialog.scan, Qt.Key.Key_Enter)
        qtbot.waitUntil(lambda: "No sale NOPE-123" in dialog.error.text(), timeout=WAIT_MS)
        assert "Traceback" not in texts(dialog)

        qtbot.keyClicks(dialog.scan, sale.sale_id)
        qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.order is not None, timeout=WAIT_MS)
        assert dialog.error.text() == ""
        qtbot.mouseClick(dialog.return_all, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(done) == 1, timeout=WAIT_MS)
        assert done[0].whole and done[0].points_removed == result.points
        assert dialog.refund.text() == f"Give back {money.to_money(done[0].refund_cents)} in cash"
        qtbot.waitUntil(lambda: dialog.order.fully_returned, timeout=WAIT_MS)
        assert "returned in full" in dialog.heading.text()
        close(qtbot, dialog)


def test_enrol_with_consent_after_the_form_says_what_is_missing(qtbot, qloop, sandbox, tmp_path):
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        dialog = opened(qtbot, EnrolDialog(till.checkout, Tasks()))
        touch_and_named(dialog)
        assert not dialog.consent.isChecked()
        qtbot.keyClick(dialog.email, Qt.Key.Key_Return)  # Enter with nothing filled in
        assert "email address or a phone number" in dialog.error.text()
        qtbot.keyClicks(dialog.email, "not-an-email")
        qtbot.keyClick(dialog.email, Qt.Key.Key_Return)
        assert "doesn't look right" in dialog.error.text()

        dialog.email.clear()
        qtbot.keyClicks(dialog.email, "dana.new@example.com")
        qtbot.keyClicks(dialog.phone, "555-010-0777")
        qtbot.keyClicks(dialog.first_name, "Dana")
        qtbot.keyClicks(dialog.last_name, "New")
        qtbot.mouseClick(dialog.consent, Qt.MouseButton.LeftButton)
        assert dialog.consent.isChecked()
        with qtbot.waitSignal(dialog.enrolled, timeout=WAIT_MS, raising=False) as got:
            qtbot.keyClick(dialog.last_name, Qt.Key.Key_Return)
        assert got.signal_triggered, (dialog.error.text(), dialog.email.text(), dialog.phone.text(), dialog.problems())
        view = got.args[0]
        assert view.member.email == "dana.new@example.com" and view.member.first_name == "Dana"
        (opt_in,), = sandbox.store.read("SELECT opt_in FROM members WHERE id=?", (view.member_id,))
        assert opt_in == "YES"
        assert dialog.member_id.isVisible() and dialog.member_id.text() == view.member_id  # shown, large
        assert not dialog.print_card.isEnabled() and dialog.save_card.isEnabled()  # no printer set up here
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Done
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)

        again = opened(qtbot, EnrolDialog(till.checkout, Tasks()))
        qtbot.keyClicks(again.phone, "555 010 0777")
        qtbot.mouseClick(again.enrol_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "already exists" in again.error.text(), timeout=WAIT_MS)
        assert again.enrol_button.isEnabled()
        close(qtbot, again)
        dialog.deleteLater()


def test_member_search_by_phone(qtbot, qloop, sandbox, tmp_path):
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        dialog = opened(qtbot, MemberSearchDialog(till.checkout, Tasks()))
        touch_and_named(dialog)
        qtbot.keyClicks(dialog.query, "555-019-9999")
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "No member" in dialog.error.text(), timeout=WAIT_MS)
        assert dialog.search_button.isEnabled()

        dialog.query.clear()
        qtbot.keyClicks(dialog.query, "555-010-0003")
        with qtbot.waitSignal(dialog.found, timeout=WAIT_MS) as got:
            qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
        assert got.args[0].member_id == "M100003"
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
        dialog.deleteLater()
        qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets() if w.isVisible()], timeout=2000)


def test_a_member_the_sale_refuses_is_not_found_the_dialog_says_why_and_stays_open(qtbot, qloop, sandbox, tmp_path):
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        sale = till.checkout.new_sale("C01")
        sale.cart.add(till.catalogue.by_sku("APP-001"))
        chloe = run(qtbot, qloop, till.checkout.find_member("M100003"))
        sale.attach_member(chloe)
        sale.select_reward(chloe.usable_rewards[0])
        dialog = opened(qtbot, MemberSearchDialog(till.checkout, Tasks(), attach=sale.attach_member))
        found = []
        dialog.found.connect(found.append)
        qtbot.keyClicks(dialog.query, "555-010-0002")  # Ben, while Chloé's reward is on the sale
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "Remove the rewards" in dialog.error.text(), timeout=WAIT_MS)
        assert dialog.isVisible() and found == [] and "Found" not in dialog.result.text()
        assert sale.member_id == "M100003" and dialog.search_button.isEnabled()

        sale.detach_member()  # the cashier takes Chloé off; the same search now attaches Ben
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
        assert [v.member_id for v in found] == ["M100002"] and sale.member_id == "M100002"
        dialog.deleteLater()


def test_a_dead_letter_is_listed_without_member_data_and_sent_again(qtbot, qloop, sandbox, tmp_path):
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        op_id, = till.outbox.enqueue([annex_ops.award_points("M999999", 5, ops.new_key("T01"), "goodwill")])
        till.engine.wake()
        qtbot.waitUntil(lambda: till.outbox.get(op_id)["state"] == "dead", timeout=WAIT_MS)

        asked = []
        dialog = opened(qtbot, QueueDialog(till, Tasks(), approver(till, asked)))
        qtbot.waitUntil(lambda: op_id in dialog.retry_buttons, timeout=WAIT_MS)
        touch_and_named(dialog)
        assert "1 could not be sent." in dialog.status.text() and "running" in dialog.status.text()
        cells = [dialog.letters.item(0, col).text() for col in range(5)]
        assert cells[:3] == [str(op_id), "Points added", "1"] and cells[4]
        shown = texts(dialog) + " ".join(
            dialog.letters.item(r, c).text() for r in range(dialog.letters.rowCount()) for c in range(5)
            if dialog.letters.item(r, c))
        assert "M999999" not in shown and "/members" not in shown and "/users" not in shown
        assert dialog.problems.item(0).text() == "None." and dialog.refusals.item(0).text() == "None."

        # The member now exists: sent again with a manager's approval, it goes through.
        sandbox_loyalty.enrol(sandbox.store, {"id": "M999999", "email": "late.member@example.com"})
        with qtbot.waitSignal(dialog.retried, timeout=WAIT_MS):
            qtbot.mouseClick(dialog.retry_buttons[op_id], Qt.MouseButton.LeftButton)
        assert asked == [("retry_dead_letter", str(op_id))]
        assert "queued again" in dialog.notice.text()
        qtbot.waitUntil(lambda: till.outbox.get(op_id)["state"] == "done", timeout=WAIT_MS)
        assert points(sandbox, "M999999") == 5
        dialog.refresh()
        qtbot.waitUntil(lambda: dialog.view is not None and not dialog.view.letters, timeout=WAIT_MS)
        assert "Nothing is stuck." in dialog.letters.item(0, 0).text()
        audit = till.db.read("SELECT * FROM audit_log WHERE action='retry_dead_letter'")
        assert len(audit) == 1 and audit[0]["approver_id"] == "M01" and audit[0]["subject"] == str(op_id)
        close(qtbot, dialog)


def test_an_allowance_granted_shown_and_closed(qtbot, qloop, sandbox, tmp_path):
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        asked = []
        dialog = opened(qtbot, AllowanceDialog(till, Tasks(), approver(till, asked), "C01"))
        touch_and_named(dialog)
        qtbot.waitUntil(lambda: "No offline allowance" in dialog.current.text(), timeout=WAIT_MS)
        assert not dialog.close_allowance_button.isEnabled()
        dialog.hours.setValue(30)
        assert dialog.hours.value() == 24  # at most a day
        dialog.sales.setValue(5)
        dialog.hours.setValue(2)
        dialog.amount.clear()
        qtbot.keyClicks(dialog.amount, "50.00")
        with qtbot.waitSignal(dialog.granted, timeout=WAIT_MS) as got:
            qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
        assert asked == [("offline_allowance", "T01")]
        allowance = got.args[0]
        assert (allowance.max_sales, allowance.max_cents) == (5, 5000)
        assert "5 sales and 50.00 left" in dialog.current.text()
        active = till.allowances.active()
        assert active is not None and active.id == allowance.id

        qtbot.mouseClick(dialog.close_allowance_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "No offline allowance" in dialog.current.text(), timeout=WAIT_MS)
        assert till.allowances.active() is None
        close(qtbot, dialog)


def test_a_held_write_is_shown_with_its_evidence_and_a_manager_settles_it(qtbot, qloop, tmp_path):
    """Against the documented API alone a lost order reply can't be checked: the queue shows
    it held, with the member's points now, and a manager says it went through."""
    from kiosk.sandbox.server import SandboxServer

    server = SandboxServer(tmp_path / "documented.sqlite3", faults=True, profile="documented").start()
    try:
        with a_till(qtbot, qloop, server, tmp_path) as till:
            before = points(server, "M100001")
            set_faults(server, drop_reply_rate=1.0, duplicate_protection=False)
            op_id, = till.outbox.enqueue([annex_ops.award_points("M100001", 5, ops.new_key("T01"), "goodwill")])
            till.engine.wake()
            # The lost reply recorded: in doubt, waiting to settle.
            qtbot.waitUntil(lambda: till.outbox.get(op_id)["last_error"] is not None, timeout=WAIT_MS)
            set_faults(server, drop_reply_rate=0.0)
            with till.db.tx() as conn:  # as if outbox.settle_s had passed since the lost attempt
                conn.execute("UPDATE ops SET sent_at = sent_at - 120, next_at = 0 WHERE id=?", (op_id,))
            till.engine.wake()
            qtbot.waitUntil(lambda: till.outbox.get(op_id)["state"] == "held", timeout=WAIT_MS * 2)

            asked = []
            dialog = opened(qtbot, QueueDialog(till, Tasks(), approver(till, asked)))
            qtbot.waitUntil(lambda: (op_id, True) in dialog.resolve_buttons, timeout=WAIT_MS)
            assert "needs a manager" in dialog.status.text()
            reason = dialog.letters.item(0, 4).text()
            assert "backend.reads" in reason and "available" in reason and "M100001" not in reason
            with qtbot.waitSignal(dialog.resolved, timeout=WAIT_MS):
                qtbot.mouseClick(dialog.resolve_buttons[(op_id, True)], Qt.MouseButton.LeftButton)
            assert asked == [("resolve_held_write", str(op_id))]
            assert till.outbox.get(op_id)["state"] == "done"
            assert points(server, "M100001") == before + 5  # the lost attempt's, once
            audit = till.db.read("SELECT * FROM audit_log WHERE action='resolve_held_write'")
            assert len(audit) == 1 and audit[0]["approver_id"] == "M01"
            close(qtbot, dialog)
    finally:
        server.stop()


def test_a_return_shows_each_tender_to_the_manager_and_prints_its_receipt(qtbot, qloop, sandbox, tmp_path):
    from kiosk.checkout import printing
    from kiosk.checkout.receipt import mask
    from kiosk.config import PrinterSettings
    from tests.test_receipts import pdf_text_lines

    settings = checkout_env.settings_for(tmp_path)
    settings.printer = PrinterSettings(kind="file", path=str(tmp_path / "lp0"), pdf_dir=str(tmp_path / "pdf"))
    with a_till(qtbot, qloop, sandbox, tmp_path) as till:
        sale, _ = run(qtbot, qloop, _sell(till, "M100003", "ELE-002", "STA-001", card="GC-1000-0003"))
        asked, shown, done = [], [], []
        dialog = opened(qtbot, ReturnsDialog(till, Tasks(), approver(till, asked, shown), "C01", settings=settings))
        dialog.returned.connect(done.append)
        qtbot.keyClicks(dialog.scan, "R:" + sale.sale_id)
        qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.order is not None, timeout=WAIT_MS)
        card = f"4.20 goes back onto card {mask('GC-1000-0003')}"
        # Before anything is picked the screen says where everything left would go.
        assert dialog.preview.text().startswith("Return everything") and card in dialog.preview.text()
        qtbot.mouseClick(dialog.return_all, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(done) == 1, timeout=WAIT_MS)
        cash = done[0].refund_cents
        # The manager read the items, the refund and each tender's amount.
        details = "\n".join(shown[0])
        assert "Sea" not in details and "1 x" in details and card in details
        assert f"Give back {money.to_money(cash)} in cash" in details
        assert dialog.refund.text() == f"{card}\nGive back {money.to_money(cash)} in cash"
        assert dialog.receipt_button.isVisible()

        qtbot.mouseClick(dialog.receipt_button, Qt.MouseButton.LeftButton)
        preview = dialog.receipt_dialog
        text = preview.receipt.text(42)
        assert "RETURN" in text and f"Of sale {sale.sale_id}" in text and "Approved by M01" in text
        assert f"Card {mask('GC-1000-0003')}" in text and "Cash" in text and "Points taken back" in text
        assert "GC-1000-0003" not in text  # the card's code is masked
        path = preview.save_pdf()
        assert pdf_text_lines(path.read_bytes())[:len(text.splitlines())] == text.splitlines()
        printing.print_receipt(preview.receipt, settings.printer)
        printed = (tmp_path / "lp0").read_bytes()
        assert b"\x1bE\x01REFUND TOTAL" in printed and b"Cash" in printed  # the total in bold
        preview.close()
        close(qtbot, dialog)


def test_a_long_approval_scrolls_inside_the_prompt_and_the_prompt_fits_the_screen(qtbot):
    from ui.cashier.approval import ManagerApproval

    lines = [f"1 x Item number {n}: 1.00" for n in range(60)]
    dialog = ManagerApproval(None, Tasks(), "return", requested_by="C01", details=lines)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.sizeHint().height() <= dialog.screen().availableGeometry().height()
    assert dialog.details_area.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    assert dialog.details.text().splitlines()[:60] == lines and dialog.details.text().endswith("Asked by C01")
    dialog.close()
