"""The qasync loop for widget tests (pytest-qt has no qasync support).

What holds up here (measured; docs/architecture.md): one qasync loop for the whole session,
attached to the QApplication as already running, so it never starts or stops Qt's
own loop (stopping it would call QApplication.exit(), after which every qtbot.wait
returns at once); the loop is the running loop only inside a test that asks for it;
tasks a test leaves behind are cancelled after it; an exception raised in the loop
fails the test; and the loop is never closed (it lives as long as the process).

Widget tests are plain (not async) functions: they click with qtbot and wait with
qtbot.waitUntil, which spins Qt's event loop and with it the qasync loop.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable

import pytest


class LoopErrors:
    def __init__(self) -> None:
        self.seen: list[dict] = []

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        self.seen.append(context)


@pytest.fixture(scope="session")
def _qloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    errors = LoopErrors()
    loop.set_exception_handler(errors)
    yield loop, errors
    # asyncio.to_thread runs on qasync's executor of QThreads: stopped here, or Qt
    # aborts the process at exit for threads destroyed while running.
    executor = getattr(loop, "_default_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
    # Not closed: qasync counts an attached loop as running, and a loop collected
    # while Qt still holds its timers segfaults later; it lives until the process ends.
    _KEEP.append(loop)


_KEEP: list[Any] = []


@pytest.fixture
def qloop(_qloop, qtbot):
    """The qasync loop, running for the length of this test; fails the test on a loop exception."""
    loop, errors = _qloop
    errors.seen.clear()
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        leftover = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in leftover:
            task.cancel()
        if leftover:
            qtbot.waitUntil(lambda: all(t.done() for t in leftover), timeout=5000)
        asyncio.events._set_running_loop(None)
    problems = [c for c in errors.seen if not isinstance(c.get("exception"), asyncio.CancelledError)]
    if problems:
        pytest.fail(f"exception in the event loop: {problems[0].get('message')}: {problems[0].get('exception')!r}")


def run(qtbot, loop: asyncio.AbstractEventLoop, work: Awaitable[Any], timeout_ms: int = 15000) -> Any:
    """Run a coroutine on the qasync loop from a widget test, letting Qt work meanwhile."""
    task = asyncio.ensure_future(work, loop=loop)
    qtbot.waitUntil(task.done, timeout=timeout_ms)
    return task.result()
