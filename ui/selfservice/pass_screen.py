"""The reward QR a shopper takes to the till: the code, the reward's name, "Show this at the
till", and when it expires; printed too when the store has a receipt printer.

The QR carries the signed pass (Part A's RewardPass.text): the member and the reward, not a
spent code, so an unused pass costs the member nothing.

Why zxing-cpp draws it: it is already the project's barcode library (it reads the camera's
codes), it encodes QR to the standard with a chosen error-correction level, and its image is
one pixel a module, which is scaled here by a whole number so every module stays sharp.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk import formats, i18n
from ui.common import theme
from ui.selfservice import kit

PRINT = "shopper-pass-print"


def qr_image(text: str, min_px: int = theme.QR_MIN_PX, module_px: int = theme.QR_MODULE_PX) -> QImage:
    """`text` as a QR code (error correction M: a smudged screen or a crease still reads), at
    least `module_px` a module and `min_px` wide, with its quiet zone."""
    import zxingcpp

    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = memoryview(zxingcpp.write_barcode_to_image(barcode, scale=1)).shape[1]
    scale = max(module_px, math.ceil(min_px / modules))
    bitmap = memoryview(zxingcpp.write_barcode_to_image(barcode, scale=scale))
    height, width = bitmap.shape[0], bitmap.shape[1]
    # copy(): the QImage then owns its pixels, not zxing-cpp's buffer that goes with `bitmap`.
    return QImage(bitmap.tobytes(), width, height, width, QImage.Format_Grayscale8).copy()


def until_text(expires_at: datetime, now: datetime | None = None) -> str:
    """"2:35 PM", or "2:35 PM on December 4" when it is not today, as the screen's language
    writes times and dates, in the store's time zone."""
    local = formats.in_store_zone(expires_at)
    today = formats.in_store_zone(now or datetime.now().astimezone()).date()
    if local.date() == today:
        return formats.clock(expires_at)
    return i18n._("{0} on {1}").format(formats.clock(expires_at), formats.day_and_month(expires_at))


class PassScreen(QWidget):
    go = Signal(str)

    def __init__(self, shopper, enrolment=None, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shopper = shopper
        self.printer = settings.printer if settings is not None else None
        self.store_name = settings.store.name if settings is not None else ""
        self.reward_pass = None
        self.setAccessibleName(self.tr("Your reward code"))
        self.reward = kit.text(self, self.tr("Reward"), theme.KIOSK_TITLE_PX, bold=True)
        self.reward.setAlignment(Qt.AlignCenter)
        self.code = QLabel(self)
        self.code.setAccessibleName(self.tr("Reward QR code"))
        self.code.setAlignment(Qt.AlignCenter)
        self.code.setMinimumSize(theme.QR_MIN_PX, theme.QR_MIN_PX)
        # Dark modules on white whatever the screen's palette: a scanner needs the contrast.
        self.code.setProperty("tone", "qr")
        self.show_at_till = kit.text(self, self.tr("What to do"), theme.KIOSK_TITLE_PX, bold=True)
        self.show_at_till.setAlignment(Qt.AlignCenter)
        self.expires = kit.text(self, self.tr("Expires"))
        self.expires.setAlignment(Qt.AlignCenter)
        self.status = kit.text(self, self.tr("Printing"))
        self.status.setAlignment(Qt.AlignCenter)
        self.print_button = kit.target(self, self.tr("Print it"), self.tr("Print the reward code"), self.print_pass)
        self.print_button.setVisible(self.can_print)
        self.back = kit.target(self, self.tr("Back to my rewards"), self.tr("Back to my rewards"),
                               lambda: self.go.emit("member"))
        self.finish = kit.target(self, self.tr("Finish"), self.tr("Finish"), lambda: self.go.emit("thanks"))
        # What a screen reader says of each: the screen is built again in a new language.
        self.print_button.setAccessibleDescription(self.tr("Prints the code on paper, to show at the till"))
        self.back.setAccessibleDescription(self.tr("Goes back to the list of your rewards"))
        self.finish.setAccessibleDescription(self.tr("Ends your visit"))
        buttons = QHBoxLayout()
        buttons.setSpacing(theme.KIOSK_GAP_PX)
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.finish)
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        layout.addWidget(self.reward)
        layout.addWidget(self.code, 1)
        layout.addWidget(self.show_at_till)
        layout.addWidget(self.expires)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        shopper.pass_made.connect(self._made)  # a reward chosen on the member screen
        self.clear()

    @property
    def can_print(self) -> bool:
        return self.printer is not None and self.printer.kind != "none"

    def _made(self, reward_pass) -> None:
        self.show_pass(reward_pass)
        self.go.emit("pass")

    def reward_name(self, reward_id: str) -> str:
        view = self.shopper.member
        for reward in view.rewards if view is not None else ():
            if reward.reward_id == reward_id:
                return reward.description or reward.name
        return self.tr("Your reward")

    def show_pass(self, reward_pass) -> None:
        self.reward_pass = reward_pass
        self.reward.setText(self.reward_name(reward_pass.reward_id))
        self.code.setPixmap(QPixmap.fromImage(qr_image(reward_pass.text)))
        self.show_at_till.setText(self.tr("Show this at the till"))
        self.expires.setText(self.tr("Use it by {0}. Nothing is spent until you pay at the till.")
                             .format(until_text(reward_pass.expires_at)))
        self.status.setText("")
        self.print_button.setEnabled(True)

    def print_pass(self) -> None:
        if self.reward_pass is None or not self.can_print or not self.print_button.isEnabled():
            return
        from kiosk.checkout import printing

        self.print_button.setEnabled(False)
        self.status.setText(self.tr("Printing…"))
        job = asyncio.to_thread(printing.print_reward_pass, self.reward_pass.text, self.reward.text(),
                                self.expires.text(), self.store_name, self.printer)

        def printed(_) -> None:
            screen = self.now()  # the same screen, built again if the shopper changed language meanwhile
            screen.status.setText(screen.tr("Printed: take it from the printer."))
            screen.print_button.setEnabled(True)

        def failed(_exc) -> bool:
            screen = self.now()
            screen.status.setText("")
            screen.print_button.setEnabled(True)
            return False  # the refusal's sentence goes to the notice strip

        self.shopper.work.run(PRINT, job, printed, failed)

    _successor: "PassScreen | None" = None

    def now(self) -> "PassScreen":
        """This screen, or the one that took over from it (ui/selfservice/window.py)."""
        screen = self
        while screen._successor is not None:
            screen = screen._successor
        return screen

    def take_over(self, old: "PassScreen") -> None:
        if old.reward_pass is not None:
            self.show_pass(old.reward_pass)
        old._successor = self
        if self.shopper.work.running(PRINT):  # still printing: one pass, and its outcome said here
            self.print_button.setEnabled(False)
            self.status.setText(self.tr("Printing…"))

    def clear(self) -> None:
        self.shopper.work.cancel(PRINT)
        self.reward_pass = None
        self.code.clear()
        for label in (self.reward, self.show_at_till, self.expires, self.status):
            label.setText("")
