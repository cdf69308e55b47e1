"""The two controls every screen is built from: a button and a text field a finger can hit."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

BUTTON_HEIGHT = 44  # px: a fingertip on a touch screen, the minimum most touch guidelines give


def button(parent: QWidget, text: str, name: str, slot=None) -> QPushButton:
    b = QPushButton(text, parent)
    b.setAccessibleName(name)
    b.setMinimumHeight(BUTTON_HEIGHT)
    if slot is not None:
        b.clicked.connect(slot)
    return b


def secret_field(parent: QWidget, placeholder: str, name: str, secret: bool = False) -> QLineEdit:
    field = QLineEdit(parent)
    field.setPlaceholderText(placeholder)
    field.setAccessibleName(name)
    field.setMinimumHeight(BUTTON_HEIGHT)
    field.setProperty("wedge", False)  # a scanner burst never goes here, and keys are never held back
    if secret:
        field.setEchoMode(QLineEdit.Password)
    return field
