"""The shopper's screens of the self-service kiosk against a real terminal on the sandbox,
driven by clicks on the on-screen keys and by key presses."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import zxingcpp
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk import formats
from kiosk.app.shopper import Shopper
from kiosk.app.work import Work
from kiosk.events import EventHub
from tests.checkout_env import settings_for
from tests.test_ui_cashier import start_terminal
from tests.ui_env import qloop, run  # noqa: F401 (the fixture)
from ui.common import theme
from ui.selfservice import kit
from ui.selfservice.card_screen import CardScreen
from ui.selfservice.enrol_screen import CONSENT, DETAILS, OUTCOME, EnrolScreen
from ui.selfservice.keys import Keyboard, Keypad
from ui.selfservice.member_screen import MemberScreen
from ui.selfservice.pass_screen import PassScreen, qr_image


@pytest.fixture
def visit(qtbot, qloop, sandbox, tmp_path):  # noqa: F811
    """A terminal on the sandbox, one shopper's visit, and the four screens in a shown window."""
    import qasync

    executor = qasync.QThreadExecutor(2)
    qloop.set_default_executor(executor)
    settings = settings_for(tmp_path)
    terminal = run(qtbot, qloop, start_terminal(sandbox, settings, EventHub()))
    work = Work()
    said: list[str] = []
    work.failed.connect(said.append)
    shopper = Shopper(terminal, work)
    host = QWidget()
    host.resize(1280, 1024)
    layout = QVBoxLayout(host)
    screens = {name: cls(shopper, None, settings, host) for name, cls in
               (("member", MemberScreen), ("pass", PassScreen), ("card", CardScreen), ("enrol", EnrolScreen))}
    asked: list[str] = []
    for screen in screens.values():
        layout.addWidget(screen)
        screen.hide()
        screen.go.connect(asked.append)
    host.show()
    yield shopper, screens, asked, said
    host.close()
    host.deleteLater()
    run(qtbot, qloop, work.cancel_all())
    run(qtbot, qloop, terminal.stop())
    executor.shutdown(wait=True)
    qloop.set_default_executor(None)


def only(screens, name):
    for key, screen in screens.items():
        screen.setVisible(key == name)
    return screens[name]


def buttons_of(widget: QWidget) -> list[QPushButton]:
    return [b for b in widget.findChildren(QPushButton) if b.isVisible()]


def test_the_member_screen_shows_first_name_points_tier_and_every_reward_with_its_cost_and_reason(
        qtbot, visit):
    shopper, screens, asked, _ = visit
    screen = only(screens, "member")
    shopper.look_up("M100003")
    qtbot.waitUntil(lambda: len(screen.rows) == 3, timeout=5000)
    assert asked[-1] == "member"
    assert screen.greeting.text() == "Welcome back, Chloé"
    shown = " ".join(label.text() for label in screen.findChildren(type(screen.greeting)))
    # Privacy: no surname, member id, email or phone on a shared screen.
    member = shopper.member.member
    for private in ("M100003", member.last_name, member.email, member.phone):
        if private:
            assert private not in shown
    assert screen.points.text() == "640 points" and screen.tier.text() == "Gold member"
    assert screen.progress.format() == "8,900 points to Platinum"
    assert (screen.progress.minimum(), screen.progress.maximum(), screen.progress.value()) == (0, 10000, 1100)
    assert screen.expiry.text() == "No points expire soon."
    rows = {row.title.text(): row for row in screen.rows}
    assert rows["10.00 off your purchase"].cost.text() == "250 points"
    assert rows["25.00 off your purchase"].cost.text() == "500 points"
    fifty = rows["50.00 off your purchase"]
    assert fifty.cost.text() == "1,000 points"
    assert fifty.state.text() == "Not available: needs 360 more points." and fifty.get is None
    assert rows["10.00 off your purchase"].get.text() == "Get this reward"
    assert rows["10.00 off your purchase"].state.text() == "You have enough points for this."

    # Points about to expire, and when (the sandbox's members have none: the view is edited).
    soon = dataclasses.replace(shopper.member.points, points_to_expire=120,
                               expire_date=datetime(2027, 1, 31, 12, tzinfo=timezone.utc))
    screen.show_member(dataclasses.replace(shopper.member, points=soon))
    assert screen.expiry.text() == "120 points expire on January 31, 2027: use them before then."

    qtbot.mouseClick(screen.card, Qt.LeftButton)
    qtbot.mouseClick(screen.finish, Qt.LeftButton)
    assert asked[-2:] == ["card", "thanks"]

    held = screen.rows[0]
    screen.clear()
    assert screen.view is None and screen.rows == [] and screen.greeting.text() == "" and screen.points.text() == ""
    qtbot.waitUntil(lambda: not _alive(held), timeout=2000)


