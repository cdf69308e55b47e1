"""The cashier's window: sign-in at once, then cart | member | tenders.

A thin screen over the application layer's Cashier (kiosk/app/cashier.py), which holds
the shift: the operator, the sale, the scans routed to it, void and price changes. The
window supplies what Cashier asks of a person (`ask_approval`, `confirm`) and shows what
it says. ui/app.py makes the window and shows it before anything else is loaded, starts
the terminal, then calls `attach(terminal, bridge)`, or `show_fatal(message)` when
start-up failed. The sign-in form takes typing from the first frame; a sign-in pressed
before the till is up waits for it. Every backend or database call goes through `tasks`
(ui/common/tasks.py); sentences go to the notice bar.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Sequence

import shiboken6

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QMainWindow, QScrollArea, QSizePolicy, QStackedWidget,
                               QVBoxLayout, QWidget)

from kiosk.app.cashier import Cashier
from ui.cashier.sign_in import SignInView
from ui.common.wedge_filter import WedgeFilter
from ui.common.controls import button, show_key, show_on_top
from ui.common.notices import STRIP_PX, NoticeBar, OfflineBanner, keep_place
from ui.common.status import StatusLine
from ui.common import theme

if TYPE_CHECKING:
    from kiosk.checkout.operators import Approval
    from ui.cashier.approval import ManagerApproval
    from ui.receipts.preview import ReceiptPreview

# The selling screen and what it pulls in (the checkout, NumPy, OpenCV, python-escpos)
# load after the window is up, while the cashier types: ui/app.py imports the Qt-free
# ones in a thread, then the screen's own modules on the GUI thread, one at a time.
# PySide6 creates its types lazily and not thread-safely: a Qt module imported in a
# thread while the GUI thread made an enum crashed the app (1 start in 5, seen with a
# sign-in typed at once), so no module that imports Qt is ever loaded off the GUI thread.
WORK_MODULES = ("kiosk.checkout.printing", "kiosk.checkout.receipt", "kiosk.checkout.session", "kiosk.app.sale",
                "kiosk.scanner.pipeline", "cv2")
SCREEN_MODULES = ("ui.cashier.cart_panel", "ui.cashier.member_panel", "ui.cashier.tender_panel",
                  "ui.cashier.tools", "ui.cashier.approval", "ui.receipts.preview")


def _centred(parent: QWidget, text: str, name: str) -> QLabel:
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignCenter)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setStyleSheet(f"font-size: {theme.TITLE_PX}px;")
    return label


class CashierWindow(QMainWindow):
    closed = Signal()  # the app shuts down when the cashier closes the window

    def __init__(self, settings, tasks, parent: QWidget | None = None, cashier: Cashier | None = None):
        super().__init__(parent)
        self.settings, self.tasks = settings, tasks
        theme.ensure(QApplication.instance(), "tones")  # the look the cashier's layout is fitted to
        self.cashier = cashier or Cashier(tasks.work)
        self.cashier.people = self
        self.bridge = None
        self.receipts: list[ReceiptPreview] = []
        self.approval_dialog: ManagerApproval | None = None
        self.setWindowTitle(self.tr("Kiosk"))
        self.setAccessibleName(self.tr("Cashier"))

        central = QWidget(self)
        # The strips above the screen keep their height whether or not they say anything:
        # a banner or a notice coming or going never moves a button under a finger.
        self.demo = QLabel(central)
        self.demo.setAccessibleName(self.tr("Demo mode"))
        self.demo.setStyleSheet("padding: 4px;")
        self.demo.setProperty("tone", "demo")
        keep_place(self.demo).hide()  # its room is kept from the first frame: the sign-in form never jumps
        self.notices = NoticeBar(central)
        self.offline = OfflineBanner(central)
        keep_place(self.offline).setFixedHeight(STRIP_PX)
        self.offline.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.demo.setFixedHeight(STRIP_PX)
        self.stack = QStackedWidget()
        self.fatal = _centred(self.stack, "", self.tr("Start-up problem"))
        self.sign_in = SignInView(tasks, self.stack)
        self.sign_in.signed_in.connect(self._signed_in)
        self.stack.addWidget(self.sign_in)
        self.stack.addWidget(self.fatal)
        self.stack.setCurrentWidget(self.sign_in)
        # On a small screen (or at 200 % on 1366x768) the screen scrolls rather than
        # putting Pay out of reach.
        self.scroll = QScrollArea(central)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidget(self.stack)
        # One strip across the top: demo, offline and the notice side by side, each in
        # its own place, so none of them costs the selling screen a row.
        strip = QHBoxLayout()
        strip.setSpacing(6)
        strip.addWidget(self.demo)
        strip.addWidget(self.offline, 3)
        strip.addWidget(self.notices, 4)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 0)
        layout.setSpacing(4)
        layout.addLayout(strip)
        layout.addWidget(self.scroll, 1)
        self.setCentralWidget(central)
        self.status = StatusLine(self)
        self.setStatusBar(self.status)
        self.busy = QLabel(self)
        self.busy.setAccessibleName(self.tr("Working"))
        self.status.addWidget(self.busy)

        tasks.failed.connect(self.notices.show_notice)
        tasks.busy.connect(self._busy)
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self._wedge_scan)
        self.work = None
        self.cart = self.member = self.tender = self.tools = None
        self.sign_in.reset()

    # The shift's state lives in the application layer; the tools and the tests read it here.
    hub = property(lambda self: self.cashier.hub)
    terminal = property(lambda self: self.cashier.terminal)
    sale = property(lambda self: self.cashier.sale)
    operator = property(lambda self: self.cashier.operator)

    # -- start-up ------------------------------------------------------------------------

    def attach(self, terminal, bridge) -> None:
        from kiosk import checks

        self.bridge = bridge
        self.cashier.attach(terminal)
        self.cashier.hold_scans_while(self._scan_held)
        self.settings = getattr(terminal, "settings", self.settings)
        if self.settings.screen.full_screen and self.isVisible():
            self.showFullScreen()  # the settings come after the first frame: maximised until now
        if self.settings.environment == "training":
            self.demo.setText(self.tr("TRAINING: nothing here is a real sale"))
            self.demo.setToolTip(self.tr("Training: a local sandbox with the store's catalogue and operators; "
                                         "every receipt says TRAINING and nothing reaches the loyalty service"))
            self.demo.show()
        elif terminal.embedded:
            self.demo.setText(self.tr("DEMO: sandbox data"))
            self.demo.setToolTip(self.tr("Demo mode: a local sandbox with demo data, no real loyalty service"))
            self.demo.show()
            self.sign_in.show_demo_ids()
        # One notice for all of them: the bar shows one sentence at a time.
        said = [c.message for c in terminal.checks if c.state != checks.OK] + list(terminal.notices)
        if said:
            self.notices.show_notice("\n".join(said))
        bridge.connectivity.connect(self._connectivity)
        bridge.queue.connect(self.status.set_queue)
        bridge.scanner_status.connect(self.status.set_scanner)
        bridge.notice.connect(self.notices.show_notice)
        bridge.storage_failed.connect(self.notices.show_notice)
        bridge.paused.connect(lambda why: why and self.notices.show_notice(why))
        self.offline.watch(self.tasks, terminal.till.allowances)
        self._connectivity(terminal.till.checkout.connectivity, "")
        self.sign_in.set_till(terminal.till)
        from kiosk.scanner.service import wedge_detector  # loaded with the terminal already

        self.wedge.use(wedge_detector(self.settings.scanner))
        self.wedge.install()
        self.status.hand_scanner_ready()  # true only now: the wedge filter listens from here

    def show_fatal(self, message: str) -> None:
        self.sign_in.fail()
        self.status.start_failed()
        self.fatal.setText(self.tr("The till could not start:\n{0}\n\nCheck the settings or the connection, "
                                   "then start Kiosk again. Nothing was lost.").format(message))
        self.stack.setCurrentWidget(self.fatal)

    def _connectivity(self, state: str, detail: str) -> None:
        self.status.set_connectivity(state, detail)
        self.offline.set_state(state, detail)

    def _busy(self, name: str, on: bool) -> None:
        self.busy.setText(self.tr("Working…") if on else "")

    # -- signing in and out ------------------------------------------------------------------

    def _signed_in(self, operator) -> None:
        self.cashier.signed_in(operator)
        if self.work is None:
            self._build_work()
        self.who.setText(self.tr("{0} ({1})").format(operator.name, operator.id))
        self.stack.setCurrentWidget(self.work)
        self.cart.entry.setFocus()

    def sign_out(self) -> None:
        refused = self.cashier.sign_out()
        if refused:
            self.notices.show_notice(refused)
            return
        if self.tender is not None:
            self.tender.sale_ended()  # the next cashier starts with nothing of the last sale on screen
        self.stack.setCurrentWidget(self.sign_in)
        self.sign_in.reset()

    # -- the working screen ------------------------------------------------------------------

    def _build_work(self) -> None:
        from ui.cashier.cart_panel import CartPanel
        from ui.cashier.member_panel import MemberPanel
        from ui.cashier.tender_panel import TenderPanel
        from ui.cashier.tools import Tools

        self.work = QWidget(self.stack)
        self.cart = CartPanel(self.sale, self.work)
        self.member = MemberPanel(self.sale, self.work)
        self.tender = TenderPanel(self.sale, self.work)
        self.who = QLabel(self.work)
        self.who.setAccessibleName(self.tr("Signed in"))
        self.void_button = button(self.work, self.tr("Void sale"), self.tr("Void sale"), self.void)
        self.sign_out_button = button(self.work, self.tr("Sign out"), self.tr("Sign out"), self.sign_out)
        self.tools = Tools(self, self.work)
        top = QHBoxLayout()
        top.addWidget(self.who)
        top.addWidget(self.tools, 1)
        top.addWidget(self.void_button)
        top.addWidget(self.sign_out_button)
        panels = QHBoxLayout()
        panels.addWidget(self.cart, 5)
        panels.addWidget(self.member, 3)
        panels.addWidget(self.tender, 3)
        layout = QVBoxLayout(self.work)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(panels, 1)
        self.stack.addWidget(self.work)
        self.sale.changed.connect(self._refresh)
        self.sale.paying.connect(self.tender.set_paying)
        self.sale.paid.connect(self._paid)
        self.sale.voided.connect(lambda: self.notices.show_notice(self.tr("The sale was voided.")))
        self.sale.voided.connect(self.tender.sale_ended)
        self.sale.notice.connect(lambda sentence, undo: self.notices.show_notice(
            sentence, (self.tr("Undo (Ctrl+Z)"), self.sale.undo) if undo else None))
        self.cart.override_requested.connect(self.override_price)
        self.sale.receipt_scanned.connect(self.tools.returns)
        self._shortcuts()

    def _shortcuts(self) -> None:
        from PySide6.QtGui import QKeySequence, QShortcut

        keys = {
            "F2": self.member.focus_search, "F3": lambda: self.cart.entry.setFocus(),
            "F4": self.tender.focus_code, "F8": lambda: self.tender.cash.click(),
            "F9": lambda: self.tender.pay.click(), "Ctrl+Del": self.void, "+": self.cart.more,
            "-": self.cart.less, "Ctrl+Shift+Del": lambda: self.cart.remove.click(),
            "Ctrl+P": lambda: self.cart.override.click(), "Ctrl+B": lambda: self.tender.back.click(),
            "Ctrl+Q": self.sign_out, "Ctrl+Return": self.cart.pick_first_result, "Ctrl+Z": self.sale.undo,
        }
        for n in range(1, 10):  # the member's rewards, in the order shown
            keys[f"Alt+{n}"] = lambda n=n: self.member.press_reward(n)
        self.shortcuts = []
        for key, slot in keys.items():
            shortcut = QShortcut(QKeySequence(key), self.work)
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)
        self.function_keys = {key: slot for key, slot in keys.items() if key.startswith("F")}
        for b, key in ((self.tender.pay, "F9"), (self.void_button, "Ctrl+Del"), (self.tender.cash, "F8"),
                       (self.cart.override, "Ctrl+P"), (self.cart.plus, "+"), (self.cart.minus, "-"),
                       (self.cart.remove, "Ctrl+Shift+Del"), (self.tender.back, "Ctrl+B"),
                       (self.sign_out_button, "Ctrl+Q")):
            show_key(b, key)

    def share_keys(self, other: QWidget, on_escape=None) -> None:
        """The selling screen's F-keys work from `other` too (the camera, the receipt): the
        window comes forward and does what the key does there; Esc closes `other`."""
        from PySide6.QtGui import QKeySequence, QShortcut

        for key, slot in {**self.function_keys, **self.tools.function_keys}.items():
            QShortcut(QKeySequence(key), other).activated.connect(lambda slot=slot: self._from_other(slot))
        QShortcut(QKeySequence(Qt.Key_Escape), other).activated.connect(on_escape or other.close)

    def _from_other(self, slot) -> None:
        self.activateWindow()
        self.raise_()
        slot()

    def back_to_scanning(self) -> None:
        """A dialog or window closed: the keys go to the product field again, unless
        another of the till's windows is still open (that one keeps the keyboard)."""
        if self.work is None or self.stack.currentWidget() is not self.work or not self.stack.isEnabled():
            return
        others = [*self.tools.dialogs, *self.receipts, self.approval_dialog, self.tools.preview]
        if any(w is not None and shiboken6.isValid(w) and w.isVisible() for w in others):
            return
        self.activateWindow()
        self.cart.entry.setFocus()

    def _refresh(self) -> None:
        self.cart.refresh()
        self.member.refresh()
        self.tender.refresh()

    # -- scans ----------------------------------------------------------------------------------

    def _wedge_scan(self, text: str, receiver) -> None:
        # A dialog that takes scans itself (returns: the receipt) gets those made into it,
        # where the keyboard focus is; every other scan takes the application's one route.
        dialog = QWidget.window(receiver) if receiver is not None else None
        if dialog is not self and hasattr(dialog, "take_scan"):
            dialog.take_scan(text)
        elif self.cashier.scans is not None:
            self.cashier.scans.text(text, "wedge")

    def _scan_held(self) -> str | None:
        """Why a scan can't go to the sale now: a question is open over the selling screen."""
        if self.work is not None and self.stack.currentWidget() is self.work and not self.stack.isEnabled():
            return self.tr("Answer the question on the screen first, then scan again.")
        return None

    # -- paying -----------------------------------------------------------------------------------

    def _paid(self, result, receipt) -> None:
        self.tender.show_outcome(result)
        self.notices.show_notice(result.message)
        if result.ok and receipt is not None:
            from ui.receipts.preview import ReceiptPreview

            dialog = ReceiptPreview(receipt, self.settings.printer, self.tasks, self)
            dialog.setAttribute(Qt.WA_DeleteOnClose)
            dialog.finished.connect(lambda _r, d=dialog: d in self.receipts and self.receipts.remove(d))
            dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.back_to_scanning))
            self.share_keys(dialog)
            self.receipts.append(dialog)
            show_on_top(dialog)
        self._refresh()

    # -- manager approvals ----------------------------------------------------------------------

    async def ask_approval(self, action: str, subject: str, details: Sequence[str] = ()) -> Approval | None:
        """A manager's approval of `action` on `subject` (a sale id...), or None when cancelled.
        `details` are the lines the manager reads: what exactly is approved."""
        from ui.cashier.approval import ManagerApproval

        loop = asyncio.get_running_loop()
        answer: asyncio.Future = loop.create_future()
        requested_by = self.operator.id if self.operator else ""
        dialog = ManagerApproval(self.terminal.till, self.tasks, action, requested_by=requested_by,
                                 subject=subject, details=details,
                                 asked_by=f"{self.operator.name} ({self.operator.id})" if self.operator else "",
                                 parent=self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        self.approval_dialog = dialog
        closed = []
        dialog.approved.connect(lambda a: answer.done() or answer.set_result(a))
        dialog.finished.connect(lambda _r: closed.append(True) or answer.done() or answer.set_result(None))
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.back_to_scanning))
        dialog.open()
        dialog.activateWindow()  # without a window manager nothing else gives it the keyboard
        try:
            return await answer
        finally:
            self.approval_dialog = None
            if not closed:  # cancelled from outside (the window closing): the dialog goes too
                dialog.reject()

    def void(self) -> None:
        self.cashier.void()

    def override_price(self, line_id: str, price_text: str) -> None:
        self.cashier.override_price(line_id, price_text, on_done=self.cart.price.clear)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.wedge.remove()
        self.cashier.close()
        if self.tools is not None:
            self.tools.close_all()
        for dialog in list(self.receipts):
            dialog.close()
        if self.approval_dialog is not None:
            self.approval_dialog.reject()
        super().closeEvent(event)
        self.closed.emit()

    # -- questions --------------------------------------------------------------------------

    async def confirm(self, question: str, yes: str, no: str) -> bool:
        """The cashier's yes or no, asked over the selling screen (ui/cashier/confirm.py)."""
        from ui.cashier.confirm import ask

        return await ask(self.centralWidget(), self.stack, question, yes, no)
