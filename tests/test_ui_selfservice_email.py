"""Find me by email on the kiosk's screen, touched as a shopper does: the keys of the on-screen
keyboard and keypad clicked, the code read from the mail a real SMTP server on loopback got, the
member shown against the sandbox; off unless the store turns it on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from tests.test_selfservice_email import CHLOE, inbox, mail_settings  # noqa: F401 (the fixture)
from tests.test_ui_selfservice_window import kiosk, short_settings  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)


def with_lookup(tmp_path, port):
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60  # nobody walks away in these tests
    settings.selfservice.lookup_by_contact = True
    settings.selfservice.mail = mail_settings(port)
    return settings


def touch(button) -> None:
    QTest.mouseClick(button, Qt.LeftButton)


def type_on(keyboard, text: str) -> None:
    for char in text:
        if char.isupper():
            touch(keyboard.shift)
        touch(keyboard.keys[char.lower()])


def test_off_by_default_no_button_and_no_way_in(qtbot, kiosk):  # noqa: F811
    window = kiosk()
    assert not window.attract.email.isVisible() and window.codes is None
    window.show_screen("email")
    assert window.stack.currentWidget() is window.attract and "email" not in window.screens


def test_a_member_without_a_card_finds_themselves_by_the_code_mailed_to_them(qtbot, kiosk, inbox, tmp_path):  # noqa: F811
    window = kiosk(with_lookup(tmp_path, inbox.port))
    assert window.attract.email.isVisible()
    touch(window.attract.email)
    qtbot.waitUntil(lambda: "email" in window.screens and window.stack.currentWidget() is window.screens["email"])
    screen = window.screens["email"]
    type_on(screen.keyboard, CHLOE)
    assert screen.email.text() == CHLOE
    touch(screen.send_button)
    qtbot.waitUntil(lambda: screen.steps.currentIndex() == 1 and bool(inbox.mails), timeout=5000)
    assert screen.sent_to.text().startswith("If c•••@e•••.com belongs to a member, we've sent a code to it.")
    assert CHLOE not in screen.sent_to.text()
    code = inbox.code_for(CHLOE)
    for digit in code:
        touch(screen.keypad.keys[digit])
    assert screen.code.echoMode() == QLineEdit.EchoMode.Password  # others may be looking
    assert screen.code.displayText() != code and screen.code.text() == code
    touch(screen.show_code)
    assert screen.code.displayText() == code
    touch(screen.keypad.ok_key)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    assert window.shopper.member.member_id == "M100003"
    assert screen.code.text() == ""  # it left the screen when it was sent

    window.reset()
    assert window.shopper.by_email.email is None
    assert all(f.text() == "" for f in window.findChildren(QLineEdit))


def test_a_wrong_code_says_so_and_an_unknown_address_reads_the_same(qtbot, kiosk, inbox, tmp_path):  # noqa: F811
    window = kiosk(with_lookup(tmp_path, inbox.port))
    touch(window.attract.email)
    qtbot.waitUntil(lambda: "email" in window.screens and window.stack.currentWidget() is window.screens["email"])
    screen = window.screens["email"]
    type_on(screen.keyboard, "cindy.marsh@example.com")
    touch(screen.keyboard.ok_key)  # OK on the keyboard sends, as the button does
    qtbot.waitUntil(lambda: screen.steps.currentIndex() == 1, timeout=5000)
    unknown = screen.sent_to.text()
    for digit in "123456":
        touch(screen.keypad.keys[digit])
    touch(screen.keypad.ok_key)
    qtbot.waitUntil(lambda: "isn't right" in window.notice.text(), timeout=5000)
    assert window.stack.currentWidget() is screen and inbox.mails == []

    touch(screen.other)
    assert screen.steps.currentIndex() == 0
    screen.email.setText("")
    type_on(screen.keyboard, CHLOE)
    touch(screen.send_button)
    qtbot.waitUntil(lambda: bool(inbox.mails), timeout=5000)
    assert screen.sent_to.text() == unknown  # a member's address and a stranger's read alike