def _alive(widget) -> bool:
    from shiboken6 import isValid

    return isValid(widget)


def decode(image: QImage) -> str:
    image = image.convertToFormat(QImage.Format_Grayscale8)
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())[:, :width]
    found = zxingcpp.read_barcodes(np.ascontiguousarray(pixels), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0].text


def test_a_reward_qr_is_big_enough_for_a_scanner_and_decodes_back_to_its_text():
    text = "KP1.M100003.29660.1764750000.Zr3l0bTJkQ2xS8i1vQ"
    image = qr_image(text)
    assert image.width() >= theme.QR_MIN_PX and image.width() == image.height()
    modules = memoryview(zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M"))).shape[1]
    assert image.width() // modules >= theme.QR_MODULE_PX
    assert decode(image) == text


def test_a_chosen_reward_shows_its_qr_the_till_reads_back(qtbot, visit):
    from kiosk.selfservice import passes
    from kiosk.selfservice.keys import pass_key

    shopper, screens, asked, _ = visit
    member = only(screens, "member")
    shopper.look_up("M100003")
    qtbot.waitUntil(lambda: len(member.rows) == 3, timeout=5000)
    row = next(r for r in member.rows if r.get is not None)
    qtbot.mouseClick(row.get, Qt.LeftButton)
    qtbot.waitUntil(lambda: asked[-1] == "pass", timeout=5000)
    screen = screens["pass"]
    assert screen.reward.text() == row.title.text() and screen.show_at_till.text() == "Show this at the till"
    assert decode(screen.code.pixmap().toImage()) == screen.reward_pass.text
    assert screen.reward_pass.reward_id == row.reward_id
    # What the till's scanner reads off the screen is a pass the store's key verifies.
    read = passes.read(decode(screen.code.pixmap().toImage()), pass_key(shopper.terminal.settings),
                       datetime.now(timezone.utc))
    assert (read.member_id, read.reward_id) == ("M100003", row.reward_id)
    assert not screen.print_button.isVisible()  # the test terminal has no printer
    screen.clear()
    assert screen.reward_pass is None and screen.code.pixmap().isNull()


def test_a_pass_prints_its_qr_on_the_receipt_printer(tmp_path):
    from escpos.printer import File

    from kiosk.checkout import printing

    out = tmp_path / "printer.bin"
    device = File(str(out))
    device.open()
    printing.write_reward_pass(device, "KP1.M100003.29660.sig", "10.00 off your purchase", "Use it by 14:35.",
                               "Corner Store")
    device.close()
    sent = out.read_bytes()
    # GS ( k: the printer's own QR, storing exactly the pass text, then printing it.
    assert b"\x1d(k" in sent and b"KP1.M100003.29660.sig" in sent
    assert b"Show this at the till" in sent and b"10.00 off your purchase" in sent and b"Use it by 14:35." in sent


def type_on(qtbot, keyboard: Keyboard, text: str) -> None:
    for char in text:
        if char.isalpha() and char.isupper():
            qtbot.mouseClick(keyboard.shift, Qt.LeftButton)
        key = keyboard.space if char == " " else keyboard.keys[char.lower() if char.isalpha() else char]
        qtbot.mouseClick(key, Qt.LeftButton)


def test_a_gift_card_typed_on_the_keyboard_shows_its_balance_masked(qtbot, visit):
    shopper, screens, asked, said = visit
    screen = only(screens, "card")
    screen.shown()
    type_on(qtbot, screen.keyboard, "GC-1000-0001")
    assert screen.code.text() == "GC-1000-0001"
    qtbot.mouseClick(screen.keyboard.back, Qt.LeftButton)
    type_on(qtbot, screen.keyboard, "1")
    qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)
    qtbot.waitUntil(lambda: screen.balance.text() != "", timeout=5000)
    assert screen.balance.text() == "Balance: $50.00"  # the store's currency (USD by default)
    assert screen.card.text() == "Card •••• 0001"
    assert asked[-1] == "card"
    # The code left the field once sent, undo history and all.
    assert screen.code.text() == "" and not screen.code.isUndoAvailable()
    assert "GC-1000" not in screen.card.text() + screen.balance.text()

    # A wrong code: the shopper is told why, on the window's notice strip.
    type_on(qtbot, screen.keyboard, "GC-9999-9999")
    qtbot.keyClick(screen.code, Qt.Key_Return)
    qtbot.waitUntil(lambda: any("not a card" in s for s in said), timeout=5000)
    screen.clear()
    assert screen.card.text() == screen.balance.text() == screen.code.text() == ""


