"""A member's card scanned into the card screen's field: a hand scanner types into the
field that has the keyboard, so the member card arrives there as typed text and Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.test_ui_selfservice_screens import only, visit  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)


def test_a_member_card_scanned_at_the_card_screen_shows_the_member_and_never_locks_the_check(
        qtbot, visit):  # noqa: F811
    shopper, screens, _, said = visit
    screen = only(screens, "card")
    screen.shown()
    shown = []
    shopper.shown.connect(shown.append)
    for n in range(shopper.terminal.settings.selfservice.max_guesses + 1):
        qtbot.keyClicks(screen.code, "M100003")
        qtbot.keyClick(screen.code, Qt.Key_Return)
        qtbot.waitUntil(lambda: len(shown) == n + 1, timeout=5000)
    assert shown[-1].member.first_name == "Chloé" and shopper.member is shown[-1]
    assert not any("not a card" in s for s in said), said
    # Not one of them counted as a wrong gift-card code: the check is still open.
    assert screen.code.isEnabled() and screen.locked.text() == ""
    assert screen.code.text() == ""  # the code left the field, as a card's code does

    qtbot.keyClicks(screen.code, "GC-1000-0001")  # a gift card is still checked here
    qtbot.keyClick(screen.code, Qt.Key_Return)
    qtbot.waitUntil(lambda: screen.balance.text() != "", timeout=5000)
    assert screen.balance.text() == "Balance: $50.00"
