"""What the cashier screen's dialogs share: touch-size controls, a line for sentences,
running work through `Tasks` with its failure shown inside the dialog, and the keys.

A dialog never shows a traceback: ui.common.tasks.sentence turns an exception into what
the cashier reads (the core's own errors carry it; anything else is logged with its
traceback and told as the short "something went wrong" sentence).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from kiosk.checkout.operators import Approval
from ui.common.tasks import Tasks, sentence
from ui.common.controls import BUTTON_HEIGHT

# approve(action, subject, details=lines the manager reads) -> the Approval, or None when cancelled
Approve = Callable[..., Awaitable[Approval | None]]



def touch_button(text: str, accessible: str | None = None, parent: QWidget | None = None) -> QPushButton:
    button = QPushButton(text, parent)
    button.setMinimumHeight(BUTTON_HEIGHT)
    button.setMinimumWidth(BUTTON_HEIGHT)
    button.setAutoDefault(False)
    button.setDefault(False)
    button.setAccessibleName(accessible or text)
    return button


def message_label(accessible: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setAccessibleName(accessible)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def big(label: QLabel, points: int = 22) -> QLabel:
    font = QFont(label.font())
    font.setPointSize(points)
    font.setBold(True)
    label.setFont(font)
    return label


class CashierDialog(QDialog):
    """Non-modal; Enter confirms (or presses the focused button), Esc closes.
    Work runs through `Tasks` under names of this dialog's own; failures land in `self.error`."""

    def __init__(self, tasks: Tasks, parent: QWidget | None = None):
        super().__init__(parent)
        self.setModal(False)
        self.tasks = tasks
        self.error = message_label("")
        self.error.setObjectName("error")
        self.error.setProperty("tone", "error")
        self._running: dict[str, asyncio.Task] = {}

    # -- keys -------------------------------------------------------------------------

    def confirm(self) -> None:
        """What Enter does; each dialog says."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
            else:
                self.confirm()
            event.accept()
            return
        super().keyPressEvent(event)  # Esc: reject(), which closes

    # -- work -------------------------------------------------------------------------

    def run(self, name: str, work: Awaitable[Any], on_ok: Callable[[Any], None] | None = None,
            on_error: Callable[[str], None] | None = None) -> asyncio.Task:
        """`work` through Tasks; `on_ok(result)` and the error sentence only while this dialog lives."""
        self.error.clear()
        self.error.setAccessibleDescription("")

        def ok(result: Any) -> None:
            if shiboken6.isValid(self) and on_ok is not None:
                on_ok(result)

        def failed(exc: BaseException) -> bool:
            text = sentence(exc, f"dialog task {name}")
            if shiboken6.isValid(self):
                self.show_error(text)
                if on_error is not None:
                    on_error(text)
            return True

        task = self.tasks.run(f"{type(self).__name__}-{id(self):x}-{name}", work, ok, failed)
        self._running[name] = task
        return task

    def busy(self, name: str) -> bool:
        task = self._running.get(name)
        return task is not None and not task.done()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setAccessibleDescription(text)
