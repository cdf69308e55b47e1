"""Run a coroutine for a widget, then show its result: the one way the UI does async work.

- Tasks have names: starting a task replaces the running one of the same name (a new
  scan cancels the lookup still under way), and every task is kept referenced.
- A spinner appears only when the work takes longer than ~150 ms.
- CheckoutError and LoyaltyError carry a sentence for the cashier: it is shown as a
  non-modal notice. Cancellation is silent. Anything else is a bug: logged with its
  traceback, and shown as a short notice, never a traceback. `sentence` is that rule,
  the one way from an exception to what a person reads, for the dialogs too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from PySide6.QtCore import QObject, Signal

from kiosk.checkout.errors import CheckoutError
from kiosk.loyalty.errors import LoyaltyError
from kiosk.outbox.errors import StorageError

log = logging.getLogger(__name__)

SPINNER_AFTER_MS = 150
BUG_MESSAGE = "Something went wrong there; it was logged. Try again, or call IT if it keeps happening."


def user_message(exc: BaseException) -> str | None:
    """The sentence to show for `exc`, or None when it is a bug (a plain ValueError too:
    the core says what a person should read through its own error types)."""
    if isinstance(exc, LoyaltyError):
        return exc.user_message
    if isinstance(exc, (CheckoutError, StorageError)):
        return str(exc)
    return None


def sentence(exc: BaseException, doing: str = "work") -> str:
    """What to tell a person about `exc`; a bug is logged with its traceback and told as BUG_MESSAGE."""
    message = user_message(exc)
    if message is None:
        log.error("%s failed", doing, exc_info=exc)
        return BUG_MESSAGE
    return message


class Tasks(QObject):
    busy = Signal(str, bool)  # task name, whether a person is now waiting on it (spinner)
    failed = Signal(str)  # a sentence for the notice bar

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._tasks: dict[str, asyncio.Task] = {}

    def run(self, name: str, work: Awaitable[Any], on_ok: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], bool] | None = None) -> asyncio.Task:
        """Start `work` under `name`; `on_ok(result)` runs on the GUI thread. `on_error`
        may handle a failure itself (return True); otherwise it becomes a notice."""
        previous = self._tasks.pop(name, None)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.ensure_future(work)
        self._tasks[name] = task
        # A loop timer, not a QTimer per task: nothing Qt-owned can outlive this object.
        spinner = asyncio.get_running_loop().call_later(SPINNER_AFTER_MS / 1000, self.busy.emit, name, True)

        def finished(t: asyncio.Task) -> None:
            spinner.cancel()
            if self._tasks.get(name) is t:
                del self._tasks[name]
            self.busy.emit(name, False)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is None:
                if on_ok is not None:
                    self._guard(name, on_ok, t.result())
                return
            if on_error is not None and on_error(exc):
                return
            self.failed.emit(sentence(exc, f"task {name}"))

        task.add_done_callback(finished)
        return task

    def _guard(self, name: str, fn: Callable[[Any], None], value: Any) -> None:
        try:
            fn(value)
        except Exception as exc:  # a bug in a result handler must not kill the loop's callback
            self.failed.emit(sentence(exc, f"task {name}"))

    def cancel(self, name: str) -> None:
        task = self._tasks.get(name)
        if task is not None and not task.done():
            task.cancel()

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    async def cancel_all(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