def test_wrong_card_codes_lock_the_check_and_the_screen_says_until_when(qtbot, visit):
    shopper, screens, _, said = visit
    screen = only(screens, "card")
    screen.shown()
    for n in range(shopper.terminal.settings.selfservice.max_guesses):
        type_on(qtbot, screen.keyboard, f"GC-9999-000{n}")
        qtbot.keyClick(screen.code, Qt.Key_Return)
        qtbot.waitUntil(lambda: len(said) == n + 1, timeout=5000)
    assert "open again at" in screen.locked.text()
    assert not screen.code.isEnabled() and not screen.check_button.isEnabled()
    screen.clear()
    assert screen.locked.text() == "" and screen.code.isEnabled()


def test_clearing_a_field_leaves_nothing_to_undo(qtbot):
    edit = kit.field(None, "", "test")
    qtbot.keyClicks(edit, "ana@example.com")
    edit.clear()  # clear() is an edit itself: Ctrl+Z brings the text back
    assert edit.isUndoAvailable()
    kit.forget(edit)
    assert edit.text() == "" and not edit.isUndoAvailable() and not edit.isRedoAvailable()
    edit.deleteLater()


def test_enrolment_asks_who_then_consent_on_its_own_step_unticked(qtbot, visit):
    shopper, screens, asked, _ = visit
    screen = only(screens, "enrol")
    screen.shown()
    assert screen.steps.currentIndex() == DETAILS
    qtbot.mouseClick(screen.next, Qt.LeftButton)
    assert screen.steps.currentIndex() == DETAILS and "first name" in screen.problem.text()
    qtbot.mouseClick(screen.first_name, Qt.LeftButton)
    type_on(qtbot, screen.keyboard, "Ana")
    qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)  # OK moves on to the contact field
    assert screen.keyboard.field is screen.contact
    type_on(qtbot, screen.keyboard, "ana@example")
    qtbot.mouseClick(screen.next, Qt.LeftButton)
    assert screen.steps.currentIndex() == DETAILS and "email" in screen.problem.text()
    type_on(qtbot, screen.keyboard, ".com")
    qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)
    assert screen.steps.currentIndex() == CONSENT
    assert (screen.first_name.text(), screen.contact.text()) == ("Ana", "ana@example.com")
    assert not screen.consent.isChecked()
    assert screen.where.text() == "Offers would go to a•••@e•••.com."
    new = screen.new_member()
    assert (new.first_name, new.email, new.phone, new.opted_in) == ("Ana", "ana@example.com", None, False)
    qtbot.mouseClick(screen.consent, Qt.LeftButton, pos=screen.consent.rect().center())
    assert screen.consent.isChecked() and screen.new_member().opted_in
    # The words beside the box are part of it: a touch on them ticks and unticks.
    qtbot.mouseClick(screen.consent_words, Qt.LeftButton, pos=screen.consent_words.rect().center())
    assert not screen.consent.isChecked() and not screen.new_member().opted_in
    qtbot.mouseClick(screen.consent_words, Qt.LeftButton, pos=screen.consent_words.rect().center())
    assert screen.consent.isChecked()
    qtbot.mouseClick(screen.back, Qt.LeftButton)
    assert screen.steps.currentIndex() == DETAILS
    screen.clear()
    assert screen.first_name.text() == screen.contact.text() == "" and not screen.consent.isChecked()
    assert not screen.first_name.isUndoAvailable() and not screen.contact.isUndoAvailable()


