"""Switching the look at run time: the cashier's key (for the running app), the
kiosk's button (for a visit, back to the store's default at the idle reset)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tests.keyboard import CTRL, NO, SHIFT, Keyboard
from tests.test_ui_cashier import early_window, screen, sign_in  # noqa: F401 (the fixtures)
from tests.test_ui_selfservice_window import kiosk, short_settings  # noqa: F401 (the fixture)
from tests.ui_env import qloop  # noqa: F401 (the fixture)
from ui.common import theme

BOTH = CTRL | SHIFT
# Ctrl+Shift+H as the X server sends it: each modifier down, the letter, then all up.
CTRL_SHIFT_H = [(True, Qt.Key_Control, CTRL, ""), (True, Qt.Key_Shift, BOTH, ""), (True, Qt.Key_H, BOTH, "\x08"),
                (False, Qt.Key_H, BOTH, "\x08"), (False, Qt.Key_Shift, CTRL, ""), (False, Qt.Key_Control, NO, "")]


@pytest.fixture(autouse=True)
def store_look(qapp):
    palette, sheet = qapp.palette(), qapp.styleSheet()
    theme.apply_setting(qapp, "light")
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    for name in ("kioskTheme", "kioskStoreTheme", "kioskBodyPx"):
        qapp.setProperty(name, None)


def fill(widget) -> str:
    return widget.grab().toImage().pixelColor(3, 3).name()


def test_the_cashier_switches_every_window_with_a_key_and_keeps_it(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    # The cashier's light look is Qt's own (its layout is fitted to it) with the theme's tones.
    qt_own = QApplication.style().standardPalette().color(QPalette.Window).name()
    assert fill(window) == qt_own
    Keyboard(window).send(CTRL_SHIFT_H)
    qtbot.waitUntil(lambda: theme.current(QApplication.instance()) == "high-contrast", timeout=2000)
    assert fill(window) == theme.colours("high-contrast")["window_bg"]
    Keyboard(window).send(CTRL_SHIFT_H)  # the same key undoes it
    assert theme.current(QApplication.instance()) == "light" and fill(window) == qt_own


def test_the_kiosk_button_lasts_a_visit_and_the_idle_reset_brings_the_store_look(qtbot, kiosk, tmp_path):  # noqa: F811
    window = kiosk(short_settings(tmp_path))
    assert window.contrast.isVisible() and window.contrast.text() == "High contrast"
    assert fill(window) == theme.colours("light")["kiosk_bg"]
    qtbot.mouseClick(window.contrast, Qt.LeftButton)
    assert theme.current(QApplication.instance()) == "high-contrast"
    assert fill(window) == theme.colours("high-contrast")["kiosk_bg"]
    resets = []
    window.visit_reset.connect(lambda: resets.append(True))
    window.reset()  # what the idle watch calls when nobody answers "Still there?"
    assert resets and not window.contrast.isChecked()
    assert theme.current(QApplication.instance()) == "light" and fill(window) == theme.colours("light")["kiosk_bg"]


def test_a_store_default_of_high_contrast_is_where_the_kiosk_goes_back(qtbot, kiosk, tmp_path, qapp):  # noqa: F811
    theme.apply_setting(qapp, "high-contrast")
    window = kiosk(short_settings(tmp_path))
    assert window.contrast.isChecked()
    qtbot.mouseClick(window.contrast, Qt.LeftButton)
    assert theme.current(qapp) == "light"
    window.reset()
    assert theme.current(qapp) == "high-contrast" and window.contrast.isChecked()


def test_an_unknown_setting_falls_back_to_light_and_the_settings_check_names_it(qapp):
    from pydantic import ValidationError

    from kiosk.config import ScreenSettings

    assert theme.apply_setting(qapp, "neon") == "light" and theme.current(qapp) == "light"
    with pytest.raises(ValidationError, match="high-contrast"):
        ScreenSettings(theme="neon")
