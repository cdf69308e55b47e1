"""The self-service kiosk's window against a real terminal on the sandbox: lockdown, the staff's
exit, scans routed to the visit, idle and the reset, the thank-you timeout, the camera coming
back, the service screen and the command line."""

from __future__ import annotations

import gc
import re
import weakref

import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from kiosk.app.exits import EXIT_OK, EXIT_RESTART
from kiosk.scanner.events import Scanned, ScannerStatus
from kiosk.scanner.payload import MemberRef
from tests.checkout_env import settings_for
from tests.test_ui_cashier import start_terminal
from tests.ui_env import qloop, run  # noqa: F401 (the fixture)
from ui.common.bridge import HubBridge
from ui.common.controls import takes_typing
from ui.common.tasks import Tasks
from ui.selfservice.attract import drift_offset
from ui.selfservice.idle import IdleWatch
from ui.selfservice.window import SelfServiceWindow


def short_settings(tmp_path, **scanner):
    settings = settings_for(tmp_path)
    # Below the settings' own minimums (10 s, 5 s, 5 s): assigned after validation, for speed.
    settings.selfservice.idle_s = 0.6
    settings.selfservice.countdown_s = 1.0
    settings.selfservice.thanks_s = 0.5
    for key, value in scanner.items():
        setattr(settings.scanner, key, value)
    return settings


@pytest.fixture
def kiosk(qtbot, qloop, sandbox, tmp_path):  # noqa: F811
    """`start(settings)`: the window shown, a terminal started on the sandbox and attached, as
    ui/selfservice/session.py does."""
    import qasync

    executor = qasync.QThreadExecutor(2)
    qloop.set_default_executor(executor)
    tasks = Tasks()
    made = []

    def start(settings=None):
        settings = settings or short_settings(tmp_path)
        window = SelfServiceWindow(tasks, settings)
        window.resize(1366, 768)
        window.show()
        terminal = run(qtbot, qloop, start_terminal(sandbox, settings, window.hub))
        bridge = HubBridge(window.hub)
        made.append((window, terminal, bridge))
        window.attach(terminal, bridge)
        window.corner.hold_s = 0.4  # the 5 s of the real corner, shortened
        return window

    yield start
    run(qtbot, qloop, tasks.cancel_all())
    for window, terminal, bridge in made:
        bridge.close()
        window.close_for_good()
        run(qtbot, qloop, terminal.stop())
    executor.shutdown(wait=True)
    qloop.set_default_executor(None)
    from ui.common import i18n as screen_languages

    screen_languages.install(QApplication.instance(), "en")  # a test that failed in another language
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []


def scan_member(window, member_id="M100003"):
    window.hub.publish(Scanned(MemberRef("id", member_id), "QRCode", "camera"))


def test_lockdown_keys_and_window_closes_are_ignored(qtbot, kiosk):
    window = kiosk()
    for key, modifiers in ((Qt.Key_F4, Qt.AltModifier), (Qt.Key_Escape, Qt.NoModifier),
                           (Qt.Key_Q, Qt.ControlModifier), (Qt.Key_W, Qt.ControlModifier),
                           (Qt.Key_F11, Qt.NoModifier)):
        QTest.keyClick(window, key, modifiers)
        QTest.keyClick(window.attract.join, key, modifiers)
    qtbot.wait(50)
    assert window.isVisible() and window.lockdown.swallowed == 10
    assert window.windowFlags() & Qt.FramelessWindowHint
    assert window.close() is False  # a window manager's close: refused
    assert window.isVisible()
    # A plain letter is no lockdown key: it reaches the widgets.
    field = takes_typing(QLineEdit(window))  # not held back as a hand scanner's burst might be
    field.show()
    field.setFocus()
    QTest.keyClick(field, Qt.Key_A)
    assert field.text() == "a" and window.lockdown.swallowed == 10


