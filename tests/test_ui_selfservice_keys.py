"""The self-service kiosk by keys alone: a shopper with a USB keyboard, a keypad or a switch
device goes through each visit from the attract screen with Tab, Shift+Tab, Space, Enter,
digits and letters. Keys go to the window, as the platform delivers them; the tests never
pick a widget, click one or call a slot, and say at each step what has the focus and which
screen is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.keyboard import Keyboard
from tests.test_ui_selfservice_window import kiosk, short_settings  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)

TAB = [(True, Qt.Key_Tab, Qt.NoModifier, "\t"), (False, Qt.Key_Tab, Qt.NoModifier, "\t")]
BACKTAB = [(True, Qt.Key_Backtab, Qt.ShiftModifier, ""), (False, Qt.Key_Backtab, Qt.ShiftModifier, "")]
SPACE = [(True, Qt.Key_Space, Qt.NoModifier, " "), (False, Qt.Key_Space, Qt.NoModifier, " ")]
ENTER = [(True, Qt.Key_Return, Qt.NoModifier, "\r"), (False, Qt.Key_Return, Qt.NoModifier, "\r")]


def _ready(qtbot, kiosk, tmp_path):  # noqa: F811
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 60  # a person's pace between keys: no "Still there?" meanwhile
    window = kiosk(settings)
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: all(n in window.screens for n in window._offered()), timeout=5000)
    assert window.stack.currentWidget() is window.attract
    return window


def _tab_to(window, target, keys=TAB, limit=25) -> int:
    """Tab (or Shift+Tab) until `target` has the focus; how many presses it took."""
    seen = []
    for stops in range(1, limit + 1):
        Keyboard(window).send(keys)
        seen.append(window.focusWidget())
        if window.focusWidget() is target:
            assert target.isVisible() and target.hasFocus()
            return stops
    raise AssertionError(f"{target.accessibleName()!r} never had the focus: "
                         f"{[w.accessibleName() if w is not None else None for w in seen]}")


def _shows(qtbot, window, screen) -> None:
    """`screen` (or the visit's screen of that name, built again in a new language) is shown,
    and the focus is on it or on the window's own controls, never on a hidden screen."""
    if isinstance(screen, str):
        name = screen
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get(name), timeout=8000)
        screen = window.screens[name]
    qtbot.waitUntil(lambda: window.stack.currentWidget() is screen, timeout=8000)
    qtbot.waitUntil(lambda: window.focusWidget() is not None and window.focusWidget().isVisible()
                    and (window.focusWidget() is window or not window.stack.isAncestorOf(window.focusWidget())
                         or screen.isAncestorOf(window.focusWidget())), timeout=3000)


def _press(qtbot, window, keys) -> None:
    """A key a person presses, not part of a hand scanner's burst (ui/common/wedge_filter.py
    holds keys that come faster than scanner.wedge_max_gap_ms, and replays them after)."""
    qtbot.wait(80)
    Keyboard(window).send(keys)
    qtbot.wait(80)


def _to_card_screen(qtbot, window):
    _tab_to(window, window.attract.gift)
    _press(qtbot, window, SPACE)
    card = window.screens["card"]
    _shows(qtbot, window, card)
    assert window.focusWidget() is card.code  # typing goes straight into the code
    return card


def test_a_member_types_their_card_code_gets_a_reward_goes_back_and_finishes(qtbot, kiosk, tmp_path):  # noqa: F811
    window = _ready(qtbot, kiosk, tmp_path)
    card = _to_card_screen(qtbot, window)
    assert card.code.text() == ""
    Keyboard(window).type("M100003")  # the member's code, and Enter
    member = window.screens["member"]
    _shows(qtbot, window, member)
    assert member.greeting.text() == "Welcome back, Chloé" and member.points.text()
    assert window.focusWidget() is member.rewards_area  # the rewards' own box, first on the screen
    get = next(row.get for row in member.rows if row.get is not None)
    _tab_to(window, get)
    _press(qtbot, window, SPACE)
    passes = window.screens["pass"]
    _shows(qtbot, window, passes)
    assert passes.reward_pass is not None and passes.show_at_till.text() == "Show this at the till"
    assert window.focusWidget() is window.language  # the next stop after the hidden reward's button
    _tab_to(window, passes.back)
    _press(qtbot, window, SPACE)
    member = window.screens["member"]
    _shows(qtbot, window, member)
    assert member.greeting.text() == "Welcome back, Chloé"
    assert window.focusWidget() is window.language
    _tab_to(window, member.finish, BACKTAB)
    _press(qtbot, window, ENTER)  # Enter presses a button as Space does
    _shows(qtbot, window, window.thanks)
    assert window.focusWidget() is window.thanks.done
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.attract, timeout=3000)


