"""The one adapter between the Qt-free core's events and the widgets (scans take their own
route, kiosk/app/scans.py).

The core publishes plain events on its EventHub from whatever thread it is on (the
camera worker, the outbox's database thread, the asyncio loop). Widgets must only be
touched on the GUI thread, so every event is re-emitted here as a Qt signal: a
signal emitted from another thread reaches its slots through the GUI thread's queue.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.checkout.service import CheckoutNotice
from kiosk.events import EventHub
from kiosk.outbox import events as ev
from kiosk.scanner.events import ScannerStatus


class HubBridge(QObject):
    connectivity = Signal(str, str)  # online | degraded | offline, detail
    queue = Signal(object)  # ev.QueueChanged
    paused = Signal(str)  # why delivery is paused ("" when it resumed)
    dead_lettered = Signal(object)  # ev.DeadLettered
    storage_failed = Signal(str)
    scanner_status = Signal(object)  # kiosk.scanner.events.ScannerStatus
    notice = Signal(str)  # CheckoutNotice: something the cashier should read

    def __init__(self, hub: EventHub, parent: QObject | None = None):
        super().__init__(parent)
        self._unsubscribe = [
            hub.subscribe(ev.ConnectivityChanged, lambda e: self.connectivity.emit(e.state, e.detail)),
            hub.subscribe(ev.QueueChanged, self.queue.emit),
            hub.subscribe(ev.DeliveryPaused, lambda e: self.paused.emit(e.reason)),
            hub.subscribe(ev.DeliveryResumed, lambda e: self.paused.emit("")),
            hub.subscribe(ev.DeadLettered, self.dead_lettered.emit),
            hub.subscribe(ev.StorageFailed, lambda e: self.storage_failed.emit(e.message)),
            hub.subscribe(ScannerStatus, self.scanner_status.emit),
            hub.subscribe(CheckoutNotice, lambda e: self.notice.emit(e.message)),
        ]

    def close(self) -> None:
        """Stop listening: after this the core can publish while the widgets are gone."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
