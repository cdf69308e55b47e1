"""The selling screen where the cashier's finger is: nothing moves under it, and at the
store's screen sizes nothing is off-screen or cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QLineEdit

from kiosk.outbox import events as ev
from tests.test_ui_cashier import add_coffee, early_window, screen, sign_in  # noqa: F401 (the fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[1]


def _geometry(window) -> dict:
    controls = [w for w in window.work.findChildren(QAbstractButton) + window.work.findChildren(QLineEdit)
                if w.isVisible()]
    return {f"{type(w).__name__}:{w.accessibleName()}:{n}": (w.mapTo(window, QPoint(0, 0)), w.size())
            for n, w in enumerate(controls)}


def test_notices_banners_and_sentences_never_move_a_control(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    add_coffee(qtbot, window)
    qtbot.waitUntil(lambda: not window.notices.showing, timeout=8000)
    before = _geometry(window)
    assert len(before) > 20
    window.notices.show_notice("Removed House Blend Coffee Beans 250 g.", ("Undo", lambda: None))
    window.notices.show_notice("A sentence long enough to need two lines in the strip at the top of the "
                               "screen, and then some more words so that it would need a third line too.")
    window.hub.publish(ev.ConnectivityChanged(ev.OFFLINE, "test"))
    qtbot.waitUntil(lambda: window.offline.isVisible(), timeout=3000)
    window.tender.outcome.setText("Paying… please wait: the cards and rewards are being confirmed.")
    window.member.offline.setText("Offline: member M100003 is on the sale and earns the points later.")
    window.member.offline.show()
    assert _geometry(window) == before
    window.notices.clear()
    window.hub.publish(ev.ConnectivityChanged(ev.ONLINE, ""))
    qtbot.waitUntil(lambda: not window.offline.isVisible(), timeout=3000)
    window.tender.outcome.clear()
    window.member.offline.hide()
    assert _geometry(window) == before


def _fit(tmp_path, width: int, height: int, scale: int, language: str = "en") -> dict:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "till", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR=str(scale),
               KIOSK_SETTINGS=str(tmp_path / "settings.toml"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), KIOSK_SCANNER__CAMERA="", KIOSK_SCREEN__LANGUAGE=language)
    proc = subprocess.run([sys.executable, "-m", "tests.screen_fit_child"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("FIT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][4:])


@pytest.mark.parametrize("width, height, scale, scrolls", [(1366, 768, 1, False), (1920, 1080, 1, False),
                                                           (1920, 1080, 2, False), (1366, 768, 2, True)])
def test_the_maximised_window_fits_the_screen(tmp_path, width, height, scale, scrolls):
    """Opened maximised on a screen of that size (never resized by the test), with a sale, a
    member, her rewards, a gift card and a notice showing. At 200 % on 1366x768 (683x384 to
    Qt) the selling screen scrolls; every control can still be brought into view."""
    fit = _fit(tmp_path, width, height, scale)
    assert "error" not in fit, fit
    assert fit["maximised"] and fit["screen"] == [width // scale, height // scale]
    assert fit["outside"] == [] and fit["cut"] == []
    assert fit["scrolls"] is scrolls


def test_in_spanish_no_word_on_the_till_or_its_dialogs_is_english(tmp_path):
    """The tour in Spanish: the selling screen, the receipt and every tool's dialog; a word
    that skipped the catalogue shows as its English source."""
    import re

    from kiosk import catalogues
    from tests.test_catalogues import SAME_IN

    fit = _fit(tmp_path, 1366, 768, 1, "es")
    assert "error" not in fit, fit
    sources = {m.id for m in catalogues.extract() if isinstance(m.id, str) and m.id}
    sources |= {line for source in set(sources) for line in source.split("\n")}  # a button's two lines
    english = [w for w in fit["words"] if w in sources and w not in SAME_IN["es"] and re.search(r"[A-Za-z]{2}", w)]
    assert len(fit["words"]) > 60 and english == [], english
    from kiosk import i18n

    spanish = i18n.catalogue("es")
    assert {spanish.gettext("Pay"), spanish.gettext("Return items"), spanish.gettext("Enrol a member")} <= set(fit["words"])
    assert fit["outside"] == [] and fit["cut"] == [] and fit["dialogs"] == {}, fit


@pytest.mark.parametrize("language", ["en_XA", "ar"])
@pytest.mark.parametrize("width, height, scale", [(1366, 768, 1), (1920, 1080, 2)])
def test_longer_and_right_to_left_words_fit_too(tmp_path, width, height, scale, language):
    """The same tour in the pseudo-language (every sentence a third longer) and in Arabic
    (mirrored), with the receipt and every dialog: nothing cut, nothing outside the window."""
    fit = _fit(tmp_path, width, height, scale, language)
    assert "error" not in fit, fit
    assert fit["outside"] == [] and fit["cut"] == [], fit
    assert fit["language"] == language and fit["right_to_left"] is (language == "ar")
    # The receipt and every tool's dialog, opened as the cashier opens them.
    assert fit["dialogs_seen"] == ["allowance", "enrol", "find member", "queue", "receipt", "returns"]
    assert fit["dialogs"] == {}, fit["dialogs"]