def test_the_staff_exit_needs_a_long_press_and_a_manager(qtbot, kiosk):
    window = kiosk()
    exits = []
    window.exit_requested.connect(exits.append)
    # A tap in the corner is nothing: the ring shows while held, and nothing opens.
    QTest.mousePress(window.corner, Qt.LeftButton)
    qtbot.wait(100)
    assert 0 < window.corner.progress < 1
    QTest.mouseRelease(window.corner, Qt.LeftButton)
    qtbot.wait(500)
    assert not window.pin.showing and window.corner.progress == 0
    QTest.mousePress(window.corner, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.pin.showing, timeout=3000)
    QTest.mouseRelease(window.corner, Qt.LeftButton)
    # The cashier's id and PIN are right, but a cashier can't close the kiosk.
    QTest.keyClicks(window.pin.staff_id, "C01")
    QTest.keyClicks(window.pin.pin, "1111")
    QTest.keyClick(window.pin.pin, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.pin.message.text() == "Only a manager can close the kiosk.", timeout=5000)
    assert exits == [] and window.pin.showing and window.pin.pin.text() == ""
    # The manager, typed on the overlay's own keypad.
    window.pin.staff_id.setFocus()
    keys = {b.accessibleName(): b for b in window.pin.box.findChildren(QPushButton)}
    window.pin.staff_id.setText("")
    for char in "M01":
        keys[char].click()
    window.pin.pin.setFocus()
    for char in "2580":
        keys[char].click()
    assert window.pin.staff_id.text() == "M01" and window.pin.pin.text() == "2580"
    keys["OK"].click()
    qtbot.waitUntil(lambda: exits == [EXIT_OK], timeout=5000)
    assert not window.pin.showing and EXIT_RESTART == 75


def test_a_member_scan_goes_to_the_visit_and_idle_resets_it_whole(qtbot, kiosk):
    window = kiosk()
    assert window.stack.currentWidget() is window.attract
    scan_member(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    screen = window.screens["member"]
    assert screen.greeting.text() == "Welcome back, Chloé" and screen.view is window.shopper.member
    member = weakref.ref(window.shopper.member)
    shopper = weakref.ref(window.shopper)
    # The shopper goes on to a gift card, types and copies; the undo history holds what they typed.
    screen.go.emit("card")
    screen = window.screens["card"]
    assert window.stack.currentWidget() is screen
    field = screen.code
    QTest.keyClicks(field, "GC-1000-0002")
    field.selectAll()
    field.copy()
    assert QApplication.clipboard().text() == "GC-1000-0002" and field.isUndoAvailable()
    # Idle: "Still there?" with its countdown; "Yes, I'm here" keeps the visit.
    qtbot.waitUntil(lambda: window.question.key == "idle", timeout=3000)
    assert window.question.countdown.isVisible() and window.question.countdown.text() == "1 s"
    window.question.buttons["stay"].click()
    assert window.stack.currentWidget() is screen and window.shopper is shopper()
    # Idle again, and nobody answers: the visit goes, whole.
    resets = []
    window.visit_reset.connect(lambda: resets.append(True))
    qtbot.waitUntil(lambda: window.question.key == "idle", timeout=3000)
    qtbot.waitUntil(lambda: bool(resets), timeout=3000)
    assert window.stack.currentWidget() is window.attract and not window.question.showing
    assert QApplication.clipboard().text() == ""
    assert not shiboken6.isValid(field) or (field.text() == "" and not field.isUndoAvailable())
    qtbot.wait(50)  # deleteLater runs
    assert not shiboken6.isValid(field)
    del screen
    gc.collect()
    assert member() is None and shopper() is None
    # The next visit has its own Shopper and its own screens.
    assert window.shopper is not None and window.shopper.member is None


def test_the_thank_you_screen_goes_back_to_the_attract_screen(qtbot, kiosk):
    window = kiosk()
    scan_member(window, "M100002")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    window.screens["member"].go.emit("thanks")
    assert window.stack.currentWidget() is window.thanks
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.attract, timeout=2000)
    assert window.screens == {} or window.shopper.member is None


