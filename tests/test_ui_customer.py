"""What the customer sees on the cashier screen, driven by keys, clicks and scans against the sandbox."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kiosk.checkout.session import State
from kiosk.scanner.payload import CodeRef, MemberRef
from tests.test_ui_cashier import add_coffee, early_window, lines, scan, screen, sign_in  # noqa: F401 (fixtures)
from tests.helpers import client_for
from tests.ui_env import qloop, run  # noqa: F401 (the fixture)


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


def reward_button(window, name: str):
    return next(b for b in window.member.reward_buttons if b.text().startswith(name))


def question(window):
    from ui.cashier.confirm import Confirmation

    overlay = window.centralWidget().findChild(Confirmation)
    return overlay if overlay is not None and overlay.isVisible() else None


def add_member(qtbot, window, member_id: str) -> None:
    scan(window, MemberRef("id", member_id))
    qtbot.waitUntil(lambda: window.sale.session.member_id == member_id and bool(window.member.reward_buttons),
                    timeout=5000)


def test_a_reward_worth_more_than_the_goods_asks_first_and_no_keeps_the_points(qtbot, screen, sandbox):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)  # 7.99
    add_member(qtbot, window, "M100003")
    qtbot.mouseClick(reward_button(window, "10off"), Qt.LeftButton)  # 10.00 off 7.99
    qtbot.waitUntil(lambda: question(window) is not None, timeout=2000)
    assert "7.99" in question(window).question.text() and "250" in question(window).question.text()
    assert window.sale.session.rewards == [] and not window.cart.isEnabled()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_N)
    qtbot.waitUntil(lambda: question(window) is None, timeout=2000)
    assert window.sale.session.rewards == [] and window.cart.isEnabled()

    qtbot.mouseClick(reward_button(window, "10off"), Qt.LeftButton)
    qtbot.waitUntil(lambda: question(window) is not None, timeout=2000)
    qtbot.mouseClick(question(window).yes, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.sale.session.rewards) == 1, timeout=2000)
    assert window.cart.discounts.text() == "-7.99" and question(window) is None


def test_pay_asks_again_when_the_cart_shrank_under_a_reward(qtbot, screen, sandbox):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 2)  # 15.98: the 10.00 reward is used in full, nothing asked
    add_member(qtbot, window, "M100003")
    qtbot.mouseClick(reward_button(window, "10off"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.sale.session.rewards) == 1, timeout=2000)
    assert question(window) is None
    window.cart.table.selectRow(0)
    qtbot.mouseClick(window.cart.minus, Qt.LeftButton)  # one coffee left: 7.99 under a 10.00 reward
    qtbot.waitUntil(lambda: lines(window)[0].quantity == 1, timeout=2000)

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_F9)
    qtbot.waitUntil(lambda: question(window) is not None, timeout=2000)
    assert "takes 7.99" in question(window).question.text()
    asked = question(window).question.text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_F9)  # the screen under the question takes no keys
    qtbot.keyClick(QApplication.focusWidget(), "+")
    qtbot.wait(50)
    assert not window.tender.pay.isEnabled() and question(window).question.text() == asked
    assert lines(window)[0].quantity == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Escape)
    qtbot.waitUntil(lambda: question(window) is None, timeout=2000)
    assert window.sale.session.state != State.COMMITTED and not window.receipts
    assert points_of(sandbox, "M100003") == 640

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_F9)
    qtbot.waitUntil(lambda: question(window) is not None, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Y)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    assert points_of(sandbox, "M100003") == 640 - 250 + 0  # nothing left to earn points on


def points_of(sandbox, member: str) -> int:
    (available,), = sandbox.store.read("SELECT available FROM members WHERE id=?", (member,))
    return available


def test_another_members_card_mid_sale_asks_before_replacing_the_member(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    add_member(qtbot, window, "M100003")
    scan(window, MemberRef("id", "M100001"))
    qtbot.waitUntil(lambda: question(window) is not None, timeout=5000)
    assert "M100003" in question(window).question.text() and "M100001" in question(window).question.text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Escape)  # keep the member on the sale
    qtbot.waitUntil(lambda: question(window) is None, timeout=2000)
    qtbot.wait(100)
    assert window.sale.session.member_id == "M100003" and window.member.name.text() == "Chloé Martin"

    window.member.search.setFocus()
    qtbot.keyClicks(window.member.search, "ana.lima@example.com")  # typed in: asked the same way
    qtbot.keyClick(window.member.search, Qt.Key_Return)
    qtbot.waitUntil(lambda: question(window) is not None, timeout=5000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)  # from No to Replace
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Return)
    qtbot.waitUntil(lambda: window.sale.session.member_id == "M100001", timeout=2000)
    assert window.member.name.text() == "Ana Lima" and question(window) is None
    assert QApplication.focusWidget() is window.member.search  # back where the cashier was


def test_a_member_with_rewards_on_the_sale_is_not_replaced_and_nothing_is_asked(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 2)
    add_member(qtbot, window, "M100003")
    qtbot.mouseClick(reward_button(window, "10off"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.sale.session.rewards) == 1, timeout=2000)
    scan(window, MemberRef("id", "M100001"))
    qtbot.waitUntil(lambda: "Remove the rewards" in window.notices.text, timeout=5000)
    assert question(window) is None and window.sale.session.member_id == "M100003"


def find_member_by_keys(qtbot, window, text: str) -> None:
    window.member.search.setFocus()
    qtbot.keyClicks(window.member.search, text)
    qtbot.keyClick(window.member.search, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.sale.session.member is not None and bool(window.member.reward_buttons),
                    timeout=5000)


def test_an_inactive_member_shows_as_inactive_and_every_reward_says_why(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    find_member_by_keys(qtbot, window, "M100006")  # inactive, 900 points
    assert window.member.status.text().startswith("Inactive")
    assert [b.isEnabled() for b in window.member.reward_buttons] == [False, False, False]
    assert all(b.text().endswith("\nmember inactive") for b in window.member.reward_buttons)
    qtbot.mouseClick(window.member.reward_buttons[0], Qt.LeftButton)
    assert window.sale.session.rewards == []


def test_a_greyed_reward_says_the_points_it_needs_or_its_limit(qtbot, qloop, screen, sandbox):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 2)
    find_member_by_keys(qtbot, window, "M100001")  # Bronze, 180 points
    assert window.member.status.text() == "Active"
    why = [b.text().split("\n")[-1] for b in window.member.reward_buttons]
    assert why == ["needs 70 more points", "needs 320 more points", "needs 820 more points"]
    qtbot.mouseClick(window.member.clear, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.sale.session.member is None, timeout=2000)

    async def redeem_elsewhere():
        async with client_for(sandbox) as other:
            await other.redeem_reward("M100003", "29660", "OTHER-TILL-REWARD-1")  # 10off, limit 1

    run(qtbot, qloop, redeem_elsewhere())
    find_member_by_keys(qtbot, window, "M100003")  # 640 - 250 = 390 points left
    buttons = window.member.reward_buttons
    assert [b.text().split("\n")[-1] for b in buttons] == ["limit reached", "needs 110 more points",
                                                          "needs 610 more points"]
    assert not any(b.isEnabled() for b in buttons)


def test_the_tier_bar_shows_the_way_within_the_members_tier(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    find_member_by_keys(qtbot, window, "M100003")  # Gold (from 5,000) with 6,100 lifetime; Platinum at 15,000
    bar = window.member.progress
    assert (bar.minimum(), bar.maximum(), bar.value()) == (0, 10_000, 1_100)
    assert bar.text() == "8900 points to Platinum"


def test_a_reward_on_the_sale_leaves_the_others_saying_what_is_left(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window, 3)
    find_member_by_keys(qtbot, window, "M100003")  # 640 points
    qtbot.mouseClick(reward_button(window, "10off"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.sale.session.rewards) == 1, timeout=2000)
    assert [b.text().split("\n")[-1] for b in window.member.reward_buttons] == [
        "on this sale", "needs 110 more points", "needs 610 more points"]


def test_the_receipt_shows_the_store_its_tax_by_rate_and_wraps_the_tenders(qtbot, early_window, tmp_path):  # noqa: F811
    from kiosk.config import StoreSettings
    from tests.checkout_env import settings_for

    window, attach = early_window
    settings = settings_for(tmp_path)
    settings = settings.model_copy(update={
        "store": StoreSettings(store_id="STORE-001", terminal_id="T01", name="Harbour Corner Market",
                               address=["12 Harbour Street", "Springfield 90210"], tax_id="US-12-3456789"),
        "printer": settings.printer.model_copy(update={"width": 24})})
    attach(settings)
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    scan(window, CodeRef("GC-1000-0003"))  # 4.20 of 8.15
    qtbot.waitUntil(lambda: len(window.sale.session.cards) == 1, timeout=8000)
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    lines = window.receipts[0].text_view.toPlainText().splitlines()
    assert lines[:5] == ["Harbour Corner Market", "Store STORE-001", "12 Harbour Street", "Springfield 90210",
                         "Tax id US-12-3456789"]
    assert "  2% of 7.99        0.16" in lines
    assert all(len(line) <= 24 for line in lines)
    assert lines[lines.index("Gift card") + 1] == "********0003        4.20"  # wrapped whole, not cut
    view = window.receipts[0].text_view
    assert view.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways


def test_after_enrolment_the_id_shows_and_its_card_prints_saves_and_scans(qtbot, early_window, tmp_path):  # noqa: F811
    from kiosk.checkout.printing import barcode_command
    from tests.checkout_env import settings_for
    from tests.test_receipts import pdf_bars
    from tests.test_ui_cashier import wedge_scan
    from ui.cashier.enrol_dialog import EnrolDialog
    from ui.receipts.pdf import code128_modules

    window, attach = early_window
    device = tmp_path / "printer"
    device.touch()
    settings = settings_for(tmp_path)
    settings = settings.model_copy(update={
        "printer": settings.printer.model_copy(update={"kind": "file", "path": str(device),
                                                       "pdf_dir": str(tmp_path / "pdfs")}),
        "store": settings.store.model_copy(update={"name": "Harbour Corner Market"})})
    attach(settings)
    sign_in(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_F7)
    qtbot.waitUntil(lambda: any(isinstance(d, EnrolDialog) and d.isVisible() for d in window.tools.dialogs),
                    timeout=2000)
    dialog = next(d for d in window.tools.dialogs if isinstance(d, EnrolDialog))
    qtbot.keyClicks(dialog.email, "gus.new@example.com")
    qtbot.keyClicks(dialog.first_name, "Gus")
    qtbot.keyClick(dialog.first_name, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog.member is not None, timeout=8000)
    member_id = dialog.member.member_id
    assert dialog.isVisible() and dialog.member_id.isVisible() and dialog.member_id.text() == member_id
    assert window.sale.session.member_id == member_id  # on the sale, too

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_P, Qt.ControlModifier)
    qtbot.waitUntil(lambda: dialog.result.text() == "Card printed.", timeout=8000)
    data = device.read_bytes()
    assert b"Harbour Corner Market\n" in data and b"Gus\n" in data and f"Member {member_id}\n".encode() in data
    assert barcode_command(member_id) in data

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: dialog.result.text().startswith("Card saved"), timeout=4000)
    pdf = tmp_path / "pdfs" / f"member-card-{member_id}.pdf"
    assert pdf_bars(pdf.read_bytes()) == code128_modules(member_id)
    assert pdf.stat().st_mode & 0o077 == 0  # member data: this user's only

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Return)  # Done
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    qtbot.mouseClick(window.member.clear, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.sale.session.member is None, timeout=2000)
    wedge_scan(window.cart.entry, member_id)  # the card's barcode, read by the hand scanner
    qtbot.waitUntil(lambda: window.sale.session.member_id == member_id, timeout=5000)
