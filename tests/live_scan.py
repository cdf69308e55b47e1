"""A camera stand-in for live UI scenarios: generated frames played at 30 fps in real time.

Shared by the hang guard (tests/test_ui_stall.py) and the live benchmarks
(tests/benchmarks/bench_ui_live.py). Frame i is "captured" at start + i/fps whether
or not anyone takes it; `next_frame` hands out the newest frame not taken yet and
drops older ones, as CameraSource does with a real camera. The capture time of the
first frame that shows the code, and the time that code frame was first handed
out, are recorded for the scan-to-member measurement.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

import numpy as np

MEMBER = "M100003"


def scene_frames(seed: int = 20251122, empties: int = 6, coded: int = 4,
                 text: str = MEMBER) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Distinct empty counter scenes, and scenes with the member QR in view (tests/scanner_images)."""
    from tests.scanner_images import empty_frames, make_sample

    rng = np.random.default_rng(seed)
    with_code = [make_sample("QRCode", text, "plain", rng).frame for _ in range(coded)]
    return empty_frames(seed + 1, empties), with_code


def timeline(empty: Sequence[np.ndarray], coded: Sequence[np.ndarray], *, before_s: float, code_s: float,
             after_s: float, fps: float = 30.0) -> tuple[list[np.ndarray], range]:
    """Empty scenes for before_s, the code for code_s, empty again for after_s; and the code frames' indices."""
    n_before, n_code, n_after = (round(s * fps) for s in (before_s, code_s, after_s))
    frames = [empty[i % len(empty)] for i in range(n_before)]
    frames += [coded[i % len(coded)] for i in range(n_code)]
    frames += [empty[(n_before + i) % len(empty)] for i in range(n_after)]
    return frames, range(n_before, n_before + n_code)


class PacedFrames:
    """The FrameSource interface (name, finished, next_frame, close) over frames in real time."""

    def __init__(self, frames: Sequence[np.ndarray], fps: float = 30.0, *, code: range = range(0),
                 clock: Callable[[], float] = time.monotonic):
        if not frames:
            raise ValueError("no frames")
        self.name = f"paced frames {fps:g} fps"
        self._frames = list(frames)
        self._period = 1.0 / fps
        self._code = code
        self._clock = clock
        self._closed = threading.Event()
        self._start: float | None = None
        self._taken = -1
        self.handed = 0  # frames handed out
        self.dropped = 0  # frames that went by while nobody asked
        self.code_shown_at: float | None = None  # capture time of the first code frame (monotonic)
        self.code_handed_at: float | None = None  # when a code frame was first handed out (monotonic)

    def start(self, at: float | None = None) -> "PacedFrames":
        """Frame 0 is captured now (or at `at`); the first next_frame starts the clock otherwise."""
        self._start = self._clock() if at is None else at
        if len(self._code):
            self.code_shown_at = self._start + self._code.start * self._period
        return self

    @property
    def started_at(self) -> float | None:
        return self._start

    @property
    def finished(self) -> bool:
        if self._closed.is_set():
            return True
        return self._start is not None and self._index(self._clock()) >= len(self._frames)

    def _index(self, now: float) -> int:
        return int((now - self._start) / self._period)

    def next_frame(self, timeout: float) -> np.ndarray | None:
        if self._start is None:
            self.start()
        deadline = self._clock() + timeout
        while not self._closed.is_set():
            now = self._clock()
            index = self._index(now)
            if index >= len(self._frames):
                return None
            if index > self._taken:
                self.dropped += index - self._taken - 1
                self._taken = index
                self.handed += 1
                if index in self._code and self.code_handed_at is None:
                    self.code_handed_at = now
                return self._frames[index]
            next_at = self._start + (self._taken + 1) * self._period
            if next_at > deadline:
                self._closed.wait(max(0.0, deadline - now))
                return None
            self._closed.wait(max(0.0, next_at - now))
        return None

    def close(self) -> None:
        self._closed.set()


def pipeline_for(source, on_scan, scanner_settings, *, on_frame=None, debounce_s: float | None = None):
    """A ScanPipeline over `source` with the till's own scanner settings, as
    kiosk.scanner.service.camera_pipeline builds one for a camera (not started)."""
    from kiosk.scanner.acceptor import Acceptor
    from kiosk.scanner.payload import PayloadFormats
    from kiosk.scanner.pipeline import ScanPipeline
    from kiosk.scanner.reader import FrameReader

    s = scanner_settings
    return ScanPipeline(source, on_scan, reader=FrameReader(s.symbologies, s.decoder),
                        acceptor=Acceptor(s.agree_frames, s.debounce_s if debounce_s is None else debounce_s,
                                          agree_2d=s.agree_frames_2d),
                        formats=PayloadFormats.from_settings(s), budget_s=s.frame_budget_ms / 1000,
                        max_fps=s.max_fps, idle_fps=s.idle_fps, rest_s=s.rest_after_scan_ms / 1000, on_frame=on_frame)


def stop_in_thread(pipeline) -> threading.Thread:
    """pipeline.stop() joins the worker: off the GUI thread, so the loop keeps turning meanwhile."""
    thread = threading.Thread(target=pipeline.stop, kwargs={"timeout": 5.0}, name="stop-pipeline", daemon=True)
    thread.start()
    return thread
