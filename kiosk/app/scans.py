"""Every scan, from every source, by one route to whoever takes scans now.

The camera pipeline and a serial scanner read on their own threads and publish `Scanned`
on the event hub; a hand scanner's text (from the screen's wedge filter) is parsed here and
published the same way. So every scan is parsed once, by kiosk.scanner.events.read, and
is counted once (the fleet's telemetry listens to the hub). The router listens to the hub
and hands each scan, on the screen's loop, to the taker: the cashier's sale, the shopper's
session, or for a while something that took scans over (`take`). When the screen has a
question open (`held`), the scan is not taken and the person is told why.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Callable

from kiosk.events import EventHub
from kiosk.scanner.events import Scanned, read
from kiosk.scanner.payload import DEFAULT, PayloadFormats

log = logging.getLogger(__name__)

Taker = Callable[[Scanned], None]


class ScanRouter:
    def __init__(self, hub: EventHub, loop: asyncio.AbstractEventLoop, *, formats: PayloadFormats = DEFAULT,
                 say: Callable[[str], None] = lambda _text: None):
        self.hub, self.loop, self.formats, self.say = hub, loop, formats, say
        self._takers: list[Taker] = []
        # A sentence when scans can't be taken now (a question is open on the screen), else None.
        self.held: Callable[[], str | None] = lambda: None
        self._thread = threading.get_ident()
        self._unsubscribe = hub.subscribe(Scanned, self._heard)

    def text(self, text: str, origin: str = "wedge", symbology: str | None = None) -> None:
        """A scan that arrived as text on the screen's thread (a hand scanner)."""
        self.hub.publish(read(text, symbology, origin, self.formats))

    def take(self, taker: Taker) -> Callable[[], None]:
        """`taker` gets the scans from now until the returned function is called; the
        latest taker wins, and the one before it gets them again after."""
        self._takers.append(taker)

        def release() -> None:
            if taker in self._takers:
                self._takers.remove(taker)

        return release

    def _heard(self, event: Scanned) -> None:
        if threading.get_ident() == self._thread:
            self.route(event)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.route, event)

    def route(self, event: Scanned) -> None:
        if not self._takers:
            log.info("a %s scan came while nothing takes scans", event.origin)
            return
        why = self.held()
        if why:
            self.say(why)
            return
        self._takers[-1](event)

    def close(self) -> None:
        self._unsubscribe()
        self._takers.clear()
