"""The kiosk's speech mode (ui/selfservice/speech.py) in the real window: held `*` or the
Read aloud button turn it on; it reads focus changes, notices and questions in the visit's
language; the keypad moves the focus, presses and goes back; the visit's end turns it off,
and the idle time is doubled while it is on. The engine's child is a recorder (what was said
is what the test looks at; tests/test_speech.py runs the real engine)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from kiosk import speech
from tests.test_ui_selfservice_window import kiosk, scan_member, short_settings  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)

NO = Qt.NoModifier


class Said:
    """The engine's launcher: records (voice, sentence) and returns a child that has finished."""

    def __init__(self):
        self.lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, argv, **_kwargs):
        with self._lock:
            self.lines.append((argv[argv.index("-v") + 1], argv[-1]))
        return _Finished()

    def text(self) -> str:
        with self._lock:
            return " | ".join(sentence for _voice, sentence in self.lines)


class _Finished:
    def poll(self):
        return 0

    def wait(self, timeout=None):
        return 0

    def kill(self):
        pass


def recording(window, installed=True) -> Said:
    said = Said()
    which = (lambda name: f"/usr/bin/{name}" if name == "espeak-ng" else None) if installed else (lambda _name: None)
    window.speech.engine.close()
    window.speech.use(speech.Speech(launch=said, which=which))
    return said


def press(window, key, text="", autorep=False):
    QTest.simulateEvent(window.windowHandle(), True, int(key), NO, text, autorep)


def release(window, key, text="", autorep=False):
    QTest.simulateEvent(window.windowHandle(), False, int(key), NO, text, autorep)


def tap(window, key, text=""):
    press(window, key, text)
    release(window, key, text)


def calm(start, tmp_path):
    """The window with an idle time no test step comes near (the fixture's is 0.6 s)."""
    settings = short_settings(tmp_path)
    settings.selfservice.idle_s = 30
    return start(settings)


