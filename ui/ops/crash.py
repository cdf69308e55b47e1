"""An error nobody caught becomes the window's non-modal notice, from whichever thread it was on.

kiosk/ops/hooks.py logs it; this object carries "it was logged" to the notice bar. A
Qt signal, because the hook may run on any thread and widgets belong to the GUI thread:
emitted elsewhere, Qt queues it to the GUI thread's loop.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.ops import hooks
from kiosk import i18n
from ui.common.tasks import BUG_MESSAGE


class CrashNotices(QObject):
    said = Signal(str)

    def connect_to(self, show_notice) -> "CrashNotices":
        self.said.connect(show_notice)
        hooks.install(lambda: self.said.emit(i18n._(BUG_MESSAGE)))
        return self
