"""Named background work for a screen, and the one rule from an exception to a sentence.

- Work has a name: starting work under a name cancels what still runs under it (a new
  scan cancels the lookup still under way), and every task is kept referenced.
- `busy(name, True)` is emitted only when the work takes longer than SPINNER_AFTER_S, so a
  quick answer never flickers a spinner; `busy(name, False)` when it ends.
- CheckoutError and LoyaltyError carry a sentence for the person: it is emitted on `failed`
  (the screen shows it as a notice). Cancellation is silent. Anything else is a bug: logged
  with its traceback, and told as BUG_MESSAGE, never as a traceback.

The cashier screen wraps this in ui/common/tasks.py; the application layer (the sale, the
cashier's shift, the shopper's session) uses it directly, so it runs without Qt in tests.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from kiosk.app.signals import Signal
from kiosk.checkout.errors import CheckoutError
from kiosk.i18n import N_, _
from kiosk.loyalty.errors import LoyaltyError
from kiosk.outbox.errors import StorageError

log = logging.getLogger(__name__)

SPINNER_AFTER_S = 0.150
BUG_MESSAGE = N_("Something went wrong there; it was logged. Try again, or call IT if it keeps happening.")
# What a shopper reads instead of a sentence for staff ("ask IT to check the API secret").
FOR_STAFF = N_("Sorry, that didn't work just now. Please ask a member of staff.")


def user_message(exc: BaseException) -> str | None:
    """The sentence to show for `exc`, or None when it is a bug (a plain ValueError too:
    the core says what a person should read through its own error types)."""
    if isinstance(exc, LoyaltyError):
        return exc.user_message
    if isinstance(exc, (CheckoutError, StorageError)):
        return str(exc)
    return None


def sentence(exc: BaseException, doing: str = "work", reader: str = "cashier") -> str:
    """What to tell `reader` (a cashier, or a shopper at the kiosk) about `exc`; a bug is
    logged with its traceback and told as BUG_MESSAGE, and a shopper is told to ask staff
    where the sentence is for staff (its `audience`)."""
    message = user_message(exc)
    if message is None:
        log.error("%s failed", doing, exc_info=exc)
        return _(FOR_STAFF) if reader == "shopper" else _(BUG_MESSAGE)
    if reader == "shopper" and getattr(exc, "audience", "everyone") == "cashier":
        log.warning("%s failed (%s); the shopper was asked to fetch staff", doing, type(exc).__name__)
        return _(FOR_STAFF)
    return message


class Work:
    def __init__(self, reader: str = "cashier") -> None:
        self.reader = reader  # who reads its failures: "cashier", or "shopper" at the kiosk
        self.busy = Signal()  # (name, on): a person now waits on it (after SPINNER_AFTER_S), or no longer
        self.failed = Signal()  # (sentence,): for the notice strip
        self._tasks: dict[str, asyncio.Task] = {}

    def say(self, text: str) -> None:
        """A sentence for the person, as a failure's would be shown."""
        self.failed.emit(text)

    def run(self, name: str, work: Awaitable[Any], on_ok: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], bool] | None = None) -> asyncio.Task:
        """Start `work` under `name`; `on_ok(result)` runs on this loop's thread. `on_error`
        may handle a failure itself (return True); otherwise it becomes a sentence on `failed`."""
        previous = self._tasks.pop(name, None)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.ensure_future(work)
        self._tasks[name] = task
        # A loop timer, not a timer object per task: nothing outlives the loop's own handle.
        spinner = asyncio.get_running_loop().call_later(SPINNER_AFTER_S, self.busy.emit, name, True)

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
            self.failed.emit(sentence(exc, f"task {name}", self.reader))

        task.add_done_callback(finished)
        return task

    def _guard(self, name: str, fn: Callable[[Any], None], value: Any) -> None:
        try:
            fn(value)
        except Exception as exc:  # a bug in a result handler must not kill the loop's callback
            self.failed.emit(sentence(exc, f"task {name}", self.reader))

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