def test_idle_waits_while_the_visit_is_busy_but_not_beyond_the_limit(qtbot, qapp):
    busy = [True]
    watch = IdleWatch(0.1, lambda: busy[0], busy_limit_s=0.6)
    fired = []
    watch.idle.connect(lambda: fired.append(True))
    field = takes_typing(QLineEdit())
    field.show()
    try:
        watch.arm()
        qtbot.wait(400)
        assert fired == []  # busy: waiting
        qtbot.waitUntil(lambda: bool(fired), timeout=2000)  # busy too long: idle all the same
        busy[0] = False
        watch.arm()
        for _ in range(6):  # a key every 50 ms: never idle meanwhile
            qtbot.wait(50)
            QTest.keyClick(field, Qt.Key_A)
        assert len(fired) == 1
        qtbot.waitUntil(lambda: len(fired) == 2, timeout=2000)
    finally:
        watch.close()
        field.close()


def test_no_cashier_action_is_reachable_from_the_kiosk(qtbot, kiosk):
    window = kiosk()
    ours = [type(o).__module__ for o in window.findChildren(QObject)]
    assert not [m for m in ours if m.startswith("ui.cashier")]
    texts = {b.text() for b in window.findChildren(QPushButton) if b.isVisible()}
    assert texts == {"Join", "Check a gift card", "Language · Idioma · Langue · اللغة", "Read aloud", "High contrast"}
    assert window.terminal.camera is not None  # the kiosk's camera is on from the start, as set up


def test_the_offline_banner_says_what_works_now(qtbot, kiosk):
    window = kiosk()
    window.set_connectivity("offline")
    assert window.banner.isVisible() and "You can still join" in window.banner.text()
    window.set_connectivity("online")
    assert not window.banner.isVisible()


def test_the_camera_comes_back_by_itself_and_its_scans_reach_the_visit(qtbot, kiosk,
                                                                       tmp_path):
    """The scanner layer reconnects an unplugged camera (kiosk/scanner/sources.py, every 2 s): a
    camera missing when the kiosk starts ("plugged in" later) is read once it is there."""
    import cv2
    import numpy as np

    from tests import scanner_images

    made = tmp_path / "made.avi"
    card = scanner_images.make_sample("QRCode", "M100002", "perspective", np.random.default_rng(11)).frame
    writer = cv2.VideoWriter(str(made), cv2.VideoWriter_fourcc(*"MJPG"), 15,
                             (scanner_images.WIDTH, scanner_images.HEIGHT), False)
    for _ in range(20):
        writer.write(card)
    writer.release()
    camera = tmp_path / "camera.avi"
    window = kiosk(short_settings(tmp_path, camera=str(camera)))
    states = []
    window.bridge_states = window.hub.subscribe(ScannerStatus, states.append)
    qtbot.waitUntil(lambda: window.terminal.camera is not None, timeout=2000)
    qtbot.waitUntil(lambda: any(s.state in ("unavailable", "reconnecting") for s in states), timeout=5000)
    assert window.stack.currentWidget() is window.attract
    made.rename(camera)  # plugged in
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=15000)
    assert window.shopper.greeting == "Welcome back, Ben"


def test_attract_helpers():
    path = [drift_offset(step) for step in range(64)]
    assert path[0] == (0, 0) and drift_offset(64) == (0, 0)
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in zip(path, path[1:] + path[:1]))
    assert max(max(p) for p in path) == 16


def test_the_service_screen_says_out_of_order_and_ignores_keys_and_closes(qtbot, qapp):
    from PySide6.QtWidgets import QLabel

    from ui.selfservice.service_screen import ServiceScreen

    screen = ServiceScreen()
    screen.show()
    try:
        QTest.keyClick(screen, Qt.Key_Escape)
        QTest.keyClick(screen, Qt.Key_F4, Qt.AltModifier)
        assert screen.close() is False and screen.isVisible() and screen.keys.swallowed == 2
        assert "out of order" in " ".join(label.text() for label in screen.findChildren(QLabel))
    finally:
        screen.leaving = True
        screen.keys.remove()
        screen.close()


def test_the_command_line_takes_the_window_flags():
    from kiosk.cli import take_window_flags
    from ui import app

    assert take_window_flags(["--mode", "selfservice"]) == ([], "selfservice", False)
    assert take_window_flags(["--mode=cashier", "gui"]) == (["gui"], "cashier", False)
    assert take_window_flags(["--service-screen"]) == ([], None, True)
    assert app.main(["--mode", "till"]) == 2


