"""A Qt-free event hub: the core publishes typed events, anyone subscribes.

The UI adapts it to Qt signals (re-emitted on the GUI thread); the core never
knows. Subscribers are called synchronously on the publisher's thread, so a
subscriber must be quick and must not touch Qt objects directly.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event; subclasses are frozen dataclasses."""


E = TypeVar("E", bound=Event)


class EventHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[type[Event], Callable[[Event], None]]] = []

    def subscribe(self, kind: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Call `callback` for every published event that is a `kind`. Returns an unsubscribe function."""
        entry = (kind, callback)
        with self._lock:
            self._subscribers.append(entry)  # type: ignore[arg-type]

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)  # type: ignore[arg-type]

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [callback for kind, callback in self._subscribers if isinstance(event, kind)]
        for callback in targets:
            try:
                callback(event)
            except Exception:
                # One broken subscriber must not stop the others, nor the publisher
                # (the outbox publishing queue depth must never fail a delivery).
                log.exception("subscriber failed on %s", type(event).__name__)
