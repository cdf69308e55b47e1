"""The scanner's worker: frames in, typed scans out, never on the Qt thread.

source -> FrameReader (decoders + pre-processing) -> Acceptor (frame agreement,
debounce) -> events.read (payload.parse) -> callback. The callback runs on the worker thread;
the UI hands it to the event hub, which re-emits on the GUI thread.

CPU stays bounded when nothing is in view: each frame gets a time budget
(the reader starts no new attempt once it is spent), and a frame is decoded
only when it is worth it: a code was seen in the last `idle_after_s`, or the
picture changed since the last decoded frame (a hand, a card coming in), or
`1/idle_fps` went by. Comparing a 64x36 thumbnail costs about 0.3 ms, so an
empty, still counter costs about a tenth of one core, while a card that comes
into view is decoded on the frame it appears in, not up to 125 ms later.

After a scan is delivered a camera's worker rests for `rest_s` (frames are taken, not
decoded; a file source has none, so every picture in it is read).
The card is usually still in view, and decoding it again at 30 fps only keeps it quiet;
meanwhile the scan's look-up is under way, and on a 2-core till each of those decodes
takes CPU and the GIL from the screen's thread as it sends the requests and reads the
replies. A different code shown during the rest is read when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

import numpy as np

from kiosk.scanner.acceptor import Acceptor
from kiosk.scanner.decoders import Symbol
from kiosk.scanner.events import Scanned, read
from kiosk.scanner.payload import DEFAULT, PayloadFormats
from kiosk.scanner.reader import FrameReader
from kiosk.scanner.sources import FrameSource

log = logging.getLogger(__name__)

THUMB_SIZE = (64, 36)  # ~20x20 pixel cells on 720p: sensor noise averages out, a card covers dozens
CELL_CHANGE = 16  # grey levels: more than flicker or auto-exposure drift between two frames
CELLS_CHANGED = 8  # cells that must change for "something moved"


class ScanPipeline:
    def __init__(self, source: FrameSource, on_scan: Callable[[Scanned], None], *,
                 reader: FrameReader | None = None, acceptor: Acceptor | None = None,
                 formats: PayloadFormats = DEFAULT, budget_s: float = 0.012, max_fps: float = 30.0,
                 idle_fps: float = 8.0, idle_after_s: float = 2.0, rest_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, on_frame: Callable[[Any, list[Symbol]], None] | None = None):
        self.source = source
        # For a preview: every decoded frame and what was found in it, on this worker
        # thread. The UI copies what it shows; it must not keep the frame.
        self.on_frame = on_frame
        self.reader = reader or FrameReader()
        self.acceptor = acceptor or Acceptor()
        self.formats = formats
        self._on_scan = on_scan
        self._budget_s, self._max_fps, self._idle_fps, self._idle_after_s = budget_s, max_fps, idle_fps, idle_after_s
        self._rest_s = rest_s
        self._delivered = 0  # scans delivered so far: a new one starts the rest
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-scanner", daemon=True)
        self.frames = 0  # decoded so far, for status screens and tests
        self.skipped = 0  # taken but not decoded: nothing moved and no code around

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
            self._deliver(read(symbol.text, symbol.symbology, "camera", self.formats))
            self._delivered += 1
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
        last_seen = last_decoded = -1e9
        rest_until = -1e9
        reference = None  # thumbnail of the last decoded frame
        while not self._stop.is_set():
            frame = self.source.next_frame(timeout=0.5)
            if frame is None:
                if self.source.finished:
                    return
                continue
            started = self._clock()
            try:
                thumb = None if started < rest_until else _thumbnail(frame)
                if thumb is not None and (
                        started - last_seen < self._idle_after_s or reference is None or _moved(reference, thumb)
                        or started - last_decoded >= 1.0 / self._idle_fps):
                    reference, last_decoded = thumb, started
                    delivered = self._delivered
                    if self.process(frame):
                        last_seen = started
                    if self._delivered > delivered:
                        rest_until = started + self._rest_s
                else:
                    self.skipped += 1
            except Exception:
                log.exception("decoding a frame failed")
            # A camera blocks in next_frame until its next picture; this only holds
            # back a source that has no pace of its own (a file, a fast stream).
            self._stop.wait(max(0.0, started + 1.0 / self._max_fps - self._clock()))


def _thumbnail(frame) -> np.ndarray:
    import cv2  # loaded by the worker already; OpenCV is not needed to import this module

    small = cv2.resize(frame, THUMB_SIZE, interpolation=cv2.INTER_AREA)
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    return small.astype(np.int16)


def _moved(before: np.ndarray, after: np.ndarray) -> bool:
    return int(np.count_nonzero(np.abs(after - before) > CELL_CHANGE)) >= CELLS_CHANGED