def test_a_manager_pin_on_the_card_screen_lifts_the_lock_and_the_audit_names_the_manager(qtbot, kiosk):
    from kiosk.selfservice import lockout

    window = kiosk()
    window.show_screen("card")
    card = window.screens["card"]
    keys = card.keyboard.keys
    for n in range(window.settings.selfservice.max_guesses):
        for char in f"gc-9999-000{n}":
            qtbot.mouseClick(keys[char], Qt.LeftButton)
        qtbot.mouseClick(card.keyboard.ok_key, Qt.LeftButton)
        qtbot.waitUntil(lambda: not window.shopper.busy, timeout=5000)
    qtbot.waitUntil(lambda: "open again at" in card.locked.text(), timeout=5000)
    assert not card.code.isEnabled() and card.unlock.isVisible()
    qtbot.mouseClick(card.unlock, Qt.LeftButton)
    assert window.pin.showing and window.pin.purpose == lockout.GIFT_CARD
    pad = {b.accessibleName(): b for b in window.pin.box.findChildren(QPushButton)}

    def sign(staff_id, pin):
        window.pin.staff_id.setFocus()
        for char in staff_id:
            pad[char].click()
        window.pin.pin.setFocus()
        for char in pin:
            pad[char].click()
        pad["OK"].click()

    sign("M01", "1111")  # a wrong PIN
    qtbot.waitUntil(lambda: "don't match" in window.pin.message.text(), timeout=5000)
    assert window.pin.showing and not card.code.isEnabled()
    assert window.shopper.lockouts.locked_until(lockout.GIFT_CARD) is not None
    window.pin.staff_id.setText("")
    sign("M01", "2580")
    qtbot.waitUntil(lambda: card.code.isEnabled(), timeout=5000)
    assert not window.pin.showing and not card.unlock.isVisible() and card.locked.text() == ""
    lifted, = window.terminal.till.audit.entries(action="entry_unlocked")
    assert lifted.operator_id == "M01" and lifted.subject == f"entry {lockout.GIFT_CARD}"
    fresh = lockout.Lockouts(window.terminal.till.db)
    assert fresh.locked_until(lockout.GIFT_CARD) is None


def test_cancelling_the_manager_pin_leaves_the_lock_and_writes_no_unlock(qtbot, kiosk):
    from kiosk.selfservice import lockout

    window = kiosk()
    window.show_screen("card")
    card = window.screens["card"]
    for n in range(window.settings.selfservice.max_guesses):
        window.shopper.check_card(f"GC-9999-000{n}")
        qtbot.waitUntil(lambda: not window.shopper.busy, timeout=5000)
    qtbot.waitUntil(lambda: card.unlock.isVisible(), timeout=5000)
    assert "open again at" in card.locked.text() and window.notice.text() != card.locked.text()  # said once
    qtbot.mouseClick(card.unlock, Qt.LeftButton)
    assert window.pin.showing
    window.pin.staff_id.setText("M01")  # started, then thought better of
    qtbot.mouseClick(window.pin.cancel, Qt.LeftButton)
    assert not window.pin.showing and window.pin.staff_id.text() == ""
    assert card.unlock.isVisible() and not card.code.isEnabled() and "open again at" in card.locked.text()
    assert window.shopper.lockouts.locked_until(lockout.GIFT_CARD) is not None
    assert window.terminal.till.audit.entries(action="entry_unlocked") == []
    assert window.stack.currentWidget() is card  # the shopper's screen stays as it was


