"""WCAG 2.2 contrast of both themes, read from the style sheet the app really applies, and
checked again in the pixels Qt paints (so a rule Qt ignores cannot pass on paper only)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ui.common import theme

TEXT, NON_TEXT = 4.5, 3.0  # WCAG 1.4.3 (normal text) and 1.4.11 (controls, boundaries)
HEX = r"#[0-9a-fA-F]{6}"


def luminance(hex_colour: str) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rules(sheet: str) -> list[tuple[str, dict[str, str]]]:
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)):
        decls = {}
        for decl in body.split(";"):
            if ":" in decl:
                key, value = decl.split(":", 1)
                decls[key.strip()] = value.strip()
        found.append((" ".join(selectors.split()), decls))
    return found


def pairs(name: str) -> list[tuple[str, str, str, float]]:
    """(where, foreground, background, the least ratio) for every pair the sheet sets."""
    tokens = theme.colours(name)
    surrounds = (tokens["window_bg"], tokens["kiosk_bg"])
    out = []
    for where, decls in rules(theme.style_sheet(name)):
        own_bg = decls.get("background-color")
        backgrounds = (own_bg,) if own_bg else surrounds
        if "color" in decls:
            out += [(where, decls["color"], bg, TEXT) for bg in backgrounds]
        if "selection-color" in decls:
            out.append((where + " selected", decls["selection-color"], decls["selection-background-color"], TEXT))
        border = re.search(HEX, decls.get("border", ""))
        if border:  # a boundary is seen against what is around the control, and against its own fill
            out += [(where + " border", border.group(), bg, NON_TEXT) for bg in surrounds]
    sheet_rules = dict(rules(theme.style_sheet(name)))
    trough = sheet_rules["QProgressBar"]["background-color"]
    bar = sheet_rules["QProgressBar::chunk"]["background-color"]
    label = sheet_rules["QProgressBar"]["color"]
    out += [("progress bar on trough", bar, trough, NON_TEXT), ("progress label on bar", label, bar, TEXT)]
    out += [("placeholder", tokens["placeholder"], tokens["window_bg"], TEXT),
            ("placeholder (kiosk)", tokens["placeholder"], tokens["kiosk_bg"], TEXT),
            ("camera found frame", tokens["preview_found"], tokens["preview_bg"], NON_TEXT)]
    return out


@pytest.mark.parametrize("name", theme.THEMES)
def test_every_pair_in_the_sheet_meets_wcag(name):
    checked = pairs(name)
    assert len(checked) > 40  # the parse found the sheet's rules, not an empty list
    faults = [f"{where}: {fg} on {bg} is {contrast(fg, bg):.2f}:1 < {least}"
              for where, fg, bg, least in checked if contrast(fg, bg) < least]
    assert not faults, "\n".join(faults)


@pytest.mark.parametrize("name", theme.THEMES)
def test_the_focus_ring_is_in_the_sheet_and_visible(name):
    focus = [decls for where, decls in rules(theme.style_sheet(name)) if ":focus" in where]
    assert focus and all(f"{theme.tokens()['focus_ring_px']}px solid" in d["border"] for d in focus)
    ring = theme.colours(name)["focus"]
    for bg in (theme.colours(name)["window_bg"], theme.colours(name)["kiosk_bg"]):
        assert contrast(ring, bg) >= NON_TEXT


def test_the_check_itself_catches_a_faint_pair():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") < TEXT < contrast("#595959", "#ffffff")


def test_an_unknown_theme_is_refused():
    with pytest.raises(ValueError, match="unknown theme"):
        theme.style_sheet("dark-purple")


# --- what Qt really paints ---------------------------------------------------------------

@pytest.fixture
def themed(qapp):
    palette, sheet, kind = qapp.palette(), qapp.styleSheet(), qapp.property("kioskSheet")
    qapp.setProperty("kioskSheet", "full")  # the whole sheet, whatever screen an earlier test made
    yield qapp
    qapp.setProperty("kioskSheet", kind)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


def painted_contrast(widget, inset: int = 5) -> float:
    """The widget's background (its commonest colour inside the frame) against the pixel
    that differs from it most: the core of a glyph, where antialiasing has not softened it."""
    image = widget.grab().toImage()
    colours = Counter(image.pixelColor(x, y).name()
                      for x in range(inset, image.width() - inset) for y in range(inset, image.height() - inset))
    background = colours.most_common(1)[0][0]
    return max(contrast(c, background) for c in colours)


@pytest.mark.parametrize("name", theme.THEMES)
def test_placeholder_disabled_label_and_progress_label_as_painted(themed, qtbot, name):
    from PySide6.QtWidgets import QLabel, QLineEdit, QProgressBar

    theme.apply(themed, name)
    edit = QLineEdit()
    edit.setPlaceholderText("Card number")
    label = QLabel("Not available now")
    label.setEnabled(False)
    empty, full = QProgressBar(), QProgressBar()
    for bar, value in ((empty, 0), (full, 100)):
        bar.setRange(0, 100)
        bar.setValue(value)
    for widget in (edit, label, empty, full):
        qtbot.addWidget(widget)
        widget.resize(260, 44)
        widget.show()
    qtbot.waitExposed(full)
    assert painted_contrast(edit) >= TEXT
    assert painted_contrast(label) >= TEXT
    assert painted_contrast(empty) >= TEXT  # the label on the trough
    assert painted_contrast(full) >= TEXT  # the label on the bar
    assert full.grab().toImage().pixelColor(130, 22).name() != empty.grab().toImage().pixelColor(130, 6).name()


def test_switching_changes_every_open_window(themed, qtbot):
    from PySide6.QtWidgets import QDialog

    windows = [QDialog(), QDialog()]
    for w in windows:
        qtbot.addWidget(w)
        w.resize(120, 40)
        w.show()

    def backgrounds() -> set[str]:
        return {w.grab().toImage().pixelColor(w.width() - 2, w.height() - 2).name() for w in windows}

    theme.apply(themed, "high-contrast")
    assert backgrounds() == {theme.colours("high-contrast")["window_bg"]}
    assert theme.current(themed) == "high-contrast"
    theme.apply(themed, "light")
    assert backgrounds() == {theme.colours("light")["window_bg"]}
    assert theme.current(themed) == "light"
