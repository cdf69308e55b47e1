"""What a screen reader hears: every control shown has a name and a description, read from
Qt's accessibility tree (QAccessible.queryAccessibleInterface and its children), and in the
language of the screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QPushButton, QVBoxLayout, QWidget

from tests.keyboard import Keyboard
from tests.test_selfservice_email import inbox  # noqa: F401 (the fixture)
from tests.test_ui_cashier import COFFEE, early_window, lines, screen, sign_in  # noqa: F401 (the fixtures)
from tests.test_ui_selfservice_window import kiosk, scan_member  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)
from ui.cashier.sign_in import SignInView
from ui.common import i18n as screen_i18n
from ui.common.status import StatusLine
from ui.common.tasks import Tasks
from ui.selfservice.service_screen import ServiceScreen
from ui.selfservice.keys import Keyboard as OnScreenKeyboard, Keypad

# The roles a person works (presses, types into, picks from, moves), as opposed to text and frames.
INTERACTIVE = {QAccessible.PushButton, QAccessible.CheckBox, QAccessible.RadioButton, QAccessible.ComboBox,
               QAccessible.EditableText, QAccessible.Table, QAccessible.List, QAccessible.Tree,
               QAccessible.Slider, QAccessible.ProgressBar, QAccessible.PageTabList, QAccessible.SpinBox,
               QAccessible.ButtonMenu, QAccessible.ButtonDropDown}
ITEMS = {QAccessible.Cell, QAccessible.ListItem, QAccessible.TreeItem, QAccessible.Row, QAccessible.ColumnHeader,
         QAccessible.RowHeader, QAccessible.PageTab}  # named by their own text, not by the screen


def controls(widget: QWidget) -> list[QAccessible]:
    """Every interactive, shown control under `widget`, as the accessibility tree has it."""
    found, todo = [], [QAccessible.queryAccessibleInterface(widget)]
    while todo:
        face = todo.pop()
        if face is None or not face.isValid() or face.state().invisible:
            continue
        if face.role() in ITEMS:
            continue
        if face.role() in INTERACTIVE:
            found.append(face)
        todo.extend(face.child(n) for n in range(face.childCount()))
    return found


def unnamed(widget: QWidget) -> list[str]:
    """The controls a screen reader could not name or explain, each as "role 'its text'"."""
    return [f"{face.role().name} {face.text(QAccessible.Name) or face.object().objectName()!r}"
            for face in controls(widget)
            if not face.text(QAccessible.Name).strip() or not face.text(QAccessible.Description).strip()]


def words(widget: QWidget) -> list[tuple[str, str]]:
    return [(face.text(QAccessible.Name), face.text(QAccessible.Description)) for face in controls(widget)]


@pytest.fixture
def french(qapp):
    screen_i18n.install(qapp, "fr")
    yield
    screen_i18n.install(qapp, "en")


def _shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_the_walk_catches_a_planted_button_with_no_name(qtbot):
    host = QWidget()
    layout = QVBoxLayout(host)
    named = QPushButton("A", host)
    named.setAccessibleName("Named")
    named.setAccessibleDescription("Has both")
    layout.addWidget(named)
    planted = QPushButton("", host)  # no text, no name: a screen reader says "button"
    planted.setObjectName("planted")
    layout.addWidget(planted)
    _shown(qtbot, host)
    assert len(controls(host)) == 2
    assert unnamed(host) == ["Button 'planted'"]
    planted.setAccessibleName("Now named")
    assert unnamed(host) == ["Button 'Now named'"]  # a name without a description is not enough
    planted.setAccessibleDescription("And described")
    assert unnamed(host) == []
    planted.hide()
    assert len(controls(host)) == 1  # a hidden control is not read


def _keys(qtbot):
    return [_shown(qtbot, Keypad()), _shown(qtbot, OnScreenKeyboard(accents=True))]


def test_every_key_of_the_keypad_and_keyboard_is_named_by_what_it_types_and_described(qtbot):
    pad, board = _keys(qtbot)
    assert unnamed(pad) == [] and unnamed(board) == []
    assert pad.keys["7"].accessibleName() == "7" and pad.keys["7"].accessibleDescription() == "Types 7"
    assert pad.back.accessibleName() == "Delete" and pad.clear_key.accessibleName() == "Clear"
    board.toggle_shift()
    assert board.keys["q"].accessibleName() == "Q" and board.keys["q"].accessibleDescription() == "Types Q"
    assert unnamed(board) == []


def test_the_keys_are_named_in_the_language_of_the_screen(qtbot, qapp):
    english = [words(w) for w in _keys(qtbot)]
    screen_i18n.install(qapp, "fr")
    try:
        french_keys = [words(w) for w in _keys(qtbot)]
    finally:
        screen_i18n.install(qapp, "en")
    pad_en, pad_fr = dict(english[0]), dict(french_keys[0])
    assert pad_en["Delete"] == "Delete the last digit" and pad_fr["Supprimer"] == "Effacer le dernier chiffre"
    assert ("7", "Tape 7") in french_keys[0]
    assert all(unnamed(w) == [] for w in _keys(qtbot))


def test_the_sign_in_form_is_named_and_described_in_english_and_french(qtbot, qapp, qloop):  # noqa: F811
    view = _shown(qtbot, SignInView(Tasks()))
    assert unnamed(view) == []
    english = words(view)
    screen_i18n.install(qapp, "fr")
    try:
        french_view = _shown(qtbot, SignInView(Tasks()))
        assert unnamed(french_view) == []
        assert ("Se connecter", "Vérifie votre identifiant et votre code PIN, puis ouvre la caisse") in words(french_view)
    finally:
        screen_i18n.install(qapp, "en")
    assert ("Sign in", "Checks your id and PIN, then opens the till") in english


def test_the_cashier_window_signed_in_with_a_member_and_a_sale_names_every_control(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    assert unnamed(window) == []
    window.cart.entry.setFocus()
    Keyboard(window).type(COFFEE, end="enter")
    qtbot.waitUntil(lambda: len(lines(window)) == 1, timeout=5000)
    Keyboard(window).type("M100003", end="enter")
    qtbot.waitUntil(lambda: bool(window.member.reward_buttons), timeout=5000)
    assert unnamed(window) == []
    # A reward's state is said, not only shown by the button's enabled look.
    for b in window.member.reward_buttons:
        said = b.accessibleDescription()
        assert said.startswith("Available") if b.isEnabled() else (said and not said.startswith("Available")), said
    assert any(b.isEnabled() for b in window.member.reward_buttons)


@pytest.mark.parametrize("key", [Qt.Key_F6, Qt.Key_F7, Qt.Key_F10, Qt.Key_F11, Qt.Key_F12])
def test_every_dialog_of_the_cashier_names_every_control(qtbot, screen, key):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    Keyboard(window).send([(True, key, Qt.NoModifier, ""), (False, key, Qt.NoModifier, "")])
    qtbot.waitUntil(lambda: bool(window.tools.dialogs), timeout=5000)
    dialog = window.tools.dialogs[-1]
    qtbot.waitExposed(dialog)
    assert unnamed(dialog) == []


def test_the_kiosk_attract_screen_and_a_visit_name_every_control_and_follow_the_language(qtbot, qapp, kiosk):  # noqa: F811
    window = kiosk()
    qtbot.waitExposed(window)
    assert unnamed(window) == []
    english = words(window.attract)
    screen_i18n.install(qapp, "fr")
    assert unnamed(window) == []
    french_words = words(window.attract)
    screen_i18n.install(qapp, "en")
    assert french_words != english
    scan_member(window)
    qtbot.waitUntil(lambda: "member" in window.screens and window.screens["member"].isVisible(), timeout=8000)

    assert unnamed(window) == []


def test_the_status_line_says_each_connection_state_in_words_not_only_in_colour(qtbot):
    line = StatusLine()
    qtbot.addWidget(line)
    said = {}
    for state in ("online", "degraded", "offline"):
        line.set_connectivity(state, "")
        said[state] = line.connection.text()
    assert said == {"online": "Online", "degraded": "Slow connection", "offline": "Offline"}


def test_a_shopper_with_a_keyboard_alone_tabs_to_join_and_presses_it_with_space(qtbot, kiosk):  # noqa: F811
    window = kiosk()
    qtbot.waitExposed(window)
    window.activateWindow()
    reached = []
    for _ in range(12):
        board = Keyboard(window)
        board.send([(True, Qt.Key_Tab, Qt.NoModifier, "\t"), (False, Qt.Key_Tab, Qt.NoModifier, "\t")])
        focused = QApplication.focusWidget()
        reached.append(focused)
        if focused is window.attract.join:
            break
    assert window.attract.join.hasFocus(), [w.accessibleName() for w in reached if w is not None]
    Keyboard(window).send([(True, Qt.Key_Space, Qt.NoModifier, " "), (False, Qt.Key_Space, Qt.NoModifier, " ")])
    qtbot.waitUntil(lambda: "enrol" in window.screens and window.screens["enrol"].isVisible(), timeout=5000)


def _visit(qtbot, kiosk):  # noqa: F811
    window = kiosk()
    qtbot.waitExposed(window)
    scan_member(window)
    qtbot.waitUntil(lambda: "member" in window.screens and window.screens["member"].isVisible(), timeout=8000)
    return window


def _shown_screen(qtbot, window, name: str) -> QWidget:
    window.show_screen(name)
    qtbot.waitUntil(lambda: window.screens[name].isVisible(), timeout=5000)
    return window.screens[name]


def test_the_gift_card_screen_names_every_control_and_follows_the_language(qtbot, qapp, kiosk):  # noqa: F811
    window = _visit(qtbot, kiosk)
    card = _shown_screen(qtbot, window, "card")
    assert unnamed(window) == []
    assert (card.check_button.accessibleName(), card.check_button.accessibleDescription()) == (
        "Check balance", "Shows what is left on the card whose code is typed")
    # A shopper's switch to French: the screen is built again, and a screen reader hears French.
    window.show_screen("language")
    qtbot.mouseClick(window.languages.buttons["fr"], Qt.LeftButton)
    card = window.screens["card"]
    qtbot.waitUntil(lambda: card.isVisible(), timeout=5000)
    assert unnamed(window) == []
    said = dict(words(card))
    assert said["Retour"] == "Revient à l'écran précédent" and said["Terminer"] == "Termine votre visite", said
    assert "Back" not in said and "Finish" not in said


def test_every_step_of_joining_names_every_control(qtbot, kiosk):  # noqa: F811
    from ui.selfservice.enrol_screen import CONSENT, OUTCOME

    window = _visit(qtbot, kiosk)
    enrol = _shown_screen(qtbot, window, "enrol")
    assert unnamed(window) == []
    enrol.first_name.setText("Ana")
    enrol.contact.setText("ana@example.com")
    qtbot.mouseClick(enrol.next, Qt.LeftButton)
    assert enrol.steps.currentIndex() == CONSENT
    assert unnamed(window) == []
    assert enrol.consent.accessibleName() == "Marketing consent"
    enrol.steps.setCurrentIndex(OUTCOME)  # the welcome's own buttons, whatever the backend says
    enrol.see_points.show()
    assert unnamed(window) == []


def test_a_rewards_pass_names_every_control(qtbot, kiosk):  # noqa: F811
    window = _visit(qtbot, kiosk)
    member = window.screens["member"]
    qtbot.waitUntil(lambda: any(r.get is not None for r in member.rows), timeout=5000)
    row = next(r for r in member.rows if r.get is not None)
    qtbot.mouseClick(row.get, Qt.LeftButton)
    qtbot.waitUntil(lambda: "pass" in window.screens and window.screens["pass"].isVisible(), timeout=5000)
    passed = window.screens["pass"]
    passed.print_button.show()  # shown only with a printer: read anyway
    assert unnamed(window) == []
    assert passed.back.accessibleDescription() == "Goes back to the list of your rewards"


def test_the_language_screen_names_each_language_in_itself_and_describes_it(qtbot, qapp, kiosk):  # noqa: F811
    window = kiosk()
    qtbot.waitExposed(window)
    window.show_screen("language")
    assert unnamed(window) == []
    assert window.languages.buttons["fr"].accessibleName() == "Français"
    assert window.languages.buttons["fr"].accessibleDescription() == "Shows the screens in Français"
    screen_i18n.install(qapp, "fr")
    try:
        assert unnamed(window) == []
        assert window.languages.back.accessibleDescription() == "Revient sans changer de langue"
    finally:
        screen_i18n.install(qapp, "en")


def test_the_still_there_question_and_the_manager_pin_name_every_control(qtbot, qapp, kiosk):  # noqa: F811
    window = _visit(qtbot, kiosk)
    window._idle()
    assert window.question.showing and unnamed(window) == []
    assert window.question.buttons["stay"].accessibleDescription() == "Answers the question: Still there?"
    window.question.close_overlay()
    window._staff()
    assert window.pin.showing and unnamed(window) == []
    keys = {b.accessibleName(): b for b in window.pin.box.findChildren(QPushButton)}
    assert keys["M"].accessibleDescription() == "Types M" and "OK" in keys
    screen_i18n.install(qapp, "fr")
    try:
        assert unnamed(window) == [] and window.pin.cancel.accessibleDescription() == "Ferme ceci sans se connecter"
    finally:
        screen_i18n.install(qapp, "en")


def test_find_me_by_email_names_every_control_on_both_steps(qtbot, kiosk, inbox, tmp_path):  # noqa: F811
    from tests.test_ui_selfservice_email import with_lookup
    from ui.selfservice.email_screen import CODE

    window = kiosk(with_lookup(tmp_path, inbox.port))
    qtbot.waitExposed(window)
    qtbot.mouseClick(window.attract.email, Qt.LeftButton)
    qtbot.waitUntil(lambda: "email" in window.screens and window.screens["email"].isVisible(), timeout=5000)
    found = window.screens["email"]
    assert unnamed(window) == []
    assert found.send_button.accessibleDescription() == "Sends a 6-digit code to the email typed"
    found.steps.setCurrentIndex(CODE)  # the code's step, as after a code was sent
    qtbot.waitUntil(lambda: found.code.isVisible(), timeout=5000)
    assert unnamed(window) == []


def test_a_locked_entry_s_staff_unlock_and_the_service_screen_are_named(qtbot, kiosk):  # noqa: F811
    window = _visit(qtbot, kiosk)
    card = _shown_screen(qtbot, window, "card")
    for n in range(window.settings.selfservice.max_guesses):
        window.shopper.check_card(f"GC-9999-000{n}")
        qtbot.waitUntil(lambda: not window.shopper.busy, timeout=5000)
    qtbot.waitUntil(lambda: card.unlock.isVisible(), timeout=5000)
    assert unnamed(window) == []
    assert card.unlock in [face.object() for face in controls(window)]
    service = _shown(qtbot, ServiceScreen())
    assert unnamed(service) == []  # words only, nothing to press
    service.leaving = True
    service.keys.remove()
    service.close()


def test_the_cashier_s_question_and_manager_approval_name_every_control(qtbot):
    from ui.cashier.approval import ManagerApproval
    from ui.cashier.confirm import Confirmation

    host = _shown(qtbot, QWidget())
    host.resize(800, 600)
    under = QWidget(host)
    question = Confirmation(host)
    question.show_question("Void this sale?", "Void", "Keep", under)
    assert question.isVisible() and unnamed(host) == []
    assert (question.yes.accessibleName(), question.yes.accessibleDescription()) == (
        "Yes", "Void; the Y key does the same")
    question.answer(False)
    approval = ManagerApproval(None, Tasks(), "void", requested_by="C01", details=["Sale 12: 4.50"])
    _shown(qtbot, approval)
    assert unnamed(approval) == []
    assert approval.ok.accessibleDescription() == "Checks the manager's id and PIN, then approves"
    approval.reject()


def test_the_camera_preview_is_named_and_says_its_state(qtbot):
    from ui.common.camera_preview import CameraPreview

    preview = _shown(qtbot, CameraPreview())
    face = QAccessible.queryAccessibleInterface(preview)
    assert face.text(QAccessible.Name) == "Camera preview"
    assert face.text(QAccessible.Description) == "Camera starting…"
    assert unnamed(preview) == []
