"""The screens' colours and type sizes, named once so the cashier window and the kiosk read
as one product. The values live in kiosk_resources/design/tokens.json (one file per product,
two themes); this module reads them once, keeps the old names for the code that imports them,
and builds the Qt style sheet of a theme from resources/design/theme.qss."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from string import Template

THEMES = ("light", "high-contrast")
DEFAULT = "light"


@lru_cache(maxsize=1)
def tokens() -> dict:
    """The whole token file, read once (it ships inside the package, a few hundred bytes)."""
    return json.loads(resources.files("kiosk_resources.design").joinpath("tokens.json").read_text("utf-8"))


def colours(name: str = DEFAULT) -> dict[str, str]:
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; known: {', '.join(THEMES)}")
    return dict(tokens()["themes"][name])


@lru_cache(maxsize=2)
def _template(file: str = "theme.qss") -> Template:
    return Template(resources.files("kiosk_resources.design").joinpath(file).read_text("utf-8"))


def tones_sheet(name: str = DEFAULT) -> str:
    """Only the tones (accent, error, done...): what the cashier's light look takes from the
    sheet. The whole light sheet's padding and borders would resize its controls, and its
    layout is fitted to Qt's own look (tests/test_ui_layout.py)."""
    return _template("tones.qss").substitute(colours(name))


_light = colours(DEFAULT)
OFFLINE_BG, OFFLINE_FG = _light["offline_bg"], _light["offline_fg"]  # the offline banner and status
SLOW_BG, SLOW_FG = _light["slow_bg"], _light["slow_fg"]  # a slow connection
NOTICE_BG, NOTICE_BORDER = _light["notice_bg"], _light["notice_border"]  # the notice strip
QUESTION_BG, QUESTION_BORDER = _light["question_bg"], _light["question_border"]  # a question over the screen
DEMO_BG = _light["demo_bg"]  # the demo and training strip
ERROR = _light["error"]  # a refusal inside a dialog
WARNING = _light["warning"]  # an inactive member
ACCENT = _light["accent"]  # points, quantities: what the cashier's eye should find
DONE = _light["done"]  # nothing left to pay
PREVIEW_BG, PREVIEW_TEXT, PREVIEW_FOUND = _light["preview_bg"], _light["preview_text"], _light["preview_found"]

# Type sizes in px (the cashier screen at 100 %; Qt scales them with the screen).
_type = tokens()["type_px"]
BODY_PX = _type["body"]
TITLE_PX = _type["title"]
TOTAL_PX = _type["total"]

# The self-service kiosk: shoppers with no training, at arm's length, on a touch screen.
# 44 px is the usual touch minimum; on a 22" 1080p panel that is about 11 mm, so the kiosk's
# primary targets are 64 px (about 15 mm) with 8 px between them.
KIOSK_TARGET_PX = 64
KIOSK_GAP_PX = tokens()["spacing_px"]["s"]
KIOSK_KEY_PX = 64  # a key of the on-screen keyboard and keypad, high and wide
KIOSK_BODY_PX = _type["kiosk_body"]  # the least; ui/selfservice/kit.py body_px() raises it for ADA 707.7.2
CAP_HEIGHT_MM = 4.8  # ADA 707.7.2: the uppercase "I" at least 3/16 in high
KIOSK_TITLE_PX = _type["kiosk_title"]
KIOSK_FIGURE_PX = _type["kiosk_figure"]  # the points, the balance: the one number the shopper came for
KIOSK_AVAILABLE, KIOSK_UNAVAILABLE = _light["kiosk_available"], _light["kiosk_unavailable"]  # said in words too
# A reward QR: at least this many pixels a module and this wide in all, so a till's scanner
# reads it off the screen (or a phone's photo of it) from a hand's length.
QR_MODULE_PX = 8
QR_MIN_PX = 320
KIOSK_BG, KIOSK_FG = _light["kiosk_bg"], _light["kiosk_fg"]  # dark on light: ADA 707.7.2 asks for one or the other
KIOSK_PRIMARY_BG, KIOSK_PRIMARY_FG = _light["primary_bg"], _light["primary_fg"]  # the main actions (Join, Yes)
KIOSK_SECONDARY_BG = _light["secondary_bg"]
# Offline at the kiosk is no emergency for the shopper: a calm blue, not the till's red.
KIOSK_CALM_BG, KIOSK_CALM_FG = _light["kiosk_calm_bg"], _light["kiosk_calm_fg"]
KIOSK_RING = _light["kiosk_ring"]  # the staff corner's progress ring


