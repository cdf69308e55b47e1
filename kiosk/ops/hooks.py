"""Exception hooks: an error nobody caught is logged with its traceback, and a person is told.

Three places lose an exception without a hook: the main thread's top level (and, in
the window, every Qt slot and event handler, which PySide6 reports through
sys.excepthook), threads (threading.excepthook) and asyncio loops (a task's error
nobody awaited, a callback that raised: the loop's exception handler). Each hook
here logs the traceback at ERROR (into the run's log file, kiosk/ops/logfiles.py)
and then calls `on_bug()`, which the window connects to its non-modal notice. A
Ctrl+C stays a Ctrl+C, and a failing `on_bug` is logged, never raised from a hook.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Callable

log = logging.getLogger("kiosk.crash")

_on_bug: Callable[[], None] | None = None


def install(on_bug: Callable[[], None] | None = None) -> tuple:
    """Hooks for the main thread and for threads; `on_bug` (any thread may call it) tells a person.
    Returns what was there, for `restore`."""
    global _on_bug
    previous = (_on_bug, sys.excepthook, threading.excepthook)
    _on_bug = on_bug
    sys.excepthook = _main_hook
    threading.excepthook = _thread_hook
    return previous


def restore(previous: tuple) -> None:
    global _on_bug
    _on_bug, sys.excepthook, threading.excepthook = previous


def uninstall() -> None:
    global _on_bug
    _on_bug = None
    sys.excepthook, threading.excepthook = sys.__excepthook__, threading.__excepthook__


def watch_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The same for an asyncio loop's errors nobody awaited."""
    loop.set_exception_handler(_loop_hook)


def _main_hook(kind, value, tb) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.error("uncaught %s", kind.__name__, exc_info=(kind, value, tb))
    _tell()


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    log.error("uncaught %s in thread %s", args.exc_type.__name__, name,
              exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
    _tell()


def _loop_hook(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    exc = context.get("exception")
    # The loop's own words ("Task exception was never retrieved"), never the task's repr:
    # a coroutine's arguments can be member data.
    message = context.get("message") or "error in the event loop"
    if exc is None:
        log.error("asyncio: %s", message)
    else:
        log.error("asyncio: %s", message, exc_info=(type(exc), exc, exc.__traceback__))
    _tell()


def _tell() -> None:
    on_bug = _on_bug
    if on_bug is None:
        return
    try:
        on_bug()
    except Exception:  # the notice itself failing must not raise inside a hook
        log.exception("could not show the error notice")
