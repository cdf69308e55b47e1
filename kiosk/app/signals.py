"""A Qt-free signal: the application layer tells whichever screen listens that something changed.

The screens connect their widgets' slots as they would to a Qt signal. Everything here runs on
the one thread of the screen's event loop, so a listener is called at once, in order. A listener
that raises is a bug on the screen's side: it goes to `sys.excepthook` (the app logs it and shows
the crash notice; pytest-qt fails the test), as a Qt slot's exception does, and the other
listeners still hear the emit.
"""

from __future__ import annotations

import sys
from typing import Any, Callable


class Signal:
    def __init__(self) -> None:
        self._listeners: list[Callable[..., Any]] = []

    def connect(self, listener: Callable[..., Any]) -> None:
        self._listeners.append(listener)

    def disconnect(self, listener: Callable[..., Any] | None = None) -> None:
        """Stop calling `listener`; with none given, every listener."""
        if listener is None:
            self._listeners.clear()
        elif listener in self._listeners:
            self._listeners.remove(listener)

    def forget(self, owner: object) -> None:
        """Stop calling every method of `owner` (a screen replaced by one in another language)."""
        self._listeners = [f for f in self._listeners if getattr(f, "__self__", None) is not owner]

    def emit(self, *args: Any) -> None:
        for listener in list(self._listeners):
            try:
                listener(*args)
            except Exception:
                sys.excepthook(*sys.exc_info())