def style_sheet(name: str = DEFAULT, kiosk_body_px: int | None = None) -> str:
    """The theme's Qt style sheet. The kiosk's body size depends on the panel (kit.body_px()),
    so it comes in here, the one place sizes meet the sheet, rather than per widget."""
    values: dict[str, object] = dict(colours(name))
    values.update(tokens()["spacing_px"])
    values.update(tokens()["type_px"])
    values.update(focus_ring=tokens()["focus_ring_px"], kiosk_target=KIOSK_TARGET_PX, kiosk_key=KIOSK_KEY_PX)
    if kiosk_body_px is not None:
        values["kiosk_body"] = max(int(kiosk_body_px), KIOSK_BODY_PX)
    # The language button and the connection banner sit beside the notice strip, a little smaller.
    values.update(kiosk_small=round(values["kiosk_body"] * 0.7), kiosk_banner=round(values["kiosk_body"] * 0.8))
    return _template().substitute(values) + "\n" + tones_sheet(name)


def apply(app, name: str = DEFAULT, kiosk_body_px: int | None = None) -> None:
    """Switch every open window to the theme at once: the application's sheet cascades to all
    top-level widgets, and the palette carries what QSS cannot reach (placeholder text)."""
    from PySide6.QtGui import QColor, QPalette

    if kiosk_body_px is None and isinstance(app.property("kioskBodyPx"), int):
        kiosk_body_px = app.property("kioskBodyPx")  # a switch keeps the panel's size
    sheet = style_sheet(name, kiosk_body_px)  # raises on an unknown name before anything changes
    values = colours(name)
    palette = app.palette()
    if app.property("kioskSheet") == "tones" and name == DEFAULT:
        sheet = tones_sheet(name)  # the cashier's light look: Qt's own, with the tones (see tones_sheet)
        palette = app.style().standardPalette()
    else:
        # What the sheet does not reach: a widget that fills its own background (a stack, a
        # scroll area) paints the palette's window colour.
        for role, key in ((QPalette.ColorRole.Window, "window_bg"), (QPalette.ColorRole.WindowText, "text"),
                          (QPalette.ColorRole.Base, "window_bg"), (QPalette.ColorRole.Text, "text"),
                          (QPalette.ColorRole.Button, "secondary_bg"), (QPalette.ColorRole.ButtonText, "secondary_fg")):
            palette.setColor(role, QColor(values[key]))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(values["placeholder"]))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(values["selected_bg"]))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(values["selected_fg"]))
    app.setPalette(palette)
    app.setStyleSheet(sheet)
    app.setProperty("kioskTheme", name)
    if kiosk_body_px is not None:
        app.setProperty("kioskBodyPx", int(kiosk_body_px))


def ensure(app, kind: str, kiosk_body_px: int | None = None) -> None:
    """The sheet a screen needs ("tones" for the cashier, "full" for the kiosk), whoever made
    the window: ui/app.py applies the store's theme first, and then this keeps it."""
    if app.property("kioskSheet") == kind and app.property("kioskTheme") in THEMES:
        return
    app.setProperty("kioskSheet", kind)
    apply(app, current(app), kiosk_body_px)


def apply_setting(app, setting: str, kiosk_body_px: int | None = None) -> str:
    """The store's default from screen.theme, at start-up. An unknown name falls back to light
    here; the settings check (kiosk/config.py) reports it to the person who wrote it."""
    name = setting if setting in THEMES else DEFAULT
    apply(app, name, kiosk_body_px)
    app.setProperty("kioskStoreTheme", name)
    return name


def store_default(app) -> str:
    name = app.property("kioskStoreTheme")
    return name if name in THEMES else DEFAULT


def current(app) -> str:
    name = app.property("kioskTheme")
    return name if name in THEMES else DEFAULT


def colour(key: str) -> str:
    """A colour of the theme in force, for what a painter draws (the style sheet can't reach it)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return colours(current(app) if app is not None else DEFAULT)[key]


def repolish(widget) -> None:
    """A dynamic property (role, found) changed at run time: Qt only re-reads the sheet on polish."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
