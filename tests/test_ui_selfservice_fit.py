"""At 1366x768, the smallest display a kiosk is sold with, every screen of the kiosk fits: its
buttons are on the screen, not below the fold of a scroll area a shopper may not know to drag."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize

from kiosk.selfservice import codes
from tests.test_selfservice_email import CHLOE, inbox, mail_settings  # noqa: F401 (the fixture)
from tests.test_ui_selfservice_window import kiosk, short_settings  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)
from ui.selfservice.email_screen import CODE
from ui.selfservice.enrol_screen import CONSENT


def overflow(window) -> int:
    """How many pixels the screen shown is taller than its room (0: it fits)."""
    return window.scroll.verticalScrollBar().maximum()


def test_every_screen_fits_1366x768_with_the_strip_kept(qtbot, kiosk, inbox, tmp_path):  # noqa: F811
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60
    settings.selfservice.lookup_by_contact = True
    settings.selfservice.mail = mail_settings(inbox.port)
    window = kiosk(settings)
    assert window.size() == QSize(1366, 768)
    window.shopper.look_up("M100003")  # a member with rewards, for the member screen
    qtbot.waitUntil(lambda: window.shopper.member is not None, timeout=5000)
    seen = {"attract": overflow(window)}
    for name in ("member", "card", "enrol", "email"):
        window.show_screen(name)
        qtbot.wait(20)
        seen[name] = overflow(window)
    member = window.screens["member"]
    next(row for row in member.rows if row.get is not None).get.click()  # a reward's QR code
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("pass"), timeout=5000)
    seen["pass"] = overflow(window)
    window.screens["enrol"].steps.setCurrentIndex(CONSENT)
    window.show_screen("enrol")
    qtbot.wait(20)
    seen["enrol consent"] = overflow(window)
    window.screens["email"].steps.setCurrentIndex(CODE)
    window.show_screen("email")
    qtbot.wait(20)
    seen["email code"] = overflow(window)
    window.show_screen("thanks")
    qtbot.wait(20)
    seen["thanks"] = overflow(window)
    # Locked after wrong codes: the sentence and "Staff: unlock" fit too, on both screens.
    window.show_screen("email")
    email = window.screens["email"]
    window.shopper.by_email.ask(CHLOE)
    qtbot.waitUntil(lambda: bool(inbox.mails), timeout=5000)
    wrong = "000000" if inbox.code_for(CHLOE) != "000000" else "111111"
    for _ in range(codes.MAX_ATTEMPTS):
        window.shopper.by_email.enter(wrong)
        qtbot.waitUntil(lambda: not window.shopper.busy, timeout=5000)
    qtbot.waitUntil(lambda: email.unlock.isVisible(), timeout=5000)
    seen["email locked"] = overflow(window)
    window.show_screen("card")
    card = window.screens["card"]
    for n in range(settings.selfservice.max_guesses):
        window.shopper.check_card(f"GC-9999-000{n}")
        qtbot.waitUntil(lambda: not window.shopper.busy, timeout=5000)
    qtbot.waitUntil(lambda: card.unlock.isVisible(), timeout=5000)
    seen["card locked"] = overflow(window)
    assert seen == dict.fromkeys(seen, 0)


def test_at_200_percent_no_screen_is_wider_than_the_display(qtbot, kiosk, inbox, tmp_path):  # noqa: F811
    """1920x1080 at QT_SCALE_FACTOR=2 is 960x540 to the layout: screens may scroll down there,
    but nothing may be cut off at the right, where no scroll bar reaches."""
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60
    settings.selfservice.lookup_by_contact = True
    settings.selfservice.mail = mail_settings(inbox.port)
    window = kiosk(settings)
    window.resize(960, 540)
    qtbot.wait(20)
    window.shopper.look_up("M100003")
    qtbot.waitUntil(lambda: window.shopper.member is not None, timeout=5000)
    room = window.scroll.viewport().width()
    wide = {}
    for name in ("attract", "member", "card", "enrol", "email"):
        window.show_screen(name)
        qtbot.wait(20)
        screen = window.stack.currentWidget()
        steps = getattr(screen, "steps", None)
        for step in range(steps.count()) if steps is not None else [None]:
            if step is not None:
                steps.setCurrentIndex(step)
                qtbot.wait(10)
            wide[(name, step)] = max(0, screen.minimumSizeHint().width() - room)
    assert wide == dict.fromkeys(wide, 0)


def test_at_200_percent_the_member_screen_fits_with_a_whole_reward_in_view(qtbot, kiosk, tmp_path):  # noqa: F811
    """Stacked in one column at 960x540 the account left room for less than one reward, and
    the window itself scrolled; beside the rewards, Finish is on the screen and a whole reward
    with its button shows."""
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60
    window = kiosk(settings)
    window.resize(960, 540)
    window.shopper.look_up("M100003")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    member = window.screens["member"]
    qtbot.waitUntil(lambda: bool(member.rows), timeout=5000)
    qtbot.wait(20)
    assert overflow(window) == 0
    first = member.rows[0]
    top = first.mapTo(member.rewards_area.viewport(), first.rect().topLeft()).y()
    assert top >= 0 and top + first.height() <= member.rewards_area.viewport().height()
    finish = member.finish.mapTo(window, member.finish.rect().bottomRight())
    assert window.rect().contains(finish)


def test_on_a_portrait_screen_the_rewards_are_under_the_account(qtbot, kiosk, tmp_path):  # noqa: F811
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60
    window = kiosk(settings)
    window.shopper.look_up("M100003")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    member = window.screens["member"]
    qtbot.waitUntil(lambda: bool(member.rows), timeout=5000)

    def placed() -> tuple[bool, bool]:
        points = member.points.mapTo(member, member.points.rect().bottomLeft())
        rewards = member.rewards_area.mapTo(member, member.rewards_area.rect().topLeft())
        return rewards.y() > points.y(), rewards.x() > points.x() + member.points.width() // 2

    assert placed() == (False, True)  # 1366x768: beside
    window.resize(768, 1366)
    qtbot.waitUntil(lambda: placed() == (True, False), timeout=2000)  # under


@pytest.mark.parametrize("language", ["en_XA", "ar"])
@pytest.mark.parametrize("size", [(1366, 768), (960, 540)])
def test_longer_and_right_to_left_words_fit_on_every_kiosk_screen(qtbot, kiosk, inbox, tmp_path,  # noqa: F811
                                                                  language, size):
    """Every kiosk screen and step in the pseudo-language (a third longer) and in Arabic
    (mirrored), at 1366x768 and at 200 % on 1920x1080 (960x540 to the layout): no text cut,
    no control outside the window (the cashier's check, tests/screen_fit_child.py)."""
    from tests.screen_fit_child import check

    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60
    settings.selfservice.lookup_by_contact = True
    settings.selfservice.mail = mail_settings(inbox.port)
    window = kiosk(settings)
    window.resize(*size)
    window.show_screen("language")
    window.choose_language(language)
    window.shopper.look_up("M100003")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    qtbot.waitUntil(lambda: bool(window.screens["member"].rows), timeout=5000)
    found = {}

    def look(name: str) -> None:
        qtbot.wait(30)
        result = check(window)
        found[name] = result["outside"] + result["cut"]

    window.stack.setCurrentWidget(window.attract)
    look("attract")
    window.show_screen("language")
    look("language")
    for name in ("member", "card", "enrol", "email"):
        window.show_screen(name)
        screen = window.stack.currentWidget()
        steps = getattr(screen, "steps", None)
        for step in range(steps.count()) if steps is not None else [None]:
            if step is not None:
                steps.setCurrentIndex(step)
            look(f"{name} {step}" if step is not None else name)
    window.show_screen("thanks")
    look("thanks")
    assert found == dict.fromkeys(found, []), {k: v for k, v in found.items() if v}
