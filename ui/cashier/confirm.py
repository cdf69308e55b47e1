"""A yes-or-no question asked inside the cashier's window, answered with a key or a tap.

Not a QMessageBox: `exec()` inside an async slot would run a second event loop under
qasync's, and a separate window can open behind the till or without the keyboard when
no window manager runs. The question covers the selling screen (nothing under it can
be clicked), the screen under it is disabled so its keys (F9 Pay...) do nothing, and
`ask()` is awaited like any other task. Y or the yes button says yes; N, Esc or the no
button says no; Enter presses the button that has focus (Tab moves between them), the
no button at first, so a reflex Enter spends nothing. Afterwards the focus goes back
where it was.
"""

from __future__ import annotations

import asyncio

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui.common.controls import button, keep_covering


class Confirmation(QFrame):
    """The question's overlay over `parent`, kept to its size."""

    answered = Signal(bool)

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("confirmation")
        self.setAccessibleName(self.tr("Question"))
        # The scrim and the box's colours: resources/design/tones.qss.
        self.setStyleSheet("#confirmationBox { border-width: 2px; border-style: solid; }")
        box = QFrame(self)
        box.setObjectName("confirmationBox")
        box.setMaximumWidth(640)
        self.question = QLabel(box)
        self.question.setWordWrap(True)
        self.question.setAccessibleName(self.tr("Question"))
        self.question.setStyleSheet("font-size: 18px; padding: 8px;")
        self.yes = button(box, "", self.tr("Yes"), lambda: self.answer(True))
        self.no = button(box, "", self.tr("No"), lambda: self.answer(False))
        for b in (self.yes, self.no):
            b.setAutoDefault(True)  # Enter presses the button with focus
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.no)
        row.addWidget(self.yes)
        inner = QVBoxLayout(box)
        inner.addWidget(self.question)
        inner.addLayout(row)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignHCenter)
        outer.addStretch(2)
        self.setTabOrder(self.no, self.yes)
        self.return_focus: QWidget | None = None  # where the focus was before the question
        self.screen: QWidget | None = None  # what the question covers: disabled meanwhile
        keep_covering(self)
        self.hide()

    def show_question(self, question: str, yes: str, no: str, screen: QWidget) -> None:
        if not self.isVisible():
            self.return_focus, self.screen = QApplication.focusWidget(), screen
        screen.setEnabled(False)
        self.question.setText(question)
        self.yes.setText(self.tr("{0} (Y)").format(yes))
        self.no.setText(self.tr("{0} (N)").format(no))
        self.yes.setAccessibleDescription(self.tr("{0}; the Y key does the same").format(yes))
        self.no.setAccessibleDescription(self.tr("{0}; the N or Esc key does the same").format(no))
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.no.setFocus(Qt.OtherFocusReason)

    def answer(self, yes: bool) -> None:
        if not self.isVisible():
            return
        self.hide()
        self.screen.setEnabled(True)
        focus, self.return_focus = self.return_focus, None
        if focus is not None and shiboken6.isValid(focus) and focus.isEnabled():
            focus.setFocus(Qt.OtherFocusReason)
        self.answered.emit(yes)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if key == Qt.Key_Y:
            self.answer(True)
        elif key in (Qt.Key_N, Qt.Key_Escape):
            self.answer(False)
        else:
            super().keyPressEvent(event)


async def ask(over: QWidget, screen: QWidget, question: str, yes: str, no: str) -> bool:
    """The cashier's answer; `screen` (what the question covers) takes no input meanwhile.
    A second question while one is open answers the first no: it no longer applies."""
    overlay = over.findChild(Confirmation, options=Qt.FindDirectChildrenOnly) or Confirmation(over)
    overlay.answer(False)
    answer: asyncio.Future = asyncio.get_running_loop().create_future()

    def answered(yes_said: bool) -> None:
        if not answer.done():
            answer.set_result(yes_said)

    overlay.answered.connect(answered)
    overlay.show_question(question, yes, no, screen)
    try:
        return await answer
    finally:
        overlay.answered.disconnect(answered)
        if answer.cancelled():
            overlay.answer(False)  # the window closing: the question goes too
