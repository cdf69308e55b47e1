"""When a decoded code counts as scanned.

Two rules. Consecutive frames must agree on a linear code: a checksum-valid EAN
misread does happen on one blurred frame, almost never the same way on the next.
A 2D code (QR, PDF417, Data Matrix, Aztec) carries Reed-Solomon error correction,
so a frame that decodes it at all has decoded it right; waiting for a second
frame would only add a frame's time (33 ms at 30 fps) to every member scan.
`agree_2d` sets that count separately (1 by default).
And a code that was accepted stays quiet while it is in view and for
`debounce_s` after it was last seen, so a card held up for ten seconds is one
scan, not twenty.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from kiosk.scanner.decoders import Symbol

# Symbologies whose decoding is checked by error correction, not a single check digit.
ERROR_CORRECTED = frozenset({"QRCode", "MicroQRCode", "PDF417", "DataMatrix", "Aztec"})


class Acceptor:
    def __init__(self, agree: int = 2, debounce_s: float = 3.0, clock: Callable[[], float] = time.monotonic,
                 agree_2d: int = 1):
        if agree < 1 or agree_2d < 1:
            raise ValueError("agree must be at least 1 frame")
        self.agree, self.agree_2d, self.debounce_s = agree, agree_2d, debounce_s
        self._clock = clock
        self._streak: dict[tuple[str, str], int] = {}
        self._last_seen_accepted: dict[tuple[str, str], float] = {}

    def offer(self, symbols: Iterable[Symbol]) -> list[Symbol]:
        """Feed one frame's symbols; returns those accepted on this frame."""
        now = self._clock()
        current = {s.key: s for s in symbols}
        self._streak = {key: self._streak.get(key, 0) + 1 for key in current}
        accepted = []
        for key, symbol in current.items():
            last = self._last_seen_accepted.get(key)
            if last is not None and now - last < self.debounce_s:
                self._last_seen_accepted[key] = now  # still in view: the quiet time starts again
                continue
            if self._streak[key] >= self.frames_needed(symbol):
                self._last_seen_accepted[key] = now
                accepted.append(symbol)
        # Forget what is long gone, so the table stays small on a busy day.
        self._last_seen_accepted = {k: t for k, t in self._last_seen_accepted.items() if now - t < self.debounce_s}
        return accepted

    def frames_needed(self, symbol: Symbol) -> int:
        return self.agree_2d if symbol.symbology in ERROR_CORRECTED else self.agree
