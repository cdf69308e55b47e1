"""What the kiosk's screens are built from: targets a finger finds at arm's length, text read
standing up, and fields that forget what was typed in them."""

from __future__ import annotations

import math
from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

from ui.common import theme
from ui.common.controls import takes_typing


@lru_cache(maxsize=1)
def body_px() -> int:
    """The body's type size in px: its capital I at least CAP_HEIGHT_MM high on this screen,
    from the screen's physical DPI and the font's own cap height (about 0.7 of its size)."""
    screen = QGuiApplication.primaryScreen()
    dpi = screen.physicalDotsPerInch() / screen.devicePixelRatio() if screen is not None else 96.0
    probe = QFont(QGuiApplication.font())
    probe.setPixelSize(100)
    cap_ratio = (QFontMetricsF(probe).capHeight() / 100) or 0.7
    needed = theme.CAP_HEIGHT_MM / 25.4 * dpi / cap_ratio
    return max(theme.KIOSK_BODY_PX, math.ceil(needed))


def body_style() -> str:
    return f"font-size: {body_px()}px;"


def target(parent: QWidget, text: str, name: str, slot=None) -> QPushButton:
    """A primary button: KIOSK_TARGET_PX high at least, the body's type size."""
    b = QPushButton(text, parent)
    b.setAccessibleName(name)
    b.setMinimumHeight(theme.KIOSK_TARGET_PX)
    b.setMinimumWidth(theme.KIOSK_TARGET_PX * 2)
    b.setStyleSheet(f"{body_style()} padding: 0 16px;")
    if slot is not None:
        b.clicked.connect(slot)
    return b


def text(parent: QWidget, name: str, px: int | None = None, bold: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
    label.setStyleSheet(f"font-size: {max(px or 0, body_px())}px;" + (" font-weight: bold;" if bold else ""))
    return label


def field(parent: QWidget, placeholder: str, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setPlaceholderText(placeholder)
    edit.setAccessibleName(name)
    edit.setMinimumHeight(theme.KIOSK_TARGET_PX)
    edit.setStyleSheet(body_style())
    edit.setContextMenuPolicy(Qt.NoContextMenu)  # no Copy or Paste on a shared screen
    return takes_typing(edit)


def forget(edit: QLineEdit) -> None:
    """Empty `edit` and its undo history: setText does both, where clear() is itself an edit
    that Ctrl+Z would undo, bringing the last shopper's text back."""
    edit.setText("")