def test_a_shopper_chooses_a_language_for_the_visit_and_the_next_visit_has_the_stores(qtbot, kiosk):
    from kiosk import i18n

    window = kiosk()
    attract = window.attract
    assert attract.language.isVisible()
    qtbot.mouseClick(attract.language, Qt.LeftButton)
    assert window.stack.currentWidget() is window.languages
    assert {b.text() for b in window.languages.buttons.values()} == {"English", "Español", "Français", "العربية"}
    qtbot.mouseClick(window.languages.buttons["es"], Qt.LeftButton)
    spanish = i18n.catalogue("es")
    assert window.stack.currentWidget() is attract
    assert attract.scan.text() == spanish.gettext("Scan your card") != "Scan your card"
    assert attract.join.text() == spanish.gettext("Join") and window.windowTitle() == "Kiosk"
    # The visit's screens are built again in Spanish, and the core speaks it too.
    scan_member(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    member = window.screens["member"]
    assert member.greeting.text() == spanish.gettext("Welcome back, {0}").format("Chloé") != "Welcome back, Chloé"
    shown = {w.text() for w in member.findChildren(QPushButton) if w.isVisible()}
    assert spanish.gettext("Finish") in shown and "Finish" not in shown
    # From the member screen, in the middle of the visit: the member stays shown, now in French.
    assert window.language.isVisible() and not attract.language.isVisible()
    qtbot.mouseClick(window.language, Qt.LeftButton)
    assert window.stack.currentWidget() is window.languages and not window.language.isVisible()
    qtbot.mouseClick(window.languages.buttons["fr"], Qt.LeftButton)
    french = i18n.catalogue("fr")
    member = window.screens["member"]
    assert window.stack.currentWidget() is member and member.view is window.shopper.member
    assert member.greeting.text() == french.gettext("Welcome back, {0}").format("Chloé")
    assert any(b.text() == french.gettext("Finish") for b in member.findChildren(QPushButton) if b.isVisible())
    # Half-way through joining: what was typed stays, the screen speaks Arabic and mirrors.
    member.go.emit("enrol")
    enrol = window.screens["enrol"]
    QTest.keyClicks(enrol.first_name, "Ana")
    window.show_screen("language")
    qtbot.mouseClick(window.languages.buttons["ar"], Qt.LeftButton)
    enrol = window.screens["enrol"]
    assert window.stack.currentWidget() is enrol and enrol.first_name.text() == "Ana"
    assert QApplication.layoutDirection() == Qt.RightToLeft and window.layoutDirection() == Qt.RightToLeft
    assert enrol.next.text() == i18n.catalogue("ar").gettext("Next")
    assert attract.scan.text() == i18n.catalogue("ar").gettext("Scan your card")
    # The visit's end brings back the store's English, left to right, for the next shopper.
    window.reset()
    assert i18n.language() == "en" and QApplication.layoutDirection() == Qt.LeftToRight
    assert attract.scan.text() == "Scan your card" and attract.join.text() == "Join"
    qtbot.waitUntil(lambda: "enrol" in window.screens, timeout=5000)
    enrol = window.screens["enrol"]
    assert enrol.next.text() == "Next" and enrol.first_name.text() == ""


def test_back_on_the_language_screen_keeps_the_language(qtbot, kiosk):
    window = kiosk()
    window.show_screen("language")
    qtbot.mouseClick(window.languages.back, Qt.LeftButton)
    assert window.stack.currentWidget() is window.attract and window.attract.scan.text() == "Scan your card"


def test_in_spanish_no_word_on_any_kiosk_screen_is_english(qtbot, kiosk):
    from kiosk import catalogues
    from tests.test_catalogues import SAME_IN
    from tests.test_ui_languages import visible_texts

    window = kiosk()
    sources = {m.id for m in catalogues.extract() if isinstance(m.id, str) and m.id}
    window.show_screen("language")
    qtbot.mouseClick(window.languages.buttons["es"], Qt.LeftButton)
    seen = {}
    seen["attract"] = visible_texts(window)
    window.show_screen("language")
    seen["language"] = visible_texts(window)
    window.show_screen("attract")
    scan_member(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.screens.get("member"), timeout=5000)
    for name in ("member", "card", "enrol", "thanks"):
        window.show_screen(name)
        qtbot.wait(20)
        seen[name] = visible_texts(window)
    english = {name: [t for t in texts if t in sources and t not in SAME_IN["es"] and re.search(r"[A-Za-z]{2}", t)]
               for name, texts in seen.items()}
    assert all(seen.values()) and english == {name: [] for name in seen}, english
