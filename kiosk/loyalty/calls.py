"""Every exchange with the backend, told to whoever listens (kiosk/fleet's latency and errors).

An adapter reports each attempt once it has its outcome: a neutral operation name
(the adapter's own paths stay in the adapter), how long it took, and the error, if
any. Listeners are called on the caller's thread (the event loop) and must be quick.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

from kiosk.loyalty import errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    operation: str  # e.g. "get_member", "order", "probe"; never an id
    seconds: float
    error: BaseException | None = None

    @property
    def answered(self) -> bool:
        """The backend gave an answer of its own: a reply, or a refusal, not an outage or a timeout."""
        return self.error is None or (isinstance(self.error, errors.LoyaltyError)
                                      and not isinstance(self.error, errors.BackendUnavailable))


_lock = threading.Lock()
_listeners: list[Callable[[Call], None]] = []


def listen(callback: Callable[[Call], None]) -> Callable[[], None]:
    """Call `callback` for every reported call from now on. Returns the function that stops it."""
    with _lock:
        _listeners.append(callback)

    def stop() -> None:
        with _lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return stop


def report(call: Call) -> None:
    with _lock:
        targets = list(_listeners)
    for callback in targets:
        try:
            callback(call)
        except Exception:  # counting a call must never fail the call
            log.exception("backend call listener failed")
