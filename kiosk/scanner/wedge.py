"""Telling a keyboard-wedge scanner's burst from a person typing.

Most store scanners are keyboards: they type the code and press Enter (or Tab, as
the store set them up), a few milliseconds per key. People leave 100 ms or more
between keys, rarely under 50 ms for more than a couple in a row (Odoo's barcode
service draws the line at the same 50 ms). So keys are held back while they come in
a fast burst; the suffix at the end of a burst of at least `min_length` keys makes
it a scan, and a pause makes it typing, handed back to the focused widget
unchanged. A person notices no delay under 50 ms.

Only characters count. Modifier keys (the Shift a scanner presses around every
capital, AltGr for `@` on many layouts) are not characters: the UI never feeds them.

No Qt here: the UI's event filter feeds (character, timestamp) pairs, replays
`release` to the focused widget, calls `flush` from a short timer so a lone
keystroke is not held until the next one, and sends `scan` to the payload parser.
"""

from __future__ import annotations

from dataclasses import dataclass

ENTER = "\n"
TAB = "\t"
# What each `scanner.wedge_suffix` setting takes as the end of a scan.
SUFFIXES = {"enter": frozenset("\n\r"), "tab": frozenset(TAB), "any": frozenset("\n\r\t")}


@dataclass(frozen=True)
class WedgeOutput:
    scan: str | None = None  # a complete scanner burst, without its prefix and suffix
    release: str = ""  # keys that were a person typing, to pass on in order, one character a key


class WedgeDetector:
    def __init__(self, max_gap_s: float = 0.050, min_length: int = 4, max_length: int = 512,
                 suffix: str = "enter", prefix: str = ""):
        if max_gap_s <= 0 or min_length < 1:
            raise ValueError("max_gap_s must be positive and min_length at least 1")
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIXES)}")
        if any(c in SUFFIXES["any"] for c in prefix):
            raise ValueError("the prefix can't hold Enter or Tab: they end a scan")
        self.max_gap_s, self.min_length, self.max_length = max_gap_s, min_length, max_length
        self.suffix, self.prefix = suffix, prefix
        self.ends = SUFFIXES[suffix]
        self._held: list[str] = []
        self._last = 0.0

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def ends_scan(self, char: str) -> bool:
        return char in self.ends

    def feed(self, char: str, timestamp: float) -> WedgeOutput:
        """One key press: a character, or an end key ("\\n" or "\\r" for Enter, "\\t" for Tab)."""
        released = self._expire(timestamp)
        if char in self.ends:
            burst, self._held = "".join(self._held), []
            code = burst[len(self.prefix):] if self.prefix and burst.startswith(self.prefix) else burst
            if len(code) >= self.min_length:
                return WedgeOutput(scan=code, release=released)
            return WedgeOutput(release=released + burst + char)
        self._held.append(char)
        self._last = timestamp
        if len(self._held) > self.max_length:
            # Nothing we accept is this long: a stuck key or a paste, not a scan.
            released += "".join(self._held)
            self._held = []
        return WedgeOutput(release=released)

    def flush(self, now: float) -> WedgeOutput:
        """Call from a timer: keys that were followed by a pause go back to the widget."""
        return WedgeOutput(release=self._expire(now))

    def _expire(self, now: float) -> str:
        if self._held and now - self._last > self.max_gap_s:
            held, self._held = "".join(self._held), []
            return held
        return ""