def test_enrolment_sends_the_consent_as_worded_and_welcomes_the_shopper(qtbot, visit):
    from kiosk.app.enrolment import Enrolment

    shopper, screens, asked, said = visit
    enrolment = Enrolment(shopper.terminal, shopper.work)
    screen = EnrolScreen(shopper, enrolment, shopper.terminal.settings)
    screen.go.connect(asked.append)
    screen.show()
    screen.shown()
    type_on(qtbot, screen.keyboard, "Dora")
    qtbot.mouseClick(screen.contact, Qt.LeftButton)
    type_on(qtbot, screen.keyboard, "dora.new@example.com")
    qtbot.mouseClick(screen.next, Qt.LeftButton)
    consent = screen.consent_record()
    assert consent.marketing is False and consent.wording == screen.consent_words.text()
    assert consent.wording.startswith("Yes, send me offers and news from this store")
    qtbot.mouseClick(screen.join, Qt.LeftButton)
    qtbot.mouseClick(screen.join, Qt.LeftButton)  # a double tap
    qtbot.waitUntil(lambda: screen.outcome.text() != "" or bool(said), timeout=5000)
    assert said == [] and screen.steps.currentIndex() == OUTCOME
    assert screen.outcome.text() == "Welcome, Dora!" and asked[-1] == "enrol"
    assert screen.first_name.text() == screen.contact.text() == ""
    assert enrolment.outcome.member_id is not None and not enrolment.outcome.queued
    shopper.look_up("dora.new@example.com")
    qtbot.waitUntil(lambda: shopper.member is not None, timeout=5000)
    assert shopper.member.member.first_name == "Dora" and shopper.member.member.opted_in is False
    screen.deleteLater()


def test_the_keypad_and_a_usb_numeric_keypad_type_into_a_field(qtbot):
    host = QWidget()
    layout = QVBoxLayout(host)
    edit = QLineEdit(host)
    pad = Keypad(host)
    layout.addWidget(edit)
    layout.addWidget(pad)
    host.show()
    entered = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    pad.attach(edit)
    for digit in "5550001":
        qtbot.mouseClick(pad.keys[digit], Qt.LeftButton)
    assert edit.text() == "5550001"
    qtbot.mouseClick(pad.back, Qt.LeftButton)
    assert edit.text() == "555000"
    qtbot.mouseClick(pad.clear_key, Qt.LeftButton)
    assert edit.text() == ""
    # A USB numeric keypad: its keys carry the keypad modifier, and its Enter is Key_Enter.
    for digit in "42":
        QApplication.sendEvent(edit, QKeyEvent(QEvent.KeyPress, Qt.Key(ord(digit)), Qt.KeypadModifier, digit))
    QApplication.sendEvent(edit, QKeyEvent(QEvent.KeyPress, Qt.Key_Enter, Qt.KeypadModifier, "\r"))
    qtbot.mouseClick(pad.keys["7"], Qt.LeftButton)
    qtbot.mouseClick(pad.ok_key, Qt.LeftButton)
    assert entered == ["42", "427"]
    assert all(not b.hasFocus() for b in pad.findChildren(QPushButton))  # the field kept the focus
    host.close()
    host.deleteLater()


