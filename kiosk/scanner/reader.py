"""The default decoding pipeline for one frame: decoders plus pre-processing.

Cheapest first, and stop at the first read:
1. zxing-cpp on the whole frame, upright and dark-on-light only (a few ms on
   720p). Most frames with a code in view end here.
2. The likely code regions (regions.py), each cut out upright and decoded by
   zxing-cpp with every option, then zbar, then both again after a local
   contrast stretch (CLAHE) for glare and dim light.
3. Whole frame with every zxing-cpp option, contrast-stretched, and zbar.

A live camera passes a time budget: stages that would not fit are left for the
next frame (there is always one 33 ms later). A file has no budget and gets
every stage, which is what `kiosk decode` wants from a single photo.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np

from kiosk.scanner import regions as regions_
from kiosk.scanner.decoders import SUPPORTED, DecoderUnavailable, Symbol, ZbarDecoder, ZxingDecoder, make_decoder

# zbar on a full 12-megapixel photo takes seconds; this long side is plenty for a code.
ZBAR_FULL_SIDE = 1600
MAX_REGIONS = 4


class FrameReader:
    # The budget counts this thread's CPU time, not the wall clock: it bounds
    # the work a frame may cost, and a busy machine (the GUI, another process)
    # does not make the same frame read differently.
    def __init__(self, formats: Iterable[str] = SUPPORTED, mode: str = "auto",
                 clock: Callable[[], float] = time.thread_time):
        self.formats = tuple(formats)
        self.mode = mode
        self.notice = ""
        self._clock = clock
        self._zbar: ZbarDecoder | None = None
        self._fast: ZxingDecoder | None = None
        self._full: ZxingDecoder | None = None
        if mode == "zbar":
            self._zbar = ZbarDecoder(self.formats)
        else:
            self._fast = ZxingDecoder(self.formats, try_rotate=False, try_invert=False)
            self._full = ZxingDecoder(self.formats)
            if mode == "auto":
                try:
                    self._zbar = ZbarDecoder(self.formats)
                except DecoderUnavailable as exc:
                    self.notice = str(exc)
            elif mode != "zxing":
                make_decoder(mode)  # raises the clear ValueError for an unknown mode
        self._clahe = None
        self._attempt_s = 0.002  # running mean of one decode attempt on a crop

    def _contrast(self, gray: np.ndarray) -> np.ndarray:
        import cv2

        if self._clahe is None:
            self._clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
        return self._clahe.apply(gray)

    def _decoders(self) -> list:
        return [d for d in (self._full, self._zbar) if d is not None]

    def read(self, frame: np.ndarray, budget_s: float | None = None) -> list[Symbol]:
        """Every distinct symbol found; stops at the first stage that reads one.

        With a budget (seconds), no new attempt starts once it is spent, and
        the whole-frame retries (tens of ms) are left out: a live camera gets
        another frame soon, and the regions already cover turned codes.
        """
        started = self._clock()
        gray = _gray(frame)
        if self._fast is not None:
            found = self._fast.decode(gray)
            if found:
                return found
        def fits(cost_s: float) -> bool:
            # Work that would end past the budget is not started: the budget is
            # a ceiling, not a point to overshoot from.
            return budget_s is None or self._clock() - started + cost_s <= budget_s

        for region in regions_.find_regions(gray, MAX_REGIONS):
            if not fits(self._attempt_s):
                return []
            patch, back = regions_.crop(gray, region, max_pixels=regions_.MAX_CROP_PIXELS if budget_s else None)
            for attempt in self._attempts(patch):
                before = self._clock()
                if not fits(self._attempt_s):
                    return []
                found = attempt()
                self._attempt_s += 0.1 * (self._clock() - before - self._attempt_s)
                if found:
                    return [_to_frame(s, back) for s in found]
        if budget_s is not None:
            return []
        for attempt in self._whole_frame_attempts(gray):
            found = attempt()
            if found:
                return found
        return []

    def _attempts(self, image: np.ndarray):
        for decoder in self._decoders():
            yield lambda d=decoder: d.decode(image)
        stretched: list[np.ndarray] = []
        for decoder in self._decoders():
            def attempt(d=decoder):
                if not stretched:
                    stretched.append(self._contrast(image))
                return d.decode(stretched[0])
            yield attempt

    def _whole_frame_attempts(self, gray: np.ndarray):
        if self._full is not None:
            yield lambda: self._full.decode(gray)
            yield lambda: self._full.decode(self._contrast(gray))
        if self._zbar is not None:
            yield lambda: self._zbar_scaled(gray)

    def _zbar_scaled(self, gray: np.ndarray) -> list[Symbol]:
        scale = min(1.0, ZBAR_FULL_SIDE / max(gray.shape))
        if scale == 1.0:
            return self._zbar.decode(gray)
        import cv2

        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return [_scaled(s, 1 / scale) for s in self._zbar.decode(small)]


def _gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return np.ascontiguousarray(frame, dtype=np.uint8)
    import cv2

    code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(frame, code)


def _to_frame(symbol: Symbol, back: np.ndarray) -> Symbol:
    corners = tuple((int(back[0, 0] * x + back[0, 1] * y + back[0, 2]),
                     int(back[1, 0] * x + back[1, 1] * y + back[1, 2])) for x, y in symbol.position)
    return Symbol(symbol.text, symbol.symbology, corners)


def _scaled(symbol: Symbol, factor: float) -> Symbol:
    return Symbol(symbol.text, symbol.symbology, tuple((int(x * factor), int(y * factor)) for x, y in symbol.position))