def on_the_card_screen(qtbot, window):
    scan_member(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    window.screens["member"].go.emit("card")
    return window.screens["card"]


def test_holding_star_for_two_seconds_turns_speech_on_and_a_tap_still_types_a_star(qtbot, kiosk, tmp_path):  # noqa: F811
    window = calm(kiosk, tmp_path)
    said = recording(window)
    card = on_the_card_screen(qtbot, window)
    card.code.setFocus()
    tap(window, Qt.Key_Asterisk, "*")
    assert card.code.text() == "*" and not window.speech.on
    card.code.setText("")
    # Held for the real 2 s, as X delivers it: one press, autorepeat release and press pairs, the release.
    press(window, Qt.Key_Asterisk, "*")
    for _ in range(44):
        qtbot.wait(50)
        release(window, Qt.Key_Asterisk, "*", autorep=True)
        press(window, Qt.Key_Asterisk, "*", autorep=True)
    release(window, Qt.Key_Asterisk, "*")
    assert window.speech.on and card.code.text() == ""
    assert window.idle.idle_s == 2 * window.settings.selfservice.idle_s
    qtbot.waitUntil(lambda: "Speech is on." in said.text(), timeout=3000)
    assert "Check a gift card" in said.text() and "Card code" in said.text()
    assert all(voice == "en" for voice, _ in said.lines)


def test_the_button_turns_it_on_and_focus_and_notices_are_spoken_in_the_visits_language(qtbot, kiosk, tmp_path):  # noqa: F811
    window = calm(kiosk, tmp_path)
    said = recording(window)
    on_the_card_screen(qtbot, window)
    window.language.click()  # the shopper's switch, in the middle of the visit
    window.choose_language("fr")
    card = window.screens["card"]
    assert window.stack.currentWidget() is card
    assert window.speech.button.isVisible()
    window.speech.button.click()
    assert window.speech.on and window.speech.button.isChecked()
    qtbot.waitUntil(lambda: "La voix est activée." in said.text(), timeout=3000)
    card.finish.setFocus()
    # Its name, then its description (both French): Finish is described since the walk of the card screen.
    spoken = f"{card.finish.accessibleName()} {card.finish.accessibleDescription()}"
    assert spoken == "Terminer Termine votre visite"
    qtbot.waitUntil(lambda: said.lines[-1][1] == spoken, timeout=3000)
    window.say("Une phrase pour le client.")
    qtbot.waitUntil(lambda: said.lines[-1][1] == "Une phrase pour le client.", timeout=3000)
    assert {voice for voice, _ in said.lines} == {"fr"}
    window.speech.button.click()
    assert not window.speech.on
    qtbot.waitUntil(lambda: said.lines[-1][1] == "La voix est désactivée.", timeout=3000)
    assert window.idle.idle_s == window.settings.selfservice.idle_s


def test_arrows_move_the_focus_enter_presses_and_backspace_goes_back(qtbot, kiosk, tmp_path):  # noqa: F811
    window = calm(kiosk, tmp_path)
    said = recording(window)
    card = on_the_card_screen(qtbot, window)
    window.speech.button.click()
    controls = window.speech._controls()
    assert card.back in controls and card.code in controls
    assert window.speech.button in controls and window.contrast in controls
    assert not any(type(c).__name__ == "NamedKey" for c in controls)  # the keyboard's keys are not stops
    card.back.setFocus()
    tap(window, Qt.Key_Right)
    assert window.focusWidget() is controls[(controls.index(card.back) + 1) % len(controls)]
    tap(window, Qt.Key_Left)
    assert window.focusWidget() is card.back
    tap(window, Qt.Key_Up)
    tap(window, Qt.Key_Down)
    assert window.focusWidget() is card.back
    controls[-1].setFocus()
    qtbot.wait(50)  # its name is said on its own, not in one line with the next focus's
    tap(window, Qt.Key_Down)  # wraps to the first
    assert window.focusWidget() is controls[0]
    qtbot.waitUntil(lambda: said.lines[-1][1].startswith(controls[0].accessibleName()), timeout=3000)
    # Digits still type into the focused field; Backspace deletes one, then goes back.
    card.code.setFocus()
    tap(window, Qt.Key_4, "4")
    assert card.code.text() == "4"
    tap(window, Qt.Key_Backspace)
    assert card.code.text() == "" and window.stack.currentWidget() is card
    tap(window, Qt.Key_Backspace)
    assert window.stack.currentWidget() is window.screens["member"]
    qtbot.waitUntil(lambda: "Welcome back, Chloé" in said.text(), timeout=3000)  # the screen's heading
    # Enter presses the focused button: the member screen's way to the gift card screen.
    window.screens["member"].go.emit("card")
    card = window.screens["card"]
    card.finish.setFocus()
    tap(window, Qt.Key_Return, "\r")
    assert window.stack.currentWidget() is window.thanks


def test_the_idle_reset_turns_speech_off_and_the_idle_time_is_doubled_while_on(qtbot, kiosk):  # noqa: F811
    window = kiosk()
    said = recording(window)
    card = on_the_card_screen(qtbot, window)
    base = window.settings.selfservice.idle_s
    window.speech.engine.volume = 0.3
    window.speech.button.click()
    assert window.idle.idle_s == 2 * base
    qtbot.wait(round(base * 1000 * 1.5))
    assert not window.question.showing and window.stack.currentWidget() is card  # a single idle_s is not enough
    qtbot.waitUntil(lambda: window.question.key == "idle", timeout=3000)
    qtbot.waitUntil(lambda: "Still there?" in said.text(), timeout=3000)
    resets = []
    window.visit_reset.connect(lambda: resets.append(True))
    qtbot.waitUntil(lambda: bool(resets), timeout=4000)
    assert not window.speech.on and not window.speech.button.isChecked()
    assert window.idle.idle_s == base and window.speech.engine.volume == speech.DEFAULT_VOLUME
    assert not window.speech.engine.speaking()


def test_without_an_engine_the_mode_stays_off_and_a_notice_says_so(qtbot, kiosk):  # noqa: F811
    window = kiosk()
    said = recording(window, installed=False)
    on_the_card_screen(qtbot, window)
    window.speech.button.click()
    assert not window.speech.on and not window.speech.button.isChecked()
    assert window.notice.text() == speech.UNAVAILABLE and window.notice.isVisible()
    press(window, Qt.Key_Asterisk, "*")
    qtbot.wait(round(window.speech.hold_s * 1000) + 100)
    release(window, Qt.Key_Asterisk, "*")
    assert not window.speech.on and said.lines == []