def test_a_gift_card_balance_by_keys_then_finish(qtbot, kiosk, tmp_path):  # noqa: F811
    window = _ready(qtbot, kiosk, tmp_path)
    card = _to_card_screen(qtbot, window)
    Keyboard(window).type("GC-1000-0001")
    qtbot.waitUntil(lambda: card.balance.text().startswith("Balance: "), timeout=8000)
    assert window.stack.currentWidget() is card and card.card.text().endswith("0001") and card.code.text() == ""
    assert window.focusWidget() is card.code
    _tab_to(window, card.finish)
    _press(qtbot, window, SPACE)
    _shows(qtbot, window, window.thanks)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.attract, timeout=3000)


def test_joining_by_keys_the_fields_the_consent_and_join(qtbot, kiosk, tmp_path):  # noqa: F811
    window = _ready(qtbot, kiosk, tmp_path)
    _tab_to(window, window.attract.join)
    _press(qtbot, window, SPACE)
    enrol = window.screens["enrol"]
    _shows(qtbot, window, enrol)
    assert window.focusWidget() is enrol.first_name
    Keyboard(window).type("Ana")  # Enter: on to the next field
    assert window.focusWidget() is enrol.contact and enrol.first_name.text() == "Ana"
    Keyboard(window).type("ana.keys@example.com")
    qtbot.waitUntil(lambda: enrol.steps.currentWidget().isAncestorOf(enrol.consent), timeout=3000)
    assert window.focusWidget() is enrol.consent  # the step's one question has the focus
    assert not enrol.consent.isChecked()  # the contact's Enter went on to the step, not to the box
    _press(qtbot, window, SPACE)
    qtbot.waitUntil(enrol.consent.isChecked, timeout=2000)
    _tab_to(window, enrol.join)
    _press(qtbot, window, SPACE)
    qtbot.waitUntil(lambda: enrol.steps.currentWidget().isAncestorOf(enrol.done), timeout=10000)
    assert window.focusWidget() is window.language  # the next stop after the hidden Join
    assert enrol.member_id is not None
    _tab_to(window, enrol.done)
    _press(qtbot, window, SPACE)
    _shows(qtbot, window, window.thanks)


def test_the_visits_language_button_switches_the_language_and_comes_back(qtbot, kiosk, tmp_path):  # noqa: F811
    from kiosk import i18n

    window = _ready(qtbot, kiosk, tmp_path)
    card = _to_card_screen(qtbot, window)
    assert window.language.isVisible()
    _tab_to(window, window.language)
    _press(qtbot, window, SPACE)
    _shows(qtbot, window, window.languages)
    assert window.focusWidget() is window.speech.button  # the next stop after the hidden Language
    _tab_to(window, window.languages.buttons["es"])
    _press(qtbot, window, SPACE)
    _shows(qtbot, window, "card")
    card = window.screens["card"]
    assert i18n.language() == "es" and card.title.text() == i18n.catalogue("es").gettext("Check a gift card")
    assert window.focusWidget() is card.code  # the field again, in Spanish, ready for typing
    _tab_to(window, window.language)
    _press(qtbot, window, SPACE)
    _shows(qtbot, window, window.languages)
    _tab_to(window, window.languages.back)
    _press(qtbot, window, SPACE)
    _shows(qtbot, window, "card")
    card = window.screens["card"]
    assert i18n.language() == "es"
