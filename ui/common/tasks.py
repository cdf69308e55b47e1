"""The screens' one way to do async work: kiosk/app/work.py's Work, as Qt signals.

A widget starts work with `run(name, coroutine, on_ok, on_error)`; `busy(name, on)` drives
the spinner (only after 150 ms), and `failed(sentence)` is the notice shown by default when
the work fails. The rules (names replace, cancellation is silent, a bug is logged and told
as BUG_MESSAGE) are Work's; `sentence` and `user_message` are the core's, re-exported for
the dialogs.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from PySide6.QtCore import QObject, Signal

from kiosk.app.work import BUG_MESSAGE, SPINNER_AFTER_S, Work, sentence, user_message

__all__ = ["BUG_MESSAGE", "SPINNER_AFTER_MS", "Tasks", "sentence", "user_message"]

SPINNER_AFTER_MS = round(SPINNER_AFTER_S * 1000)


class Tasks(QObject):
    busy = Signal(str, bool)  # task name, whether a person is now waiting on it (spinner)
    failed = Signal(str)  # a sentence for the notice bar

    def __init__(self, parent: QObject | None = None, work: Work | None = None):
        super().__init__(parent)
        self.work = work or Work()
        self.work.busy.connect(self.busy.emit)
        self.work.failed.connect(self.failed.emit)

    def run(self, name: str, work: Awaitable[Any], on_ok: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], bool] | None = None):
        return self.work.run(name, work, on_ok, on_error)

    def cancel(self, name: str) -> None:
        self.work.cancel(name)

    def running(self, name: str) -> bool:
        return self.work.running(name)

    async def cancel_all(self) -> None:
        await self.work.cancel_all()
