"""What the scanners publish on the event hub.

Apart from the pipeline so that a subscriber (the cashier window, its bridge)
can name these events without loading NumPy and the decoders.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.events import Event
from kiosk.scanner.payload import PayloadFormats, Ref, parse


@dataclass(frozen=True)
class Scanned(Event):
    """A code was scanned: by the camera, a hand scanner or a serial scanner."""

    ref: Ref
    symbology: str | None  # None for a hand scanner, which does not say
    origin: str  # "camera", "wedge", "serial"


def read(text: str, symbology: str | None, origin: str, formats: PayloadFormats) -> Scanned:
    """What a scanner read, parsed: the one place where a scan's text becomes a typed reference
    (or a rejection), whichever source read it."""
    return Scanned(parse(text, symbology, formats), symbology, origin)


@dataclass(frozen=True)
class ScannerStatus(Event):
    source: str
    state: str  # sources.CONNECTED, UNAVAILABLE, RECONNECTING, ...
    detail: str  # a sentence for the cashier or IT; "" when all is well