def test_every_button_and_key_is_a_64_px_target_with_8_px_gaps(qtbot, visit):
    shopper, screens, _, _ = visit
    only(screens, "member")
    shopper.look_up("M100003")
    qtbot.waitUntil(lambda: len(screens["member"].rows) == 3, timeout=5000)
    screens["pass"].print_button.show()  # shown only with a printer: measured anyway
    checked = 0
    for name in ("member", "pass", "card", "enrol"):
        screen = only(screens, name)
        if name == "enrol":
            screen.steps.setCurrentIndex(CONSENT)
            qtbot.wait(10)
            assert screen.consent.height() >= theme.KIOSK_TARGET_PX
            screen.steps.setCurrentIndex(DETAILS)
        qtbot.wait(10)
        for b in buttons_of(screen):
            assert b.height() >= theme.KIOSK_TARGET_PX, (name, b.accessibleName(), b.height())
            checked += 1
        for edit in screen.findChildren(QLineEdit):
            if edit.isVisible():
                assert edit.height() >= theme.KIOSK_TARGET_PX
        for keys in screen.findChildren(Keyboard):
            geometries = [b.geometry() for b in keys.findChildren(QPushButton)]
            for a in geometries:
                assert a.width() >= theme.KIOSK_KEY_PX and a.height() >= theme.KIOSK_KEY_PX
                for other in geometries:
                    if other is not a and a != other:
                        assert not a.adjusted(-7, -7, 7, 7).intersects(other), "keys closer than 8 px"
    assert checked >= 40
    assert not [c for c in screens["enrol"].findChildren(QCheckBox) if c.isChecked()]


def test_body_text_is_at_least_4_8_mm_high_on_this_screen(qtbot, visit):
    from PySide6.QtGui import QFontMetricsF, QGuiApplication
    from PySide6.QtWidgets import QLabel

    _, screens, _, _ = visit
    screen = only(screens, "card")
    screen.hint.ensurePolished()
    dpi = QGuiApplication.primaryScreen().physicalDotsPerInch()
    labels = [w for w in screen.findChildren(QWidget)
              if isinstance(w, (QLabel, QPushButton, QLineEdit)) and w.isVisible()]
    assert labels
    for widget in labels:
        widget.ensurePolished()
        cap_mm = QFontMetricsF(widget.font()).capHeight() / dpi * 25.4
        assert cap_mm >= theme.CAP_HEIGHT_MM, (widget.accessibleName(), round(cap_mm, 2))


def test_after_the_visit_no_screen_holds_the_member(qtbot, visit):
    import gc
    import weakref

    shopper, screens, _, _ = visit
    only(screens, "member")
    shopper.look_up("M100003")
    qtbot.waitUntil(lambda: len(screens["member"].rows) == 3, timeout=5000)
    view = weakref.ref(shopper.member)
    shopper.end()
    for screen in screens.values():
        screen.clear()
    qtbot.wait(20)  # the reward rows' deleteLater
    gc.collect()
    assert view() is None


@dataclasses.dataclass(frozen=True)
class APass:
    """A pass as Part A's RewardPass carries it: the screen reads these fields only."""
    pass_id: str
    member_id: str
    reward_id: str
    expires_at: datetime
    text: str


def test_the_pass_screen_shows_the_reward_its_qr_and_expiry_and_prints_it(qtbot, visit, tmp_path):
    shopper, screens, asked, said = visit
    only(screens, "member")
    shopper.look_up("M100003")
    qtbot.waitUntil(lambda: len(screens["member"].rows) == 3, timeout=5000)
    printer = tmp_path / "printer.bin"
    printer.touch()
    settings = shopper.terminal.settings.model_copy(
        update={"printer": shopper.terminal.settings.printer.model_copy(update={"kind": "file",
                                                                                "path": str(printer)})})
    screen = PassScreen(shopper, None, settings)
    screen.go.connect(asked.append)
    screen.resize(1280, 1024)
    screen.show()
    expires = datetime.now(timezone.utc) + timedelta(minutes=60)
    reward_pass = APass("P1", "M100003", "29660", expires, "KP1.P1.M100003.29660.signature")
    screen.show_pass(reward_pass)
    assert screen.reward.text() == "10.00 off your purchase"
    assert screen.show_at_till.text() == "Show this at the till"
    assert formats.clock(expires) in screen.expires.text()  # the store's way of writing a time
    assert decode(screen.code.pixmap().toImage()) == reward_pass.text
    assert screen.print_button.isVisible()
    qtbot.mouseClick(screen.print_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: screen.status.text().startswith("Printed"), timeout=5000)
    assert reward_pass.text.encode() in printer.read_bytes() and said == []
    qtbot.mouseClick(screen.back, Qt.LeftButton)
    assert asked[-1] == "member"
    screen.clear()
    assert screen.reward_pass is None and screen.code.pixmap().isNull() and screen.reward.text() == ""
    screen.deleteLater()


