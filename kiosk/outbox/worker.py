"""The sync engine hosted on its own asyncio loop in a worker thread.

In the app the GUI's loop (qasync, on the Qt thread) paints; delivery's HTTP and
JSON work would compete with it there. So the engine runs on a loop of its own,
with an HTTP client of its own (an httpx.AsyncClient belongs to one loop): made,
used and closed on that loop. Everything the engine does runs there: the drain,
probes, housekeeping, the connectivity judgement. It reaches the screens only
through the event hub, whose subscribers are called on this thread.

The GUI side talks to it through `EngineThread`, which offers what Pay and
Returns use of an engine (deliver_now, wake, settle_s, urgent_settle_s,
backend), each safe to call from the GUI loop. SyncEngine itself stays
loop-agnostic: tests and `kiosk queue drain` run it on their own loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Callable, Iterable

from kiosk.outbox.engine import Backend, Outcome, SyncEngine
from kiosk.outbox.queue import Outbox

log = logging.getLogger(__name__)

THREAD_NAME = "outbox-delivery"
STOP_TIMEOUT_S = 10.0  # as Till.close waited for the drain task when it ran on the GUI loop


class EngineThread:
    """Runs `engine` on a loop in a worker thread, with a backend made there by `make_backend`.

    `front` is the backend the GUI side uses (its reads, and encoding a sale's
    operations); it is what `backend` answers, so the GUI never touches the
    worker's client."""

    def __init__(self, engine: SyncEngine, make_backend: Callable[[], Backend], front: Any):
        self.engine = engine
        self._make_backend = make_backend
        self._front = front
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run: asyncio.Task | None = None
        self._client: Any = None

    # -- what Pay, Returns and the screens use of an engine ------------------------------

    @property
    def backend(self) -> Any:
        return self._front

    @property
    def hub(self):
        return self.engine.hub

    @property
    def outbox(self) -> Outbox:
        return self.engine.outbox

    @property
    def settle_s(self) -> float:
        return self.engine.settle_s

    @property
    def urgent_settle_s(self) -> float:
        return self.engine.urgent_settle_s

    @property
    def state(self) -> str:
        return self.engine.state

    @property
    def delivered(self) -> int:
        return self.engine.delivered

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def client(self) -> Any:
        """The worker's own client, while delivery runs."""
        return self._client

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def wake(self) -> None:
        """Safe from any thread (SyncEngine.wake hops onto the engine's loop)."""
        self.engine.wake()

    async def deliver_now(self, op_ids: Iterable[int], timeout_s: float) -> list[Outcome]:
        """SyncEngine.deliver_now, run on the worker loop and awaited from the caller's."""
        loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(self.engine.deliver_now(list(op_ids), timeout_s), loop)
        waited = asyncio.wrap_future(future)
        # The outcome is read by whoever still waits; one who gave up must not leave
        # "exception never retrieved" behind.
        waited.add_done_callback(_retrieve)
        # shield: a caller giving up (cancelled, timed out) must not cancel the wrapped
        # future, which would cancel the worker's wait and what it was about to send.
        return await asyncio.shield(waited)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None or loop.is_closed() or self._run is None or self._run.done():
            raise RuntimeError("delivery is not running (the till was not started, or is closing)")
        return loop

    # -- start and stop ---------------------------------------------------------------

    async def start(self) -> None:
        """Start the thread and its loop, make the client there, start the drain.
        A failure leaves no thread running."""
        ready: concurrent.futures.Future[asyncio.AbstractEventLoop] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name=THREAD_NAME, daemon=True)
        self._thread.start()
        try:
            self._loop = await asyncio.wrap_future(ready)
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._begin(), self._loop))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the engine on its loop (in-flight deliveries finish first), close the
        worker's client there, stop that loop and join the thread, without blocking
        the caller's thread."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        try:
            if loop is not None and not loop.is_closed():
                try:
                    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._end(), loop))
                finally:
                    loop.call_soon_threadsafe(loop.stop)
        finally:
            await asyncio.to_thread(thread.join)
            self._thread = None

    def close(self) -> None:
        self.engine.close()  # already done on the worker; repeating it is harmless

    def _serve(self, ready: concurrent.futures.Future) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ready.set_result(loop)
        try:
            loop.run_forever()
        finally:
            try:
                leftover = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in leftover:
                    task.cancel()
                if leftover:
                    loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    async def _begin(self) -> None:
        self._client = self._make_backend()
        self.engine.backend = self._client
        self._run = asyncio.ensure_future(self.engine.run())
        self._run.add_done_callback(_report_end)

    async def _end(self) -> None:
        try:
            if self._run is not None:
                await self.engine.stop()
                try:
                    # run() waits for in-flight deliveries (up to a lease) before it returns.
                    await asyncio.wait_for(asyncio.shield(self._run), timeout=STOP_TIMEOUT_S)
                except TimeoutError:
                    log.error("delivery did not stop within %g s; stopping it", STOP_TIMEOUT_S)
                    self._run.cancel()
                    await asyncio.gather(self._run, return_exceptions=True)
                except Exception:
                    pass  # reported by _report_end
        finally:
            try:
                if self._client is not None:
                    await self._client.aclose()
            finally:
                self._client = None
                self.engine.backend = self._front
                # The database thread is joined here, off the GUI thread.
                await asyncio.to_thread(self.engine.close)


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


def _report_end(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the outbox's delivery stopped: %r", task.exception())
