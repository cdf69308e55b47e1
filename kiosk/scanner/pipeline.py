"""The scanner's worker: frames in, typed scans out, never on the Qt thread.

source -> FrameReader (decoders + pre-processing) -> Acceptor (frame agreement,
debounce) -> payload.parse -> callback. The callback runs on the worker thread;
the UI hands it to the event hub, which re-emits on the GUI thread.

CPU stays bounded when nothing is in view: each frame gets a time budget
(the reader starts no new attempt once it is spent), and the loop takes at
most `max_fps` frames a second while a code is around, `idle_fps` otherwise.
At the defaults that is about a tenth of one core on an empty counter.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from kiosk.events import Event
from kiosk.scanner.acceptor import Acceptor
from kiosk.scanner.decoders import Symbol
from kiosk.scanner.payload import DEFAULT, PayloadFormats, Ref, parse
from kiosk.scanner.reader import FrameReader
from kiosk.scanner.sources import FrameSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scanned(Event):
    """A code was scanned: by the camera, a hand scanner or a serial scanner."""

    ref: Ref
    symbology: str | None  # None for a hand scanner, which does not say
    origin: str  # "camera", "wedge", "serial"


@dataclass(frozen=True)
class ScannerStatus(Event):
    source: str
    state: str  # sources.CONNECTED, UNAVAILABLE, RECONNECTING, ...
    detail: str  # a sentence for the cashier or IT; "" when all is well


class ScanPipeline:
    def __init__(self, source: FrameSource, on_scan: Callable[[Scanned], None], *,
                 reader: FrameReader | None = None, acceptor: Acceptor | None = None,
                 formats: PayloadFormats = DEFAULT, budget_s: float = 0.012, max_fps: float = 15.0,
                 idle_fps: float = 8.0, idle_after_s: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 on_frame: Callable[[Any, list[Symbol]], None] | None = None):
        self.source = source
        # For a preview: every decoded frame and what was found in it, on this worker
        # thread. The UI copies what it shows; it must not keep the frame.
        self.on_frame = on_frame
        self.reader = reader or FrameReader()
        self.acceptor = acceptor or Acceptor()
        self.formats = formats
        self._on_scan = on_scan
        self._budget_s, self._max_fps, self._idle_fps, self._idle_after_s = budget_s, max_fps, idle_fps, idle_after_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-scanner", daemon=True)
        self.frames = 0  # decoded so far, for status screens and tests

    def start(self) -> ScanPipeline:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.source.close()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a file source to run out."""
        self._thread.join(timeout)

    def process(self, frame) -> list[Symbol]:
        """Decode one frame, and deliver what it makes accepted; returns the frame's symbols."""
        symbols = self.reader.read(frame, self._budget_s)
        self.frames += 1
        if self.on_frame is not None:
            try:
                self.on_frame(frame, symbols)
            except Exception:
                log.exception("frame preview callback failed")
        for symbol in self.acceptor.offer(symbols):
            self._deliver(Scanned(parse(symbol.text, symbol.symbology, self.formats), symbol.symbology, "camera"))
        return symbols

    def _deliver(self, scan: Scanned) -> None:
        try:
            self._on_scan(scan)
        except Exception:
            # A broken subscriber must not stop the camera; the scan's content stays out of the log.
            log.exception("scan callback failed")

    def _run(self) -> None:
        import cv2

        # One decoding thread is the budget; OpenCV's own pool would take the
        # other core from the GUI.
        cv2.setNumThreads(1)
        last_seen = -1e9
        while not self._stop.is_set():
            frame = self.source.next_frame(timeout=0.5)
            if frame is None:
                if self.source.finished:
                    return
                continue
            started = self._clock()
            try:
                if self.process(frame):
                    last_seen = started
            except Exception:
                log.exception("decoding a frame failed")
            fps = self._max_fps if started - last_seen < self._idle_after_s else self._idle_fps
            self._stop.wait(max(0.0, started + 1.0 / fps - self._clock()))