def test_an_enrolment_the_backend_is_slow_to_take_is_queued_and_the_shopper_told(qtbot, visit, sandbox):
    from kiosk.app.enrolment import Enrolment
    from tests.helpers import set_faults

    shopper, _, asked, said = visit
    enrolment = Enrolment(shopper.terminal, shopper.work, wait_s=0.5)
    screen = EnrolScreen(shopper, enrolment, shopper.terminal.settings)
    screen.go.connect(asked.append)
    screen.show()
    screen.shown()
    type_on(qtbot, screen.keyboard, "Eve")
    qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)
    type_on(qtbot, screen.keyboard, "5550123456")
    qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)
    assert screen.steps.currentIndex() == CONSENT and screen.where.text() == "Offers would go to •••• 3456."
    set_faults(sandbox, latency_ms=3000)
    try:
        qtbot.mouseClick(screen.join, Qt.LeftButton)
        qtbot.waitUntil(lambda: screen.outcome_detail.text() != "" or bool(said), timeout=8000)
    finally:
        set_faults(sandbox, latency_ms=0)
    assert said == [] and enrolment.outcome.queued
    assert screen.outcome_detail.text() == "Your card will work on your next visit."
    assert screen.outcome.text() == "Thank you, Eve: you're signed up." and not screen.see_points.isVisible()
    screen.deleteLater()


def type_accented(qtbot, keyboard: Keyboard, text: str) -> None:
    for char in text:
        if char in keyboard.accent_keys or char.lower() in keyboard.accent_keys:
            if char.isupper():
                qtbot.mouseClick(keyboard.shift, Qt.LeftButton)
            qtbot.mouseClick(keyboard.accent, Qt.LeftButton)
            qtbot.mouseClick(keyboard.accent_keys[char.lower()], Qt.LeftButton)
        else:
            type_on(qtbot, keyboard, char)


def test_accented_names_typed_on_the_accent_layer_reach_the_sandbox(qtbot, visit):
    from kiosk.app.enrolment import Enrolment

    shopper, _, asked, said = visit
    for name, contact in (("Chloé", "chloe.accent@example.com"), ("François", "francois.accent@example.com")):
        enrolment = Enrolment(shopper.terminal, shopper.work)
        screen = EnrolScreen(shopper, enrolment, shopper.terminal.settings)
        screen.show()
        screen.shown()
        type_accented(qtbot, screen.keyboard, name)
        assert screen.first_name.text() == name and not screen.keyboard.accented
        # Undo as after typing on a hardware keyboard: the typing was one edit, accents and all.
        qtbot.keyClick(screen.first_name, Qt.Key_Z, Qt.ControlModifier)
        assert screen.first_name.text() == ""
        screen.first_name.redo()
        assert screen.first_name.text() == name
        qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)
        type_on(qtbot, screen.keyboard, contact)
        qtbot.mouseClick(screen.keyboard.ok_key, Qt.LeftButton)
        qtbot.mouseClick(screen.join, Qt.LeftButton)
        qtbot.waitUntil(lambda: enrolment.outcome is not None or bool(said), timeout=5000)
        assert said == []
        shopper.look_up(contact)
        qtbot.waitUntil(lambda: shopper.member is not None and shopper.member.member.email == contact, timeout=5000)
        assert shopper.member.member.first_name == name
        screen.deleteLater()
