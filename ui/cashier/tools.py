"""The tools row of the cashier window: camera preview, returns, enrolment, member
search, the queue (dead letters) and the offline allowance. Each opens a non-modal
dialog that asks the window for a manager's approval when it needs one."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from ui.cashier.allowance_dialog import AllowanceDialog
from ui.common.controls import button, show_key, show_on_top
from ui.cashier.enrol_dialog import EnrolDialog
from ui.cashier.member_search import MemberSearchDialog
from ui.cashier.queue_dialog import QueueDialog
from ui.cashier.returns_dialog import ReturnsDialog
from ui.common import theme
from ui.common.tasks import user_message
from ui.common.camera_preview import CameraPreview, FrameRelay


class Tools(QWidget):
    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent)
        self.window = window
        self.dialogs: list[QWidget] = []
        self.preview = CameraPreview()
        self.preview.setWindowTitle(self.tr("Camera"))
        self.relay = FrameRelay(parent=self)
        self.relay.frame.connect(self.preview.show_frame)
        self.preview.resized.connect(self.relay.set_fit)
        self._keys_shared = False
        window.bridge.scanner_status.connect(self.preview.set_status)  # says why there is no picture
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        entries = [
            (self.tr("Camera"), "F5", self.toggle_camera),
            (self.tr("Find member"), "F6", self.find_member),
            (self.tr("Enrol"), "F7", self.enrol),
            (self.tr("Returns"), "F10", self.returns),
            (self.tr("Queue"), "F11", self.queue),
            (self.tr("Offline allowance"), "F12", self.allowance),
        ]
        self.buttons = {}
        self.function_keys = {}
        for text, key, slot in entries:
            b = show_key(button(self, text, text, slot), key)
            row.addWidget(b)
            self.buttons[text] = b
            self.function_keys[key] = slot
            QShortcut(QKeySequence(key), window).activated.connect(slot)
        # The look for the running app (until it quits), on a key: one more button made the
        # tools row too wide for 1920x1080 at 200 % (tests/test_ui_layout.py). The store's
        # default: screen.theme.
        QShortcut(QKeySequence("Ctrl+Shift+H"), window).activated.connect(self.switch_contrast)
        row.addStretch(1)

    def switch_contrast(self) -> None:
        app = QApplication.instance()
        theme.apply(app, "light" if theme.current(app) == "high-contrast" else "high-contrast")

    @property
    def cashier(self):
        return self.window.cashier  # kiosk/app/cashier.py: the terminal, the sale, who is signed in

    @property
    def till(self):
        return self.cashier.terminal.till

    def _approve(self, action: str, subject: str, details=()):
        return self.window.ask_approval(action, subject, details)

    def _open(self, dialog) -> None:
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _=None, d=dialog: d in self.dialogs and self.dialogs.remove(d))
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.window.back_to_scanning))
        self.dialogs.append(dialog)
        show_on_top(dialog)

    def _attach(self, view) -> None:
        """The member on the open sale; a CheckoutError says why the sale refuses."""
        self.cashier.attach_member(view)

    def _attach_enrolled(self, view) -> None:
        # The member exists now whatever the sale says: a refusal to attach is a notice.
        try:
            self._attach(view)
        except Exception as exc:
            refusal = user_message(exc)
            if refusal is None:
                raise
            self.window.notices.show_notice(refusal)

    def toggle_camera(self) -> None:
        terminal = self.cashier.terminal
        if self.preview.isVisible():
            self.preview.hide()
            self.window.tasks.run("camera", terminal.stop_camera())
            self.window.back_to_scanning()
            return
        if not terminal.settings.scanner.camera.strip():
            self.window.notices.show_notice(self.tr("No camera is set up on this till (scanner.camera)."))
            return
        terminal.start_camera(self.relay.offer)
        self.preview.clear()
        self.preview.resize(480, 360)
        if not self._keys_shared:
            self.window.share_keys(self.preview, on_escape=self.toggle_camera)
            self._keys_shared = True
        show_on_top(self.preview)

    def find_member(self) -> None:
        dialog = MemberSearchDialog(self.till.checkout, self.window.tasks, self.window, attach=self._attach)
        self._open(dialog)

    def enrol(self) -> None:
        if not self.till.checkout.can_enrol():
            # Said at once, not after a form is filled in: this backend has no enrolment.
            self.window.notices.show_notice(self.tr(
                "New members can't be enrolled here: this loyalty service does not offer it at the till."))
            return
        settings = self.window.settings
        dialog = EnrolDialog(self.till.checkout, self.window.tasks, self.window, printer=settings.printer,
                             store_name=settings.store.name)
        dialog.enrolled.connect(self._attach_enrolled)
        self._open(dialog)

    def returns(self, scanned: str = "") -> None:
        operator = self.cashier.operator.id if self.cashier.operator else ""
        dialog = ReturnsDialog(self.till, self.window.tasks, self._approve, operator, self.window,
                               settings=self.cashier.terminal.settings)
        self._open(dialog)
        if scanned:
            dialog.scan.setText(scanned)
            dialog.find()

    def queue(self) -> None:
        self._open(QueueDialog(self.till, self.window.tasks, self._approve, self.window))

    def allowance(self) -> None:
        operator = self.cashier.operator.id if self.cashier.operator else ""
        self._open(AllowanceDialog(self.till, self.window.tasks, self._approve, operator, self.window))

    def close_all(self) -> None:
        for dialog in list(self.dialogs):
            dialog.close()
        self.preview.close()
