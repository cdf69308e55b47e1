"""The screens in another language: the words come from the catalogue, Arabic mirrors.

Driven in the pseudo-language (every sentence from the catalogue is bracketed and
accented, kiosk/pseudo.py), so that a word that skipped the catalogue shows as plain
English, and in Arabic for the mirrored layout."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from kiosk import catalogues, i18n
from kiosk.scanner.payload import MemberRef
from tests.test_ui_cashier import add_coffee, early_window, scan, sign_in  # noqa: F401 (the fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)
from ui.common import i18n as screen_i18n


@pytest.fixture
def language(qapp, request):
    screen_i18n.install(qapp, request.param)
    yield request.param
    screen_i18n.install(qapp, "en")


@pytest.fixture
def translated_screen(language, early_window):  # noqa: F811
    window, attach = early_window
    attach()
    return window


def visible_texts(window) -> list[str]:
    """What a person reads on `window`: the layout check's own list (tests/screen_fit_child.py)."""
    from tests.screen_fit_child import shown_words

    return shown_words(window)


def english_on_the_selling_screen(qtbot, window, allowed=frozenset()) -> tuple[list[str], list[str]]:
    """Signed in, a product and a member on the sale: (every visible text, those that are an
    English source sentence, apart from `allowed`)."""
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    scan(window, MemberRef("id", "M100003"))
    qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
    qtbot.wait(200)
    sources = {m.id for m in catalogues.extract() if isinstance(m.id, str) and m.id}
    texts = visible_texts(window)
    return texts, [t for t in texts if t in sources and t not in allowed and re.search(r"[A-Za-z]{2}", t)]


@pytest.mark.parametrize("language", ["en_XA"], indirect=True)
def test_no_sentence_on_the_selling_screen_skips_the_catalogue(qtbot, translated_screen, language):
    texts, english = english_on_the_selling_screen(qtbot, translated_screen)
    assert len(texts) > 30
    assert english == [], english
    assert sum("·" in t for t in texts) > 30  # the catalogue's words are there


@pytest.mark.parametrize("language", ["ar"], indirect=True)
def test_arabic_lays_the_window_out_right_to_left(qtbot, translated_screen, language):
    window = translated_screen
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert i18n.language() == "ar"
    sign_in(qtbot, window)
    # The sale's list, on the cashier's left in English, stands on the right mirrored.
    cart = window.cart.mapTo(window, QPoint(0, 0)).x()
    tender = window.tender.mapTo(window, QPoint(0, 0)).x()
    assert cart > tender, (cart, tender)
    assert window.cart.entry.layoutDirection() == Qt.LayoutDirection.RightToLeft

def test_switching_back_to_english_restores_english_words(qapp):
    from PySide6.QtWidgets import QPushButton

    button = QPushButton()
    screen_i18n.install(qapp, "en_XA")
    try:
        assert button.tr("Cancel") != "Cancel"
    finally:
        screen_i18n.install(qapp, "en")
    assert button.tr("Cancel") == "Cancel"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_in_english_the_sale_is_on_the_left(qtbot, early_window):  # noqa: F811
    window, attach = early_window
    attach()
    sign_in(qtbot, window)
    assert window.cart.mapTo(window, QPoint(0, 0)).x() < window.tender.mapTo(window, QPoint(0, 0)).x()


@pytest.mark.parametrize("language", ["es", "fr"], indirect=True)
def test_in_spanish_and_french_no_word_on_the_selling_screen_is_english(qtbot, translated_screen, language):
    from tests.test_catalogues import SAME_IN

    texts, english = english_on_the_selling_screen(qtbot, translated_screen, SAME_IN[language])
    assert len(texts) > 30
    assert english == [], english
    assert i18n.catalogue(language).gettext("Pay") in texts
