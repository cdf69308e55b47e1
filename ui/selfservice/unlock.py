"""Staff: unlock. The small control a screen puts under its lock sentence while too many wrong
codes have locked one of the kiosk's entries (kiosk/selfservice/lockout.py ENTRIES).

It shows only while its entry is locked (Shopper.locked, until Shopper.lifted or the visit's
`clear`), drawn plainly as staff's and not the shopper's (grey outline, smaller type, to the
side), yet a full touch target. A tap asks for a manager (`asked(entry)`): the window opens its
ManagerPin overlay and, on a manager's PIN, lifts the lock with Shopper.lift_lock, which the
audit log records with the manager's id. The control never lifts anything itself.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.selfservice import lockout
from ui.common import theme

STAFF_PX = 20  # the type of a staff control: readable, and plainly not the shopper's text


class StaffUnlock(QPushButton):
    asked = Signal(str)  # the entry a manager is asked to open again

    def __init__(self, shopper, entry: str, parent: QWidget | None = None):
        if entry not in lockout.ENTRIES:
            raise ValueError(f"unknown lock-out entry {entry!r}; known: {', '.join(lockout.ENTRIES)}")
        super().__init__(self.tr("Staff: unlock"), parent)
        self.entry = entry
        self.setObjectName("staffUnlock")
        self.setAccessibleName(self.tr("Staff: unlock"))
        self.setAccessibleDescription(self.tr("For staff: a manager's PIN lets codes be typed again"))
        self.setFocusPolicy(Qt.NoFocus)  # the screen's field keeps the focus
        self.setMinimumSize(theme.KIOSK_TARGET_PX * 3, theme.KIOSK_TARGET_PX)
        self.setStyleSheet(f"#staffUnlock {{ background: transparent; border-style: dashed; border-width: 2px; "
                           f"border-radius: 8px; font-size: {STAFF_PX}px; padding: 0 16px; }}")
        self.setProperty("tone", "unavailable")  # its colour and its dashed border's: theme.qss
        self.clicked.connect(lambda: self.asked.emit(self.entry))
        shopper.locked.connect(self._locked)
        shopper.lifted.connect(self._lifted)
        self.hide()

    def _locked(self, entry: str, _until: datetime) -> None:
        if entry == self.entry:
            self.show()

    def _lifted(self, entry: str) -> None:
        if entry == self.entry:
            self.hide()

    def clear(self) -> None:
        self.hide()
