"""What the kiosk's screens are built from: targets a finger finds at arm's length, text read
standing up, and fields that forget what was typed in them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

from ui.common import theme
from ui.common.controls import takes_typing


def target(parent: QWidget, text: str, name: str, slot=None) -> QPushButton:
    """A primary button: KIOSK_TARGET_PX high at least, the body's type size."""
    b = QPushButton(text, parent)
    b.setAccessibleName(name)
    b.setMinimumHeight(theme.KIOSK_TARGET_PX)
    b.setMinimumWidth(theme.KIOSK_TARGET_PX * 2)
    b.setStyleSheet(f"font-size: {theme.KIOSK_BODY_PX}px; padding: 0 16px;")
    if slot is not None:
        b.clicked.connect(slot)
    return b


def text(parent: QWidget, name: str, px: int = theme.KIOSK_BODY_PX, bold: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
    label.setStyleSheet(f"font-size: {px}px;" + (" font-weight: bold;" if bold else ""))
    return label


def field(parent: QWidget, placeholder: str, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setPlaceholderText(placeholder)
    edit.setAccessibleName(name)
    edit.setMinimumHeight(theme.KIOSK_TARGET_PX)
    edit.setStyleSheet(f"font-size: {theme.KIOSK_BODY_PX}px;")
    edit.setContextMenuPolicy(Qt.NoContextMenu)  # no Copy or Paste on a shared screen
    return takes_typing(edit)


def forget(edit: QLineEdit) -> None:
    """Empty `edit` and its undo history: setText does both, where clear() is itself an edit
    that Ctrl+Z would undo, bringing the last shopper's text back."""
    edit.setText("")
